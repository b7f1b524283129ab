"""Each messenger's emulator in the sandbox: its server, the settings the bot serves it by, its
people, and how many updates it has made (the sandbox waits until the bot has taken them)."""

from __future__ import annotations

from typing import Any, Protocol

from core.clock import Clock
from emulator import Emulator, EmulatorClient, EmulatorServer
from emulator.max import MaxEmulator, MaxEmulatorClient, MaxEmulatorServer
from messengers import MAX, TELEGRAM
from sandbox.chats import Chat, MaxChat, TelegramChat

TOKEN = "700000001:SANDBOX-kurator-local-token_000000000"
MAX_TOKEN = "sandbox-max-kurator-local-token-0123456789"
USERNAME = "kurator_sandbox_bot"


class Line(Protocol):
    """One messenger's emulator, started and stopped with the sandbox."""

    messenger: str

    async def start(self) -> dict[str, Any]:
        """Serve on a free local port; the settings that point the bot at it."""

    async def stop(self) -> None: ...

    def updates(self) -> int:
        """Updates made for the bot since the line was built."""

    async def person(self, first_name: str, last_name: str) -> Chat:
        """A new person in this messenger."""


class TelegramLine:
    """The Telegram Bot API emulator."""

    messenger = TELEGRAM

    def __init__(self, clock: Clock) -> None:
        self.emulator = Emulator(now=lambda: clock.now().timestamp())
        self.account = self.emulator.add_bot(TOKEN, USERNAME)
        self._first = self.account.next_update_id
        self.server = EmulatorServer(self.emulator)
        self.client: EmulatorClient | None = None

    async def start(self) -> dict[str, Any]:
        await self.server.start()
        self.client = EmulatorClient(self.server.url, bot_token=TOKEN)
        return {"bot_token": TOKEN, "bot_username": USERNAME, "telegram_api_url": self.server.url}

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
        await self.server.stop()

    def updates(self) -> int:
        return self.account.next_update_id - self._first

    async def person(self, first_name: str, last_name: str) -> Chat:
        assert self.client is not None, "start() first"
        return TelegramChat(await self.client.add_user(first_name, last_name), self.emulator)


class MaxLine:
    """The MAX Bot API emulator."""

    messenger = MAX

    def __init__(self, clock: Clock) -> None:
        self.emulator = MaxEmulator(clock=clock)
        self.account = self.emulator.add_bot(MAX_TOKEN, USERNAME)
        self._first = self.account.next_number
        self.server = MaxEmulatorServer(self.emulator)
        self.client: MaxEmulatorClient | None = None

    async def start(self) -> dict[str, Any]:
        await self.server.start()
        self.client = MaxEmulatorClient(self.server.url, bot_token=MAX_TOKEN)
        url = self.server.url
        return {"max_token": MAX_TOKEN, "max_bot_username": USERNAME, "max_api_url": url}

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
        await self.server.stop()

    def updates(self) -> int:
        return self.account.next_number - self._first

    async def person(self, first_name: str, last_name: str) -> Chat:
        assert self.client is not None, "start() first"
        return MaxChat(await self.client.add_user(first_name, last_name), self.emulator)


LINES: dict[str, type[TelegramLine] | type[MaxLine]] = {TELEGRAM: TelegramLine, MAX: MaxLine}
