"""Messenger transports below the conversations: Telegram's is aiogram's own session, MAX's is
`messengers.max` (a session for aiogram's Bot that speaks the MAX Bot API)."""

from __future__ import annotations

from typing import Any

TELEGRAM = "telegram"
MAX = "max"
MESSENGERS = (TELEGRAM, MAX)
# Update ids of each messenger (MAX's are made by messengers.max.session, far above Telegram's):
# both share the inbox and the handled markers and never meet.
MAX_UPDATE_BASE = 1 << 40
UPDATE_IDS = {TELEGRAM: (0, MAX_UPDATE_BASE), MAX: (MAX_UPDATE_BASE, 1 << 62)}


def file_messenger(file_id: str) -> str:
    """The messenger a file id came from (MAX's say "max:"; the rest are Telegram's)."""
    return MAX if file_id.startswith(f"{MAX}:") else TELEGRAM


def messenger_of(bot: Any) -> str:
    """Which messenger a Bot talks to (its session says; aiogram's own: Telegram)."""
    return str(getattr(getattr(bot, "session", None), "messenger", TELEGRAM))
