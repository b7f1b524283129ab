"""Conversion of aiogram objects to domain DTOs."""

from __future__ import annotations

from aiogram.types import User

from core.dto import TelegramProfile


def profile_of(user: User) -> TelegramProfile:
    """The domain view of a Telegram user."""
    return TelegramProfile(
        telegram_id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )
