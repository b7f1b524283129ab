"""Messenger transports below the conversations: Telegram's is aiogram's own session, MAX's is
`messengers.max` (a session for aiogram's Bot that speaks the MAX Bot API)."""

from __future__ import annotations

from typing import Any

TELEGRAM = "telegram"
MAX = "max"
MESSENGERS = (TELEGRAM, MAX)


def messenger_of(bot: Any) -> str:
    """Which messenger a Bot talks to (its session says; aiogram's own: Telegram)."""
    return str(getattr(getattr(bot, "session", None), "messenger", TELEGRAM))
