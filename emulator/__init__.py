"""Telegram Bot API emulator: a local server that answers like Telegram, for tests and the sandbox.

Covered and not covered: see docs/emulator.md.
"""

from emulator.client import BotMessage, EmulatorClient, FakeUser
from emulator.ratelimit import RateLimits
from emulator.server import EmulatorServer, build_app
from emulator.state import Emulator

__all__ = [
    "BotMessage",
    "Emulator",
    "EmulatorClient",
    "EmulatorServer",
    "FakeUser",
    "RateLimits",
    "build_app",
]
