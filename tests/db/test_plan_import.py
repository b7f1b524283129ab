"""Storing plans: counts in the database, assignment scopes, and re-import of a changed plan."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from core.dto import MembershipInfo, UserContext
from core.errors import Refused
from core.plan_import import import_plan
from core.roles import Role
from core.states import AssignmentStatus
from db.models import (
    Activity,
    Assignment,
    AuditEntry,
    Direction,
    DirectionSchool,
    Plan,
    PlanSchool,
    School,
    Seminar,
    Stage,
)
from importer.draft import PlanDraft
from importer.files import load_plan
from importer.interpret import interpret
from importer.text_reader import read_text
from tests.plan_files import csv_from_rows, seed_text

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"
CLOCK = ManualClock(datetime(2020, 11, 2, 4, 0, tzinfo=UTC))


async def _count(session, model) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_seed_000_is_stored_with_directions_schools_and_scoped_assignments(
    session_factory,
) -> None:
    draft = interpret(read_text(seed_text("000")))
    async with session_factory() as session, session.begin():
        report = await import_plan(session, CLOCK, draft, timezone="Asia/Yekaterinburg")
    async with session_factory() as session:
        counts = [
            await _count(session, m)
            for m in (Plan, Direction, Activity, Seminar, School, PlanSchool, Stage)
        ]
        assert counts == [1, 4, 19, 14, 35, 35, 0]
        assert await _count(session, DirectionSchool) == 15 + 13 + 11 + 3
        expected = sum(
            len(next(d for d in draft.directions if d.code == a.direction).school_keys)
            for a in draft.activities
        )
        assert await _count(session, Assignment) == expected
        dated = await session.scalar(select(Seminar).where(Seminar.starts_on == date(2018, 10, 8)))
        assert dated is not None and dated.starts_at is None  # the plan gives no time
        zones = set(await session.scalars(select(School.timezone)))
        assert zones == {"Asia/Yekaterinburg"}
        assert await session.scalar(select(AuditEntry.action)) == "plan.import"
    assert report.created and len(report.flagged_activity_ids) == 5


async def test_single_school_plan_assigns_every_item_to_the_school(session_factory) -> None:
    async with session_factory() as session, session.begin():
        await import_plan(
            session, CLOCK, interpret(read_text(seed_text("001"))), timezone="Asia/Yekaterinburg"
        )
    async with session_factory() as session:
        rows = (
            await session.execute(
                select(Assignment.school_id, Assignment.due_date, Activity.number).join(
                    Activity, Activity.id == Assignment.activity_id
                )
            )
        ).all()
        assert (
            len(rows) == 23
            and len({r.school_id for r in rows}) == 1
            and None not in {r.school_id for r in rows}
        )
        assert {r.number: r.due_date for r in rows}["2"] == date(2020, 11, 30)


async def test_responsible_text_maps_to_department_and_schools(session_factory) -> None:
    draft = interpret(read_text(seed_text("004")), academic_year=2020)
    async with session_factory() as session, session.begin():
        school = School(name="МБОУ «Богучанская СОШ № 1»", created_at=CLOCK.now())
        session.add(school)
        await session.flush()
        first = await import_plan(session, CLOCK, draft, timezone="Asia/Krasnoyarsk")
        session.add(PlanSchool(plan_id=first.plan_id, school_id=school.id))
        await import_plan(
            session, CLOCK, draft, timezone="Asia/Krasnoyarsk"
        )  # re-import picks up the school
    async with session_factory() as session:
        rows = (
            await session.execute(
                select(Activity.number, Activity.responsible_text, Assignment.school_id)
                .join(Assignment, Assignment.activity_id == Activity.id)
                .where(Assignment.status != AssignmentStatus.CANCELLED)
            )
        ).all()
    scopes: dict[str, set[int | None]] = {}
    for number, responsible, school_id in rows:
        scopes.setdefault(f"{number}:{responsible}", set()).add(school_id)
    assert scopes["1:УО"] == {None}
    assert scopes["2:УО, ОУ"] == {None, school.id}
    assert scopes["4:ОО"] == {school.id}


def _modified_001() -> str:
    text = seed_text("001")
    text = text.replace(
        "3.\tПредоставление информации по самооценке в МБУ ДПО ЦРО\tНоябрь 2020",
        "3.\tПредоставление информации по самооценке в МБУ ДПО ЦРО\tДекабрь 2020",
    )
    lines = [line for line in text.split("\n") if not line.startswith("9.\t")]
    lines.insert(
        lines.index(next(x for x in lines if x.startswith("24.\t"))) + 1,
        "25.\tПубликация итогового отчёта на сайте\tиюнь 2021\tКуратор проекта\tОтчёт на сайте",
    )
    return "\n".join(lines)


async def test_reimport_reports_changes_and_keeps_submitted_and_accepted_work(
    session_factory,
) -> None:
    async with session_factory() as session, session.begin():
        await import_plan(
            session, CLOCK, interpret(read_text(seed_text("001"))), timezone="Asia/Yekaterinburg"
        )
    async with session_factory() as session, session.begin():
        by_number = {a.number: a for a in await session.scalars(select(Activity))}
        for number, status in (("2", AssignmentStatus.SUBMITTED), ("9", AssignmentStatus.ACCEPTED)):
            assignment = await session.scalar(
                select(Assignment).where(Assignment.activity_id == by_number[number].id)
            )
            assert assignment is not None
            assignment.status = status

    async with session_factory() as session, session.begin():
        report = await import_plan(
            session, CLOCK, interpret(read_text(_modified_001())), timezone="Asia/Yekaterinburg"
        )

    assert not report.created
    assert report.added == ["Публикация итогового отчёта на сайте"]
    assert [c["title"] for c in report.changed] == [
        "Предоставление информации по самооценке в МБУ ДПО ЦРО"
    ]
    assert report.changed[0]["fields"]["due_date"] == {
        "before": "2020-11-30",
        "after": "2020-12-31",
    }
    assert len(report.removed) == 1 and report.removed[0].startswith(
        "Организация и проведение обучения классных"
    )
    assert report.kept_work == 1
    async with session_factory() as session:
        activities = {a.number: a for a in await session.scalars(select(Activity))}
        assert len(activities) == 24 and await _count(session, Plan) == 1
        assert activities["9"].cancelled_at is not None
        statuses = {
            number: await session.scalar(
                select(Assignment.status).where(Assignment.activity_id == activity.id)
            )
            for number, activity in activities.items()
        }
        assert statuses["2"] == AssignmentStatus.SUBMITTED
        assert statuses["9"] == AssignmentStatus.ACCEPTED
        assert statuses["25"] == AssignmentStatus.OPEN
        due = await session.scalar(
            select(Assignment.due_date).where(Assignment.activity_id == activities["3"].id)
        )
        assert due == date(2020, 12, 31)


async def test_importing_the_same_plan_twice_changes_nothing(session_factory) -> None:
    draft = interpret(read_text(seed_text("003")))
    async with session_factory() as session, session.begin():
        await import_plan(session, CLOCK, draft, timezone="Europe/Moscow")
    async with session_factory() as session, session.begin():
        report = await import_plan(session, CLOCK, draft, timezone="Europe/Moscow")
    assert (report.added, report.changed, report.removed) == ([], [], [])
    async with session_factory() as session:
        assert await _count(session, Activity) == 28


def _plan_file(name: str) -> PlanDraft:
    return load_plan((PLANS / name).read_bytes(), name)


async def test_clock_time_zone_note_and_section_are_stored(session_factory) -> None:
    header, roadmap = _plan_file("two_row_header.docx"), _plan_file("roadmap_sections.docx")
    async with session_factory() as session, session.begin():
        await import_plan(session, CLOCK, header, timezone="Asia/Yekaterinburg")
        await import_plan(session, CLOCK, roadmap, timezone="Asia/Yekaterinburg")
    async with session_factory() as session:
        seminar = await session.scalar(select(Activity).where(Activity.title.startswith("Семинар")))
        assert seminar is not None
        assert (seminar.due_date, seminar.due_time, seminar.due_zone) == (
            date(2020, 12, 10),
            "15:00",
            "Europe/Moscow",
        )
        consultations = await session.scalar(
            select(Activity).where(Activity.title.startswith("Консультации"))
        )
        assert consultations is not None and consultations.section == "2. Методическая работа"
        assert consultations.due_date is None and "needs_date" in consultations.period_flags


async def test_a_note_column_is_kept_and_shown_on_the_card(session_factory) -> None:
    from bot import texts
    from core.dto import MembershipInfo, UserContext
    from core.roles import Role
    from core.work import item_card
    from importer.model import RawDocument, RawTable

    header = ["№ п/п", "Наименование мероприятия", "Сроки", "Ответственные", "Примечание"]
    rows = [
        ["1", "Педсовет", "до 10.11.2020", "Директор", "по согласованию с управлением"],
        ["2", "Семинар", "до 20.11.2020", "Завуч", ""],
    ]
    document = RawDocument(
        preamble=["План мероприятий на 2020/2021 учебный год"],
        tables=[RawTable(rows=[header, *rows])],
    )
    async with session_factory() as session, session.begin():
        await import_plan(session, CLOCK, interpret(document), timezone="Europe/Moscow")
    async with session_factory() as session:
        notes = dict((await session.execute(select(Activity.title, Activity.note))).all())
        assert notes == {"Педсовет": "по согласованию с управлением", "Семинар": None}
        first = await session.scalar(
            select(Assignment.id)
            .join(Activity, Activity.id == Assignment.activity_id)
            .where(Activity.title == "Педсовет")
        )
        assert first is not None
        admin_role = MembershipInfo(Role.ADMIN, None, None, None, None, None, None)
        admin = UserContext(1, "Админ", True, (admin_role,))
        card = await item_card(session, admin, first)
    assert "Примечание: по согласованию с управлением" in texts.item_card(card, date(2020, 11, 2))


async def test_control_characters_of_a_csv_are_not_stored(session_factory) -> None:
    # A CSV keeps what a spreadsheet cell held (\x01 from a pasted form, \x0b a line break
    # in Word's text); Word refuses such text, so the importer cleans it before it is stored.
    rows = [
        ["№", "Содержание работы", "Сроки", "Ответственный"],
        ["1", "Совещание\x01 рабочей группы", "сентябрь 2020", "Директор\x7f"],
        ["2", "Отчёт\x0bо работе", "май 2021", "Руководитель\x1f МО"],
    ]
    title = "План\x01 работы МАОУ «СОШ\x01 № 21 г. Челябинска» на 2020/2021 учебный год"
    draft = load_plan(csv_from_rows(title, rows), "plan.csv")
    assert "\x01" not in draft.title and draft.schools[0].key == "ОО-21"  # the reader cleans
    draft.activities[0].note = "тест\x02"  # a draft built elsewhere is cleaned when stored
    async with session_factory() as session, session.begin():
        await import_plan(session, CLOCK, draft, timezone="Asia/Yekaterinburg")
    async with session_factory() as session:
        plan = await session.scalar(select(Plan))
        schools = list(await session.scalars(select(School.name)))
        activities = (await session.execute(select(Activity).order_by(Activity.position))).all()
    assert plan is not None
    assert plan.title == "План работы МАОУ «СОШ № 21 г. Челябинска» на 2020/2021 учебный год"
    assert schools == ["МАОУ «СОШ № 21 г. Челябинска»"]
    first, second = (row[0] for row in activities)
    assert (first.title, first.responsible_text, first.note) == (
        "Совещание рабочей группы",
        "Директор",
        "тест",
    )
    assert (second.title, second.responsible_text) == ("Отчёт о работе", "Руководитель МО")


async def test_a_titles_empty_placeholder_is_cleaned_the_original_kept(session_factory) -> None:
    """Seed 001 ends its title with an empty "«»" (a form's placeholder): the plan's title
    loses it, the document's stays in the plan's settings; a plan stored with the old title
    is found again by a re-import, which cleans it rather than making a second plan."""
    draft = interpret(read_text(seed_text("001")))
    written = draft.title_as_written
    assert written is not None and written.endswith("образования «»")
    assert draft.title == written.removesuffix(" «»") and not draft.title.endswith("»")
    async with session_factory() as session, session.begin():
        report = await import_plan(session, CLOCK, draft, timezone="Asia/Yekaterinburg")
        plan = await session.get(Plan, report.plan_id)
        assert plan is not None and plan.title == draft.title
        assert plan.settings["title_as_written"] == written
        plan.title = written  # as a plan imported before titles were cleaned
    again = interpret(read_text(seed_text("001")))
    async with session_factory() as session, session.begin():
        second = await import_plan(session, CLOCK, again, timezone="Asia/Yekaterinburg")
    assert second.plan_id == report.plan_id and not second.created
    async with session_factory() as session:
        assert list(await session.scalars(select(Plan.title))) == [draft.title]
    # Any draft, however made, is cleaned on import.
    typed = PlanDraft(title="План работы ( ) на год “ ”", academic_year=2020, year_from=2020,
                      year_to=2021)  # fmt: skip
    async with session_factory() as session, session.begin():
        third = await import_plan(session, CLOCK, typed, timezone="Asia/Yekaterinburg")
        plan = await session.get(Plan, third.plan_id)
        assert plan is not None and plan.title == "План работы на год"
        assert plan.settings["title_as_written"] == "План работы ( ) на год “ ”"


async def test_a_person_re_imports_only_a_plan_they_may_change(session_factory) -> None:
    clock = ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))
    async with session_factory() as session, session.begin():
        first = await import_plan(
            session, clock, interpret(read_text(seed_text("001"))), timezone="Asia/Yekaterinburg"
        )
        other = await import_plan(
            session, clock, interpret(read_text(seed_text("000"))), timezone="Asia/Yekaterinburg"
        )
    plan_id, other_id = first.plan_id, other.plan_id

    def coordinator_of(plan: int) -> UserContext:
        role = MembershipInfo(Role.COORDINATOR, None, None, plan, None, None, None)
        return UserContext(7, "Ольга", True, (role,))

    changed = interpret(read_text(_modified_001()))
    async with session_factory() as session:
        before = await _count(session, Activity)
    with pytest.raises(Refused):
        async with session_factory() as session, session.begin():
            # Another plan's coordinator: refused, nothing stored.
            await import_plan(
                session, clock, changed, timezone="Asia/Yekaterinburg",
                actor=coordinator_of(other_id),
            )  # fmt: skip
    async with session_factory() as session:
        assert await _count(session, Activity) == before
    async with session_factory() as session, session.begin():
        report = await import_plan(
            session, clock, changed, timezone="Asia/Yekaterinburg", actor=coordinator_of(plan_id)
        )
    assert report.plan_id == plan_id and not report.created
    # A new plan is anyone's who may import at all (the chat lets admins and coordinators).
    async with session_factory() as session, session.begin():
        fresh = await import_plan(
            session, clock, interpret(read_text(seed_text("002"))), timezone="Asia/Yekaterinburg",
            actor=coordinator_of(other_id),
        )  # fmt: skip
    assert fresh.created
