"""Plan import in chat: preview, confirm or cancel, flagged rows one by one, refusals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from bot import texts
from core.roles import Role
from db.models import Activity, AuditEntry, Membership, Plan, User
from tests.harness import World
from tests.people import by_telegram, with_account
from tests.plan_files import seed_docx

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"


async def _coordinator(world: World):
    person = await world.person("Ольга", "Методист")
    await person.send(f"/start {await world.invite(Role.COORDINATOR)}")
    await person.expect_reply("координатор")
    return person


async def _plan_count(world: World) -> int:
    async with world.app.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(Plan)) or 0)


async def test_upload_preview_confirm_and_fix_flagged_rows(world: World) -> None:
    olga = await _coordinator(world)
    await olga.upload(("roadmap-21.docx", seed_docx("001")))
    preview = await olga.expect_reply("Мероприятий: 23")
    assert "Учебный год: 2020/2021" in preview.text and "Требуют внимания: 2" in preview.text
    assert preview.buttons == ["✅ Импортировать", "✖️ Отмена"]
    assert await _plan_count(world) == 0  # nothing stored before confirmation

    await olga.press("✅ Импортировать", preview)
    assert "План импортирован" in (await olga.expect_reply()).text
    first = await olga.expect_reply("Строка 1 из 2")
    assert "Диагностика педагогического коллектива" in first.text and "31.11.2020" in first.text

    await olga.send("когда-нибудь")
    await olga.expect_reply("Не понял дату")
    await olga.send("до 30.11.2020")
    await olga.expect_reply("Срок сохранён: до 30.11.2020")
    second = await olga.expect_reply("Строка 2 из 2")
    await olga.press("Пропустить", second)
    await olga.expect_reply("все строки просмотрены")

    async with world.app.session_factory() as session:
        fixed = await session.scalar(select(Activity).where(Activity.number == "2"))
        assert fixed is not None and fixed.due_date == date(2020, 11, 30)
        assert "set_by_coordinator" in fixed.period_flags
        actions = set(await session.scalars(select(AuditEntry.action)))
        assert {"plan.import", "activity.set_period"} <= actions
    assert await _plan_count(world) == 1


async def test_cancel_stores_nothing_and_old_buttons_go_stale(world: World) -> None:
    olga = await _coordinator(world)
    await olga.upload(("network.docx", seed_docx("000")))
    preview = await olga.expect_reply("Направлений: 4")
    await olga.press("✖️ Отмена", preview)
    assert "Ничего не сохранено" in (await olga.expect_edit()).text
    answer = await olga.press_data(preview, "imp:confirm")
    assert answer is not None and "не действует" in (answer["text"] or "")
    assert await _plan_count(world) == 0


async def test_bad_files_in_chat_get_a_clear_message(world: World) -> None:
    olga = await _coordinator(world)
    cases = [
        (("plan.odt", b"PK\x03\x04 an OpenDocument file"), "тип файла не подходит"),
        (("plan.pdf", b"%PDF-1.4"), "повреждён"),
        (("plan.pdf", (PLANS / "scanned.pdf").read_bytes()), "это скан"),
        (("plan.pdf", (PLANS / "cid_garbage.pdf").read_bytes()), "не читается"),
        (("plan.pdf", (PLANS / "locked.pdf").read_bytes()), "только по паролю"),
        (("plan.pdf", (PLANS / "pages_2000.pdf").read_bytes()), "больше 600 страниц"),
        (("plan.docx", seed_docx("001")[:2000]), "повреждён"),
        (("letter.txt", "Добрый день! Таблицы нет.".encode()), "не нашлось таблицы"),
        (("plan.docx", (PLANS / "protected.docx").read_bytes()), "защищён паролем"),
        (("plan.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)), "сохраните как DOCX"),
    ]
    for upload, fragment in cases:
        await olga.upload(upload)
        await olga.expect_reply(fragment)
    assert await _plan_count(world) == 0


async def test_a_pdf_plan_imports_like_its_word_original(world: World) -> None:
    olga = await _coordinator(world)
    await olga.upload(("roadmap.pdf", (PLANS / "roadmap_sections.pdf").read_bytes()))
    preview = await olga.expect_reply("Мероприятий: 7")
    assert "ДОРОЖНАЯ КАРТА" in preview.text and "Требуют внимания: 2" in preview.text
    await olga.press("✅ Импортировать", preview)
    assert "План импортирован" in (await olga.expect_reply()).text
    async with world.app.session_factory() as session:
        numbers = list(await session.scalars(select(Activity.number).order_by(Activity.id)))
    assert numbers == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3"]


async def test_curators_cannot_import(world: World) -> None:
    school_id = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    alice = await world.person("Алиса")
    await alice.send(f"/start {await world.invite(Role.CURATOR, school_id)}")
    await alice.expect_reply("куратор")
    await alice.upload(("roadmap.docx", seed_docx("001")))
    # Not an import: the file is not attached to anything, and she is told how to attach one.
    assert (await alice.expect_reply()).text == texts.STRAY_FILE
    assert await _plan_count(world) == 0


async def test_a_road_map_with_sections_shows_where_each_flagged_date_was_read(
    world: World,
) -> None:
    olga = await _coordinator(world)
    await olga.upload(("roadmap.docx", (PLANS / "roadmap_sections.docx").read_bytes()))
    preview = await olga.expect_reply("Мероприятий: 7")
    assert "разделов: 2" in preview.text and "Требуют внимания: 2" in preview.text
    assert "Анализ итогов ВПР прошлого года — колонка «Срок исполнения» пуста" in preview.text
    assert "колонка «Срок исполнения»: «по графику»" in preview.text
    await olga.press("✅ Импортировать", preview)
    await olga.expect_reply("План импортирован")
    async with world.app.session_factory() as session:
        sections = list(await session.scalars(select(Activity.section).order_by(Activity.position)))
    assert sections == ["1. Организационная работа"] * 4 + ["2. Методическая работа"] * 3


async def test_only_a_plans_own_coordinator_updates_it_and_an_importer_coordinates_a_new_one(
    world: World,
) -> None:
    """A coordinator of one plan cannot overwrite another plan by sending a file of the same
    title; the plan they import anew is theirs to coordinate."""
    olga = await _coordinator(world)
    await olga.upload(("roadmap-21.docx", seed_docx("001")))
    await olga.press("✅ Импортировать", await olga.expect_reply("Мероприятий: 23"))
    await olga.expect_reply("План импортирован")
    ksenia = await world.person("Ксения", "Соседова")
    await ksenia.send("/start")  # she has opened the bot
    await ksenia.expect_reply()
    async with world.app.session_factory() as session, session.begin():
        other = Plan(title="Другой план", timezone="Asia/Yekaterinburg", settings={},
                     created_at=world.clock.now(), updated_at=world.clock.now())  # fmt: skip
        session.add(other)
        await session.flush()
        user = await session.scalar(by_telegram(ksenia.id))
        if user is None:
            user = User(full_name="Ксения Соседова", settings={},
                        created_at=world.clock.now(), started_at=world.clock.now())  # fmt: skip
            session.add_all(with_account(user, ksenia.id, world.clock.now()))
            await session.flush()
        session.add(Membership(user_id=user.id, role=Role.COORDINATOR, plan_id=other.id,
                               created_at=world.clock.now()))  # fmt: skip
        ksenia_id = user.id
    await ksenia.upload(("roadmap-21.docx", seed_docx("001")))
    refused = await ksenia.expect_reply("обновить его может только")
    assert not refused.buttons
    await ksenia.upload(("municipal.docx", seed_docx("003")))
    await ksenia.press("✅ Импортировать", await ksenia.expect_reply("Импортировать план?"))
    await ksenia.expect_reply("План импортирован")
    async with world.app.session_factory() as session:
        new_plan = await session.scalar(
            select(Plan.id).where(Plan.title != "Другой план").order_by(Plan.id.desc())
        )
        mine = set(
            await session.scalars(
                select(Membership.plan_id).where(
                    Membership.user_id == ksenia_id, Membership.role == Role.COORDINATOR
                )
            )
        )
    assert new_plan in mine
