"""MaxSession: aiogram's Bot speaking the MAX Bot API, so every conversation, notice and
report runs unchanged in MAX. Each Bot API method Kurator calls becomes the nearest MAX request
and its answer a Telegram-shaped result; what MAX lacks (command menus, the menu button) is a
quiet success, listed in docs/max.md."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol, cast

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    GetUpdates,
    SendAudio,
    SendChatAction,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendVideo,
    SendVideoNote,
    SendVoice,
    SetChatMenuButton,
    SetMyCommands,
    SetWebhook,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    BufferedInputFile,
    Chat,
    File,
    FSInputFile,
    InputFile,
    Message,
    Update,
    User,
)

from messengers import MAX, MAX_UPDATE_BASE
from messengers.max.client import MaxClient, MaxError, MaxRateLimited
from messengers.max.markup import MAX_TEXT, keyboard, text_format
from messengers.max.updates import MEMBERSHIP, file_parts, key_of, message_refs, to_update

UPDATES = 0  # the id namespace of updates themselves (no chat has id 0)
UPDATE_BASE = MAX_UPDATE_BASE  # MAX's update ids start far above Telegram's


class MessageIds(Protocol):
    """Integer ids for MAX's string message ids, kept across restarts."""

    async def number(self, chat_id: int, mid: str, *, fresh: bool = False) -> int:
        """Our integer for `mid`; `fresh`: MAX has just made it, no number can exist yet."""
        ...

    async def numbers(self, keys: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
        """Integers for several (chat, MAX id) pairs at once (a poll's updates)."""
        ...

    async def mid(self, chat_id: int, number: int) -> str | None: ...

    async def marker(self, after: int) -> int | None: ...

    async def keep_marker(self, after: int, marker: int) -> None: ...


class MemoryIds:
    """Message ids and polling markers in memory (tests, the sandbox); production keeps them
    in the database."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[int, str], int] = {}
        self._mids: dict[tuple[int, int], str] = {}
        self._markers: dict[int, int] = {}

    async def marker(self, after: int) -> int | None:
        """MAX's marker that confirms every update up to our update id `after`."""
        return self._markers.get(after)

    async def keep_marker(self, after: int, marker: int) -> None:
        self._markers[after] = marker

    async def number(self, chat_id: int, mid: str, *, fresh: bool = False) -> int:
        key = (chat_id, mid)
        if key not in self._numbers:
            self._numbers[key] = len(self._numbers) + 1
            self._mids[(chat_id, self._numbers[key])] = mid
        return self._numbers[key]

    async def numbers(self, keys: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
        return {key: await self.number(*key) for key in keys}

    async def mid(self, chat_id: int, number: int) -> str | None:
        return self._mids.get((chat_id, number))


_FILES = {
    SendDocument: ("file", "document"),
    SendPhoto: ("image", "photo"),
    SendVideo: ("video", "video"),
    SendVideoNote: ("video", "video_note"),
    SendAudio: ("audio", "audio"),
    SendVoice: ("audio", "voice"),
}
_QUIET = (SetMyCommands, SetChatMenuButton)  # nothing to do in MAX
# The update kinds `to_update` turns into conversations: a subscription asks for these only.
TAKEN_UPDATES = ["message_created", "message_callback", "bot_started", "bot_added", "bot_removed"]
MAX_ATTACHMENTS = 12  # an album: one message of up to twelve attachments
_ALONE = {"file", "audio"}  # attachments MAX sends only on their own (no keyboard beside)


class MaxSession(BaseSession):
    """A session for aiogram's Bot whose requests go to MAX (`messenger` tells surfaces)."""

    messenger = MAX

    def __init__(self, client: MaxClient, ids: MessageIds, app: str | None = None) -> None:
        super().__init__()
        self.client, self.ids, self.app = client, ids, app
        self._me: dict[str, Any] | None = None
        handlers: dict[type[Any], Callable[[Any], Awaitable[Any]]] = {
            GetMe: self._get_me,
            SendMessage: self._send_message,
            EditMessageText: self._edit_text,
            EditMessageReplyMarkup: self._edit_markup,
            AnswerCallbackQuery: self._answer,
            DeleteMessage: self._delete,
            SendChatAction: self._action,
            SendMediaGroup: self._send_album,
            GetUpdates: self._get_updates,
            GetFile: self._get_file,
            SetWebhook: self._subscribe,
            DeleteWebhook: self._unsubscribe,
        }
        # A file's "path" is MAX's URL itself: aiogram then downloads from it as it is.
        self.api = TelegramAPIServer(base="https://max.invalid/bot{token}/{method}", file="{path}")
        self._handlers = handlers

    async def close(self) -> None:
        await self.client.close()

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> TelegramType:
        """The MAX request for one Bot API method; its result as aiogram expects it."""
        try:
            if isinstance(method, _QUIET):
                return True  # type: ignore[return-value]
            if type(method) in _FILES:
                return cast(TelegramType, await self._send_file(method))
            # A subclass (the poller's raw getUpdates) is served as its Bot API method.
            handler = next(
                (self._handlers[c] for c in type(method).__mro__ if c in self._handlers), None
            )
            if handler is None:
                raise TelegramBadRequest(method, f"{type(method).__name__} is not in MAX")
            result: TelegramType = await handler(method)
            return result
        except MaxRateLimited as error:
            raise TelegramRetryAfter(
                method, error.message, int(error.retry_after + 0.999)
            ) from None
        except MaxError as error:
            raise _telegram_error(method, error) from None
        except OSError as error:
            raise TelegramNetworkError(method, str(error)) from None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """A file's bytes: MAX gives files by URL (a file id of ours carries it)."""
        data = await self.client.download(url)
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    async def _get_updates(self, method: GetUpdates) -> list[Any]:
        """Long polling over MAX's `GET /updates`, answered as Telegram's getUpdates so the
        inbox-keeping poller (bot/polling.py) serves both messengers. Each MAX update gets a
        stable increasing id; the offset Telegram-style polling sends (last id + 1) becomes the
        MAX marker kept for it, so confirming works the same way."""
        last = (method.offset or 1) - 1
        wait = method.timeout or 0
        answer = await self.client.call(
            "GET",
            "/updates",
            {"marker": await self.ids.marker(last), "timeout": wait, "limit": method.limit or 100},
            wait=wait + 15,
        )
        found: list[Any] = []
        top = last
        raws = answer.get("updates") or []
        # Every number this poll needs in one go (one query on SQLite, not two per update).
        known = await self.ids.numbers(_refs(raws))
        me = await self._own_for(raws)
        for raw in raws:
            number, update = _convert(raw, known, me)
            top = max(top, number)
            if update is not None:
                found.append(update)
        if answer.get("marker") is not None:
            # The next call's offset will be top + 1 (or stay: nothing a conversation takes).
            await self.ids.keep_marker(top if found else last, int(answer["marker"]))
        if isinstance(method, GetUpdates) and type(method) is not GetUpdates:
            return [u.model_dump(mode="json", exclude_none=True) for u in found]
        return found

    async def update_of(self, raw: dict[str, Any]) -> Update | None:
        """One MAX update (as a webhook posts it) as an aiogram Update with its stable id; None
        for kinds no conversation takes. A repeated post gets the same id (and is skipped)."""
        return (await self._numbered(raw))[1]

    async def _numbered(self, raw: dict[str, Any]) -> tuple[int, Update | None]:
        return _convert(raw, await self.ids.numbers(_refs([raw])), await self._own_for([raw]))

    async def _own_for(self, raws: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The bot's own MAX user when an update needs it (its membership of a group)."""
        if not any(raw.get("update_type") in MEMBERSHIP for raw in raws):
            return None
        return await self._own()

    async def _own(self) -> dict[str, Any]:
        """The bot's own MAX user (asked once)."""
        if self._me is None:
            self._me = dict(await self.client.call("GET", "/me"))
        return self._me

    async def _subscribe(self, method: SetWebhook) -> bool:
        """Telegram's setWebhook as MAX's subscription: its URL, the secret MAX echoes in
        X-Max-Bot-Api-Secret, and the update kinds the conversations take."""
        body: dict[str, Any] = {"url": method.url, "update_types": TAKEN_UPDATES}
        if method.secret_token:
            body["secret"] = method.secret_token
        await self.client.call("POST", "/subscriptions", body=body)
        return True

    async def _unsubscribe(self, method: DeleteWebhook) -> bool:
        """Before long polling: MAX serves no polling while a subscription stands."""
        answer = await self.client.call("GET", "/subscriptions")
        for found in answer.get("subscriptions") or []:
            await self.client.call("DELETE", "/subscriptions", {"url": found["url"]})
        return True

    async def _get_file(self, method: GetFile) -> File:
        _, url = file_parts(method.file_id)
        if not url:
            raise MaxError(400, "file.not.found", "this file has no address to download")
        return File(file_id=method.file_id, file_unique_id=method.file_id[:64], file_path=url)

    async def _get_me(self, method: GetMe) -> User:
        me = await self._own()
        return User(
            id=int(me["user_id"]),
            is_bot=True,
            first_name=me.get("first_name") or me.get("name") or "",
            username=me.get("username"),
        )

    async def _send_message(self, method: SendMessage) -> Message:
        body = self._body(method.text, method.parse_mode, method.reply_markup)
        return await self._sent(
            int(method.chat_id), await self.client.send(int(method.chat_id), body)
        )

    async def _edit_text(self, method: EditMessageText) -> Message | bool:
        chat_id, mid = await self._mid(method.chat_id, method.message_id)
        body = self._body(method.text, method.parse_mode, method.reply_markup, edit=True)
        await self.client.call("PUT", "/messages", {"message_id": mid}, body)
        return await self._edited(chat_id, int(method.message_id or 0), method.text)

    async def _edit_markup(self, method: EditMessageReplyMarkup) -> Message | bool:
        chat_id, mid = await self._mid(method.chat_id, method.message_id)
        found = await self.client.call("GET", f"/messages/{mid}")
        body: dict[str, Any] = {"text": (found.get("body") or {}).get("text"), "format": "html"}
        body["attachments"] = [
            a
            for a in (found.get("body") or {}).get("attachments") or []
            if a.get("type") != "inline_keyboard"
        ]
        markup = keyboard(method.reply_markup, self.app)
        if markup is not None:
            body["attachments"].append(markup)
        await self.client.call("PUT", "/messages", {"message_id": mid}, body)
        return await self._edited(chat_id, int(method.message_id or 0), body["text"])

    async def _answer(self, method: AnswerCallbackQuery) -> bool:
        body: dict[str, Any] = {}
        if method.text:
            body["notification"] = method.text
        if not body:
            return True  # MAX needs no empty answer: the press already stopped spinning
        await self.client.call("POST", "/answers", {"callback_id": method.callback_query_id}, body)
        return True

    async def _delete(self, method: DeleteMessage) -> bool:
        _, mid = await self._mid(method.chat_id, method.message_id)
        await self.client.call("DELETE", "/messages", {"message_id": mid})
        return True

    async def _action(self, method: SendChatAction) -> bool:
        action = {"upload_document": "sending_file", "upload_photo": "sending_photo"}.get(
            method.action, "typing_on"
        )
        await self.client.call("POST", f"/chats/{method.chat_id}/actions", body={"action": action})
        return True

    async def _send_file(self, method: Any) -> Message:
        kind, field = _FILES[type(method)]  # type: ignore[index]
        attachment = await self._attachment(kind, getattr(method, field))
        caption = getattr(method, "caption", None)
        body = self._body(caption, getattr(method, "parse_mode", None), method.reply_markup)
        buttons = body.get("attachments", [])
        chat_id = int(method.chat_id)
        if attachment.get("type") in _ALONE and buttons:
            # MAX: a file is a message's only attachment; its buttons follow in the next one.
            body["attachments"] = [attachment]
            sent = await self._sent(chat_id, await self.client.send(chat_id, body))
            await self.client.send(chat_id, {"attachments": buttons})
            return sent
        body["attachments"] = [attachment, *buttons]
        return await self._sent(chat_id, await self.client.send(chat_id, body))

    async def _send_album(self, method: SendMediaGroup) -> list[Message]:
        """Telegram's album of ten: MAX's one message of up to twelve pictures; a file goes
        alone (MAX sends a file as a message's only attachment), so each is a message."""
        sent: list[Message] = []
        chat_id = int(method.chat_id)
        media = list(method.media)
        caption = next((m.caption for m in media if m.caption), None)
        pictures = all(str(m.type) == "photo" for m in media)
        size = MAX_ATTACHMENTS if pictures else 1
        for start in range(0, len(media), size):
            part = media[start : start + size]
            attachments = [
                await self._attachment("image" if pictures else "file", m.media) for m in part
            ]
            body: dict[str, Any] = {"attachments": attachments, "format": "html"}
            if start == 0:
                body["text"] = caption  # the album's caption once, on its first message
            message = await self._sent(chat_id, await self.client.send(chat_id, body))
            sent.extend([message] * len(part))
        return sent

    async def _attachment(self, kind: str, source: str | InputFile) -> dict[str, Any]:
        if isinstance(source, str):  # a file id of ours: MAX's token (or URL) again
            token, url = file_parts(source)
            return {"type": kind, "payload": {"token": token} if token else {"url": url}}
        data, name = await _read(source)
        return {"type": kind, "payload": await self.client.upload(kind, data, name)}

    def _body(
        self, text: str | None, parse_mode: Any, markup: Any, *, edit: bool = False
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"text": (text or "")[:MAX_TEXT] or None}
        fmt = text_format(parse_mode if isinstance(parse_mode, str) else "HTML")
        if fmt:
            body["format"] = fmt
        attachment = keyboard(markup, self.app)
        if attachment is not None:
            body["attachments"] = [attachment]
        elif edit:
            body["attachments"] = []  # an edit without a keyboard removes the old one
        return body

    async def _post(self, chat: Any, body: dict[str, Any]) -> Message:
        chat_id = int(chat)
        return await self._sent(chat_id, await self.client.send(chat_id, body))

    async def _sent(self, chat_id: int, raw: dict[str, Any]) -> Message:
        body = raw.get("body") or {}
        number = await self.ids.number(chat_id, str(body.get("mid")), fresh=True)
        return Message(
            message_id=number,
            date=datetime.fromtimestamp(int(raw.get("timestamp") or 0) / 1000, tz=UTC),
            chat=Chat(id=chat_id, type="private"),
            text=body.get("text"),
        )

    async def _edited(self, chat_id: int, number: int, text: str | None) -> Message:
        return Message(
            message_id=number, date=datetime.now(tz=UTC), chat=Chat(id=chat_id, type="private"),
            text=text,
        )  # fmt: skip

    async def _mid(self, chat_id: Any, number: Any) -> tuple[int, str]:
        chat = int(chat_id or 0)
        mid = await self.ids.mid(chat, int(number or 0))
        if mid is None:
            raise MaxError(404, "message.not.found", f"no message {number} in chat {chat}")
        return chat, mid


def _refs(raws: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Every number `raws` need: each update's own first, in order (update ids increase),
    then the messages they name."""
    own = [(UPDATES, key_of(raw)) for raw in raws]
    return own + [ref for raw in raws for ref in message_refs(raw)]


def _convert(
    raw: dict[str, Any], known: dict[tuple[int, str], int], me: dict[str, Any] | None
) -> tuple[int, Update | None]:
    """A MAX update as an aiogram Update with its stable id, its numbers already made."""
    number = UPDATE_BASE + known[(UPDATES, key_of(raw))]
    return number, to_update(raw, number, partial(_lookup, known), me)


def _lookup(known: dict[tuple[int, str], int], chat_id: int, mid: str) -> int:
    return known[(chat_id, mid)]


async def _read(source: InputFile) -> tuple[bytes, str]:
    if isinstance(source, BufferedInputFile):
        return source.data, source.filename or "file"
    if isinstance(source, FSInputFile):
        data = await asyncio.to_thread(Path(source.path).read_bytes)
        return data, source.filename or Path(source.path).name
    chunks = [chunk async for chunk in source.read(None)]  # type: ignore[arg-type]
    return b"".join(chunks), source.filename or "file"


def _telegram_error(method: TelegramMethod[Any], error: MaxError) -> Exception:
    """MAX's errors as the aiogram ones the sender and the handlers already understand."""
    text = f"{error.code}: {error.message}"
    if error.status == 403:
        return TelegramForbiddenError(method, text)
    if error.status == 404:
        return TelegramNotFound(method, text)
    if error.status >= 500:
        return TelegramServerError(method, text)
    return TelegramBadRequest(method, text)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
