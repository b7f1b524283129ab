"""A person's messenger accounts: which account writes, where the bot writes back, and where
reminders go when a person uses both Telegram and MAX."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core import audit
from core.clock import Clock
from core.codes import hash_code
from core.dto import Profile
from core.errors import DomainError
from core.states import OutboxStatus
from db.models import Account, AccountLink, Membership, OutboxMessage, User

LINK_PREFIX = "link-"  # a deep link's payload: /start link-<code>
LINK_TTL = timedelta(minutes=30)


class LinkError(DomainError):
    """A link code that cannot join this account to the person (`code` says why)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # unknown | expired | used | taken | other_account


@dataclass(frozen=True)
class Linked:
    """An account joined to a person: the messengers they now use and where reminders go."""

    user_id: int
    messengers: tuple[str, ...]
    reminders_to: str
    already: bool = False


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
    if user.messenger != messenger:
        user.blocked_at = None  # a block was the other messenger's: this one is untried
    user.messenger = messenger
    # Only what was never tried moves: a send that may have arrived, or an edit of a message
    # in the old messenger, stays there (never twice, never an edit of a foreign message).
    queued = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.recipient_user_id == user_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.attempts == 0,
            OutboxMessage.messenger != messenger,
        )
    )
    for row in queued:
        if "doubt" not in row.payload and "message_id" not in row.payload:
            row.messenger, row.chat_id = messenger, chat
    await session.flush()
    return True


async def new_link_code(session: AsyncSession, clock: Clock, user_id: int) -> str:
    """A one-time code (valid LINK_TTL) that joins the person's account in another messenger
    to them; only its hash is kept."""
    code = secrets.token_urlsafe(12)
    now = clock.now()
    session.add(
        AccountLink(
            code_hash=hash_code(code), user_id=user_id, created_at=now, expires_at=now + LINK_TTL
        )
    )
    await session.flush()
    return code


async def link_account(session: AsyncSession, clock: Clock, code: str, profile: Profile) -> Linked:
    """Join the account `profile` writes from to the person who made `code` (never by names).

    An account already known as a person with roles of their own is never taken over; one
    that only pressed Start moves to the person. Raises LinkError."""
    now = clock.now()
    link = await session.scalar(
        select(AccountLink).where(AccountLink.code_hash == hash_code(code.strip()))
    )
    if link is None:
        raise LinkError("unknown")
    person = await session.get(User, link.user_id)
    if person is None or person.forgotten_at is not None or not person.is_active:
        raise LinkError("unknown")
    account = await session.scalar(
        select(Account).where(
            Account.messenger == profile.messenger, Account.external_id == profile.external_id
        )
    )
    if account is not None and account.user_id == person.id:
        return await _linked(session, person, already=True)
    if link.used_at is not None:
        raise LinkError("used")
    if link.expires_at <= now:
        raise LinkError("expired")
    if await chat_in(session, person.id, profile.messenger) is not None:
        raise LinkError("other_account")  # one account per messenger
    if account is not None:
        has_roles = await session.scalar(
            select(
                exists().where(
                    Membership.user_id == account.user_id, Membership.revoked_at.is_(None)
                )
            )
        )
        if has_roles:
            raise LinkError("taken")
    # Taken by one statement: two accounts racing for one code cannot both win.
    claimed = await session.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkError("used")
    if account is not None:
        account.user_id, account.chat_id = person.id, profile.chat_id
    else:
        session.add(
            Account(
                user_id=person.id,
                messenger=profile.messenger,
                external_id=profile.external_id,
                chat_id=profile.chat_id,
                created_at=now,
            )
        )
    audit.record(
        session,
        clock,
        actor_user_id=person.id,
        action="account.linked",
        entity_type="user",
        entity_id=person.id,
        after={"messenger": profile.messenger},
    )
    await session.flush()
    return await _linked(session, person)


async def _linked(session: AsyncSession, person: User, already: bool = False) -> Linked:
    names = tuple(a.messenger for a in await accounts_of(session, person.id))
    return Linked(person.id, names, person.messenger, already)


async def messengers_of(session: AsyncSession, user_id: int) -> Linked:
    """The messengers a person uses and where their reminders go."""
    person = await session.get(User, user_id)
    assert person is not None
    return await _linked(session, person)
