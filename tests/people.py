"""People for tests: find a person by their Telegram account, or make one with an account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account, User
from messengers import TELEGRAM


def by_telegram(telegram_id: int) -> Select[User]:
    """SELECT the person whose Telegram account is `telegram_id`."""
    return (
        select(User)
        .join(Account, Account.user_id == User.id)
        .where(Account.messenger == TELEGRAM, Account.external_id == telegram_id)
    )


async def user_id_of(session: AsyncSession, telegram_id: int) -> int:
    """The internal id of the person with this Telegram account (it must exist)."""
    found = await session.scalar(by_telegram(telegram_id))
    assert found is not None, f"nobody with Telegram id {telegram_id}"
    return found.id


def with_account(user: User, telegram_id: int, created_at: datetime) -> list[Any]:
    """The rows to add for a person made directly: the person and their Telegram account."""
    account = Account(
        messenger=TELEGRAM,
        external_id=telegram_id,
        chat_id=telegram_id,
        created_at=created_at,
        user=user,
    )
    return [user, account]
