"""Merging a duplicate school keeps its history: work, roles, plan membership, invitations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import ManualClock
from core.invitations import create_invitation
from core.plan_import import attach_school, import_plan
from core.roles import Role
from core.schools import add_school, list_schools, merge_schools, rename_school
from core.states import AssignmentStatus
from db.models import Assignment, Membership, PlanSchool, School, Submission, User
from importer.interpret import interpret
from importer.text_reader import read_text
from tests.plan_files import seed_text

NOW = datetime(2020, 11, 2, 6, 0, tzinfo=UTC)


async def test_merge_keeps_history(session_factory: async_sessionmaker[AsyncSession]) -> None:
    clock = ManualClock(NOW)
    async with session_factory() as session, session.begin():
        real = await add_school(session, clock, name="МАОУ «СОШ № 21 г. Челябинска»")
        twin = await add_school(session, clock, name="СОШ 21 Челябинск")
        report = await import_plan(
            session, clock, interpret(read_text(seed_text("001"))), timezone="Asia/Yekaterinburg"
        )
        await attach_school(session, clock, report.plan_id, twin.id)
        user = User(full_name="Алиса", created_at=NOW, settings={})
        session.add(user)
        await session.flush()
        session.add(
            Membership(user_id=user.id, role=Role.CURATOR, school_id=twin.id, created_at=NOW)
        )
        await create_invitation(session, clock, role=Role.CURATOR, school_id=twin.id)
        theirs = list(
            await session.scalars(select(Assignment).where(Assignment.school_id == twin.id))
        )
        ours = {
            a.activity_id: a
            for a in await session.scalars(
                select(Assignment).where(Assignment.school_id == real.id)
            )
        }
        # The twin did one item; the real school did another one.
        theirs[0].status = AssignmentStatus.ACCEPTED
        session.add(
            Submission(
                assignment_id=theirs[0].id, user_id=user.id, comment="готово", created_at=NOW
            )
        )
        ours[theirs[1].activity_id].status = AssignmentStatus.SUBMITTED
        total = len(ours)

    async with session_factory() as session, session.begin():
        moved = await merge_schools(session, clock, twin.id, real.id)
        assert moved == total

    async with session_factory() as session:
        rows = list(
            await session.scalars(select(Assignment).where(Assignment.school_id == real.id))
        )
        assert len(rows) == total  # one per activity
        by_activity = {a.activity_id: a for a in rows}
        assert by_activity[theirs[0].activity_id].status == AssignmentStatus.ACCEPTED
        assert by_activity[theirs[1].activity_id].status == AssignmentStatus.SUBMITTED
        submission = await session.scalar(select(Submission))
        assert (
            submission is not None
            and submission.assignment_id == by_activity[theirs[0].activity_id].id
        )
        assert (await session.scalar(select(Membership.school_id))) == real.id
        assert list(await session.scalars(select(PlanSchool.school_id))) == [real.id]
        merged = await session.get(School, twin.id)
        assert merged is not None and merged.merged_into_id == real.id
        assert [s.id for s in await list_schools(session)] == [real.id]

    async with session_factory() as session, session.begin():
        renamed = await rename_school(
            session, clock, real.id, name="СОШ № 21", timezone="Asia/Yekaterinburg"
        )
        assert (renamed.name, renamed.timezone) == ("СОШ № 21", "Asia/Yekaterinburg")


async def test_attach_a_school_to_one_direction(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    from core.errors import NotFound
    from db.models import Activity, Direction, DirectionSchool

    clock = ManualClock(NOW)
    async with session_factory() as session, session.begin():
        report = await import_plan(
            session, clock, interpret(read_text(seed_text("000"))), timezone="Asia/Yekaterinburg"
        )
        school = await add_school(session, clock, name="МБОУ «Новая школа»")
        direction = await session.scalar(
            select(Direction)
            .where(Direction.plan_id == report.plan_id)
            .order_by(Direction.position)
        )
        assert direction is not None
        added = await attach_school(session, clock, report.plan_id, school.id, direction.code)
        again = await attach_school(session, clock, report.plan_id, school.id, direction.code)
        own = await session.scalar(
            select(func.count())
            .select_from(Activity)
            .where(Activity.direction_id == direction.id, Activity.cancelled_at.is_(None))
        )
        assert added == own and added > 0 and again == 0
        assert await session.get(DirectionSchool, (direction.id, school.id)) is not None
        with pytest.raises(NotFound, match="99"):
            await attach_school(session, clock, report.plan_id, school.id, "99")
