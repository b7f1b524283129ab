"""Who is asking: Telegram's signed Mini App initData, checked with the bot token and its age."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram.utils.web_app import safe_parse_webapp_init_data

MAX_AGE = timedelta(hours=24)
FUTURE_SKEW = timedelta(minutes=5)  # a client clock a little ahead is not a forgery


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


def from_header(value: str | None) -> str | None:
    """initData from `Authorization: tma <initData>` (the convention Telegram's docs use)."""
    if not value:
        return None
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() == "tma" else None
