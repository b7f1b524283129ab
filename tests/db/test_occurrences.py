"""One activity with several dated occurrences, stored: each occurrence its own items and
status, /my shows the next one (and every overdue one), reports show all of them, and
re-import keeps each occurrence's identity and status (importer.occurrences)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import ManualClock
from core.plan_import import import_plan
from core.report_data import report_head, report_rows
from core.roles import Role
from core.states import AssignmentStatus
from core.users import load_context
from core.work import my_items
from db.models import Activity, Assignment, Membership, School, User
from importer.draft import DraftSchool, PlanDraft
from importer.files import load_plan
from messengers import TELEGRAM
from tests.people import with_account

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"
CLOCK = ManualClock(datetime(2020, 11, 2, 4, 0, tzinfo=UTC))
TODAY = date(2020, 11, 2)
ZONE = "Asia/Yekaterinburg"
JOURNALS = "Проверка классных журналов"


def _draft(move_january: bool = False) -> PlanDraft:
    """The month grid as a school's own plan; `move_january`: a newer version of the file
    moves the journals' January mark to February."""
    draft = load_plan((PLANS / "grid_cyclogram.docx").read_bytes(), "grid_cyclogram.docx")
    draft.schools = [DraftSchool("s7", "МБОУ СОШ № 7")]
    draft.single_school = "s7"
    if move_january:
        for activity in draft.activities:
            if activity.title == f"{JOURNALS} — январь":
                activity.title, activity.occurrence = f"{JOURNALS} — февраль", "февраль"
                activity.period = replace(
                    activity.period, start=date(2021, 2, 1), due=date(2021, 2, 28)
                )
    return draft


async def _curator(session: AsyncSession) -> None:
    school = await session.scalar(select(School).where(School.name == "МБОУ СОШ № 7"))
    assert school is not None
    user = User(full_name="Вера", settings={}, created_at=CLOCK.now())
    session.add_all(with_account(user, 7001, CLOCK.now()))
    await session.flush()
    session.add(
        Membership(user_id=user.id, role=Role.CURATOR, school_id=school.id, created_at=CLOCK.now())
    )


async def _statuses(session: AsyncSession) -> dict[str, tuple[int, AssignmentStatus]]:
    rows = await session.execute(
        select(Activity.title, Activity.id, Assignment.status).join(
            Assignment, Assignment.activity_id == Activity.id
        )
    )
    return {title: (activity_id, status) for title, activity_id, status in rows}


async def _open_titles(session: AsyncSession, view: str = "open") -> list[str]:
    user = await load_context(session, TELEGRAM, 7001, TODAY)
    assert user is not None
    titles: list[str] = []
    page, pages = 0, 1
    while page < pages:
        found = await my_items(session, user, view, page, TODAY)
        titles += [r.title for r in found.rows]
        page, pages = page + 1, found.pages
    return titles


async def test_each_occurrence_is_an_item_of_its_own_sharing_its_rows_series(
    session_factory,
) -> None:
    async with session_factory() as session, session.begin():
        await import_plan(session, CLOCK, _draft(), timezone=ZONE)
    async with session_factory() as session:
        journals = list(
            await session.scalars(
                select(Activity).where(Activity.title.startswith(JOURNALS)).order_by(Activity.id)
            )
        )
        assert [a.occurrence for a in journals] == ["сентябрь", "ноябрь", "январь", "апрель"]
        assert len({a.series_key for a in journals}) == 1 and journals[0].series_key
        assert [a.due_date for a in journals] == [
            date(2020, 9, 30), date(2020, 11, 30), date(2021, 1, 31), date(2021, 4, 30)
        ]  # fmt: skip
        single = await session.scalar(select(Activity).where(Activity.number == "7"))
        assert single is not None and single.series_key is None and single.occurrence is None
        # Reports: every occurrence is a row of its own.
        plan_id = journals[0].plan_id
        head = await report_head(session, plan_id, CLOCK.now(), ZONE)
        titles = [r.title async for chunk in report_rows(session, head, ZONE) for r in chunk]
        assert [t for t in titles if t.startswith(JOURNALS)] == [a.title for a in journals]


async def test_my_items_show_the_next_occurrence_and_every_overdue_one(session_factory) -> None:
    async with session_factory() as session, session.begin():
        await import_plan(session, CLOCK, _draft(), timezone=ZONE)
        await _curator(session)
    async with session_factory() as session:
        shown = [t for t in await _open_titles(session) if t.startswith(JOURNALS)]
        # September is overdue (shown), November comes next; January and April wait.
        assert shown == [f"{JOURNALS} — сентябрь", f"{JOURNALS} — ноябрь"]
        assert f"{JOURNALS} — сентябрь" in await _open_titles(session, "overdue")
    async with session_factory() as session, session.begin():
        await session.execute(
            update(Assignment)
            .where(
                Assignment.activity_id.in_(
                    select(Activity.id).where(Activity.title == f"{JOURNALS} — ноябрь")
                )
            )
            .values(status=AssignmentStatus.SUBMITTED)
        )
    async with session_factory() as session:
        shown = [t for t in await _open_titles(session) if t.startswith(JOURNALS)]
        assert shown == [f"{JOURNALS} — сентябрь", f"{JOURNALS} — январь"]


async def test_reimport_keeps_each_occurrences_identity_and_status(session_factory) -> None:
    async with session_factory() as session, session.begin():
        await import_plan(session, CLOCK, _draft(), timezone=ZONE)
    async with session_factory() as session, session.begin():
        before = await _statuses(session)
        september = await session.get(Activity, before[f"{JOURNALS} — сентябрь"][0])
        assert september is not None
        for assignment in await session.scalars(
            select(Assignment).where(Assignment.activity_id == september.id)
        ):
            assignment.status = AssignmentStatus.ACCEPTED
    async with session_factory() as session, session.begin():
        same = await import_plan(session, CLOCK, _draft(), timezone=ZONE)
    assert (same.added, same.changed, same.removed) == ([], [], [])
    async with session_factory() as session, session.begin():
        moved = await import_plan(session, CLOCK, _draft(move_january=True), timezone=ZONE)
    assert moved.added == [f"{JOURNALS} — февраль"]
    assert moved.removed == [f"{JOURNALS} — январь"]
    async with session_factory() as session:
        after = await _statuses(session)
    for label in ("сентябрь", "ноябрь", "апрель"):
        assert after[f"{JOURNALS} — {label}"][0] == before[f"{JOURNALS} — {label}"][0]
    assert after[f"{JOURNALS} — сентябрь"][1] == AssignmentStatus.ACCEPTED
    assert after[f"{JOURNALS} — январь"][1] == AssignmentStatus.CANCELLED
    assert after[f"{JOURNALS} — февраль"][1] == AssignmentStatus.OPEN
