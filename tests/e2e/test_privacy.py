"""/mydata and /forget: everything kept is handed over; forgetting anonymises and frees the id."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from core.invitations import create_invitation
from core.membership_news import window_end
from core.people import mark_blocked
from core.plan_import import import_plan
from core.privacy import FORGOTTEN_NAME, forget
from core.roles import Role
from db.base import Base
from db.models import Account, ForgottenAccount, Membership, OutboxMessage, Submission, User
from importer.interpret import interpret
from importer.text_reader import read_text
from messengers import MAX, TELEGRAM
from tests.harness import World
from tests.people import ON_BOTH, Person, menu_is, person_id, user_id_of
from tests.plan_files import seed_text


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))


async def _open_done_flow(world: World, alice: Person) -> None:
    """Import seed plan 001 and open the done flow on Alice's second item."""
    async with world.app.session_factory() as session, session.begin():
        await import_plan(
            session,
            world.clock,
            interpret(read_text(seed_text("001"))),
            timezone="Asia/Yekaterinburg",
        )
    await alice.send("/my")
    await alice.press("2", await alice.expect_reply("Все открытые"))
    await alice.press("✅ Выполнено", await alice.expect_reply())
    await alice.expect_reply("Отмечаем выполнение")


@ON_BOTH
async def test_mydata_then_forget_then_join_again(world: World) -> None:
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    alice = await world.participant("Алиса", "Кураторова")
    await alice.join(await world.invite(Role.CURATOR, school))
    await alice.expect_reply("куратор")
    await _open_done_flow(world, alice)
    await alice.send("Приказ № 344 подписан")
    await alice.press("✅ Отправить", await alice.expect_reply("комментарий есть"))
    await alice.expect_reply("Отправлено на проверку")

    await alice.send("/help")
    assert "/forget" in (await alice.expect_reply("Бот хранит")).text
    await alice.send("/mydata")
    sent = await alice.expect_reply()
    (name,) = sent.file_names
    assert name.startswith("Куратор — мои данные — ") and name.endswith(".json")
    data = json.loads(await world.file_of(sent))
    assert data["profile"]["full_name"] == "Алиса Кураторова"
    assert data["profile"]["accounts"][0]["id"] == alice.id
    assert data["profile"]["accounts"][0]["messenger"] == alice.messenger
    assert [(r["role"], r["school"]) for r in data["roles"]] == [
        ("curator", "МАОУ «СОШ № 21 г. Челябинска»")
    ]
    assert [(r["item"][:15], r["comment"]) for r in data["reports"]] == [
        ("Издание приказа", "Приказ № 344 подписан")
    ]
    assert {"assignment.submit", "membership.grant"} <= {a["action"] for a in data["actions"]}

    await alice.send("/forget")
    await alice.press("✖️ Отмена", await alice.expect_reply("Удалить ваши данные?"))
    assert "ничего не удалено" in (await alice.expect_edit()).text
    await alice.send("/forget")
    await alice.press("Да, удалить", await alice.expect_reply("Удалить ваши данные?"))
    assert "данные удалены" in (await alice.expect_edit()).text
    await menu_is(alice, ["start", "help"])

    async with world.app.session_factory() as session:
        old = await session.scalar(select(User).where(User.full_name == FORGOTTEN_NAME))
        assert old is not None and old.username is None
        assert await session.scalar(select(Account).where(Account.user_id == old.id)) is None
        assert not old.is_active and old.forgotten_at is not None
        submission = await session.scalar(select(Submission))
        assert submission is not None and submission.user_id == old.id  # history kept
        roles = list(await session.scalars(select(Membership).where(Membership.user_id == old.id)))
        assert roles and all(m.revoked_at is not None for m in roles)

    await alice.send("/my")
    assert "Все открытые" not in (await alice.expect_reply()).text  # no access any more
    await alice.join(await world.invite(Role.CURATOR, school))
    await alice.expect_reply("куратор")  # a new account: joins clean
    await alice.send("/mydata")
    again = json.loads(await world.file_of(await alice.expect_reply()))
    assert again["reports"] == [] and again["profile"]["accounts"][0]["id"] == alice.id


@ON_BOTH
async def test_after_forget_the_same_multi_use_link_does_not_let_the_person_in(
    world: World,
) -> None:
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    code = await world.invite(Role.CURATOR, school, uses=10)
    alice = await world.participant("Алиса", "Кураторова")
    await alice.join(code)
    await alice.expect_reply("куратор")
    await alice.send("/forget")
    await alice.press("Да, удалить", await alice.expect_reply("Удалить ваши данные?"))
    assert "данные удалены" in (await alice.expect_edit()).text

    world.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    await alice.join(code)  # a minute later (in MAX, a start is known by its moment)
    assert "новое приглашение" in (await alice.expect_reply()).text
    await menu_is(alice, ["start", "help"])
    bob = await world.participant("Борис")  # the link still works for everyone else
    await bob.join(code)
    await bob.expect_reply("куратор")
    async with world.app.session_factory() as session:
        keys = list(await session.scalars(select(ForgottenAccount.key)))
    # Only a keyed pseudonym is kept: not the account's id, not its plain hash.
    assert len(keys) == 1
    assert str(alice.id) not in "".join(keys)


@pytest.mark.parametrize("messenger", [MAX])
async def test_mydata_and_forget_cover_both_accounts_of_a_person(world: World) -> None:
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    code = await world.invite(Role.CURATOR, school, uses=10)
    alice = await world.person("Алиса", "Кураторова")  # Telegram
    await alice.join(code)
    await alice.expect_reply("куратор")
    alice_max = await world.linked_in_max(alice)
    # From MAX, her data names both accounts; she forgets herself there.
    await alice_max.send("/mydata")
    data = json.loads(await world.file_of(await alice_max.expect_reply()))
    assert {(a["messenger"], a["id"]) for a in data["profile"]["accounts"]} == {
        (TELEGRAM, alice.id),
        (MAX, alice_max.id),
    }
    await alice_max.send("/forget")
    await alice_max.press("Да, удалить", await alice_max.expect_reply("Удалить ваши данные?"))
    assert "данные удалены" in (await alice_max.expect_edit()).text
    async with world.app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Account)) == 0
        assert await session.scalar(select(func.count()).select_from(ForgottenAccount)) == 2
    # Both accounts are released, and neither gets back in by her old link.
    for person in (alice, alice_max):
        await person.send("/my")
        assert "Все открытые" not in (await person.expect_reply()).text
        await person.join(code)
        assert "новое приглашение" in (await person.expect_reply()).text


async def test_no_log_level_prints_personal_data(world: World, caplog) -> None:
    # The main story at DEBUG: joining, a report with a comment and a file, /mydata.
    caplog.set_level(logging.DEBUG)
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    alice = await world.client.add_user("Алиса", "Кураторова", username="alisa_kur")
    await alice.send(f"/start {await world.invite(Role.CURATOR, school)}")
    await alice.expect_reply("куратор")
    await _open_done_flow(world, alice)
    await alice.upload(("приказ_кураторовой.pdf", b"%PDF-1.4 secret"))
    await alice.expect_reply("Файлов: 1")
    await alice.send("Приказ подписан Кураторовой")
    await alice.press("✅ Отправить", await alice.expect_reply())
    await alice.expect_reply("Отправлено на проверку")
    await alice.send("/mydata")
    await alice.expect_reply()

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # the level did let debug lines through
    for personal in ("Кураторова", "alisa_kur", "Приказ подписан", "приказ_кураторовой"):
        assert personal not in logged, personal


async def test_forget_leaves_no_trace_of_the_person_in_any_table(world: World) -> None:
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    olga = await world.person("Ольга")
    await olga.send(f"/start {await world.invite(Role.COORDINATOR)}")
    await olga.expect_reply("координатор")
    alice = await world.client.add_user("Алиса", "Кураторова", username="alisa_kur")
    await alice.send(f"/start {await world.invite(Role.CURATOR, school)}")
    await alice.expect_reply("куратор")
    await alice.send("/help")
    await alice.expect_reply()
    notice = select(func.count()).where(OutboxMessage.kind == "blocked_notice")
    async with world.app.session_factory() as session, session.begin():
        user_id = await user_id_of(session, alice.id)
        # She blocked the bot: a notice naming her is queued for Olga.
        assert await mark_blocked(session, world.clock, user_id) == 1
    async with world.app.session_factory() as session, session.begin():
        assert await session.scalar(notice) == 1
        await forget(session, world.clock, user_id)

    found = []
    async with world.app.session_factory() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                for value in row:
                    text = json.dumps(value, ensure_ascii=False, default=str)
                    for mark in ("Кураторова", "alisa_kur", str(alice.id)):
                        if mark in text:
                            found.append((table.name, mark, text[:120]))
    assert not found


@ON_BOTH
async def test_coordinators_hear_who_joined_by_invitation_and_who_left_with_forget(
    world: World,
) -> None:
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    other = await world.add_school("МАОУ «СОШ № 3»")
    olga = await world.participant("Ольга", "Координаторова")
    await olga.join(await world.invite(Role.COORDINATOR))
    await olga.expect_reply("координатор")
    admin = await world.participant("Пётр", "Админов")
    await admin.join(await world.invite(Role.ADMIN))
    await admin.expect_reply("администратор")
    async with world.app.session_factory() as session, session.begin():
        admin_id = await person_id(session, admin)
        made = await create_invitation(
            session, world.clock, role=Role.CURATOR, school_id=school, created_by_id=admin_id
        )

    alice = await world.participant("Алиса", "Кураторова")
    await alice.join(made.code)
    await alice.expect_reply("куратор")
    boris = await world.participant("Борис", "Второй")
    await boris.join(await world.invite(Role.CURATOR, other))
    await boris.expect_reply("куратор")
    # A quarter hour's joinings come as one message at its end, not one per person.
    await olga.expect_silence()
    await _quarter_hour_later(world)
    told = (await olga.expect_reply("По приглашениям присоединились (2)")).text
    assert "• Алиса Кураторова — куратор, МАОУ «СОШ № 21 г. Челябинска»" in told
    assert "• Борис Второй — куратор, МАОУ «СОШ № 3»" in told
    # The admin who made Alice's link hears of her alone: by her name and gender.
    told = (await admin.expect_reply("по приглашению")).text
    assert "Алиса Кураторова присоединилась по приглашению: куратор" in told

    await alice.send("/forget")
    await alice.press("Да, удалить", await alice.expect_reply("Удалить ваши данные?"))
    assert "данные удалены" in (await alice.expect_edit()).text
    left = (await olga.expect_reply("удалил свои данные")).text  # at once, not at the hour
    assert "СОШ № 21" in left and "не осталось кураторов" in left
    assert "Алиса" not in left  # she asked to be forgotten: not named
    await admin.expect_silence()  # no school of the admin's

    # Someone who joins and is forgotten before the quarter hour ends is never named.
    carol = await world.participant("Светлана", "Недолгая")
    await carol.join(await world.invite(Role.CURATOR, other))
    await carol.expect_reply("куратор")
    await carol.send("/forget")
    await carol.press("Да, удалить", await carol.expect_reply("Удалить ваши данные?"))
    await carol.expect_edit()
    assert "СОШ № 3" in (await olga.expect_reply("удалил свои данные")).text
    await _quarter_hour_later(world)
    await olga.expect_silence()
    async with world.app.session_factory() as session:
        rows = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "member_joined")
            )
        )
    # Olga's list of two, the admin's one, Olga's of Светлана (dropped unsent).
    assert sorted(row.status.value for row in rows) == ["cancelled", "sent", "sent", "sent"]


async def _quarter_hour_later(world: World) -> None:
    """Move the clock to the end of the quarter hour and send what is due (no planning)."""
    world.clock.set(window_end(world.clock.now()))  # type: ignore[attr-defined]
    await world.app.reminders.deliver()
    await world.app.settled()
