"""Dispatcher tier: words or a photo sent outside any conversation get an answer for the role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot
from aiogram.types import User

from bot import texts
from bot.app import build_dispatcher
from bot.settings import Settings
from core.clock import ManualClock
from core.invitations import create_invitation
from core.roles import Role
from core.schools import add_school
from tests.dispatcher.recording import RecordingSession, private_update


@pytest.mark.parametrize(
    ("role", "words", "absent"),
    [
        (Role.CURATOR, "/my", "/overdue"),
        (Role.COORDINATOR, "/overdue", "/my"),
        (Role.ADMIN, "/overdue", "/my"),
        (Role.OBSERVER, "/status", "/my"),
    ],
)
async def test_free_text_and_a_stray_photo_are_answered_for_the_role(
    session_factory, role: Role, words: str, absent: str
) -> None:
    clock = ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))
    async with session_factory() as session, session.begin():
        school = await add_school(session, clock, name="МАОУ «СОШ № 21 г. Челябинска»")
        created = await create_invitation(
            session,
            clock,
            role=role,
            school_id=school.id if role in (Role.CURATOR, Role.OBSERVER) else None,
            ttl=timedelta(days=1),
        )
    recording = RecordingSession()
    bot = Bot("42:TEST", session=recording)
    dp = build_dispatcher(session_factory, clock, Settings(bot_token="42:TEST", _env_file=None))
    person = User(id=777, is_bot=False, first_name="Ольга", language_code="ru")

    await dp.feed_update(bot, private_update(person, 1, f"/start {created.code}"))
    await dp.feed_update(bot, private_update(person, 2, "Здравствуйте, когда сдавать отчёт?"))
    await dp.feed_update(bot, private_update(person, 3, photo=True))

    _, answer, on_photo = recording.sent_texts()
    assert answer == texts.free_text_answer(frozenset({role}))
    assert words in answer and absent not in answer
    assert on_photo == texts.free_text_answer(frozenset({role}), file=True)
    assert absent not in on_photo and on_photo != answer
