"""Standing in gives a school's roles, never lifts a school's person to a plan's reviewer."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.roles import Role
from core.users import load_context
from db.models import Absence, Membership, Plan, PlanSchool, School, User
from messengers import TELEGRAM
from tests.people import with_account

NOW = datetime(2020, 11, 16, 6, 0, tzinfo=UTC)
AWAY = (date(2020, 11, 16), date(2020, 11, 20))


async def test_a_deputy_stands_in_only_where_both_share_the_plan_with_as_high_a_role(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        plan = Plan(title="План", timezone="Europe/Moscow", settings={}, created_at=NOW,
                    updated_at=NOW)  # fmt: skip
        other = Plan(title="Другой план", timezone="Europe/Moscow", settings={}, created_at=NOW,
                     updated_at=NOW)  # fmt: skip
        school = School(name="Школа № 1", timezone="Europe/Moscow", created_at=NOW)
        session.add_all([plan, other, school])
        await session.flush()
        session.add(PlanSchool(plan_id=plan.id, school_id=school.id))
        people = {}
        names = ("Анна", "Борис", "Вера", "Глеб", "Дарья")
        for tg, name in enumerate(names, 1):
            people[name] = User(full_name=name, settings={}, created_at=NOW)
            session.add_all(with_account(people[name], tg, NOW))
        await session.flush()
        roles = [
            ("Анна", Role.CURATOR, {"school_id": school.id}),  # away: a curator of the school
            ("Анна", Role.COORDINATOR, {"plan_id": other.id}),  # and a coordinator of another plan
            ("Борис", Role.OBSERVER, {"school_id": school.id}),  # a lesser role of the school
            ("Вера", Role.COORDINATOR, {"plan_id": plan.id}),  # the school's plan's coordinator
            ("Глеб", Role.CURATOR, {"school_id": school.id}),  # a fellow curator
            ("Дарья", Role.COORDINATOR, {"plan_id": other.id}),  # a fellow coordinator
        ]
        for name, role, where in roles:
            session.add(Membership(user_id=people[name].id, role=role, created_at=NOW, **where))
        for deputy in ("Борис", "Вера", "Глеб", "Дарья"):
            session.add(
                Absence(user_id=people["Анна"].id, deputy_id=people[deputy].id,
                        starts_on=AWAY[0], ends_on=AWAY[1], created_at=NOW)
            )  # fmt: skip

    async with session_factory() as session:
        held = {}
        for tg, name in enumerate(names, 1):
            context = await load_context(session, TELEGRAM, tg, AWAY[0])
            assert context is not None
            held[name] = sorted(
                (m.role.value, m.school_id, m.plan_id) for m in context.memberships if m.acting_for
            )
        after = await load_context(session, TELEGRAM, 3, date(2020, 11, 21))
    # An observer never takes over a curator's role.
    assert held["Борис"] == []
    # The plan's coordinator works on Анна's school for that plan only, and never gains the
    # other plan Анна coordinates (the escalation of issue 27).
    assert held["Вера"] == [("curator", school.id, plan.id)]
    assert held["Глеб"] == [("curator", school.id, None)]
    # A fellow coordinator of the other plan: that plan's role, not the school's.
    assert held["Дарья"] == [("coordinator", None, other.id)]
    # The day after the absence nothing is held for Анна any more.
    assert after is not None and not [m for m in after.memberships if m.acting_for]
