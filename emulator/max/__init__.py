"""MAX Bot API emulator: a local server that answers like MAX, for tests and the sandbox.

Checked against the official schema (spec.py); covered and not covered: see docs/max.md.
"""

from emulator.max.client import MaxBotMessage, MaxControlError, MaxEmulatorClient, MaxFakeUser
from emulator.max.ratelimit import MaxRateLimits
from emulator.max.server import MaxEmulatorServer, build_app
from emulator.max.state import MaxEmulator, UploadPolicy, WebhookPolicy

__all__ = [
    "MaxBotMessage",
    "MaxControlError",
    "MaxEmulator",
    "MaxEmulatorClient",
    "MaxEmulatorServer",
    "MaxFakeUser",
    "MaxRateLimits",
    "UploadPolicy",
    "WebhookPolicy",
    "build_app",
]
