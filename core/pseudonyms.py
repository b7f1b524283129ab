"""Keyed pseudonyms of forgotten people: recognise a returning Telegram id, keep nothing readable.

The key is a random secret of this installation (made by the migrations), so the stored value
cannot be turned back into a Telegram id by trying every id without the database's secret.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import InstanceSecret


async def pseudonym(session: AsyncSession, telegram_id: int) -> str:
    """HMAC-SHA256 of the Telegram id under the installation's key, as 64 hex digits."""
    key = await session.scalar(
        select(InstanceSecret.value).where(InstanceSecret.name == "pseudonym")
    )
    if key is None:  # a database from before the key existed: fail loudly, never unkeyed
        raise RuntimeError("the pseudonym key is missing: run `python -m bot db upgrade`")
    return hmac.new(bytes.fromhex(key), str(telegram_id).encode(), hashlib.sha256).hexdigest()
