"""Who is asking: Telegram's signed Mini App initData, exchanged once for a short session.

Telegram cannot refresh initData while a page is open, and a page's address carries it: so
initData opens only the exchange (while it is at most MAX_AGE old), and every other request
carries the session's token, which lapses after SESSION_IDLE unused and SESSION_CAP at most.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from aiogram.utils.web_app import safe_parse_webapp_init_data
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from db.models import DashboardSession

# How old initData may be when exchanged (WEBAPP_AUTH_MAX_AGE_SECONDS): a page reloaded or
# reopened from the webview's cache within the hour needs no trip back to the chat.
MAX_AGE = timedelta(hours=1)
FUTURE_SKEW = timedelta(minutes=5)  # a client clock a little ahead is not a forgery
SESSION_IDLE = timedelta(hours=1)  # a page left alone this long is closed
SESSION_CAP = timedelta(hours=12)  # a working day from the exchange, however busy the page
RENEW_EVERY = timedelta(minutes=1)  # a use is written at most this often (the idle clock)


class NotAuthorized(Exception):
    """initData missing, forged, expired or without a user: the request gets 401."""


def telegram_user_id(
    token: str, init_data: str | None, now: datetime, max_age: timedelta = MAX_AGE
) -> int:
    """The Telegram id of the person whose initData this is; NotAuthorized otherwise."""
    if not init_data:
        raise NotAuthorized("missing")
    try:
        data = safe_parse_webapp_init_data(token, init_data)
    except ValueError:
        raise NotAuthorized("signature") from None
    signed_at = data.auth_date
    if signed_at.tzinfo is None:  # aiogram parses the Unix time as UTC
        raise NotAuthorized("auth_date")
    if now - signed_at > max_age or signed_at - now > FUTURE_SKEW:
        raise NotAuthorized("expired")
    if data.user is None:
        raise NotAuthorized("no user")
    return data.user.id


def _credentials(value: str | None, expected: str) -> str | None:
    if not value:
        return None
    scheme, _, rest = value.partition(" ")
    return rest.strip() or None if scheme.lower() == expected else None


def from_header(value: str | None) -> str | None:
    """initData from `Authorization: tma <initData>` (the convention Telegram's docs use)."""
    return _credentials(value, "tma")


def session_token(value: str | None) -> str | None:
    """The session's token from `Authorization: Bearer <token>`."""
    return _credentials(value, "bearer")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _expired(now: datetime) -> ColumnElement[bool]:
    return or_(
        DashboardSession.used_at < now - SESSION_IDLE,
        DashboardSession.created_at < now - SESSION_CAP,
    )


async def open_session(session: AsyncSession, user_id: int, now: datetime) -> str:
    """A new session's token for the person (only its hash is stored); lapsed ones go."""
    await session.execute(delete(DashboardSession).where(_expired(now)))
    token = secrets.token_urlsafe(32)
    session.add(
        DashboardSession(token_hash=_hash(token), user_id=user_id, created_at=now, used_at=now)
    )
    return token


async def session_user(session: AsyncSession, token: str, now: datetime) -> int | None:
    """The person (internal id) of a live session, the session renewed by this use; None when
    the token is unknown or the session has lapsed."""
    row = await session.scalar(
        select(DashboardSession).where(DashboardSession.token_hash == _hash(token))
    )
    if row is None:
        return None
    if now - row.used_at > SESSION_IDLE or now - row.created_at > SESSION_CAP:
        return None
    if now - row.used_at >= RENEW_EVERY:
        row.used_at = now
    return row.user_id
