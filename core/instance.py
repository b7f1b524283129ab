"""Facts of this installation kept in the database beside its secrets: the sandbox's clock
and which person each of the sandbox's characters is.

A sandbox database (`python -m bot sandbox --db PATH`) records the moment its clock shows, so
the command line pointed at that database (`DATABASE_URL=sqlite+aiosqlite:///PATH python -m bot
report …`) dates its work by the sandbox's day, not the computer's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import InstanceSecret

SANDBOX_CLOCK = "sandbox_clock"
SANDBOX_PEOPLE = "sandbox_people"


async def keep_sandbox_clock(session: AsyncSession, moment: datetime) -> None:
    """Record what the sandbox's clock shows (UTC, ISO 8601)."""
    value = moment.astimezone(UTC).isoformat()
    row = await session.get(InstanceSecret, SANDBOX_CLOCK)
    if row is None:
        session.add(InstanceSecret(name=SANDBOX_CLOCK, value=value))
    else:
        row.value = value


async def sandbox_clock(session: AsyncSession) -> datetime | None:
    """The sandbox's clock, if this database is a sandbox's (None otherwise, or before the
    schema exists)."""
    try:
        value = await session.scalar(
            select(InstanceSecret.value).where(InstanceSecret.name == SANDBOX_CLOCK)
        )
    except SQLAlchemyError:
        return None
    return datetime.fromisoformat(value) if value else None


async def keep_sandbox_person(session: AsyncSession, key: str, user_id: int) -> None:
    """Remember that the sandbox's character `key` ("curator1") is the person `user_id`."""
    row = await session.get(InstanceSecret, SANDBOX_PEOPLE)
    people = json.loads(row.value) if row is not None else {}
    people[key] = user_id
    if row is None:
        session.add(InstanceSecret(name=SANDBOX_PEOPLE, value=json.dumps(people)))
    else:
        row.value = json.dumps(people)


async def sandbox_person(session: AsyncSession, key: str) -> int | None:
    """The person the sandbox's character `key` was in an earlier run, if any."""
    row = await session.get(InstanceSecret, SANDBOX_PEOPLE)
    return json.loads(row.value).get(key) if row is not None else None
