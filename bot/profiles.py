"""Conversion of aiogram objects to domain DTOs."""

from __future__ import annotations

from aiogram.types import User

from core.dto import Profile


def profile_of(user: User, messenger: str, chat_id: int) -> Profile:
    """The domain view of a person writing from `messenger` in the private chat `chat_id`."""
    return Profile(
        messenger=messenger,
        external_id=user.id,
        chat_id=chat_id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )
