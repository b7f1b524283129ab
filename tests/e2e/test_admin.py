"""People and invitations in chat: invite with a QR code, change roles, switch off; permissions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from core.invitations import create_invitation
from core.plan_import import import_plan
from core.roles import Role
from db.models import Activity, Invitation, Membership, Plan, User
from importer.interpret import interpret
from importer.text_reader import read_text
from tests.harness import World
from tests.people import ON_BOTH, Person, menu_is, person_id, said, user_id_of
from tests.plan_files import seed_text


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))


async def _join(world: World, name: str, code: str) -> Person:
    person = await world.participant(name)
    await person.join(code)
    await person.expect_reply()
    return person


async def _user(world: World, person: Person) -> User:
    async with world.app.session_factory() as session:
        found = await session.get(User, await person_id(session, person))
        assert found is not None
        return found


@ON_BOTH
async def test_invite_change_role_switch_off_and_permissions(world: World) -> None:
    ours = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    other = await world.add_school("МБОУ «Школа № 7»", timezone="Europe/Moscow")
    async with world.app.session_factory() as session, session.begin():
        report = await import_plan(
            session,
            world.clock,
            interpret(read_text(seed_text("001"))),
            timezone="Asia/Yekaterinburg",
        )
        scoped = await create_invitation(
            session, world.clock, role=Role.COORDINATOR, school_id=None, plan_id=report.plan_id
        )
    anna = await _join(world, "Анна", await world.invite(Role.ADMIN))
    petr = await _join(world, "Пётр", scoped.code)
    boris = await _join(world, "Борис", await world.invite(Role.CURATOR, other))

    # An invitation made in chat: role, school, the link once and a QR code to print.
    await anna.send("/invite")
    roles = await anna.expect_reply("Кого пригласить?")
    assert roles.buttons == ["куратор", "наблюдатель", "координатор", "администратор"]
    await anna.press("куратор", roles)
    schools = await anna.expect_edit()
    number = next(line.split(".")[0] for line in schools.text.splitlines() if "СОШ № 21" in line)
    await anna.press(number, schools)
    created = await anna.expect_edit()
    link = re.search(r"https://(?:t\.me|max\.ru)/\S+\?start=(\S+)", created.text)
    assert link and "куратор, МАОУ «СОШ № 21" in created.text
    qr = await anna.expect_reply()
    png = await world.file_of(qr)
    assert png.startswith(b"\x89PNG") and len(png) > 300
    vera = await _join(world, "Вера", link.group(1))
    await menu_is(
        vera, ["my", "status", "report", "calendar", "settings", "away", "help", "me", "connect"]
    )

    # List and revoke.
    await anna.send("/invite когда-нибудь")
    await anna.expect_reply("/invite 30d 10")
    await anna.send("/invite 30d 3")
    await anna.press("наблюдатель", await anna.expect_reply("Кого пригласить?"))
    schools = await anna.expect_edit()
    await anna.press(number, schools)
    made = (await anna.expect_edit()).text
    assert "Действует 30 дней, до 3 человек" in made
    spare = re.search(r"start=(\S+)", made)
    await anna.expect_reply()  # its QR code
    await anna.send("/invites")
    listing = await anna.expect_reply("Активные приглашения")
    assert "наблюдатель" in listing.text and "использовано 0/3" in listing.text
    assert listing.buttons == ["✖️ 1"]
    assert said(await anna.press("✖️ 1", listing)) == "Приглашение отозвано."
    late = await world.participant("Гость")
    await late.join(spare.group(1) if spare else "")
    await late.expect_reply("отозвано")

    # Change Vera's role: she becomes an observer, her menu follows.
    await anna.send("/people Вера")
    found = await anna.expect_reply("Люди (1)")
    await anna.press("1", found)
    card = await anna.expect_reply("Вера")
    await anna.press("🔁 Сменить роль", card)
    await anna.press("наблюдатель", await anna.expect_edit())
    assert "наблюдатель (МАОУ «СОШ № 21" in (await anna.expect_edit()).text
    await menu_is(vera, ["status", "report", "calendar", "settings", "help", "me", "connect"])

    # Switched off: no access and no reminders; switched on again: both return.
    await anna.press("🚫 Отключить", card)
    assert "отключён" in (await anna.expect_edit()).text
    await menu_is(vera, ["start", "help"])
    await vera.send("/status")
    assert "Всего" not in (await vera.expect_reply()).text
    world.clock.set(world.clock.now() + timedelta(days=7))  # type: ignore[attr-defined]
    await world.app.reminders.tick(force_plan=True)
    await vera.expect_silence(wait=0.3)
    await anna.press("✅ Включить", card)
    assert "отключён" not in (await anna.expect_edit()).text
    await vera.send("/status")
    await vera.expect_reply("Всего")

    # A curator or observer has no admin action, not even by forged buttons.
    anna_user, boris_user = await _user(world, anna), await _user(world, boris)
    for command in ("/people", "/invite", "/invites", "/plans"):
        await vera.send(command)
        reply = await vera.expect_reply()
        assert not reply.buttons and "Люди" not in reply.text
    await vera.send("/status")
    message = await vera.expect_reply("Всего")
    for forged in (
        f"pe:deactivate:{anna_user.id}",
        f"pr:{anna_user.id}:observer",
        "ir:admin",
        f"is:curator:{ours}",
    ):
        await vera.press_data(message, forged)

    # A plan coordinator sees and changes only the people of the plan's schools.
    await petr.catch_up()  # skip the digest the week's tick brought
    await petr.send("/people")
    people = await petr.expect_reply("Люди")
    assert "Вера" in people.text and "Борис" not in people.text and "Анна" not in people.text
    await petr.send("/invite")
    own = await petr.expect_reply("Кого пригласить?")
    assert own.buttons == ["куратор", "наблюдатель"]
    await petr.press_data(own, f"pe:deactivate:{boris_user.id}")
    await petr.press_data(own, f"is:curator:{other}")
    await petr.press_data(own, f"pr:{anna_user.id}:curator")
    await petr.press_data(own, "ir:admin")

    # ... and cannot touch another plan, even with forged buttons.
    async with world.app.session_factory() as session, session.begin():
        foreign = await import_plan(
            session, world.clock, interpret(read_text(seed_text("002"))), timezone="Europe/Moscow"
        )
    await petr.send("/plans")
    plans = await petr.expect_reply("Планы")
    assert plans.buttons == ["1"]  # only his own plan
    await petr.press_data(own, f"pa:{foreign.plan_id}:1")
    await petr.press_data(own, f"st:plan:{foreign.plan_id}:hour")
    await petr.send("5")
    assert "Сохранено" not in (await petr.expect_reply()).text

    async with world.app.session_factory() as session:
        other_plan = await session.get(Plan, foreign.plan_id)
        assert other_plan is not None and other_plan.archived_at is None
        assert not (other_plan.settings or {}).get("reminders")
        assert all(
            u.is_active
            for u in await session.scalars(select(User).where(User.full_name.is_not(None)))
        )
        assert (
            await session.scalar(
                select(func.count())
                .select_from(Membership)
                .where(Membership.user_id == anna_user.id, Membership.revoked_at.is_(None))
            )
            == 1
        )
        invitations = list(
            await session.scalars(select(Invitation).where(Invitation.school_id == other))
        )
        assert len(invitations) == 1  # only Boris's own, made before


async def test_the_same_administration_from_the_terminal(world: World) -> None:
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    second = await world.add_school("МБОУ «Школа № 7»", timezone="Europe/Moscow")
    vera = await _join(world, "Вера", await world.invite(Role.CURATOR, school))
    async with world.app.session_factory() as session, session.begin():
        await import_plan(
            session,
            world.clock,
            interpret(read_text(seed_text("001"))),
            timezone="Asia/Yekaterinburg",
        )

    listed = (await world.cli("people", "list", "--role", "curator")).stdout
    assert f"{vera.id}\tВера\tкуратор@{school}\tактивен" in listed, listed
    await world.cli("people", "role", str(vera.id), "observer")
    await world.cli("people", "move", str(vera.id), "--school", str(second))
    assert f"наблюдатель@{second}" in (await world.cli("people", "list")).stdout
    await world.cli("people", "deactivate", str(vera.id))
    assert "отключён" in (await world.cli("people", "list", "--search", "вер")).stdout

    plans = (await world.cli("plan", "list")).stdout
    plan_id = plans.split("\t")[0]
    link = (await world.cli("invite", "--role", "coordinator", "--plan", plan_id)).stdout
    lena = await _join(world, "Лена", link.strip().split("start=")[1])
    async with world.app.session_factory() as session:
        role = await session.scalar(
            select(Membership).where(Membership.user_id == await user_id_of(session, lena.id))
        )
        assert role is not None and (role.role, role.plan_id) == (Role.COORDINATOR, int(plan_id))
    wrong = await world.cli("invite", "--role", "coordinator", "--direction", "1", check=False)
    assert wrong.returncode == 1 and "--plan" in wrong.stderr
    assert (
        "участвует" in (await world.cli("plan", "attach", plan_id, "--school", str(second))).stdout
    )
    await world.cli("plan", "set", plan_id, "lead_days", "5, 1")
    bad = await world.cli("plan", "set", plan_id, "hour", "25", check=False)
    assert bad.returncode == 1 and "hour" in bad.stderr
    await world.cli("plan", "archive", plan_id)
    assert "\t(в архиве)" in (await world.cli("plan", "list")).stdout
    await world.cli("school", "rename", str(second), "МБОУ «Школа № 7 г. Москвы»")
    changed = await world.cli("school", "timezone", str(second), "Калининград")
    assert changed.stdout.strip() == f"школа {second}: Калининград"
    assert "МБОУ «Школа № 7 г. Москвы»\tКалининград" in (await world.cli("school", "list")).stdout
    merged = await world.cli("school", "merge", str(second), "--into", str(school))
    assert f"объединена со школой {school}" in merged.stdout
    audit = (await world.cli("audit")).stdout
    for action in (
        "membership.change",
        "membership.move",
        "user.deactivate",
        "settings.plan",
        "plan.archive",
        "school.merge",
    ):
        assert action in audit


async def test_plan_term_boundaries_are_used_when_the_plan_is_read_again(
    world: World, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.txt"
    plan.write_text(
        "План мероприятий школы на 2020/2021 учебный год\n"
        "№\tМероприятие\tСроки\tОтветственные\tРезультат\n"
        "1.\tВходная диагностика\tI четверть\tЗавуч\tСправка\n"
        "2.\tИтоги полугодия\tI полугодие\tЗавуч\tСправка\n",
        encoding="utf-8",
    )
    await world.cli("import", str(plan), "--year", "2020/2021")
    await world.cli(
        "plan", "set", "1", "quarters", "01.09-30.10, 06.11-29.12, 11.01-23.03, 01.04-31.05"
    )
    bad = await world.cli("plan", "set", "1", "halves", "01.09-27.12", check=False)
    assert bad.returncode == 1 and "halves" in bad.stderr
    await world.cli("plan", "set", "1", "halves", "01.09-27.12, 11.01-31.05")
    await world.cli("import", str(plan), "--year", "2020/2021")
    async with world.app.session_factory() as session:
        rows = await session.execute(select(Activity.title, Activity.due_date))
        dues = {title: due for title, due in rows}
    assert dues == {
        "Входная диагностика": date(2020, 10, 30),
        "Итоги полугодия": date(2020, 12, 27),
    }
