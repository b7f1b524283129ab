"""HTTP client of the MAX emulator's control API, and a fake person who chats through it.

MaxFakeUser mirrors emulator.client.FakeUser (send, upload, press, expect_reply, expect_edit,
expect_silence), so stories can be written once for both messengers; `start(payload)` is
MAX's deep link, `send_document` and `send_photo` one file each.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

JSON = dict[str, Any]
_KINDS = {"document": "file", "file": "file", "photo": "image", "image": "image"}


class MaxControlError(RuntimeError):
    """The control API refused a request."""


@dataclass
class MaxBotMessage:
    """What a person sees of one bot message."""

    message_id: str  # the mid
    chat_id: int
    text: str
    raw: JSON

    @property
    def attachments(self) -> list[JSON]:
        return list(self.raw["body"].get("attachments") or [])

    @property
    def buttons(self) -> list[str]:
        return [b["text"] for row in self.keyboard for b in row]

    def data_of(self, button: str) -> str:
        """The callback payload of the button with this text."""
        return next(str(b["payload"]) for row in self.keyboard for b in row if b["text"] == button)

    @property
    def file_names(self) -> list[str]:
        """The names of the files this message carries."""
        return [a.get("filename") or "" for a in self.attachments if a["type"] == "file"]

    @property
    def keyboard(self) -> list[list[JSON]]:
        for attachment in self.attachments:
            if attachment["type"] == "inline_keyboard":
                return list(attachment["payload"]["buttons"])
        return []

    @property
    def markup(self) -> list[JSON]:
        return list(self.raw["body"].get("markup") or [])

    @classmethod
    def of(cls, raw: JSON) -> MaxBotMessage:
        body = raw["body"]
        return cls(body["mid"], raw["recipient"]["chat_id"], body.get("text") or "", raw)


class MaxEmulatorClient:
    """Talks to /_emulator/... of a running MAX emulator."""

    def __init__(self, base_url: str, *, bot_token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.bot_token = bot_token
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> MaxEmulatorClient:
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

    async def call(self, verb: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.base_url}/_emulator/{path}"
        async with self.http.request(verb, url, **kwargs) as response:
            body = await response.json()
        if not body.get("ok"):
            raise MaxControlError(body.get("error", body))
        return body["result"]

    async def post(self, path: str, payload: JSON | None = None) -> Any:
        body = dict(payload or {})
        if self.bot_token:
            body.setdefault("bot_token", self.bot_token)
        return await self.call("POST", path, json=body)

    async def get(self, path: str, **query: Any) -> Any:
        if self.bot_token:
            query.setdefault("bot_token", self.bot_token)
        return await self.call("GET", path, params={k: str(v) for k, v in query.items()})

    # --- world ------------------------------------------------------------------------------
    async def add_bot(self, token: str, username: str) -> JSON:
        return dict(await self.call("POST", "bots", json={"token": token, "username": username}))

    async def add_user(
        self, first_name: str, last_name: str | None = None, username: str | None = None
    ) -> MaxFakeUser:
        data = await self.post(
            "users", {"first_name": first_name, "last_name": last_name, "username": username}
        )
        return MaxFakeUser(self, data)

    async def add_group(
        self,
        title: str,
        members: list[MaxFakeUser],
        owner: MaxFakeUser | None = None,
        *,
        bot_admin: bool = True,
    ) -> int:
        """A group chat with the bot in it (bot_added); returns its chat id."""
        data = await self.post(
            "groups",
            {
                "title": title,
                "member_ids": [m.id for m in members],
                "owner_id": owner.id if owner else None,
                "bot_admin": bot_admin,
            },
        )
        return int(data["chat_id"])

    async def add_member(
        self, chat_id: int, user: MaxFakeUser, inviter: MaxFakeUser | None = None
    ) -> None:
        payload = {"user_id": user.id, "inviter_id": inviter.id if inviter else None}
        await self.post(f"groups/{chat_id}/members", payload)

    async def remove_member(
        self, chat_id: int, user_id: int, admin: MaxFakeUser | None = None
    ) -> None:
        """A person (or the bot, by its user id) leaves or is removed from a group."""
        payload = {"admin_id": admin.id if admin else None}
        await self.post(f"groups/{chat_id}/members/{user_id}/remove", payload)

    async def rename_group(self, chat_id: int, title: str, by: MaxFakeUser) -> None:
        await self.post(f"groups/{chat_id}/title", {"title": title, "user_id": by.id})

    # --- reading -----------------------------------------------------------------------------
    async def log(self, chat_id: int, after: int = 0, wait: float = 0) -> list[JSON]:
        return list(await self.get(f"chats/{chat_id}/log", after=after, wait=wait))

    async def actions(self, chat_id: int) -> list[str]:
        return list(await self.get(f"chats/{chat_id}/actions"))

    async def requests(self, route: str | None = None, after: int = 0) -> list[JSON]:
        """Every Bot API request the bot made (verb, path, query, body, status, response)."""
        query: JSON = {"after": after}
        if route is not None:
            query["route"] = route
        return list(await self.get("requests", **query))

    async def answers(self, callback_id: str, wait: float = 0, grace: float = 0) -> list[JSON]:
        """A press's answers, waiting up to `wait` for one or for the bot to act in the chat,
        then up to `grace` more for an answer."""
        return list(await self.get(f"callbacks/{callback_id}", wait=wait, grace=grace))

    async def subscription(self, *, gone_within: float | None = None) -> JSON | None:
        """The bot's webhook subscription; `gone_within` waits up to that long for its end."""
        query: JSON = {} if gone_within is None else {"gone": 1, "wait": gone_within}
        found = await self.get("subscription", **query)
        return dict(found) if found else None

    async def stats(self) -> JSON:
        return dict(await self.get("stats"))

    # --- policies ----------------------------------------------------------------------------
    async def set_limits(self, **limits: Any) -> None:
        """MaxRateLimits fields, or off=True."""
        await self.call("POST", "limits", json=limits)

    async def set_upload_policy(self, **policy: Any) -> None:
        """UploadPolicy fields: not_ready_attempts, not_ready_seconds."""
        await self.call("POST", "uploads", json=policy)

    async def set_webhook_policy(self, **policy: Any) -> None:
        """WebhookPolicy fields: first_retry, factor, max_retries, give_up_after, timeout."""
        await self.call("POST", "webhooks", json=policy)


@dataclass
class MaxFakeUser:
    """A person in MAX, driven by a test: start, send, press, upload, and expect replies."""

    client: MaxEmulatorClient
    profile: JSON
    cursors: dict[tuple[int, str], int] = field(default_factory=dict)  # (chat, kind) -> seq
    timeout: float = 10.0
    dialog_id: int | None = None
    # A MAX bot need not answer a press; one that acted (an edit, a message) without an
    # answer yet gets this long to still send one before `press` returns None.
    answer_grace: float = 0.3
    messenger = "max"

    @property
    def id(self) -> int:
        return int(self.profile["user_id"])

    async def join(self, payload: str) -> JSON:
        """As FakeUser.join: the deep link https://max.ru/<bot>?start=<payload>."""
        return await self.start(payload)

    async def start(self, payload: str | None = None) -> JSON:
        """Open the bot: Start, or the deep link https://max.ru/<bot>?start=<payload>."""
        result = await self.client.post(f"users/{self.id}/start", {"payload": payload})
        self.dialog_id = int(result["chat_id"])
        return dict(result)

    async def stop(self, *, silent: bool = False) -> None:
        """Stop the bot in its settings (bot_stopped unless `silent`); its messages get 403."""
        await self.client.post(f"users/{self.id}/stop", {"silent": silent})

    async def block(self, *, silent: bool = False) -> None:
        """As FakeUser.block: in MAX a person stops the bot."""
        await self.stop(silent=silent)

    async def unblock(self) -> None:
        """As FakeUser.unblock: in MAX a person starts the bot again (bot_started)."""
        await self.start()

    async def send(
        self, text: str, *, chat_id: int | None = None, reply_to: str | None = None
    ) -> JSON:
        payload: JSON = {"text": text, "chat_id": chat_id, "reply_to": reply_to}
        message = dict(await self.client.post(f"users/{self.id}/send", payload))
        self._note_dialog(message)
        return message

    async def upload(
        self,
        *files: Path | tuple[str, bytes],
        kind: str = "document",
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> list[JSON]:
        """Files as a person sends them: a message per document, one message of photos."""
        form = aiohttp.FormData()
        form.add_field("kind", _KINDS[kind])
        if caption:
            form.add_field("text", caption)
        if chat_id is not None:
            form.add_field("chat_id", str(chat_id))
        if self.client.bot_token:
            form.add_field("bot_token", self.client.bot_token)
        for item in files:
            name, data = (item.name, item.read_bytes()) if isinstance(item, Path) else item
            form.add_field("file", data, filename=name)
        messages = list(await self.client.call("POST", f"users/{self.id}/upload", data=form))
        for message in messages:
            self._note_dialog(message)
        return messages

    async def send_document(
        self, name: str, data: bytes, *, caption: str | None = None, chat_id: int | None = None
    ) -> JSON:
        sent = await self.upload((name, data), kind="document", caption=caption, chat_id=chat_id)
        return sent[0]

    async def send_photo(
        self, name: str, data: bytes, *, caption: str | None = None, chat_id: int | None = None
    ) -> JSON:
        sent = await self.upload((name, data), kind="photo", caption=caption, chat_id=chat_id)
        return sent[0]

    async def edit(self, message_id: str, text: str) -> JSON:
        return dict(
            await self.client.post(
                f"users/{self.id}/edit", {"message_id": message_id, "text": text}
            )
        )

    async def delete(self, message_id: str) -> None:
        await self.client.post(f"users/{self.id}/delete", {"message_id": message_id})

    async def launch_data(
        self, start_param: str | None = None, auth_date: int | None = None
    ) -> JSON:
        """Signed Mini App launch data: `init_data` (WebAppData) and the address `fragment`."""
        body = {"start_param": start_param, "auth_date": auth_date}
        return dict(await self.client.post(f"users/{self.id}/launch", body))

    def _note_dialog(self, message: JSON) -> None:
        recipient = message["recipient"]
        if recipient["chat_type"] == "dialog":
            self.dialog_id = int(recipient["chat_id"])

    async def dialog(self) -> int:
        """The chat id of this person's dialog with the bot (not their user id)."""
        if self.dialog_id is None:
            found = await self.client.get(f"users/{self.id}/dialog")
            if found["chat_id"] is None:
                raise AssertionError("this person has not started the bot")
            self.dialog_id = int(found["chat_id"])
        return self.dialog_id

    async def _chat(self, chat_id: int | None) -> int:
        return chat_id if chat_id is not None else await self.dialog()

    # --- expectations -----------------------------------------------------------------------
    async def expect_reply(
        self, contains: str | None = None, *, chat_id: int | None = None
    ) -> MaxBotMessage:
        """The next new bot message in the chat; fails if none arrives in time."""
        event = await self._next_of("new", await self._chat(chat_id))
        if event is None:
            raise AssertionError("no new bot message arrived")
        message = MaxBotMessage.of(event["message"])
        if contains is not None:
            assert contains in message.text, f"{contains!r} not in {message.text!r}"
        return message

    async def expect_edit(self, *, chat_id: int | None = None) -> MaxBotMessage:
        """The next edit of a bot message in the chat."""
        event = await self._next_of("edit", await self._chat(chat_id))
        if event is None:
            raise AssertionError("no bot message was edited")
        return MaxBotMessage.of(event["message"])

    async def catch_up(self) -> None:
        """Take every bot message so far in the dialog as seen (`expect_reply` skips them)."""
        chat = await self.dialog()
        events = await self.client.log(chat)
        if events:
            self.cursors[(chat, "new")] = events[-1]["seq"]

    async def expect_silence(self, *, chat_id: int | None = None, wait: float = 0.3) -> None:
        """No new bot message in the chat within `wait` seconds."""
        chat = await self._chat(chat_id)
        after = self.cursors.get((chat, "new"), 0)
        events = await self.client.log(chat, after=after, wait=wait)
        fresh = [e for e in events if e["kind"] == "new"]
        assert not fresh, f"unexpected bot messages: {fresh}"

    async def _next_of(self, kind: str, chat: int) -> JSON | None:
        """Next event of `kind`; new messages and edits are followed by separate cursors."""
        key = (chat, kind)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while True:
            remaining = max(deadline - loop.time(), 0)
            events = await self.client.log(chat, after=self.cursors.get(key, 0), wait=remaining)
            for event in events:
                self.cursors[key] = event["seq"]
                if event["kind"] == kind:
                    return event
            if not events or loop.time() >= deadline:
                return None

    # --- buttons -----------------------------------------------------------------------------
    async def _with_buttons(self, message: MaxBotMessage | None, chat_id: int | None) -> str:
        if message is not None:
            return message.message_id
        events = await self.client.log(await self._chat(chat_id))
        latest = [
            e["message"]
            for e in events
            if e["kind"] != "delete" and MaxBotMessage.of(e["message"]).keyboard
        ]
        if not latest:
            raise AssertionError("no message with buttons in the chat")
        return str(latest[-1]["body"]["mid"])

    async def press(
        self, button: str, message: MaxBotMessage | None = None, *, chat_id: int | None = None
    ) -> JSON | None:
        """Press a button by text under `message` (default: the latest with buttons).

        A callback button returns the bot's first answer (`message` and/or `notification`),
        None if the bot acted in the chat without one, or did nothing in time; other buttons
        return what pressing them did.
        """
        mid = await self._with_buttons(message, chat_id)
        result = await self.client.post(
            f"users/{self.id}/press", {"message_id": mid, "text": button}
        )
        if result["type"] != "callback":
            return dict(result)
        return await self._answer(result["callback_id"])

    async def press_data(self, message: MaxBotMessage, payload: str) -> JSON | None:
        """Press with an arbitrary (possibly forged) callback payload."""
        result = await self.client.post(
            f"users/{self.id}/press", {"message_id": message.message_id, "payload": payload}
        )
        return await self._answer(result["callback_id"])

    async def _answer(self, callback_id: str) -> JSON | None:
        answers = await self.client.answers(callback_id, wait=self.timeout, grace=self.answer_grace)
        return dict(answers[0]) if answers else None
