"""Schools: add, list and find by id, name or short name."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.dto import SchoolInfo
from core.errors import InvalidInput, NotFound
from db.models import School

_NUMBER_RE = re.compile(r"№\s*(\d+)")


def _info(school: School) -> SchoolInfo:
    return SchoolInfo(
        id=school.id,
        name=school.name,
        short_name=school.short_name,
        municipality=school.municipality,
        timezone=school.timezone,
    )


def validate_timezone(name: str) -> str:
    """The IANA name if known, else InvalidInput."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {name!r}; use an IANA name such as Asia/Yekaterinburg"
        ) from None
    return name


async def add_school(
    session: AsyncSession,
    clock: Clock,
    *,
    name: str,
    short_name: str | None = None,
    municipality: str | None = None,
    timezone: str | None = None,
) -> SchoolInfo:
    """Create a school; names are unique."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("school name is empty")
    if timezone is not None:
        validate_timezone(timezone)
    exists = await session.scalar(select(School.id).where(School.name == name))
    if exists is not None:
        raise InvalidInput(f"school {name!r} already exists (id {exists})")
    number = _NUMBER_RE.search(short_name or name)
    school = School(
        name=name,
        short_name=short_name,
        number=number.group(1) if number else None,
        municipality=municipality,
        timezone=timezone,
        created_at=clock.now(),
    )
    session.add(school)
    await session.flush()
    return _info(school)


async def list_schools(session: AsyncSession) -> list[SchoolInfo]:
    """All active (not merged) schools by name."""
    rows = await session.scalars(
        select(School).where(School.merged_into_id.is_(None)).order_by(School.name)
    )
    return [_info(s) for s in rows]


async def find_school(session: AsyncSession, ref: str) -> SchoolInfo:
    """A school by numeric id, exact name or short name (case-insensitive)."""
    ref = ref.strip()
    if ref.isdigit():
        school = await session.get(School, int(ref))
        if school is not None:
            return _info(school)
    # SQLite's lower() folds ASCII only, so Cyrillic names are compared here.
    key = " ".join(ref.split()).casefold()
    candidates = await session.scalars(select(School).where(School.merged_into_id.is_(None)))
    matches = [s for s in candidates if key in (s.name.casefold(), (s.short_name or "").casefold())]
    if len(matches) == 1:
        return _info(matches[0])
    if not matches:
        raise NotFound(f"no school matches {ref!r}")
    raise InvalidInput(f"{ref!r} matches several schools; use the id")
