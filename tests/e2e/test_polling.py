"""Long polling confirms an update only once handled: a press in flight when the process dies
is delivered again to the next process and answered there, exactly once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot.app import Application
from bot.settings import Settings
from core.clock import Clock
from emulator import EmulatorClient, EmulatorServer
from tests.e2e import test_curator_flows as curator
from tests.harness import World

# The curator world's fixtures: a clock on its plan's dates, settings with an evidence folder.
clock = curator.clock
settings = curator.settings


class HangOnPress(BaseMiddleware):
    """The process stops in the middle of a button press (as if killed there)."""

    def __init__(self) -> None:
        self.pressed = asyncio.Event()

    async def __call__(self, handler: Any, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update) and event.callback_query is not None:
            self.pressed.set()
            await asyncio.Future()  # never returns: only the kill ends it
        return await handler(event, data)


@contextlib.asynccontextmanager
async def _process(
    settings: Settings, clock: Clock, *outermost: BaseMiddleware
) -> AsyncIterator[tuple[Application, asyncio.Task[None]]]:
    app = Application(settings, clock, outermost=outermost)
    task = asyncio.create_task(app.run_polling(handle_signals=False))
    await asyncio.wait_for(app.started.wait(), 30)
    try:
        yield app, task
    finally:
        if not task.done():
            await app.stop()
            await asyncio.wait_for(task, 30)


async def test_a_press_in_flight_when_the_process_dies_is_answered_by_the_next(
    server: EmulatorServer, client: EmulatorClient, settings: Settings, clock: Clock
) -> None:
    hang = HangOnPress()
    async with _process(settings, clock, hang) as (app, task):
        world = World(server=server, client=client, app=app, settings=settings, clock=clock)
        alice, _, _ = await curator._setup(world)
        await alice.send("/my")
        listing = await alice.expect_reply("стр. 1/5")
        press = asyncio.create_task(alice.press("▶️", listing))
        await asyncio.wait_for(hang.pressed.wait(), 30)
        task.cancel()  # killed mid-update: nothing of it was committed or answered
        with contextlib.suppress(asyncio.CancelledError):
            await task
    async with _process(settings, clock):
        answer = await press
        assert answer is not None  # the new process answered the press the old one lost
        assert "стр. 2/5" in (await alice.expect_edit()).text
        await alice.expect_silence()  # and handled it once
