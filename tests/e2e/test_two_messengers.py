"""Kurator in MAX beside Telegram, from one core: a person joins in MAX and works there, a
Telegram user links their MAX account by a one-time code and chooses where reminders go; each
notice reaches them once, in the chosen messenger."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.accounts import user_id_of
from core.clock import ManualClock
from core.roles import Role
from db.models import Account, ChatLink, User
from emulator import EmulatorClient, EmulatorServer
from emulator.max import MaxEmulatorClient, MaxFakeUser
from messengers import MAX, TELEGRAM
from tests.e2e.test_curator_flows import _open_card, _setup
from tests.e2e.test_dashboard import WEBAPP, Page, exchange
from tests.harness import BOT_USERNAME, World, max_world
from tests.max_harness import MAX_BOT_USERNAME

# Three days before the plan's item 2 (due 10.11.2020): its reminders come in the next days.
START = datetime(2020, 11, 6, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@dataclass
class Both:
    """One Kurator process serving Telegram's emulator and MAX's."""

    world: World
    max: MaxEmulatorClient

    async def max_person(self, first_name: str, last_name: str | None = None) -> MaxFakeUser:
        return await self.max.add_user(first_name, last_name)


@pytest.fixture
async def both(
    server: EmulatorServer, client: EmulatorClient, settings, clock
) -> AsyncIterator[Both]:
    extra = {"webapp_url": WEBAPP, "webhook_port": 0}
    async with max_world(server, client, settings, clock, **extra) as world:
        assert world.max is not None
        yield Both(world, world.max)


async def test_a_curator_joins_in_max_and_marks_an_item_done_there(both: Both) -> None:
    world = both.world
    _, olga, school = await _setup(world)
    anna = await both.max_person("Анна", "Кураторова")
    await anna.start(await world.invite(Role.CURATOR, school))
    greeting = await anna.expect_reply("куратор")
    assert "Анна" in greeting.text
    async with world.app.session_factory() as session:
        anna_id = await user_id_of(session, MAX, anna.id)
        assert anna_id is not None
        person = await session.get(User, anna_id)
        assert person is not None and person.messenger == MAX  # reminders go where she joined
    # The same conversation as in Telegram: the list, the card, done with a file.
    await anna.send("/my")
    listing = await anna.expect_reply("Все открытые: 23")
    await anna.press("2", listing)
    card = await anna.expect_reply("Издание приказа")
    await anna.press("✅ Выполнено", card)
    await anna.expect_reply("Отмечаем выполнение")
    await anna.upload(("приказ.pdf", b"%PDF-1.4 prikaz " * 100))
    await anna.expect_reply("Файлов: 1")
    await anna.press("✅ Отправить")
    await anna.expect_reply("Отправлено на проверку")
    # The coordinator, in Telegram, is asked to review what came from MAX.
    request = await olga.expect_reply("На проверку")
    assert "Анна" in request.text
    # The file came through MAX: Telegram gets its bytes, under its name.
    sent = await olga.expect_reply()
    document = sent.raw["document"]
    assert document["file_name"] == "приказ.pdf"
    stored = world.server.emulator.files[document["file_id"]]
    assert stored.data == b"%PDF-1.4 prikaz " * 100


async def test_a_telegram_user_links_max_and_notices_follow_the_choice(both: Both) -> None:
    world = both.world
    alice, olga, _ = await _setup(world)
    await olga.send("/connect")
    told = await olga.expect_reply("/connect ")
    assert f"https://max.ru/{MAX_BOT_USERNAME}?start=link-" in told.text
    code = told.text.split("/connect ")[1].split()[0]
    olga_max = await both.max_person("Ольга")
    await olga_max.start(f"link-{code}")
    linked = await olga_max.expect_reply("учётные записи связаны")
    assert "Telegram, MAX" in linked.text and "приходят в Telegram" in linked.text
    assert linked.buttons == ["✅ Напоминания в Telegram", "🔔 Напоминания в MAX"]
    async with world.app.session_factory() as session:
        accounts = list(await session.scalars(select(Account).order_by(Account.id)))
        olga_id = await user_id_of(session, TELEGRAM, olga.id)
    assert {(a.messenger, a.external_id) for a in accounts if a.user_id == olga_id} == {
        (TELEGRAM, olga.id),
        (MAX, olga_max.id),
    }
    # The code is used up: a second try (or anyone else) gets a clear refusal.
    stranger = await both.max_person("Чужой")
    await stranger.start(f"link-{code}")
    await stranger.expect_reply("уже использован")
    # In MAX she is the same coordinator.
    await olga_max.send("/me")
    assert "координатор" in (await olga_max.expect_reply()).text.lower()
    # She chooses MAX: the review request for Алиса's report arrives there, not in Telegram.
    await olga_max.press("🔔 Напоминания в MAX", linked)
    marked = await olga_max.expect_edit()
    assert marked.buttons == ["🔔 Напоминания в Telegram", "✅ Напоминания в MAX"]
    card = await _open_card(alice, 2)
    await alice.press("✅ Выполнено", card)
    await alice.expect_reply("Отмечаем выполнение")
    await alice.send("Приказ подписан")
    await alice.expect_reply("комментарий есть")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    request = await olga_max.expect_reply("На проверку")
    assert "Алиса" in request.text
    await olga.expect_silence()
    # She reviews in MAX: Алиса (Telegram) hears back in Telegram.
    await olga_max.press("✅ Принять", request)
    await alice.expect_reply("✅ Принято")


async def test_a_link_code_is_refused_when_wrong_or_for_someone_with_roles(both: Both) -> None:
    world = both.world
    _, olga, school = await _setup(world)
    bogus = await both.max_person("Кто-то")
    await bogus.start()
    await bogus.expect_reply("ссылку-приглашение")
    await bogus.send("/connect не-тот-код")
    await bogus.expect_reply("не найден")
    # A MAX account that already is a curator of its own is never taken over by a code.
    anna = await both.max_person("Анна")
    await anna.start(await world.invite(Role.CURATOR, school))
    await anna.expect_reply("куратор")
    await olga.send("/connect")
    code = (await olga.expect_reply("/connect ")).text.split("/connect ")[1].split()[0]
    await anna.send(f"/connect {code}")
    await anna.expect_reply("другому участнику")
    # Without roles there is nothing to link from.
    nobody = await world.person("Никто")
    await nobody.send("/connect")
    await nobody.expect_reply("только участник")


async def test_the_dashboard_opens_in_max_with_max_launch_data_checked(both: Both) -> None:
    world = both.world
    await _setup(world)
    boss = await both.max_person("Ирина")
    await boss.start(await world.invite(Role.COORDINATOR))
    await boss.expect_reply("координатор")
    await boss.send("/dashboard")
    opener = await boss.expect_reply()
    (button,) = [b for row in opener.keyboard for b in row if b["type"] == "open_app"]
    assert button["web_app"] == MAX_BOT_USERNAME
    launch = await boss.launch_data()
    status, answer = await exchange(world, launch["init_data"])
    assert status == 200, answer
    plans = await Page(world, f"Bearer {answer['token']}").call("api/plans")
    assert plans[0] == 200 and plans[1]["plans"]
    # Forged or stale launch data is refused as strictly as Telegram's.
    forged = launch["init_data"].replace("hash=", "hash=0")
    assert (await exchange(world, forged))[0] == 401
    world.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    assert (await exchange(world, launch["init_data"]))[0] == 401


async def test_status_chart_and_reports_arrive_as_files_in_max(both: Both) -> None:
    world = both.world
    await _setup(world)
    irina = await both.max_person("Ирина")
    await irina.start(await world.invite(Role.COORDINATOR))
    await irina.expect_reply("координатор")
    await irina.send("/status")
    summary = await irina.expect_reply("Всего")
    await irina.press(summary.buttons[0], summary)  # the chart
    chart = await irina.expect_reply()
    assert [a["type"] for a in chart.attachments] == ["image"]
    await irina.send("/report")
    offer = await irina.expect_reply("в каком виде")
    word = next(b for b in offer.buttons if "Word" in b)
    await irina.press(word, offer)
    report = await irina.expect_reply()
    (file,) = report.attachments
    assert file["type"] == "file" and file["filename"].endswith(".docx")


async def test_reminders_reach_each_curator_in_their_own_messenger(both: Both) -> None:
    world = both.world
    alice, _, school = await _setup(world)  # Алиса: Telegram
    anna = await both.max_person("Анна")
    await anna.start(await world.invite(Role.CURATOR, school))
    await anna.expect_reply("куратор")
    seen_max = len(await both.max.log(await anna.dialog()))
    seen_telegram = len(await world.client.log(alice.id))
    for _ in range(3 * 24):  # three days, hour by hour: each curator's 09:00 comes
        world.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
        await world.app.reminders.tick()
    in_max = [e for e in (await both.max.log(await anna.dialog()))[seen_max:] if e["kind"] == "new"]
    in_telegram = [
        e for e in (await world.client.log(alice.id))[seen_telegram:] if e["kind"] == "new"
    ]
    assert in_max and in_telegram
    # The same reminders, each in its own messenger, once.
    texts_max = sorted(e["message"]["body"]["text"] for e in in_max)
    texts_telegram = sorted(e["message"]["text"] for e in in_telegram)
    assert len(texts_max) == len(texts_telegram)


async def test_an_invitation_made_in_max_opens_kurator_in_either_messenger(both: Both) -> None:
    world = both.world
    await _setup(world)
    admin = await both.max_person("Анна")
    await admin.start(await world.invite(Role.ADMIN))
    await admin.expect_reply("администратор")
    await admin.send("/invite")
    roles = await admin.expect_reply("Кого пригласить?")
    await admin.press("куратор", roles)
    schools = await admin.expect_edit()
    number = next(line.split(".")[0] for line in schools.text.splitlines() if "СОШ № 21" in line)
    await admin.press(number, schools)
    created = await admin.expect_edit()
    in_max = re.search(rf"https://max\.ru/{MAX_BOT_USERNAME}\?start=(\S+)", created.text)
    in_telegram = re.search(rf"https://t\.me/{BOT_USERNAME}\?start=(\S+)", created.text)
    assert in_max and in_telegram and in_max.group(1) == in_telegram.group(1)
    qr = await admin.expect_reply()
    assert [a["type"] for a in qr.attachments] == ["image"]
    vera = await world.person("Вера")  # Telegram
    await vera.send(f"/start {in_telegram.group(1)}")
    await vera.expect_reply("куратор")


async def test_a_max_group_is_linked_told_its_status_and_unlinked_apart_from_telegram(
    both: Both,
) -> None:
    world = both.world
    _, olga, _ = await _setup(world)  # Ольга: a coordinator in Telegram
    irina = await both.max_person("Ирина")
    await irina.start(await world.invite(Role.COORDINATOR))
    await irina.expect_reply("координатор")
    stranger = await both.max_person("Пётр")
    await stranger.start()
    group = await both.max.add_group("Методисты", [irina, stranger], owner=irina)
    await irina.expect_reply("Координатор, отправьте /link", chat_id=group)
    await stranger.expect_reply("Координатор, отправьте /link", chat_id=group)
    await stranger.send("/link", chat_id=group)
    await stranger.expect_reply("только координаторы", chat_id=group)
    await irina.expect_reply("только координаторы", chat_id=group)  # a group sees it all
    await irina.send("/link", chat_id=group)
    choose = await irina.expect_reply(chat_id=group)
    await irina.press(choose.buttons[0], choose, chat_id=group)
    linked = await irina.expect_edit(chat_id=group)
    assert "Группа привязана" in linked.text
    await irina.send("/status", chat_id=group)
    await irina.expect_reply("Сводка", chat_id=group)
    # A Telegram group of the same coordinators is another chat: the link is MAX's alone.
    telegram_group = await world.client.add_group("Совпадение", [olga], added_by=olga)
    await olga.expect_reply("Координатор, отправьте /link", chat_id=telegram_group)
    async with world.app.session_factory() as session:
        links = list(await session.scalars(select(ChatLink)))
    assert [(link.messenger, link.chat_id) for link in links] == [(MAX, group)]

    # The weekly status reaches the MAX group on Monday morning, through MAX.
    world.clock.set(datetime(2020, 11, 9, 4, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await world.app.reminders.tick(force_plan=True)
    await irina.expect_reply("Сводка", chat_id=group)

    # Removed from the MAX group: its links go.
    me = await world.app.bots[MAX].me()
    await both.max.remove_member(group, me.id, admin=irina)
    for _ in range(50):
        async with world.app.session_factory() as session:
            left = await session.scalar(select(func.count()).select_from(ChatLink))
        if left == 0:
            break
        await irina.expect_silence(chat_id=group, wait=0.1)
    assert left == 0
