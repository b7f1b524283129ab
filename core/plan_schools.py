"""Which schools take part in a plan, from chat: a page of schools, a search by name, attach,
detach (asked first), a new school by name; every act checked by
`core.permissions.may_attach_schools` and written to the audit log.

The rule of which rows each school then gets is `core.plan_import`'s, as for an import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import Clock
from core.dto import UserContext
from core.errors import InvalidInput, NotFound
from core.permissions import may_attach_schools
from core.plain_text import one_line
from core.plan_import import attach_school, detach_school, school_names
from core.schools import add_school
from db.models import Direction, DirectionSchool, Plan, PlanSchool, School

PAGE = 10  # schools per message: a phone screen
NAME_LIMIT = 200
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class SchoolLine:
    id: int
    name: str
    taking_part: bool


@dataclass(frozen=True)
class SchoolsPage:
    """One page of schools for a plan (or one direction of it), those taking part first; or
    the first matches of a search (`query` set, `total` the number of matches)."""

    plan_id: int
    title: str
    direction_id: int | None
    direction: str | None  # the direction's code
    direction_title: str | None
    has_directions: bool
    lines: list[SchoolLine]
    page: int
    pages: int
    taking_part: int
    total: int
    query: str | None = None


@dataclass(frozen=True)
class DirectionLine:
    id: int
    code: str
    title: str
    schools: int


@dataclass(frozen=True)
class Directions:
    """A plan's directions the person may give to schools, each with its school count."""

    plan_id: int
    title: str
    lines: list[DirectionLine] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """What an attach, add or detach did (or, asked first, would do)."""

    school: str
    direction: str | None
    changed: bool  # False: the school already was (or was not) taking part
    opened: int = 0  # items the school got
    created: bool = False  # a new school was added
    cancelled: int = 0  # open items taken back
    kept: int = 0  # items with work handed in, archived


async def _allowed(
    session: AsyncSession, user: UserContext, plan_id: int, direction_id: int | None
) -> tuple[Plan, Direction | None]:
    """The plan (and direction) if the person may change who takes part; else NotFound."""
    plan = await session.get(Plan, plan_id)
    direction = await session.get(Direction, direction_id) if direction_id is not None else None
    if plan is None or (
        direction_id is not None and (direction is None or direction.plan_id != plan_id)
    ):
        raise NotFound(f"no plan {plan_id} with direction {direction_id}")
    if not may_attach_schools(user, plan_id, direction_id):
        raise NotFound(f"plan {plan_id} (direction {direction_id}) is not the person's to change")
    return plan, direction


async def _taking_part(session: AsyncSession, plan_id: int, direction_id: int | None) -> set[int]:
    if direction_id is None:
        query = select(PlanSchool.school_id).where(PlanSchool.plan_id == plan_id)
    else:
        query = select(DirectionSchool.school_id).where(
            DirectionSchool.direction_id == direction_id
        )
    return set(await session.scalars(query))


async def _directions(session: AsyncSession, plan_id: int) -> list[Direction]:
    return list(
        await session.scalars(
            select(Direction).where(Direction.plan_id == plan_id).order_by(Direction.position)
        )
    )


async def screen(
    session: AsyncSession, user: UserContext, plan_id: int, number: int = 0
) -> Directions | SchoolsPage:
    """Where 🏫 Школы opens: the directions the person may give to schools (straight to the
    only one), or page `number` of the plan's schools when it has no directions."""
    directions = await _directions(session, plan_id)
    if not directions:
        return await page(session, user, plan_id, None, number)
    mine = [d for d in directions if may_attach_schools(user, plan_id, d.id)]
    if not mine:
        raise NotFound(f"no direction of plan {plan_id} is the person's to change")
    if len(mine) == 1:
        return await page(session, user, plan_id, mine[0].id, 0)
    plan = await session.get(Plan, plan_id)
    assert plan is not None
    counts = dict(
        (
            await session.execute(
                select(DirectionSchool.direction_id, func.count())
                .where(DirectionSchool.direction_id.in_([d.id for d in mine]))
                .group_by(DirectionSchool.direction_id)
            )
        ).all()
    )
    lines = [DirectionLine(d.id, d.code, d.title, int(counts.get(d.id, 0))) for d in mine]
    return Directions(plan_id, plan.title, lines)


async def page(
    session: AsyncSession, user: UserContext, plan_id: int, direction_id: int | None, number: int
) -> SchoolsPage:
    """Page `number` (from 0; past the end: the last) of every school, those taking part first."""
    plan, direction = await _allowed(session, user, plan_id, direction_id)
    schools, taking = await _listing(session, plan_id, direction_id)
    pages = max(1, -(-len(schools) // PAGE))
    number = min(max(number, 0), pages - 1)
    shown = schools[number * PAGE : (number + 1) * PAGE]
    return await _page(session, plan, direction, shown, taking, number, pages, len(schools))


async def search(
    session: AsyncSession, user: UserContext, plan_id: int, direction_id: int | None, text: str
) -> SchoolsPage:
    """The first schools whose name has every word typed (a number as a whole number: "5"
    finds "№ 5", not "№ 15"); `total` says how many matched."""
    plan, direction = await _allowed(session, user, plan_id, direction_id)
    query = one_line(text)[:NAME_LIMIT]
    words = [w.casefold() for w in _WORD.findall(query)]
    schools, taking = await _listing(session, plan_id, direction_id)
    found = [s for s in schools if words and _matches(s, words)]
    shown = await _page(session, plan, direction, found[:PAGE], taking, 0, 1, len(found))
    return replace(shown, query=query)


def _matches(school: tuple[int, str, str], words: list[str]) -> bool:
    names = set(_WORD.findall(school[2]))
    return all(w in names if w.isdigit() else w in school[2] for w in words)


async def _listing(
    session: AsyncSession, plan_id: int, direction_id: int | None
) -> tuple[list[tuple[int, str, str]], set[int]]:
    """Every school (not merged away) as (id, name, searchable text), taking part first, and
    the ids taking part."""
    taking = await _taking_part(session, plan_id, direction_id)
    rows = await session.execute(
        select(School.id, School.name, School.short_name).where(School.merged_into_id.is_(None))
    )
    # SQLite folds ASCII only, so Cyrillic names are ordered and searched here (a region's
    # thousand schools is a small list).
    schools = [(i, n, f"{n} {s or ''}".casefold()) for i, n, s in rows]
    schools.sort(key=lambda s: (s[0] not in taking, s[1].casefold(), s[0]))
    return schools, taking


async def _page(
    session: AsyncSession,
    plan: Plan,
    direction: Direction | None,
    shown: list[tuple[int, str, str]],
    taking: set[int],
    number: int,
    pages: int,
    total: int,
) -> SchoolsPage:
    has_directions = direction is not None or bool(await _directions(session, plan.id))
    return SchoolsPage(
        plan_id=plan.id,
        title=plan.title,
        direction_id=direction.id if direction else None,
        direction=direction.code if direction else None,
        direction_title=direction.title if direction else None,
        has_directions=has_directions,
        lines=[SchoolLine(i, n, i in taking) for i, n, _ in shown],
        page=number,
        pages=pages,
        taking_part=len(taking),
        total=total,
    )


async def _school(session: AsyncSession, school_id: int) -> School:
    school = await session.get(School, school_id)
    if school is None or school.merged_into_id is not None:
        raise NotFound(f"no school {school_id}")
    return school


async def attach(
    session: AsyncSession,
    clock: Clock,
    user: UserContext,
    plan_id: int,
    direction_id: int | None,
    school_id: int,
) -> Change:
    """The school takes part in the plan (the direction) and gets its rows; already taking
    part: nothing changes."""
    plan, direction = await _allowed(session, user, plan_id, direction_id)
    school = await _school(session, school_id)
    code = direction.code if direction else None
    if school_id in await _taking_part(session, plan_id, direction_id):
        return Change(school.name, code, changed=False)
    opened = await attach_school(session, clock, plan.id, school.id, code)
    _record(session, clock, user, "plan.attach_school", plan.id, school.id, code, opened=opened)
    return Change(school.name, code, changed=True, opened=opened)


async def detach(
    session: AsyncSession,
    clock: Clock,
    user: UserContext,
    plan_id: int,
    direction_id: int | None,
    school_id: int,
    *,
    dry_run: bool,
) -> Change:
    """The school no longer takes part in the plan (the direction): open items are taken back,
    work handed in is archived and stays in reports; `dry_run` only counts."""
    plan, direction = await _allowed(session, user, plan_id, direction_id)
    school = await _school(session, school_id)
    code = direction.code if direction else None
    if school_id not in await _taking_part(session, plan_id, direction_id):
        return Change(school.name, code, changed=False)
    done = await detach_school(session, clock, plan.id, school.id, code, dry_run=dry_run)
    if not dry_run:
        _record(
            session, clock, user, "plan.detach_school", plan.id, school.id, code,
            cancelled=done.cancelled, kept=done.kept,
        )  # fmt: skip
    return Change(school.name, code, True, cancelled=done.cancelled, kept=done.kept)


async def add(
    session: AsyncSession,
    clock: Clock,
    user: UserContext,
    plan_id: int,
    direction_id: int | None,
    name: str,
) -> Change:
    """A school typed by name takes part: the existing school of that name (or short name),
    else a new one in the plan's time zone."""
    plan, _ = await _allowed(session, user, plan_id, direction_id)
    name = one_line(name)
    if not name or len(name) > NAME_LIMIT:
        raise InvalidInput("a school's name is empty or too long")
    by_name, by_short = await school_names(session)
    existing = by_name.get(name.casefold()) or by_short.get(name.casefold())
    if existing is not None:
        return await attach(session, clock, user, plan_id, direction_id, existing.id)
    school = await add_school(session, clock, name=name, timezone=plan.timezone)
    audit.record(
        session,
        clock,
        actor_user_id=user.user_id,
        action="school.add",
        entity_type="school",
        entity_id=school.id,
        after={"name": school.name, "timezone": school.timezone},
    )
    change = await attach(session, clock, user, plan_id, direction_id, school.id)
    return Change(change.school, change.direction, changed=True, opened=change.opened, created=True)


async def direction_plans(session: AsyncSession, user: UserContext) -> list[tuple[int, str]]:
    """Plans the person gives to schools only by direction (a direction's coordinator): /plans
    lists them beside the plans they manage whole."""
    rows = await session.execute(
        select(Plan.id, Plan.title, Direction.id)
        .join(Direction, Direction.plan_id == Plan.id)
        .order_by(Plan.id)
    )
    out: dict[int, str] = {}
    for plan_id, title, direction_id in rows:
        if may_attach_schools(user, plan_id, direction_id) and not may_attach_schools(
            user, plan_id
        ):
            out[plan_id] = title
    return list(out.items())


def _record(
    session: AsyncSession,
    clock: Clock,
    user: UserContext,
    action: str,
    plan_id: int,
    school_id: int,
    direction: str | None,
    **counts: int,
) -> None:
    audit.record(
        session,
        clock,
        actor_user_id=user.user_id,
        action=action,
        entity_type="plan",
        entity_id=plan_id,
        after={"school_id": school_id, "direction": direction, **counts},
    )
