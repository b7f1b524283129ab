"""A plan's whole life keeps everyone's work: re-import keeps every school however it joined,
attach and detach follow the import's rule of who takes part, removed rows with work stay in
reports and the evidence archive, and the preview says all of it before anything changes
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.activities import set_activity_period
from core.clock import ManualClock
from core.evidence_archive import evidence_entries
from core.import_diff import import_diff
from core.plan_import import attach_school, detach_school, import_plan
from core.report_data import REMOVED_MARK, report_head, report_rows
from core.states import AssignmentStatus, SubmissionStatus
from db.base import Base
from db.models import Activity, Assignment, EvidenceFile, Plan, School, Seminar, Submission
from importer.draft import PlanDraft
from importer.interpret import interpret
from importer.text_reader import read_text
from tests.plan_files import seed_text

CLOCK = ManualClock(datetime(2020, 11, 2, 4, 0, tzinfo=UTC))
ZONE = "Asia/Yekaterinburg"


def _draft(code: str, drop: frozenset[str] = frozenset()) -> PlanDraft:
    """A seed plan; `drop`: numbers of rows a newer version of the file no longer has."""
    text = seed_text(code)
    lines = [x for x in text.split("\n") if not any(x.startswith(f"{n}.\t") for n in drop)]
    return interpret(read_text("\n".join(lines)), academic_year=2020)


async def _school(session: AsyncSession, name: str) -> int:
    school = School(name=name, timezone=ZONE, created_at=CLOCK.now())
    session.add(school)
    await session.flush()
    return school.id


async def _open_of(session: AsyncSession, school_id: int | None) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(Assignment)
        .where(
            Assignment.school_id == school_id if school_id else Assignment.school_id.is_(None),
            Assignment.status == AssignmentStatus.OPEN,
        )
    )
    return int(found or 0)


async def _hand_in(
    session: AsyncSession, assignment: Assignment, accepted: bool, name: str = "приказ.pdf"
) -> None:
    submission = Submission(
        assignment_id=assignment.id,
        comment="готово",
        created_at=CLOCK.now(),
        status=SubmissionStatus.ACCEPTED if accepted else SubmissionStatus.PENDING,
    )
    session.add(submission)
    await session.flush()
    session.add(
        EvidenceFile(submission_id=submission.id, kind="document", telegram_file_id=name,
                     file_unique_id=name, file_name=name, created_at=CLOCK.now())
    )  # fmt: skip
    assignment.status = AssignmentStatus.ACCEPTED if accepted else AssignmentStatus.SUBMITTED


async def test_reimporting_an_unchanged_file_keeps_an_attached_school(session_factory) -> None:
    async with session_factory() as session, session.begin():
        plan_id = (await import_plan(session, CLOCK, _draft("001"), timezone=ZONE)).plan_id
        second = await _school(session, "МАОУ «Лицей № 2»")
        added = await attach_school(session, CLOCK, plan_id, second)
    assert added == 23
    async with session_factory() as session, session.begin():
        diff = await import_diff(session, _draft("001"))
        assert (diff.added, diff.changed, diff.removed, diff.unnamed) == ([], [], [], [])
        report = await import_plan(session, CLOCK, _draft("001"), timezone=ZONE)
    assert (report.added, report.changed, report.removed) == ([], [], [])
    async with session_factory() as session, session.begin():
        assert await _open_of(session, second) == 23  # nothing of school 2 cancelled
        assert await attach_school(session, CLOCK, plan_id, second) == 0


async def test_an_attached_school_gets_only_the_rows_schools_take_part_in(session_factory) -> None:
    async with session_factory() as session, session.begin():
        plan_id = (await import_plan(session, CLOCK, _draft("004"), timezone=ZONE)).plan_id
        school = await _school(session, "МБОУ «Богучанская СОШ № 1»")
        await attach_school(session, CLOCK, plan_id, school)
        rows = (
            await session.execute(
                select(Activity.responsible_text, Assignment.school_id)
                .join(Assignment, Assignment.activity_id == Activity.id)
                .where(Assignment.status != AssignmentStatus.CANCELLED)
            )
        ).all()
    takes_part: dict[str, set[int | None]] = {}
    for responsible, school_id in rows:
        takes_part.setdefault(responsible or "", set()).add(school_id)
    assert takes_part["УО"] == {None}  # the department's rows stay the department's
    assert takes_part["УО, ОУ"] == {None, school}
    assert takes_part["ОО"] == {school}  # the department no longer holds the schools' rows


async def test_a_network_plans_school_joins_only_the_directions_it_is_given(
    session_factory,
) -> None:
    async with session_factory() as session, session.begin():
        plan_id = (await import_plan(session, CLOCK, _draft("000"), timezone=ZONE)).plan_id
        school = await _school(session, "МАОУ «СОШ № 999»")
        assert await attach_school(session, CLOCK, plan_id, school) == 0  # no direction: none
        first = await attach_school(session, CLOCK, plan_id, school, "I")
        direction_rows = await session.scalar(
            select(func.count())
            .select_from(Activity)
            .join(Plan, Plan.id == Activity.plan_id)
            .where(Activity.plan_id == plan_id, Activity.direction_id.is_not(None))
        )
    assert 0 < first < int(direction_rows or 0)


async def test_detaching_cancels_open_items_and_keeps_work(session_factory) -> None:
    async with session_factory() as session, session.begin():
        plan_id = (await import_plan(session, CLOCK, _draft("001"), timezone=ZONE)).plan_id
        second = await _school(session, "МАОУ «Лицей № 2»")
        await attach_school(session, CLOCK, plan_id, second)
        items = list(
            await session.scalars(
                select(Assignment).where(Assignment.school_id == second).order_by(Assignment.id)
            )
        )
        await _hand_in(session, items[0], accepted=True)
        await _hand_in(session, items[1], accepted=False)
    async with session_factory() as session, session.begin():
        said = await detach_school(session, CLOCK, plan_id, second, dry_run=True)
        assert (said.cancelled, said.kept) == (21, 2)
        assert await _open_of(session, second) == 21  # a dry run changes nothing
        done = await detach_school(session, CLOCK, plan_id, second)
    assert done == said
    async with session_factory() as session, session.begin():
        statuses = list(
            await session.scalars(select(Assignment.status).where(Assignment.school_id == second))
        )
        assert sorted(s.value for s in statuses) == sorted(
            ["accepted", "submitted"] + ["cancelled"] * 21
        )
        # The next re-import does not bring the school back: it left the plan.
        await import_plan(session, CLOCK, _draft("001"), timezone=ZONE)
        assert await _open_of(session, second) == 0
        assert await attach_school(session, CLOCK, plan_id, second) == 21  # back again


async def test_a_removed_row_with_work_stays_in_reports_and_the_archive(session_factory) -> None:
    async with session_factory() as session, session.begin():
        plan_id = (await import_plan(session, CLOCK, _draft("001"), timezone=ZONE)).plan_id
        row = await session.scalar(
            select(Assignment)
            .join(Activity, Activity.id == Assignment.activity_id)
            .where(Activity.number == "9")
        )
        assert row is not None
        await _hand_in(session, row, accepted=True, name="протокол.pdf")
    async with session_factory() as session:
        diff = await import_diff(session, _draft("001", frozenset({"9"})))
    assert len(diff.removed) == 1 and diff.removed_with_work == 1
    assert [(w.items, w.submissions, w.files, w.accepted) for w in diff.work] == [(1, 1, 1, 1)]
    assert diff.needs_confirmation
    async with session_factory() as session, session.begin():
        await import_plan(session, CLOCK, _draft("001", frozenset({"9"})), timezone=ZONE)
    async with session_factory() as session:
        head = await report_head(session, plan_id, CLOCK.now(), ZONE)
        rows = [r async for chunk in report_rows(session, head, ZONE) for r in chunk]
        removed = [r for r in rows if REMOVED_MARK in r.title]
        assert len(removed) == 1 and removed[0].files == ("протокол.pdf",)
        assert any(REMOVED_MARK in title for _, _, title in head.activities)
        files = await evidence_entries(session, None, plan_id)
    assert [e.file_name for e in files] == ["протокол.pdf"]
    assert REMOVED_MARK in files[0].activity


# Steps of a plan's life: re-import a version of the file (rows dropped), attach or detach a
# school, hand in work on an item.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("import"), st.frozensets(st.sampled_from(["3", "9", "14", "20"]))),
        st.tuples(st.just("attach"), st.integers(0, 1)),
        st.tuples(st.just("detach"), st.integers(0, 1)),
        st.tuples(st.just("work"), st.integers(0, 60), st.booleans()),
    ),
    max_size=8,
)


async def _clear(session: AsyncSession) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        await session.execute(delete(table))


async def _work(session: AsyncSession) -> set[tuple[int, str, str]]:
    """Every submission with its status and file, and every accepted item: what must stay."""
    rows = await session.execute(
        select(Submission.id, Submission.status, EvidenceFile.file_name).outerjoin(
            EvidenceFile, EvidenceFile.submission_id == Submission.id
        )
    )
    found = {(i, str(s), str(f)) for i, s, f in rows}
    accepted = await session.scalars(
        select(Assignment.id).where(Assignment.status == AssignmentStatus.ACCEPTED)
    )
    return found | {(i, "accepted item", "") for i in accepted}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(life=steps)
async def test_no_work_is_ever_lost_and_an_unchanged_file_changes_nothing(
    session_factory: async_sessionmaker[AsyncSession], life: list[tuple[Any, ...]]
) -> None:
    async with session_factory() as session, session.begin():
        await _clear(session)
        plan_id = (await import_plan(session, CLOCK, _draft("001"), timezone=ZONE)).plan_id
        schools = [await _school(session, f"Школа {i}") for i in range(2)]
    version: frozenset[str] = frozenset()
    for step in life:
        async with session_factory() as session, session.begin():
            before = await _work(session)
            if step[0] == "import":
                version = step[1]
                await import_plan(session, CLOCK, _draft("001", version), timezone=ZONE)
            elif step[0] == "attach":
                await attach_school(session, CLOCK, plan_id, schools[step[1]])
            elif step[0] == "detach":
                await detach_school(session, CLOCK, plan_id, schools[step[1]])
            else:
                items = list(
                    await session.scalars(
                        select(Assignment)
                        .where(Assignment.status == AssignmentStatus.OPEN)
                        .order_by(Assignment.id)
                    )
                )
                if items:
                    await _hand_in(session, items[step[1] % len(items)], accepted=step[2])
            await session.flush()
            assert before <= await _work(session), step
        # Importing the same version again changes nothing at all.
        async with session_factory() as session, session.begin():
            states = sorted(
                (a.id, a.status.value, a.due_date, a.version)
                for a in await session.scalars(select(Assignment))
            )
            diff = await import_diff(session, _draft("001", version))
            assert (diff.added, diff.changed, diff.removed) == ([], [], [])
            await import_plan(session, CLOCK, _draft("001", version), timezone=ZONE)
            await session.flush()
            again = sorted(
                (a.id, a.status.value, a.due_date, a.version)
                for a in await session.scalars(select(Assignment))
            )
            assert again == states


async def test_a_date_a_coordinator_fixed_survives_a_reimport_of_the_same_file(
    session_factory,
) -> None:
    async with session_factory() as session, session.begin():
        report = await import_plan(session, CLOCK, _draft("001"), timezone=ZONE)
        flagged = report.flagged_activity_ids[0]
        row = await session.get(Activity, flagged)
        assert row is not None
        said = row.period_text
        await set_activity_period(session, CLOCK, flagged, "до 25.11.2020", actor_user_id=None)
    async with session_factory() as session, session.begin():
        diff = await import_diff(session, _draft("001"))
        assert diff.changed == []
        await import_plan(session, CLOCK, _draft("001"), timezone=ZONE)
        row = await session.get(Activity, flagged)
        assert row is not None and row.due_date == date(2020, 11, 25)
        dues = set(
            await session.scalars(
                select(Assignment.due_date).where(Assignment.activity_id == flagged)
            )
        )
        assert dues == {date(2020, 11, 25)}
    # A file that now says something else for the row is the plan's new word: it wins.
    text = seed_text("001").replace(said or "", "до 20.12.2020", 1)
    async with session_factory() as session, session.begin():
        await import_plan(
            session, CLOCK, interpret(read_text(text), academic_year=2020), timezone=ZONE
        )
        row = await session.get(Activity, flagged)
        assert row is not None and row.due_date == date(2020, 12, 20)


async def test_a_seminar_day_a_coordinator_set_survives_a_reimport(session_factory) -> None:
    async with session_factory() as session, session.begin():
        await import_plan(session, CLOCK, _draft("000"), timezone=ZONE)
        seminar = await session.scalar(select(Seminar).order_by(Seminar.id))
        assert seminar is not None
        seminar.starts_on = date(2018, 12, 14)  # the coordinator's day for the seminar
        seminar_id = seminar.id
    async with session_factory() as session, session.begin():
        await import_plan(session, CLOCK, _draft("000"), timezone=ZONE)
        seminar = await session.get(Seminar, seminar_id)
        assert seminar is not None and seminar.starts_on == date(2018, 12, 14)
