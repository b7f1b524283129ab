"""A recording fake session: the production dispatcher runs, requests are recorded, not sent."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message, MessageEntity, PhotoSize, Update, User

from tests.moment import test_moment


class RecordingSession(BaseSession):
    """Answers every method with a plausible result and keeps what was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(1)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> TelegramType:
        self.requests.append(method)
        if isinstance(method, SendMessage):
            chat = Chat(id=int(method.chat_id), type="private")
            bot_user = User(id=bot.id, is_bot=True, first_name="Куратор")
            return Message(
                message_id=next(self._ids),
                date=test_moment(),
                chat=chat,
                from_user=bot_user,
                text=method.text,
            )  # type: ignore[return-value]
        return True  # type: ignore[return-value]

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109  (the interface aiogram defines)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    def sent_texts(self) -> list[str]:
        return [m.text for m in self.requests if isinstance(m, SendMessage)]


def private_update(
    person: User, update_id: int, text: str | None = None, *, photo: bool = False
) -> Update:
    """A message from `person` in their private chat: text (a leading command marked as one as
    Telegram does) or a photo."""
    entities = (
        [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        if text and text.startswith("/")
        else None
    )
    sizes = [PhotoSize(file_id="p1", file_unique_id="u1", width=90, height=90)] if photo else None
    message = Message(
        message_id=update_id,
        date=test_moment(),
        chat=Chat(id=person.id, type="private"),
        from_user=person,
        text=text,
        entities=entities,
        photo=sizes,
    )
    return Update(update_id=update_id, message=message)
