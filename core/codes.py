"""Invitation codes: unguessable, fit the /start payload, stored only as a hash."""

from __future__ import annotations

import hashlib
import re
import secrets

# 32 random bytes -> 43 url-safe characters: 256 bits, under the 64-character payload limit.
CODE_BYTES = 32
_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def new_code() -> str:
    """A fresh invitation code."""
    return secrets.token_urlsafe(CODE_BYTES)


def hash_code(code: str) -> str:
    """The value kept in the database; the code itself is never stored."""
    return hashlib.sha256(code.encode("ascii", "replace")).hexdigest()


def looks_like_payload(text: str) -> bool:
    """True when `text` could be a deep-link payload at all."""
    return bool(_PAYLOAD_RE.fullmatch(text))


_DURATION_RE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration_seconds(text: str) -> int:
    """'14d', '12h', '2w', '30m' -> seconds; raises ValueError on anything else."""
    match = _DURATION_RE.match(text)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"bad duration {text!r}; use e.g. 30m, 12h, 14d or 2w")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
