"""Issue 28, section 2: from a file in chat to schools at work, without a terminal. A plan with no
school names gets its schools in chat after the import (from the list, by search, or new by
name), per direction where it has directions; /plans → 🏫 Школы attaches and detaches later,
detaching says what it archives and asks first; only admins and the plan's (direction's)
coordinators may, however the button is forged; a region's thousand schools come in pages."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from core import plan_schools
from core.errors import NotFound
from core.invitations import create_invitation
from core.plan_import import import_plan
from core.roles import Role
from core.states import AssignmentStatus
from core.users import load_context
from db.models import (
    Activity,
    Assignment,
    AuditEntry,
    Direction,
    DirectionSchool,
    Plan,
    PlanSchool,
    School,
)
from emulator import FakeUser
from importer.files import load_plan
from messengers import TELEGRAM
from tests.harness import World
from tests.plan_files import seed_docx

ZONE = "Asia/Yekaterinburg"
SCHOOL_ROWS_004 = 10  # rows of seed 004 whose responsible names ОО or ОУ: the schools' work


async def _join(
    world: World,
    name: str,
    role: Role,
    school: int | None = None,
    plan_id: int | None = None,
    direction_id: int | None = None,
) -> FakeUser:
    person = await world.person(name)
    async with world.app.session_factory() as session, session.begin():
        code = (
            await create_invitation(
                session,
                world.clock,
                role=role,
                school_id=school,
                plan_id=plan_id,
                direction_id=direction_id,
            )
        ).code
    await person.send(f"/start {code}")
    await person.expect_reply()
    return person


async def _import(world: World, seed: str) -> int:
    """A plan stored in-process (the chat import has its own tests)."""
    draft = load_plan(seed_docx(seed), f"{seed}.docx")
    async with world.app.session_factory() as session, session.begin():
        return (await import_plan(session, world.clock, draft, timezone=ZONE)).plan_id


async def _school_items(world: World, name: str) -> dict[str, int]:
    """The school's items by status."""
    async with world.app.session_factory() as session:
        rows = await session.execute(
            select(Assignment.status, func.count())
            .join(School, School.id == Assignment.school_id)
            .where(School.name == name)
            .group_by(Assignment.status)
        )
        return {status.value: int(count) for status, count in rows}


async def _who_takes_part(world: World) -> tuple[Any, ...]:
    """Everything a forged press could change: schools, participation, items, audit."""
    async with world.app.session_factory() as session:
        return (
            sorted(await session.scalars(select(School.name))),
            sorted((r.plan_id, r.school_id) for r in await session.scalars(select(PlanSchool))),
            sorted(
                (r.direction_id, r.school_id)
                for r in await session.scalars(select(DirectionSchool))
            ),
            sorted(
                (a.activity_id, a.school_id or 0, a.status.value)
                for a in await session.scalars(select(Assignment))
            ),
            await session.scalar(select(func.count()).select_from(AuditEntry)),
        )


async def test_a_plan_with_no_school_names_gets_its_schools_in_chat(world: World) -> None:
    await world.add_school("МБОУ «Школа № 5»")
    olga = await _join(world, "Ольга", Role.COORDINATOR)
    await olga.upload(("boguchany.docx", seed_docx("004")))
    preview = await olga.expect_reply("Школ: 0 — после импорта выберете, каким школам план")
    await olga.press("✅ Импортировать", preview)
    await olga.expect_edit()  # the preview's buttons go
    await olga.expect_reply("План импортирован")
    screen = await olga.expect_reply("В плане пока нет школ")
    assert "Участвуют: 0 из 1" in screen.text and "1. МБОУ «Школа № 5»" in screen.text
    await olga.expect_reply("Строка 1 из 16")  # the flagged dates wait meanwhile

    await olga.press("1", screen)
    attached = await olga.expect_edit()
    assert f"«МБОУ «Школа № 5»» участвует в плане: её пунктов — {SCHOOL_ROWS_004}" in attached.text
    assert "1. ✅ МБОУ «Школа № 5»" in attached.text

    await olga.press("➕ Новая школа", attached)
    await olga.expect_reply("Напишите полное название школы")
    await olga.send("МБОУ «Богучанская СОШ № 1»")
    added = await olga.expect_reply("Новая школа «МБОУ «Богучанская СОШ № 1»» добавлена")
    assert "Участвуют: 2 из 2" in added.text
    # The import's date questions go on where they were.
    await olga.send("до 30.11.2020")
    await olga.expect_reply("Срок сохранён")
    await olga.expect_reply("Строка 2 из 16")

    for name in ("МБОУ «Школа № 5»", "МБОУ «Богучанская СОШ № 1»"):
        assert await _school_items(world, name) == {"open": SCHOOL_ROWS_004}
    async with world.app.session_factory() as session:
        department = await session.scalar(
            select(func.count()).select_from(Assignment).where(Assignment.school_id.is_(None))
        )
        zone = await session.scalar(
            select(School.timezone).where(School.name == "МБОУ «Богучанская СОШ № 1»")
        )
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert department and zone == world.settings.default_timezone
    assert actions.count("plan.attach_school") == 2 and "school.add" in actions


async def test_a_plan_with_directions_gets_schools_per_direction_by_search(world: World) -> None:
    olga = await _join(world, "Ольга", Role.COORDINATOR)
    await olga.upload(("network.docx", seed_docx("000")))
    preview = await olga.expect_reply("Направлений: 4")
    await olga.press("✅ Импортировать", preview)
    await olga.expect_edit()
    done = await olga.expect_reply("План импортирован")
    assert done.buttons == ["🏫 Школы"]  # its file named schools: the choice is a tap away
    await olga.expect_reply("Строка 1 из 5")

    await olga.press("🏫 Школы", done)
    directions = await olga.expect_reply("Выберите направление")
    assert directions.buttons == ["I · 15", "II · 13", "III · 11", "IV · 3"]
    await olga.press("IV · 3", directions)
    listing = await olga.expect_edit()
    assert "Направление IV" in listing.text and "Участвуют: 3 из 35" in listing.text

    await olga.press("🔎 Найти", listing)
    await olga.expect_reply("Напишите часть названия или номер школы")
    await olga.send("оо 6")  # a number is a whole number: not № 61, 68 or 116
    found = await olga.expect_reply("найдено 1")
    assert "1. ОО № 6" in found.text
    await olga.press("1", found)
    attached = await olga.expect_edit()
    assert "«ОО № 6» участвует в направлении IV: её пунктов — 5" in attached.text
    await olga.send("до 30.11.2018")  # the import's date questions resume after the search
    await olga.expect_reply("Срок сохранён")

    async with world.app.session_factory() as session:
        school = await session.scalar(select(School.id).where(School.name == "ОО № 6"))
        codes = set(
            await session.scalars(
                select(Direction.code)
                .join(DirectionSchool, DirectionSchool.direction_id == Direction.id)
                .where(DirectionSchool.school_id == school)
            )
        )
        directions_of_items = list(
            await session.scalars(
                select(Direction.code)
                .join(Activity, Activity.direction_id == Direction.id)
                .join(Assignment, Assignment.activity_id == Activity.id)
                .where(Assignment.school_id == school, Direction.code == "IV")
            )
        )
    assert codes == {"I", "III", "IV"} and directions_of_items == ["IV"] * 5


async def test_plans_schools_detaches_only_after_saying_what_it_archives(world: World) -> None:
    await world.add_school("МАОУ «Лицей № 2»")
    await _import(world, "001")
    olga = await _join(world, "Ольга", Role.COORDINATOR)
    await olga.send("/plans")
    plans = await olga.expect_reply("Планы")
    await olga.press("1", plans)
    card = await olga.expect_reply()
    assert "🏫 Школы" in card.buttons
    await olga.press("🏫 Школы", card)
    listing = await olga.expect_reply("Участвуют: 1 из 2")
    assert "2. МАОУ «Лицей № 2»" in listing.text
    await olga.press("2", listing)
    attached = await olga.expect_edit()
    assert "«МАОУ «Лицей № 2»» участвует в плане: её пунктов — 23" in attached.text

    async with world.app.session_factory() as session, session.begin():
        handed_in = await session.scalar(
            select(Assignment)
            .join(School, School.id == Assignment.school_id)
            .where(School.name == "МАОУ «Лицей № 2»")
            .limit(1)
        )
        assert handed_in is not None
        handed_in.status = AssignmentStatus.SUBMITTED
    before = await _who_takes_part(world)

    await olga.press("1", attached)  # by name the lyceum comes first now
    ask = await olga.expect_edit()
    assert ask.text == (
        "Если отключить школу «МАОУ «Лицей № 2»» от плана:\n"
        "открытых пунктов снимется: 22;\n"
        "пунктов со сданной работой — в архив, остаются в отчётах: 1.\n"
        "Отключить?"
    )
    assert ask.buttons == ["Да, отключить", "⬅️ Назад"]
    assert await _who_takes_part(world) == before  # asking changes nothing
    await olga.press("⬅️ Назад", ask)
    back = await olga.expect_edit()
    assert "1. ✅ МАОУ «Лицей № 2»" in back.text and await _who_takes_part(world) == before

    await olga.press("1", back)
    ask = await olga.expect_edit()
    await olga.press("Да, отключить", ask)
    done = await olga.expect_edit()
    assert "Школа «МАОУ «Лицей № 2»» больше не участвует в плане." in done.text
    assert "Участвуют: 1 из 2" in done.text and "2. МАОУ «Лицей № 2»" in done.text
    assert await _school_items(world, "МАОУ «Лицей № 2»") == {"cancelled": 22, "submitted": 1}
    async with world.app.session_factory() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "plan.detach_school" in actions


async def test_only_admins_and_the_plans_coordinators_change_who_takes_part(world: World) -> None:
    network = await _import(world, "000")
    own_plan = await _import(world, "001")
    async with world.app.session_factory() as session:
        by_code = {
            d.code: d.id
            for d in await session.scalars(select(Direction).where(Direction.plan_id == network))
        }
        outsider = await session.scalar(select(School.id).where(School.name == "ОО № 35"))
        curated = await session.scalar(select(School.id).where(School.name == "ОО № 6"))
    assert outsider is not None and curated is not None
    vera = await _join(world, "Вера", Role.COORDINATOR, plan_id=network, direction_id=by_code["I"])
    other = await _join(world, "Пётр", Role.COORDINATOR, plan_id=own_plan)
    alice = await _join(world, "Алиса", Role.CURATOR, school=curated)

    # A direction's coordinator: /plans lists the plan, 🏫 opens her direction's schools.
    await vera.send("/plans")
    plans = await vera.expect_reply("Сетевой план-график")
    await vera.press("1", plans)
    listing = await vera.expect_reply("Направление I")
    async with world.app.session_factory() as session:
        schools = await session.scalar(select(func.count()).select_from(School))
    assert f"Участвуют: 15 из {schools}" in listing.text

    forged = [
        f"pst:on:{network}:{by_code['II']}:{outsider}:0",  # another direction
        f"pst:off_yes:{network}:{by_code['III']}:{curated}:0",
        f"pst:off_yes:{network}:0:{curated}:0",  # the whole plan: not hers
        f"pst:on:{network}:0:{outsider}:0",
        f"psc:new:{network}:{by_code['II']}:0",
        f"psc:find:{network}:0:0",
    ]
    before = await _who_takes_part(world)
    for person in (vera, other, alice):
        await person.send("/help")
        anchor = await person.expect_reply("Команды")
        # Plan 1's coordinator and a curator: not even direction I, which Vera may change.
        theirs = [
            f"pst:on:{network}:{by_code['I']}:{outsider}:0",
            f"psc:new:{network}:{by_code['I']}:0",
        ]
        for data in forged if person is vera else [*forged, *theirs]:
            assert await person.press_data(anchor, data) is not None
            # A name typed after a refused ➕ creates nothing.
            await person.send("МБОУ «Школа-подделка»")
            await person.expect_reply()
    assert await _who_takes_part(world) == before

    # The rule is core's: a use case called without the handler refuses all the same.
    async with world.app.session_factory() as session:
        for person in (other, alice):
            context = await load_context(session, TELEGRAM, person.id)
            assert context is not None
            with pytest.raises(NotFound):
                await plan_schools.attach(
                    session, world.clock, context, network, by_code["I"], outsider
                )
            with pytest.raises(NotFound):
                await plan_schools.add(
                    session, world.clock, context, network, None, "МБОУ «Школа-подделка»"
                )
        await session.rollback()

    # Her own direction she may change.
    await vera.press_data(listing, f"pst:on:{network}:{by_code['I']}:{outsider}:0")
    await vera.expect_edit()
    async with world.app.session_factory() as session:
        joined = await session.get(DirectionSchool, (by_code["I"], outsider))
    assert joined is not None


async def test_a_region_of_a_thousand_schools_comes_in_pages_and_by_search(world: World) -> None:
    async with world.app.session_factory() as session, session.begin():
        session.add_all(
            School(name=f"Школа № {n}", timezone=ZONE, created_at=world.clock.now())
            for n in range(1, 1001)
        )
    olga = await _join(world, "Ольга", Role.COORDINATOR)
    await olga.upload(("boguchany.docx", seed_docx("004")))
    await olga.press("✅ Импортировать", await olga.expect_reply("Школ: 0"))
    await olga.expect_edit()
    await olga.expect_reply("План импортирован")
    screen = await olga.expect_reply("В плане пока нет школ")
    assert "Участвуют: 0 из 1000 · стр. 1 из 100" in screen.text
    await olga.expect_reply("Строка 1 из 16")
    assert len(screen.text) < 800 and screen.text.count("\n") < 16  # one phone screen
    assert screen.buttons == [
        *map(str, range(1, 11)),
        "▶️",
        "🔎 Найти",
        "➕ Новая школа",
    ]
    await olga.press("▶️", screen)
    second = await olga.expect_edit()
    assert "стр. 2 из 100" in second.text and second.buttons[10:12] == ["◀️", "▶️"]

    await olga.press("🔎 Найти", second)
    await olga.expect_reply("Напишите часть названия")
    await olga.send("школа")
    many = await olga.expect_reply("найдено 1000, показаны первые 10 — уточните")
    assert len(many.text) < 800
    await olga.press("🔎 Найти", many)
    await olga.expect_reply("Напишите часть названия")
    await olga.send("777")
    found = await olga.expect_reply("найдено 1")
    await olga.press("1", found)
    attached = await olga.expect_edit()
    assert "«Школа № 777» участвует в плане" in attached.text
    assert "1. ✅ Школа № 777" in attached.text  # those taking part lead the list
    async with world.app.session_factory() as session:
        taking_part = list(
            await session.scalars(
                select(School.name)
                .join(PlanSchool, PlanSchool.school_id == School.id)
                .join(Plan, Plan.id == PlanSchool.plan_id)
            )
        )
    assert taking_part == ["Школа № 777"]
