"""Schools: add, list, find, rename, set the time zone, merge duplicates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import Clock
from core.dto import SchoolInfo
from core.errors import InvalidInput, NotFound
from core.scope import Scope, schools_visible
from db.models import (
    Assignment,
    DirectionSchool,
    Invitation,
    Membership,
    PlanSchool,
    School,
    SeminarSchool,
    Submission,
)

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
            f"unknown time zone {name!r}; use an IANA name such as Asia/Yekaterinburg",
            "unknown_zone",
            zone=name,
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
        raise InvalidInput("school name is empty", "school_name_empty")
    if timezone is not None:
        validate_timezone(timezone)
    exists = await session.scalar(select(School.id).where(School.name == name))
    if exists is not None:
        raise InvalidInput(
            f"school {name!r} already exists (id {exists})", "school_exists", name=name, id=exists
        )
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


SCHOOLS_PAGE = 25  # lines of /schools in one message (names clipped): under Telegram's 4,096


@dataclass(frozen=True)
class SchoolPage:
    """One page of /schools: its schools, which page it is, of how many, of how many schools."""

    schools: list[SchoolInfo]
    page: int
    pages: int
    total: int


async def school_page(
    session: AsyncSession, scope: Scope, page: int, size: int = SCHOOLS_PAGE
) -> SchoolPage:
    """One page of the active schools the person may see, by name; a page past the end shows
    the last."""
    active = and_(
        School.merged_into_id.is_(None),
        schools_visible(scope, School.id, PlanSchool, DirectionSchool),
    )
    total = int(await session.scalar(select(func.count()).select_from(School).where(active)) or 0)
    pages = max(1, -(-total // size))
    page = min(max(page, 0), pages - 1)
    rows = await session.scalars(
        select(School).where(active).order_by(School.name).offset(page * size).limit(size)
    )
    return SchoolPage([_info(s) for s in rows], page, pages, total)


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
        raise NotFound(f"no school matches {ref!r}", "school_not_found", ref=ref)
    raise InvalidInput(f"{ref!r} matches several schools; use the id", "school_ambiguous", ref=ref)


async def rename_school(
    session: AsyncSession, clock: Clock, school_id: int, *, name: str | None, timezone: str | None
) -> SchoolInfo:
    """Change a school's name and/or time zone (names stay unique)."""
    school = await session.get(School, school_id)
    if school is None or school.merged_into_id is not None:
        raise NotFound(f"no school {school_id}", "school_id_not_found", id=school_id)
    before = {"name": school.name, "timezone": school.timezone}
    if name is not None:
        name = " ".join(name.split())
        clash = await session.scalar(
            select(School.id).where(School.name == name, School.id != school_id)
        )
        if not name or clash is not None:
            raise InvalidInput(
                f"school name {name!r} is empty or taken", "school_name_taken", name=name
            )
        school.name = name
    if timezone is not None:
        school.timezone = validate_timezone(timezone)
    audit.record(
        session,
        clock,
        actor_user_id=None,
        action="school.update",
        entity_type="school",
        entity_id=school_id,
        before=before,
        after={"name": school.name, "timezone": school.timezone},
    )
    await session.flush()
    return _info(school)


_PROGRESS = {"accepted": 4, "submitted": 3, "returned": 2, "open": 1, "cancelled": 0}


async def merge_schools(
    session: AsyncSession, clock: Clock, duplicate_id: int, into_id: int
) -> int:
    """Fold a duplicate school into another, keeping all history; returns moved assignments.

    Where both have the same activity, the further advanced assignment stays and the other's
    submissions move to it. The duplicate row remains, marked as merged, for old references.
    """
    if duplicate_id == into_id:
        raise InvalidInput("a school cannot be merged into itself", "merge_into_itself")
    duplicate, target = await session.get(School, duplicate_id), await session.get(School, into_id)
    if duplicate is None or target is None or duplicate.merged_into_id or target.merged_into_id:
        raise NotFound("both schools must exist and not be merged already", "merge_missing")
    theirs = {
        a.activity_id: a
        for a in await session.scalars(select(Assignment).where(Assignment.school_id == into_id))
    }
    moved = 0
    for assignment in list(
        await session.scalars(select(Assignment).where(Assignment.school_id == duplicate_id))
    ):
        other = theirs.get(assignment.activity_id)
        if other is None:
            assignment.school_id = into_id
            moved += 1
            continue
        keep, drop = (
            (assignment, other)
            if _PROGRESS[assignment.status.value] > _PROGRESS[other.status.value]
            else (other, assignment)
        )
        await session.execute(
            update(Submission)
            .where(Submission.assignment_id == drop.id)
            .values(assignment_id=keep.id)
        )
        await session.delete(drop)
        await session.flush()
        keep.school_id = into_id
        moved += 1
    links: tuple[
        tuple[type[PlanSchool] | type[DirectionSchool] | type[SeminarSchool], str], ...
    ] = (
        (PlanSchool, "plan_id"),
        (DirectionSchool, "direction_id"),
        (SeminarSchool, "seminar_id"),
    )
    for table, column in links:
        for row in list(
            await session.scalars(select(table).where(table.school_id == duplicate_id))
        ):
            other_id = getattr(row, column)
            await session.delete(row)
            await session.flush()
            exists = await session.scalar(
                select(table).where(getattr(table, column) == other_id, table.school_id == into_id)
            )
            if exists is None:
                session.add(table(**{column: other_id, "school_id": into_id}))
    for model in (Membership, Invitation):
        await session.execute(
            update(model).where(model.school_id == duplicate_id).values(school_id=into_id)
        )
    duplicate.merged_into_id = into_id
    audit.record(
        session,
        clock,
        actor_user_id=None,
        action="school.merge",
        entity_type="school",
        entity_id=into_id,
        before={"duplicate": duplicate_id, "name": duplicate.name},
        after={"assignments_moved": moved},
    )
    await session.flush()
    return moved
