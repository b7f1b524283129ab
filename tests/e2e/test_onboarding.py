"""Onboarding end to end: CLI invitations redeemed by /start through the emulator."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from bot.cli_admin import EVERYTHING
from core import admin
from core.roles import Role
from core.users import load_memberships
from db.models import Invitation, InvitationRedemption
from messengers import MAX
from tests.harness import BOT_USERNAME, World
from tests.max_harness import MAX_BOT_USERNAME
from tests.people import ON_BOTH, menu_is, user_id_of

SCHOOL = "МАОУ «СОШ № 21 г. Челябинска»"


async def _invite(world: World, *args: str) -> tuple[str, int]:
    """The code of a CLI invitation (its link in each messenger the bot is named in), its id."""
    result = await world.cli("invite", *args)
    bots = rf"t\.me/{BOT_USERNAME}|max\.ru/{MAX_BOT_USERNAME}"
    link = rf"https://({bots})\?start=([A-Za-z0-9_-]{{43}})"
    links = [re.fullmatch(link, line) for line in result.stdout.split()]
    assert all(links), result.stdout
    hosts = [m.group(1).split("/")[0] for m in links if m]
    assert hosts == (["t.me", "max.ru"] if world.messenger == MAX else ["t.me"])
    (code,) = {m.group(2) for m in links if m}  # the same code opens Kurator in both
    found = re.search(r"приглашение (\d+):", result.stderr)
    assert found, result.stderr
    invitation_id = int(found.group(1))
    return code, invitation_id


async def _add_school(world: World) -> None:
    await world.cli(
        "school", "add", SCHOOL, "--short", "СОШ № 21", "--timezone", "Asia/Yekaterinburg"
    )


@ON_BOTH
async def test_cli_invitation_is_redeemed_and_greets_with_school_and_role(world: World) -> None:
    await _add_school(world)
    code, _ = await _invite(world, "--school", "СОШ № 21", "--role", "curator")
    alice = await world.participant("Алиса", "Петрова")

    await alice.join(code)
    greeting = await alice.expect_reply()

    assert "Алиса" in greeting.text
    assert "куратор" in greeting.text
    assert SCHOOL in greeting.text
    await menu_is(
        alice,
        [
            "my",
            "status",
            "report",
            "calendar",
            "settings",
            "away",
            "help",
            "me",
            "connect",
        ],
    )
    await alice.send("/me")
    assert SCHOOL in (await alice.expect_reply("куратор")).text


@ON_BOTH
async def test_single_use_code_cannot_be_reused_by_another_person(world: World) -> None:
    code = await world.invite(Role.CURATOR, await world.add_school(SCHOOL))
    alice, bob = await world.participant("Алиса"), await world.participant("Борис")

    await alice.join(code)
    await alice.expect_reply("куратор")
    await bob.join(code)
    refusal = await bob.expect_reply()
    # The first person opening the link again (a minute on) is not refused: it is theirs.
    world.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    await alice.join(code)
    again = await alice.expect_reply()

    assert "уже использовано" in refusal.text
    assert "уже подключены" in again.text
    await menu_is(bob, ["start", "help"])


async def test_multi_use_code_admits_up_to_its_limit(world: World) -> None:
    code = await world.invite(Role.OBSERVER, await world.add_school(SCHOOL), uses=2)
    people = [await world.person(name) for name in ("Вера", "Галина", "Дина")]

    replies = []
    for person in people:
        await person.send(f"/start {code}")
        replies.append((await person.expect_reply()).text)

    assert "наблюдатель" in replies[0] and "наблюдатель" in replies[1]
    assert "уже использовано" in replies[2]


@ON_BOTH
async def test_expired_code_is_refused(world: World) -> None:
    code = await world.invite(Role.CURATOR, await world.add_school(SCHOOL), ttl=timedelta(hours=1))
    world.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    alice = await world.participant("Алиса")

    await alice.join(code)

    assert "истёк" in (await alice.expect_reply()).text


async def test_revoked_code_is_refused(world: World) -> None:
    await _add_school(world)
    code, invitation_id = await _invite(world, "--school", SCHOOL)
    await world.cli("invite", "--revoke", str(invitation_id))
    alice = await world.person("Алиса")

    await alice.join(code)

    assert "отозвано" in (await alice.expect_reply()).text


async def test_unknown_code_and_plain_start_explain_how_to_join(world: World) -> None:
    alice = await world.person("Алиса")

    await alice.send("/start " + "x" * 43)
    unknown = await alice.expect_reply()
    await alice.send("/start")
    plain = await alice.expect_reply()

    assert "не найдена" in unknown.text
    assert "ссылку-приглашение" in plain.text
    assert await alice.menu() == ["start", "help"]


async def test_menu_and_commands_depend_on_role(world: World) -> None:
    curator_code = await world.invite(Role.CURATOR, await world.add_school(SCHOOL))
    coordinator_code = await world.invite(Role.COORDINATOR)
    curator, coordinator = await world.person("Алиса"), await world.person("Ольга")

    await curator.send(f"/start {curator_code}")
    await curator.expect_reply("куратор")
    await coordinator.send(f"/start {coordinator_code}")
    await coordinator.expect_reply("координатор")

    assert await coordinator.menu() == [
        "status",
        "review",
        "overdue",
        "report",
        "evidence",
        "upcoming",
        "seminars",
        "plans",
        "people",
        "invite",
        "invites",
        "schools",
        "settings",
        "away",
        "calendar",
        "help",
        "me",
        "connect",
    ]
    assert await curator.menu() == [
        "my",
        "status",
        "report",
        "calendar",
        "settings",
        "away",
        "help",
        "me",
        "connect",
    ]
    await coordinator.send("/schools")
    assert SCHOOL in (await coordinator.expect_reply("Школы")).text
    await curator.send("/schools")
    assert "недоступна" in (await curator.expect_reply()).text
    await curator.send("/help")
    help_text = (await curator.expect_reply()).text
    assert "/me" in help_text and "/schools" not in help_text


async def _user_id(world: World, telegram_id: int) -> int:
    async with world.app.session_factory() as session:
        return await user_id_of(session, telegram_id)


async def test_an_old_link_never_gives_back_a_removed_role(world: World) -> None:
    # Single-use, multi-use, and a multi-use link that has since been revoked or expired: once
    # an admin removed the role, opening the same link again must not grant it back.
    school = await world.add_school(SCHOOL)
    codes = [
        await world.invite(Role.CURATOR, school),
        await world.invite(Role.CURATOR, school, uses=5),
        await world.invite(Role.CURATOR, school, uses=5, ttl=timedelta(days=2)),
    ]
    alice = await world.person("Алиса")
    for code in codes:
        await alice.send(f"/start {code}")
        await alice.expect_reply("куратор")
    user_id = await _user_id(world, alice.id)
    async with world.app.session_factory() as session, session.begin():
        assert await admin.change_role(session, world.clock, EVERYTHING, None, user_id, None)
    world.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]  # the third expired

    for code in codes:
        await alice.send(f"/start {code}")
        assert "новое приглашение" in (await alice.expect_reply()).text
    async with world.app.session_factory() as session:
        roles = await load_memberships(session, user_id)
        redemptions = await session.scalar(select(func.count()).select_from(InvitationRedemption))
    assert roles == () and redemptions == 3
    await alice.send("/my")
    assert "Все открытые" not in (await alice.expect_reply()).text


async def test_a_switched_off_person_opening_a_link_is_told_plainly(world: World) -> None:
    school = await world.add_school(SCHOOL)
    alice = await world.person("Алиса")
    await alice.send(f"/start {await world.invite(Role.CURATOR, school)}")
    await alice.expect_reply("куратор")
    async with world.app.session_factory() as session, session.begin():
        user_id = await user_id_of(session, alice.id)
        await admin.set_active(session, world.clock, EVERYTHING, None, user_id, False)

    fresh = await world.invite(Role.OBSERVER, school, uses=3)
    await alice.send(f"/start {fresh}")
    assert "Доступ к боту для вас отключён" in (await alice.expect_reply()).text
    async with world.app.session_factory() as session:
        uses = await session.scalar(select(Invitation.uses).where(Invitation.max_uses == 3))
        roles = await load_memberships(session, user_id)
    assert uses == 0  # a refused person uses nothing up
    assert [m.role for m in roles] == [Role.CURATOR]  # no observer role was added


@ON_BOTH
async def test_a_regions_schools_are_listed_a_page_at_a_time(world: World) -> None:
    long_tail = " имени выдающегося земляка, Героя Советского Союза, с углублённым изучением" * 3
    for number in range(1, 61):
        await world.add_school(f"МАОУ «СОШ № {number:03d}»{long_tail}")
    olga = await world.participant("Ольга")
    await olga.join(await world.invite(Role.COORDINATOR))
    await olga.expect_reply("координатор")
    await olga.send("/schools")
    first = await olga.expect_reply("Школы (60, стр. 1/3)")
    assert len(first.text) < 4096 and first.text.count("•") == 25
    assert "СОШ № 001" in first.text and "СОШ № 026" not in first.text
    assert first.buttons == ["▶️"]
    await olga.press("▶️", first)
    second = await olga.expect_edit()
    assert "стр. 2/3" in second.text and "СОШ № 026" in second.text
    assert second.buttons == ["◀️", "▶️"]
    await olga.press("▶️", second)
    last = await olga.expect_edit()
    assert last.text.count("•") == 10 and last.buttons == ["◀️"]
