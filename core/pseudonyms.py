"""Keyed pseudonyms of forgotten people: recognise a returning messenger account, keep nothing
readable.

The key is a random secret of this installation (made by the migrations), so the stored value
cannot be turned back into an account id by trying every id without the database's secret.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import InstanceSecret


def account_key(messenger: str, external_id: int) -> str:
    """What is hashed for an account: a Telegram id as it always was, other messengers named."""
    return str(external_id) if messenger == "telegram" else f"{messenger}:{external_id}"


async def pseudonym(session: AsyncSession, account: str) -> str:
    """HMAC-SHA256 of an account's key (`account_key`) under the installation's key, as 64 hex
    digits."""
    key = await session.scalar(
        select(InstanceSecret.value).where(InstanceSecret.name == "pseudonym")
    )
    if key is None:  # a database from before the key existed: fail loudly, never unkeyed
        raise RuntimeError("the pseudonym key is missing: run `python -m bot db upgrade`")
    return hmac.new(bytes.fromhex(key), account.encode(), hashlib.sha256).hexdigest()
