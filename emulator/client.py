"""HTTP client of the control API, and a fake person who chats with the bot through it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp


class ControlError(RuntimeError):
    """The control API refused a request."""


@dataclass
class BotMessage:
    """What a person sees of one bot message."""

    message_id: int
    chat_id: int
    text: str
    raw: dict[str, Any]

    @property
    def buttons(self) -> list[str]:
        rows = self.raw.get("reply_markup", {}).get("inline_keyboard", [])
        return [b["text"] for row in rows for b in row]

    def data_of(self, button: str) -> str:
        """The callback data of the button with this text."""
        rows = self.raw.get("reply_markup", {}).get("inline_keyboard", [])
        return next(str(b["callback_data"]) for row in rows for b in row if b["text"] == button)

    @property
    def file_names(self) -> list[str]:
        """The names of the files this message carries (a document's)."""
        document = self.raw.get("document")
        return [document.get("file_name") or ""] if document else []

    @property
    def entities(self) -> list[dict[str, Any]]:
        return list(self.raw.get("entities") or self.raw.get("caption_entities") or [])

    @classmethod
    def of(cls, raw: dict[str, Any]) -> BotMessage:
        return cls(
            raw["message_id"], raw["chat"]["id"], raw.get("text") or raw.get("caption") or "", raw
        )


class EmulatorClient:
    """Talks to /_emulator/... of a running emulator."""

    def __init__(self, base_url: str, *, bot_token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.bot_token = bot_token
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90))
        return self._http

    async def _call(self, verb: str, path: str, **kwargs: Any) -> Any:
        async with self.http.request(
            verb, f"{self.base_url}/_emulator/{path}", **kwargs
        ) as response:
            body = await response.json()
        if not body.get("ok"):
            raise ControlError(body.get("error", body))
        return body["result"]

    async def post(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        body = dict(payload or {})
        if self.bot_token:
            body.setdefault("bot_token", self.bot_token)
        return await self._call("POST", path, json=body)

    async def get(self, path: str, **query: Any) -> Any:
        if self.bot_token:
            query.setdefault("bot_token", self.bot_token)
        return await self._call("GET", path, params={k: str(v) for k, v in query.items()})

    async def add_bot(self, token: str, username: str) -> dict[str, Any]:
        return dict(await self._call("POST", "bots", json={"token": token, "username": username}))

    async def add_user(
        self, first_name: str, last_name: str | None = None, username: str | None = None
    ) -> FakeUser:
        data = await self.post(
            "users", {"first_name": first_name, "last_name": last_name, "username": username}
        )
        return FakeUser(self, data)

    async def add_group(
        self, title: str, members: list[FakeUser], added_by: FakeUser | None = None
    ) -> int:
        data = await self.post(
            "groups",
            {
                "title": title,
                "member_ids": [m.id for m in members],
                "added_by": added_by.id if added_by else None,
            },
        )
        return int(data["id"])

    async def remove_bot(
        self, chat_id: int, by: FakeUser | None = None, *, silent: bool = False
    ) -> None:
        """Remove the bot from a group (the bot gets my_chat_member unless `silent`)."""
        await self.post(
            f"groups/{chat_id}/remove_bot", {"by": by.id if by else None, "silent": silent}
        )

    async def set_faults(self, rate: float, kinds: list[str] | None = None, **extra: Any) -> None:
        await self.post(
            "faults", {"rate": rate, "kinds": kinds or ["429", "500", "timeout"], **extra}
        )

    async def set_limits(self, **limits: Any) -> None:
        await self.post("limits", limits)

    async def stats(self) -> dict[str, Any]:
        return dict(await self.get("stats"))

    async def menu(self, chat_id: int) -> list[str]:
        result = await self.get("commands", chat_id=chat_id)
        return [c["command"] for c in result["commands"]]

    async def menu_button(self, chat_id: int) -> dict[str, Any]:
        """The menu button this private chat shows (setChatMenuButton)."""
        return dict(await self.get(f"chats/{chat_id}/menu_button"))

    async def web_app_data(
        self, user_id: int, auth_date: int | None = None, theme: dict[str, str] | None = None
    ) -> dict[str, str]:
        """Signed Mini App initData for the person: `init_data` and the URL `fragment`."""
        body: dict[str, Any] = {"theme_params": theme or {}}
        if auth_date is not None:
            body["auth_date"] = auth_date
        return dict(await self.post(f"users/{user_id}/web_app_data", body))

    async def log(self, chat_id: int, after: int = 0, wait: float = 0) -> list[dict[str, Any]]:
        return list(await self.get(f"chats/{chat_id}/log", after=after, wait=wait))


@dataclass
class FakeUser:
    """A person in Telegram, driven by a test: send, press, upload, and expect replies."""

    client: EmulatorClient
    profile: dict[str, Any]
    cursors: dict[tuple[int, str], int] = field(default_factory=dict)  # (chat, kind) -> last seq
    timeout: float = 10.0
    messenger = "telegram"

    @property
    def id(self) -> int:
        return int(self.profile["id"])

    async def join(self, payload: str) -> dict[str, Any]:
        """Open the bot's deep link https://t.me/<bot>?start=<payload>."""
        return await self.send(f"/start {payload}")

    async def send(
        self, text: str, *, chat_id: int | None = None, reply_to: int | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": text}
        if chat_id is not None:
            payload["chat_id"] = chat_id
        if reply_to is not None:
            payload["reply_to_message_id"] = reply_to
        return dict(await self.client.post(f"users/{self.id}/send", payload))

    async def upload(
        self,
        *files: Path | tuple[str, bytes],
        kind: str = "document",
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> list[dict[str, Any]]:
        form = aiohttp.FormData()
        form.add_field("kind", kind)
        if caption:
            form.add_field("caption", caption)
        if chat_id is not None:
            form.add_field("chat_id", str(chat_id))
        if self.client.bot_token:
            form.add_field("bot_token", self.client.bot_token)
        for item in files:
            name, data = (item.name, item.read_bytes()) if isinstance(item, Path) else item
            form.add_field("file", data, filename=name)
        return list(await self.client._call("POST", f"users/{self.id}/upload", data=form))

    async def expect_reply(
        self, contains: str | None = None, *, chat_id: int | None = None
    ) -> BotMessage:
        """The next new bot message in the chat; fails if none arrives in time."""
        event = await self._next_of("new", chat_id)
        if event is None:
            raise AssertionError("no new bot message arrived")
        message = BotMessage.of(event["message"])
        if contains is not None:
            assert contains in message.text, f"{contains!r} not in {message.text!r}"
        return message

    async def expect_edit(self, *, chat_id: int | None = None) -> BotMessage:
        """The next edit of a bot message in the chat."""
        event = await self._next_of("edit", chat_id)
        if event is None:
            raise AssertionError("no bot message was edited")
        return BotMessage.of(event["message"])

    async def _next_of(self, kind: str, chat_id: int | None) -> dict[str, Any] | None:
        """Next event of `kind`; new messages and edits are followed by separate cursors."""
        chat = chat_id if chat_id is not None else self.id
        key = (chat, kind)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while True:
            remaining = deadline - loop.time()
            events = await self.client.log(
                chat, after=self.cursors.get(key, 0), wait=max(remaining, 0)
            )
            for event in events:
                self.cursors[key] = event["seq"]
                if event["kind"] == kind:
                    return event
            if not events or loop.time() >= deadline:
                return None

    async def catch_up(self) -> None:
        """Take every bot message so far in the private chat as seen (`expect_reply` skips them)."""
        events = await self.client.log(self.id)
        if events:
            self.cursors[(self.id, "new")] = events[-1]["seq"]

    async def expect_silence(self, *, chat_id: int | None = None, wait: float = 0.3) -> None:
        """No new bot message in the chat within `wait` seconds."""
        chat = chat_id if chat_id is not None else self.id
        events = await self.client.log(chat, after=self.cursors.get((chat, "new"), 0), wait=wait)
        fresh = [e for e in events if e["kind"] == "new"]
        assert not fresh, f"unexpected bot messages: {fresh}"

    async def press(
        self, button: str, message: BotMessage | None = None, *, chat_id: int | None = None
    ) -> dict[str, Any] | None:
        """Press a button by text under `message` (default: latest with buttons); get the answer."""
        chat = chat_id if chat_id is not None else self.id
        if message is None:
            events = await self.client.log(chat)
            with_buttons = [
                e["message"]
                for e in events
                if e["kind"] != "delete" and e["message"].get("reply_markup")
            ]
            if not with_buttons:
                raise AssertionError("no message with buttons in the chat")
            message = BotMessage.of(with_buttons[-1])
        payload: dict[str, Any] = {"message_id": message.message_id, "text": button}
        if chat_id is not None:
            payload["chat_id"] = chat_id
        result = await self.client.post(f"users/{self.id}/press", payload)
        answer = await self.client.get(
            f"callbacks/{result['callback_query_id']}", wait=self.timeout
        )
        return dict(answer) if answer else None

    async def press_data(self, message: BotMessage, callback_data: str) -> dict[str, Any] | None:
        """Press with arbitrary (possibly forged) callback data."""
        result = await self.client.post(
            f"users/{self.id}/press",
            {"message_id": message.message_id, "callback_data": callback_data},
        )
        answer = await self.client.get(
            f"callbacks/{result['callback_query_id']}", wait=self.timeout
        )
        return dict(answer) if answer else None

    async def block(self, *, silent: bool = False) -> None:
        await self.client.post(f"users/{self.id}/block", {"silent": silent})

    async def unblock(self) -> None:
        await self.client.post(f"users/{self.id}/unblock")

    async def menu(self) -> list[str]:
        return await self.client.menu(self.id)
