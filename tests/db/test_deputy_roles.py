"""Standing in gives a school's roles, never lifts a school's person to a plan's reviewer."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.roles import Role
from core.users import load_context
from db.models import Absence, Membership, Plan, School, User

NOW = datetime(2020, 11, 16, 6, 0, tzinfo=UTC)
AWAY = (date(2020, 11, 16), date(2020, 11, 20))


async def test_a_deputy_gets_coordinator_roles_only_when_coordinating_already(
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
        people = {}
        for tg, name in ((1, "Анна"), (2, "Борис"), (3, "Вера")):
            people[name] = User(telegram_id=tg, full_name=name, settings={}, created_at=NOW)
        session.add_all(people.values())
        await session.flush()
        roles = [
            ("Анна", Role.CURATOR, {"school_id": school.id}),  # away: a curator and
            ("Анна", Role.COORDINATOR, {"plan_id": plan.id}),  # a coordinator of the plan
            ("Борис", Role.OBSERVER, {"school_id": school.id}),  # a school's person
            ("Вера", Role.COORDINATOR, {"plan_id": other.id}),  # coordinates another plan
        ]
        for name, role, where in roles:
            session.add(Membership(user_id=people[name].id, role=role, created_at=NOW, **where))
        for deputy in ("Борис", "Вера"):
            session.add(
                Absence(user_id=people["Анна"].id, deputy_id=people[deputy].id,
                        starts_on=AWAY[0], ends_on=AWAY[1], created_at=NOW)
            )  # fmt: skip

    async with session_factory() as session:
        boris = await load_context(session, 2, AWAY[0])
        vera = await load_context(session, 3, AWAY[0])
        after = await load_context(session, 2, date(2020, 11, 21))
    assert boris is not None and vera is not None and after is not None
    standing = [(m.role, m.school_id, m.plan_id) for m in boris.memberships if m.acting_for]
    # Борис (a school's observer) works on Анна's school, but does not review her plan.
    assert standing == [(Role.CURATOR, school.id, None)]
    assert all(m.acting_for_name == "Анна" for m in boris.memberships if m.acting_for)
    # Вера coordinates already: she stands in for both of Анна's roles.
    assert sorted((m.role.value, m.plan_id) for m in vera.memberships if m.acting_for) == [
        ("coordinator", plan.id),
        ("curator", None),
    ]
    # The day after the absence nothing is held for Анна any more.
    assert not [m for m in after.memberships if m.acting_for]
