"""core.plan_schools: pages with those taking part first, a search by whole numbers, a typed
name that is an existing school, and the permission checked by the use case itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import plan_schools
from core.clock import ManualClock
from core.dto import MembershipInfo, UserContext
from core.errors import NotFound
from core.plan_import import import_plan
from core.roles import Role
from db.models import PlanSchool, School, User
from importer.interpret import interpret
from importer.text_reader import read_text
from tests.plan_files import seed_text

CLOCK = ManualClock(datetime(2020, 11, 2, 4, 0, tzinfo=UTC))


def _person(role: Role, plan_id: int | None = None, acting_for: int | None = None) -> UserContext:
    role_of = MembershipInfo(role, None, None, plan_id, None, None, None, acting_for=acting_for)
    return UserContext(1, "Ольга", True, (role_of,))


async def _user(session: AsyncSession) -> None:
    """The acting person (user 1), as the audit log names them."""
    session.add(User(id=1, full_name="Ольга", created_at=CLOCK.now()))
    await session.flush()


async def test_pages_search_and_names(session_factory) -> None:
    async with session_factory() as session, session.begin():
        await _user(session)
        draft = interpret(read_text(seed_text("004")), academic_year=2020)
        plan_id = (await import_plan(session, CLOCK, draft, timezone="Asia/Krasnoyarsk")).plan_id
        session.add_all(
            School(name=f"Школа № {n}", short_name=f"Ш{n}", created_at=CLOCK.now())
            for n in range(1, 26)
        )
        await session.flush()
        admin = _person(Role.ADMIN)
        seventeen = await session.scalar(select(School.id).where(School.name == "Школа № 17"))
        assert seventeen is not None
        change = await plan_schools.attach(session, CLOCK, admin, plan_id, None, seventeen)
        assert change.changed and change.opened == 11  # an item per quarter of one row
        again = await plan_schools.attach(session, CLOCK, admin, plan_id, None, seventeen)
        assert not again.changed

        first = await plan_schools.page(session, admin, plan_id, None, 0)
        assert (first.pages, first.total, first.taking_part) == (3, 25, 1)
        assert [line.name for line in first.lines[:2]] == ["Школа № 17", "Школа № 1"]
        last = await plan_schools.page(session, admin, plan_id, None, 99)  # past the end
        assert last.page == 2 and len(last.lines) == 5

        found = await plan_schools.search(session, admin, plan_id, None, "школа 2")
        assert [line.name for line in found.lines] == ["Школа № 2"]  # not 12, 20-25
        assert (await plan_schools.search(session, admin, plan_id, None, "ш25")).total == 1

        # A typed name that is a school's short name is that school, not a new one.
        by_short = await plan_schools.add(session, CLOCK, admin, plan_id, None, "  ш5 ")
        assert by_short.school == "Школа № 5" and not by_short.created
        assert await session.scalar(select(func.count()).select_from(School)) == 25
        new = await plan_schools.add(session, CLOCK, admin, plan_id, None, "МБОУ «СОШ № 40»")
        assert new.created and new.opened == 11
        zone = await session.scalar(select(School.timezone).where(School.name.like("МБОУ%")))
        assert zone == "Asia/Krasnoyarsk"  # the plan's

        asked = await plan_schools.detach(
            session, CLOCK, admin, plan_id, None, seventeen, dry_run=True
        )
        assert (asked.cancelled, asked.kept) == (11, 0)
        assert await session.get(PlanSchool, (plan_id, seventeen)) is not None


async def test_the_use_case_itself_refuses_whom_the_plan_is_not(session_factory) -> None:
    async with session_factory() as session, session.begin():
        await _user(session)
        draft = interpret(read_text(seed_text("004")), academic_year=2020)
        plan_id = (await import_plan(session, CLOCK, draft, timezone="Asia/Krasnoyarsk")).plan_id
        school = School(name="Школа № 1", created_at=CLOCK.now())
        session.add(school)
        await session.flush()
        refused = [
            _person(Role.CURATOR),
            _person(Role.COORDINATOR, plan_id + 1),  # another plan's
            _person(Role.COORDINATOR, plan_id, acting_for=7),  # only as someone's deputy
            UserContext(1, None, False, _person(Role.ADMIN).memberships),  # switched off
        ]
        for person in refused:
            with pytest.raises(NotFound):
                await plan_schools.attach(session, CLOCK, person, plan_id, None, school.id)
            with pytest.raises(NotFound):
                await plan_schools.add(session, CLOCK, person, plan_id, None, "Новая")
            with pytest.raises(NotFound):
                await plan_schools.page(session, person, plan_id, None, 0)
        coordinator = _person(Role.COORDINATOR, plan_id)
        assert (
            await plan_schools.attach(session, CLOCK, coordinator, plan_id, None, school.id)
        ).changed
