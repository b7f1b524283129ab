"""Dispatcher tier: the production dispatcher fed updates directly, with a recording session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram import Bot
from aiogram.types import Update, User
from sqlalchemy import func, select

from bot.app import build_dispatcher
from bot.settings import Settings
from core.clock import ManualClock
from core.invitations import create_invitation
from core.roles import Role
from core.schools import add_school
from core.updates import already_handled, mark_handled, prune_handled
from db.models import HandledUpdate, InvitationRedemption, Membership, School
from tests.dispatcher.recording import RecordingSession, private_update

ALICE = User(id=555, is_bot=False, first_name="Алиса", language_code="ru")


def _update(update_id: int, text: str) -> Update:
    return private_update(ALICE, update_id, text)


async def test_redeeming_an_invitation_through_the_dispatcher(session_factory) -> None:
    clock = ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))
    async with session_factory() as session, session.begin():
        school = await add_school(session, clock, name="МАОУ «СОШ № 21 г. Челябинска»")
        created = await create_invitation(
            session, clock, role=Role.CURATOR, school_id=school.id, ttl=timedelta(days=1)
        )
    recording = RecordingSession()
    bot = Bot("42:TEST", session=recording)
    dp = build_dispatcher(session_factory, clock, Settings(bot_token="42:TEST", _env_file=None))

    await dp.feed_update(bot, _update(1, f"/start {created.code}"))
    await dp.feed_update(bot, _update(2, f"/start {created.code}"))  # the same person again
    await dp.feed_update(bot, _update(3, "/me"))

    texts = recording.sent_texts()
    assert "куратор" in texts[0] and "СОШ № 21" in texts[0]
    assert "уже подключены" in texts[1]
    assert "куратор" in texts[2]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Membership)) == 1
        assert await session.scalar(select(func.count()).select_from(InvitationRedemption)) == 1
    menus = [m for m in recording.requests if type(m).__name__ == "SetMyCommands"]
    commands = menus[0].commands  # type: ignore[attr-defined]
    assert [c.command for c in commands] == [
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


async def test_a_failing_update_rolls_back_and_apologises(session_factory, monkeypatch) -> None:
    clock = ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))
    recording = RecordingSession()
    bot = Bot("42:TEST", session=recording)
    dp = build_dispatcher(session_factory, clock, Settings(bot_token="42:TEST", _env_file=None))

    import handlers.onboarding as onboarding

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(onboarding, "redeem_invitation", broken)
    await dp.feed_update(bot, _update(1, "/start " + "a" * 43))
    assert recording.sent_texts() == ["Что-то пошло не так. Попробуйте ещё раз чуть позже."]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Membership)) == 0


async def test_a_redelivered_update_is_applied_once(session_factory) -> None:
    # Telegram posts an update again when the process that handled it did not answer in time.
    clock = ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))
    async with session_factory() as session, session.begin():
        school = await add_school(session, clock, name="МАОУ «СОШ № 21 г. Челябинска»")
        created = await create_invitation(
            session, clock, role=Role.CURATOR, school_id=school.id, ttl=timedelta(days=1)
        )
    recording = RecordingSession()
    bot = Bot("42:TEST", session=recording)
    dp = build_dispatcher(session_factory, clock, Settings(bot_token="42:TEST", _env_file=None))

    first = _update(7001, f"/start {created.code}")
    await dp.feed_update(bot, first)
    await dp.feed_update(bot, first)

    assert len(recording.sent_texts()) == 1  # no second greeting, no "already joined"
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(InvitationRedemption)) == 1
        assert await session.scalar(select(HandledUpdate.update_id)) == 7001


async def test_a_concurrent_duplicate_keeps_the_first_commit(session_factory) -> None:
    # Two processes got the same update; the one that commits second rolls its effects back.
    now = datetime(2020, 11, 2, 6, 0, tzinfo=UTC)
    async with session_factory() as first, first.begin():
        assert not await already_handled(first, 42)
        assert await mark_handled(first, 42, now)
    async with session_factory() as second:
        await add_school(second, ManualClock(now), name="Школа, записанная дважды")
        assert not await mark_handled(second, 42, now)
        await second.rollback()
    async with session_factory() as session:
        assert await already_handled(session, 42)
        assert await session.scalar(select(func.count()).select_from(School)) == 0
        assert await prune_handled(session, now + timedelta(days=2)) == 1
        assert not await already_handled(session, 42)
