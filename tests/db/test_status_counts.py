"""The status counts table always equals a full recount of the assignments.

Random sequences of what people and imports do (hand in, accept, return, take back, withdraw,
move deadlines, change a period, re-import with rows dropped or moved to another direction,
archive, merge schools, days passing) run through the real services, each in its own
transaction; after every one the counts /status reads must equal the counts of a scan over
every assignment, overdue included, in every school's time zone. Runs on PostgreSQL too
(KURATOR_TEST_POSTGRES).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.activities import set_activity_period
from core.clock import ManualClock
from core.deadlines import DeadlineError, move
from core.dto import UserContext
from core.errors import InvalidInput, NotFound
from core.plan_import import attach_school, import_plan
from core.roles import Role
from core.schools import add_school, merge_schools
from core.settings import set_archived
from core.states import AssignmentStatus, SubmissionStatus
from core.status import Scope, assemble, plan_status, scan_cells
from core.status_counts import Cell, counted_cells
from core.users import load_context
from core.work import WorkError, review, submit, undo, undo_review
from db.models import Activity, Assignment, Membership, Plan, School, Submission, User
from db.status_counts import rebuild
from importer.draft import PlanDraft
from importer.interpret import interpret
from importer.text_reader import read_text
from messengers import TELEGRAM
from tests.people import by_telegram, with_account
from tests.plan_files import seed_text

ZONES = ("Asia/Yekaterinburg", "Europe/Moscow", "Asia/Krasnoyarsk", "Asia/Kamchatka")
EVERYTHING = Scope(all_plans=True)
ADMIN_TG = 900


def _drafts() -> tuple[PlanDraft, PlanDraft]:
    return interpret(read_text(seed_text("000"))), interpret(read_text(seed_text("003")))


async def _world(factory: async_sessionmaker[AsyncSession], clock: ManualClock) -> None:
    """Seed 000 (directions, sections, 35 schools) and seed 003 (sections, no directions) in
    four time zones, with one person who may do everything."""
    directed, sectioned = _drafts()
    async with factory() as session, session.begin():
        if await session.scalar(by_telegram(ADMIN_TG)):
            return
        await import_plan(session, clock, directed, timezone="Asia/Yekaterinburg")
        report = await import_plan(session, clock, sectioned, timezone="Europe/Moscow")
        for index, zone in enumerate(ZONES):
            added = await add_school(session, clock, name=f"Школа {index}", timezone=zone)
            await attach_school(session, clock, report.plan_id, added.id)
        schools = list(await session.scalars(select(School)))
        for index, school in enumerate(schools):
            school.timezone = ZONES[index % len(ZONES)]
        admin = User(full_name="Админ", created_at=clock.now(), settings={})
        session.add_all(with_account(admin, ADMIN_TG, clock.now()))
        await session.flush()
        session.add(Membership(user_id=admin.id, role=Role.ADMIN, created_at=clock.now()))
        for school in schools:
            session.add(
                Membership(
                    user_id=admin.id,
                    role=Role.CURATOR,
                    school_id=school.id,
                    created_at=clock.now(),
                )
            )


def _pick(items: list[Any], n: int) -> Any:
    return items[n % len(items)] if items else None


async def _admin(session: AsyncSession) -> UserContext:
    user = await load_context(session, TELEGRAM, ADMIN_TG)
    assert user is not None
    return user


async def _submissions(session: AsyncSession, *states: SubmissionStatus) -> list[int]:
    return list(
        await session.scalars(
            select(Submission.id).where(Submission.status.in_(states)).order_by(Submission.id)
        )
    )


async def _do(session: AsyncSession, clock: ManualClock, action: tuple[Any, ...]) -> None:
    kind, *args = action
    user = await _admin(session)
    if kind == "submit":
        open_ = list(
            await session.execute(
                select(Assignment.id, Assignment.version)
                .where(Assignment.status.in_((AssignmentStatus.OPEN, AssignmentStatus.RETURNED)))
                .order_by(Assignment.id)
            )
        )
        if picked := _pick(open_, args[0]):
            await submit(session, clock, user, picked[0], picked[1], "готово", [])
    elif kind == "review":
        if picked := _pick(await _submissions(session, SubmissionStatus.PENDING), args[0]):
            await review(session, clock, user, picked, args[1], None)
    elif kind == "undo_review":
        decided = await _submissions(session, SubmissionStatus.ACCEPTED, SubmissionStatus.RETURNED)
        if picked := _pick(decided, args[0]):
            await undo_review(session, clock, user, picked)
    elif kind == "withdraw":
        if picked := _pick(await _submissions(session, SubmissionStatus.PENDING), args[0]):
            await undo(session, clock, user, picked)
    elif kind == "move":
        activities = list(
            await session.scalars(select(Activity.id).where(Activity.cancelled_at.is_(None)))
        )
        schools = [None, *await session.scalars(select(School.id).order_by(School.id))]
        if picked := _pick(activities, args[0]):
            due = clock.now().date() + timedelta(days=args[1])
            school = schools[args[0] % len(schools)] if args[2] else None
            await move(session, clock, None, picked, due, school_id=school, reason="тест")
    elif kind == "period":
        activities = list(await session.scalars(select(Activity.id).order_by(Activity.id)))
        if picked := _pick(activities, args[0]):
            await set_activity_period(session, clock, picked, args[1], actor_user_id=None)
    elif kind == "days":
        clock.advance(timedelta(days=args[0], hours=args[1]))
    elif kind == "reimport":
        draft = _drafts()[args[0] % 2]
        keep = [a for i, a in enumerate(draft.activities) if i not in args[1]]
        codes = [d.code for d in draft.directions]
        if codes and args[2] is not None:  # one row moves to another direction
            index = args[2] % len(keep)
            keep[index] = dataclasses.replace(keep[index], direction=_pick(codes, args[2] + 1))
        zone = "Asia/Yekaterinburg" if args[0] % 2 == 0 else "Europe/Moscow"
        await import_plan(
            session, clock, dataclasses.replace(draft, activities=keep), timezone=zone
        )
    elif kind == "archive":
        plans = list(await session.scalars(select(Plan.id).order_by(Plan.id)))
        if picked := _pick(plans, args[0]):
            await set_archived(
                session, clock, scope=EVERYTHING, actor_user_id=None, plan_id=picked,
                archived=args[1],
            )  # fmt: skip
    elif kind == "merge":
        schools = list(
            await session.scalars(
                select(School.id).where(School.merged_into_id.is_(None)).order_by(School.id)
            )
        )
        if len(schools) > 2:
            await merge_schools(session, clock, schools[-1], _pick(schools[:-1], args[0]) or 0)
    elif kind == "zone":
        school = _pick(list(await session.scalars(select(School.id).order_by(School.id))), args[0])
        await session.execute(
            update(School).where(School.id == school).values(timezone=_pick(list(ZONES), args[1]))
        )


def _by_key(cells: list[Cell]) -> dict[tuple[Any, ...], tuple[int, ...]]:
    return {
        (c.plan_id, c.direction_id, c.section, c.school_id): c.numbers for c in cells if c.numbers
    }


async def _check(factory: async_sessionmaker[AsyncSession], now: datetime) -> None:
    async with factory() as session, session.begin():
        counted = await counted_cells(session, EVERYTHING, now, "Europe/Moscow")
        scanned = await scan_cells(session, EVERYTHING, now, "Europe/Moscow")
        assert _by_key(counted) == _by_key(scanned)
        fast = await plan_status(session, EVERYTHING, now, "Europe/Moscow")
        slow = await assemble(session, scanned)
        assert [p.plan_id for p in fast] == [p.plan_id for p in slow]
        for mine, theirs in zip(fast, slow, strict=True):
            assert mine.counts == theirs.counts
            assert mine.directions == theirs.directions
            assert mine.sections == theirs.sections
            assert mine.behind == theirs.behind
    async with factory() as session:  # what the reader refreshed was committed with it
        again = await counted_cells(session, EVERYTHING, now, "Europe/Moscow")
        assert _by_key(again) == _by_key(scanned)


actions = st.one_of(
    st.tuples(st.just("submit"), st.integers(0, 10**6)),
    st.tuples(st.just("review"), st.integers(0, 10**6), st.booleans()),
    st.tuples(st.just("undo_review"), st.integers(0, 10**6)),
    st.tuples(st.just("withdraw"), st.integers(0, 10**6)),
    st.tuples(st.just("move"), st.integers(0, 10**6), st.integers(-40, 90), st.booleans()),
    st.tuples(
        st.just("period"),
        st.integers(0, 10**6),
        st.sampled_from(["до 15.12.2020", "01.10.2020", "март 2021", "до 25 мая 2021 г."]),
    ),
    st.tuples(st.just("days"), st.integers(0, 40), st.integers(0, 23)),
    st.tuples(
        st.just("reimport"),
        st.integers(0, 1),
        st.sets(st.integers(0, 30), max_size=4),
        st.none() | st.integers(0, 100),
    ),
    st.tuples(st.just("archive"), st.integers(0, 10), st.booleans()),
    st.tuples(st.just("merge"), st.integers(0, 100)),
    st.tuples(st.just("zone"), st.integers(0, 100), st.integers(0, 3)),
)


@pytest.fixture
def world_clock() -> ManualClock:
    # The plans are of 2020/21: the days pass through the school year whatever today is.
    return ManualClock(datetime.fromisoformat("2020-11-02T06:00:00+00:00"))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(actions, min_size=1, max_size=12))
async def test_counts_equal_a_full_recount(
    session_factory: async_sessionmaker[AsyncSession],
    world_clock: ManualClock,
    steps: list[tuple[Any, ...]],
) -> None:
    # One database for all examples: each sequence starts where the last left off, which only
    # widens the states checked.
    await _world(session_factory, world_clock)
    await _check(session_factory, world_clock.now())
    for step in steps:
        try:
            async with session_factory() as session, session.begin():
                await _do(session, world_clock, step)
        except (WorkError, DeadlineError, InvalidInput, NotFound):
            pass  # refused: rolled back, and the counts must not have moved either
        await _check(session_factory, world_clock.now())


async def test_rebuild_equals_what_commits_kept(
    session_factory: async_sessionmaker[AsyncSession], world_clock: ManualClock
) -> None:
    await _world(session_factory, world_clock)
    async with session_factory() as session, session.begin():
        await _do(session, world_clock, ("submit", 3))
    world_clock.advance(timedelta(days=45))
    now = world_clock.now()
    async with session_factory() as session, session.begin():
        kept = _by_key(await counted_cells(session, EVERYTHING, now, "Europe/Moscow"))
        assert any(numbers[4] for numbers in kept.values())  # some work is overdue by then
        written = await session.run_sync(rebuild)
        assert written == len(kept)
        assert _by_key(await counted_cells(session, EVERYTHING, now, "Europe/Moscow")) == kept
    assert date(2020, 12, 17) == now.date()
