"""One permission model, checked on every surface against a plain oracle (SQLite, PostgreSQL).

Random worlds: plans with and without directions, schools taking part in some of them, people
holding several roles in several plans (admins, whole-plan and direction coordinators,
curators and observers, some limited to one plan), absences with deputies, submissions with
comments and files, some accepted. For every person, each surface (the chat card, "my items",
the dashboard card and its files, the report's rows and comments, the evidence archive) shows
exactly the items, comments and files the oracle allows, and each review it refuses leaves the
database as it was. The oracle is written item by item, independently of `core.scope`: a deputy
works on the absent person's item only where their own role reaches that item as high.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import dashboard
from core.clock import ManualClock
from core.errors import NotFound
from core.evidence_archive import evidence_entries
from core.report_data import report_head, report_rows, report_scope
from core.roles import Role
from core.states import AssignmentStatus, SubmissionStatus
from core.users import load_context
from core.work import WorkError, item_card, my_items, review
from db.base import Base
from db.models import (
    Absence,
    Activity,
    Assignment,
    Direction,
    DirectionSchool,
    EvidenceFile,
    Membership,
    Plan,
    PlanSchool,
    School,
    Submission,
    User,
)
from messengers import TELEGRAM
from tests.people import with_account

NOW = datetime(2020, 11, 16, 6, 0, tzinfo=UTC)
TODAY = date(2020, 11, 16)
PLANS, SCHOOLS, PEOPLE = 2, 3, 5


@dataclass(frozen=True)
class RoleSpec:
    role: Role
    school: int | None = None  # index
    plan: int | None = None
    direction: int | None = None  # index within the plan's directions


@dataclass
class WorldSpec:
    directions: list[int]  # per plan: 0 (none) or 2
    takes_part: list[set[int]]  # per plan: schools
    roles: list[list[RoleSpec]]  # per person
    deputies: dict[int, int]  # absent person → deputy, for today
    work: list[tuple[int, int, int]] = field(default_factory=list)  # (item, submitter, kind)


def _role(people: int) -> st.SearchStrategy[RoleSpec]:
    plan = st.none() | st.integers(0, PLANS - 1)
    direction = st.none() | st.integers(0, 1)
    school = st.integers(0, SCHOOLS - 1)
    return st.one_of(
        st.just(RoleSpec(Role.ADMIN)),
        st.builds(RoleSpec, st.just(Role.COORDINATOR), st.none(), plan, direction),
        st.builds(RoleSpec, st.just(Role.CURATOR), school, plan, st.none()),
        st.builds(RoleSpec, st.just(Role.OBSERVER), school, plan, st.none()),
    )


@st.composite
def worlds(draw: st.DrawFn) -> WorldSpec:
    directions = draw(st.lists(st.sampled_from([0, 2]), min_size=PLANS, max_size=PLANS))
    takes_part = [draw(st.sets(st.integers(0, SCHOOLS - 1), min_size=1)) for _ in range(PLANS)]
    weights = st.lists(_role(PEOPLE), min_size=1, max_size=3)
    roles = [draw(weights) for _ in range(PEOPLE)]
    # Admins are rare: most people are plan or school people.
    roles = [
        [r for r in rs if r.role != Role.ADMIN] or rs if i else rs for i, rs in enumerate(roles)
    ]
    absent = draw(st.sets(st.integers(0, PEOPLE - 1), max_size=2))
    deputies = {a: (a + draw(st.integers(1, PEOPLE - 1))) % PEOPLE for a in absent}
    work = draw(
        st.lists(
            st.tuples(st.integers(0, 99), st.integers(0, PEOPLE - 1), st.integers(0, 2)),
            max_size=8,
        )
    )
    return WorldSpec(directions, takes_part, roles, deputies, work)


async def _clear(session: AsyncSession) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        await session.execute(delete(table))


async def _build(session: AsyncSession, spec: WorldSpec) -> dict[str, Any]:
    """The world in the database; returns the ids and the oracle's facts."""
    await _clear(session)
    schools = [School(name=f"ОО № {i + 1}", timezone="Asia/Yekaterinburg", created_at=NOW)
               for i in range(SCHOOLS)]  # fmt: skip
    plans = [Plan(title=f"План {i + 1}", timezone="Asia/Yekaterinburg", settings={},
                  created_at=NOW, updated_at=NOW) for i in range(PLANS)]  # fmt: skip
    session.add_all([*schools, *plans])
    await session.flush()
    directions: list[list[Direction]] = []
    for p, plan in enumerate(plans):
        mine = [Direction(plan_id=plan.id, code=c, title=f"Направление {c}", position=i)
                for i, c in enumerate(("I", "II")[: spec.directions[p]])]  # fmt: skip
        session.add_all(mine)
        directions.append(mine)
    await session.flush()
    items: list[dict[str, Any]] = []
    for p, plan in enumerate(plans):
        for s in sorted(spec.takes_part[p]):
            session.add(PlanSchool(plan_id=plan.id, school_id=schools[s].id))
        kinds: list[Direction | None] = [*directions[p]] or [None]
        for k, direction in enumerate(kinds):
            # Direction I has every school of the plan, direction II the first one only.
            members = sorted(spec.takes_part[p])[: None if k == 0 else 1]
            if direction is not None:
                for s in members:
                    session.add(DirectionSchool(direction_id=direction.id, school_id=schools[s].id))
            activity = Activity(plan_id=plan.id, direction_id=direction.id if direction else None,
                                source_key=f"{p}-{k}", title=f"Пункт {p + 1}.{k + 1}",
                                due_date=TODAY + timedelta(days=3), period_flags=[],
                                position=k)  # fmt: skip
            session.add(activity)
            await session.flush()
            for s in members:
                assignment = Assignment(activity_id=activity.id, school_id=schools[s].id,
                                        status=AssignmentStatus.OPEN, due_date=activity.due_date,
                                        updated_at=NOW)  # fmt: skip
                session.add(assignment)
                await session.flush()
                items.append({"id": assignment.id, "activity": activity.id, "plan": p,
                              "direction": k if direction else None, "school": s,
                              "plan_id": plan.id, "school_id": schools[s].id})  # fmt: skip
    people = [User(full_name=f"Человек {i}", settings={}, created_at=NOW,
                   started_at=NOW) for i in range(PEOPLE)]  # fmt: skip
    for i, someone in enumerate(people):
        session.add_all(with_account(someone, 1000 + i, NOW))
    await session.flush()
    for i, roles in enumerate(spec.roles):
        for r in roles:
            direction_id = None
            if r.plan is not None and r.direction is not None and directions[r.plan]:
                direction_id = directions[r.plan][r.direction].id
            session.add(Membership(
                user_id=people[i].id, role=r.role, created_at=NOW,
                school_id=schools[r.school].id if r.school is not None else None,
                plan_id=plans[r.plan].id if r.plan is not None else None,
                direction_id=direction_id,
            ))  # fmt: skip
    for absent, deputy in spec.deputies.items():
        session.add(Absence(user_id=people[absent].id, deputy_id=people[deputy].id,
                            starts_on=TODAY - timedelta(days=1), ends_on=TODAY + timedelta(days=2),
                            created_at=NOW))  # fmt: skip
    # item → (submission id, submitter, accepted, number of its comment and file)
    submissions: dict[int, tuple[int, int, bool, int]] = {}
    for n, (pick, submitter, kind) in enumerate(spec.work):
        if not items:
            break
        item = items[pick % len(items)]
        if item["id"] in submissions:
            continue
        accepted = kind == 2
        row = Submission(assignment_id=item["id"], user_id=people[submitter].id,
                         comment=f"комментарий {n}", created_at=NOW,
                         status=SubmissionStatus.ACCEPTED if accepted
                         else SubmissionStatus.PENDING)  # fmt: skip
        session.add(row)
        await session.flush()
        session.add(EvidenceFile(submission_id=row.id, kind="document",
                                 telegram_file_id=f"f{n}", file_unique_id=f"u{n}", created_at=NOW,
                                 file_name=f"файл {n}.pdf"))  # fmt: skip
        found = await session.get(Assignment, item["id"])
        assert found is not None
        found.status = AssignmentStatus.ACCEPTED if accepted else AssignmentStatus.SUBMITTED
        submissions[item["id"]] = (row.id, submitter, accepted, n)
    await session.flush()
    return {"items": items, "submissions": submissions, "people": [p.id for p in people]}


def _reaches(
    roles: list[RoleSpec], item: dict[str, Any], spec: WorldSpec
) -> tuple[bool, bool, bool]:
    """(reviews, works on, watches) the item by these roles of one's own."""
    reviews = works = watches = False
    for r in roles:
        plan_ok = r.plan is None or r.plan == item["plan"]
        if r.role == Role.ADMIN or (r.role == Role.COORDINATOR and r.plan is None):
            reviews = True
        elif r.role == Role.COORDINATOR and plan_ok:
            # A direction limit on a plan without directions names nothing: the whole plan.
            limited = r.direction is not None and spec.directions[item["plan"]]
            reviews |= not limited or r.direction == item["direction"]
        elif r.role == Role.CURATOR and plan_ok and r.school == item["school"]:
            works = True
        elif r.role == Role.OBSERVER and plan_ok and r.school == item["school"]:
            watches = True
    return reviews, works, watches


def _oracle(spec: WorldSpec, person: int, item: dict[str, Any]) -> tuple[bool, bool, bool]:
    """(reviews, works on, watches) with what standing in adds."""
    reviews, works, watches = _reaches(spec.roles[person], item, spec)
    for absent, deputy in spec.deputies.items():
        if deputy != person:
            continue
        _, their_work, _ = _reaches(spec.roles[absent], item, spec)
        # Standing in for a curator: only where one's own role reaches the item as high.
        works |= their_work and (reviews or works)
    return reviews, works, watches


async def _snapshot(session: AsyncSession) -> list[list[str]]:
    """Every row of the tables a review may touch, as text."""
    return [
        sorted(
            repr({k: v for k, v in vars(r).items() if not k.startswith("_")})
            for r in await session.scalars(select(model))
        )
        for model in (Assignment, Submission, EvidenceFile, Membership, Absence)
    ]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=worlds())
async def test_every_surface_shows_exactly_what_the_model_allows(
    session_factory: async_sessionmaker[AsyncSession], spec: WorldSpec
) -> None:
    async with session_factory() as session, session.begin():
        world = await _build(session, spec)
    items, submissions = world["items"], world["submissions"]
    clock = ManualClock(NOW)
    for person in range(PEOPLE):
        async with session_factory() as session:
            user = await load_context(session, TELEGRAM, 1000 + person, TODAY)
            assert user is not None
            facts = {i["id"]: _oracle(spec, person, i) for i in items}
            # The chat card: seen or refused; comment and files only with the evidence right.
            for item in items:
                reviews, works, watches = facts[item["id"]]
                where = f"person {person} item {item}"
                try:
                    card = await item_card(session, user, item["id"])
                except WorkError:
                    assert not (reviews or works or watches), where
                    continue
                assert reviews or works or watches, where
                has_work = item["id"] in submissions
                assert bool(card.files) == (has_work and (reviews or works)), where
                assert (card.last_comment is not None) == (has_work and (reviews or works)), where
                # The dashboard card of the same item, and its files' links.
                cell = await dashboard.cell_card(session, user, item["activity"], item["school_id"])
                assert bool(cell.files) == bool(card.files), where
            # "My items": the schools one works for or watches, own or stood in for.
            mine: set[int] = set()
            for view in ("open", "done"):
                page = 0
                while True:
                    found = await my_items(session, user, view, page, TODAY)
                    mine |= {row.assignment_id for row in found.rows}
                    page += 1
                    if page >= found.pages:
                        break
            expected = {i["id"] for i in items if facts[i["id"]][1] or facts[i["id"]][2]}
            assert mine == expected, f"person {person}"
            # A plan's report and evidence archive: reviewers only; their rows and comments.
            for p in range(PLANS):
                plan_items = [i for i in items if i["plan"] == p]
                plan_id = await session.scalar(select(Plan.id).where(Plan.title == f"План {p + 1}"))
                assert plan_id is not None
                reviewer = any(facts[i["id"]][0] for i in plan_items) or _plan_reviewer(
                    spec, person, p
                )
                try:
                    scope = await report_scope(session, user, plan_id)
                except NotFound:
                    assert not reviewer, f"person {person} plan {p}"
                    continue
                assert reviewer, f"person {person} plan {p}"
                head = await report_head(session, plan_id, NOW, "Europe/Moscow", scope=scope)
                shown: dict[tuple[str, int], str | None] = {}
                async for rows in report_rows(session, head, "Europe/Moscow"):
                    shown |= {(r.school, r.activity_id): r.comment for r in rows}
                names = {i["id"]: f"ОО № {i['school'] + 1}" for i in plan_items}
                wanted = {
                    (names[i["id"]], i["activity"]): (
                        _comment(submissions, i["id"])
                        if i["id"] in submissions and (facts[i["id"]][0] or facts[i["id"]][1])
                        else None
                    )
                    for i in plan_items
                    if any(facts[i["id"]])
                }
                assert shown == wanted, f"person {person} plan {p}"
                files = await evidence_entries(session, user, plan_id)
                accepted = {
                    f"файл {submissions[i['id']][3]}.pdf"
                    for i in plan_items
                    if i["id"] in submissions
                    and submissions[i["id"]][2]
                    and (facts[i["id"]][0] or facts[i["id"]][1])
                }
                assert {e.file_name for e in files} == accepted, f"person {person} plan {p}"
        # Review: allowed to the item's reviewers but never to the one who handed it in; a
        # refusal changes nothing.
        for item_id, (submission_id, submitter, accepted, _) in submissions.items():
            if accepted:
                continue
            may = facts[item_id][0] and submitter != person
            async with session_factory() as session:
                before = await _snapshot(session)
            async with session_factory() as session:
                try:
                    async with session.begin():
                        user = await load_context(session, TELEGRAM, 1000 + person, TODAY)
                        assert user is not None
                        await review(session, clock, user, submission_id, True, None)
                        raise _Undo
                except WorkError:
                    assert not may, f"person {person} reviewed submission {submission_id}"
                except _Undo:
                    assert may, f"person {person} may not review submission {submission_id}"
            async with session_factory() as session:
                assert await _snapshot(session) == before


class _Undo(Exception):
    """Rolls back an allowed review: the next person sees the world as it was."""


def _plan_reviewer(spec: WorldSpec, person: int, plan: int) -> bool:
    """Reviews some of the plan even where it has no item (a plan's report is theirs)."""
    for r in spec.roles[person]:
        if r.role == Role.ADMIN or (r.role == Role.COORDINATOR and r.plan in (None, plan)):
            return True
    return False


def _comment(submissions: dict[int, tuple[int, int, bool, int]], item_id: int) -> str:
    return f"комментарий {submissions[item_id][3]}"
