"""A person's messenger accounts: which account writes, where the bot writes back, and where
reminders go when a person uses both Telegram and MAX."""

from __future__ import annotations

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.states import OutboxStatus
from db.models import Account, OutboxMessage, User


def delivery_account() -> ColumnElement[bool]:
    """Join condition: the account of a person's chosen messenger (where reminders go)."""
    return and_(Account.user_id == User.id, Account.messenger == User.messenger)


async def user_id_of(session: AsyncSession, messenger: str, external_id: int) -> int | None:
    """The person behind a messenger account, or None for an account never seen."""
    return await session.scalar(
        select(Account.user_id).where(
            Account.messenger == messenger, Account.external_id == external_id
        )
    )


async def accounts_of(session: AsyncSession, user_id: int) -> list[Account]:
    """Every messenger account of a person, oldest first."""
    return list(
        await session.scalars(
            select(Account).where(Account.user_id == user_id).order_by(Account.id)
        )
    )


async def chat_in(session: AsyncSession, user_id: int, messenger: str) -> int | None:
    """The person's chat in one messenger, or None where they have no account there."""
    return await session.scalar(
        select(Account.chat_id).where(Account.user_id == user_id, Account.messenger == messenger)
    )


async def choose_messenger(session: AsyncSession, user_id: int, messenger: str) -> bool:
    """Send the person's reminders and notices to `messenger` from now on, the ones already
    queued included (each reaches them once, in one messenger). False without an account."""
    user = await session.get(User, user_id)
    chat = await chat_in(session, user_id, messenger)
    if user is None or chat is None:
        return False
    user.messenger = messenger
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.recipient_user_id == user_id,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(messenger=messenger, chat_id=chat)
    )
    await session.flush()
    return True
