"""A person's chat with the bot, whichever messenger carries it: one set of verbs for the sandbox
over the Telegram emulator's FakeUser or the MAX emulator's MaxFakeUser (each wrapped, not copied).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from emulator import Emulator, FakeUser
from emulator.client import BotMessage, ControlError
from emulator.max import MaxBotMessage, MaxControlError, MaxEmulator, MaxFakeUser
from messengers import MAX, TELEGRAM
from sandbox.render import max_to_html

JSON = dict[str, Any]


@dataclass(frozen=True)
class Shown:
    """One bot message as the terminal shows it, whichever messenger carried it."""

    id: str
    html: str  # Telegram's HTML: MAX's plain text and markup are turned back into it
    rows: tuple[tuple[str, ...], ...]  # button texts, row by row
    sent: int  # Unix seconds
    files: tuple[tuple[str, str], ...]  # (the emulator's file key, a file name) each
    raw: JSON

    @property
    def buttons(self) -> list[str]:
        return [text for row in self.rows for text in row]


@dataclass(frozen=True)
class Event:
    """What the bot did in a person's chat: a message new, edited or deleted."""

    seq: int
    kind: str  # new | edit | delete
    message: Shown


class ButtonGone(Exception):
    """The button pressed is no longer there (an edit or a deletion took it)."""


class Chat(Protocol):
    """A person in one messenger, as the sandbox drives them."""

    messenger: str

    @property
    def account(self) -> int:
        """The person's id in this messenger."""

    async def join(self, code: str) -> None:
        """Open an invitation link (Telegram: /start CODE; MAX: the deep link's payload)."""

    async def say(self, text: str) -> None: ...

    async def send_files(self, files: Sequence[Path], kind: str) -> None:
        """Files as documents (`kind` document) or photos (photo)."""

    async def press(self, button: str, message: Shown) -> str | None:
        """Press a button by its text; the pop-up text the bot answered with, if any."""

    async def log(self, after: int = 0) -> list[Event]:
        """What the bot did in this person's chat after event `after`, in order."""

    async def launch_fragment(self) -> str:
        """The dashboard address's fragment: the signed launch data, as the messenger opens it."""

    def file_data(self, key: str) -> bytes | None:
        """A file the bot sent, by the key `Shown.files` names."""


@dataclass
class TelegramChat:
    """A person in Telegram (the Telegram emulator's FakeUser)."""

    user: FakeUser
    emulator: Emulator
    messenger: str = TELEGRAM

    @property
    def account(self) -> int:
        return self.user.id

    async def join(self, code: str) -> None:
        await self.user.send(f"/start {code}")

    async def say(self, text: str) -> None:
        await self.user.send(text)

    async def send_files(self, files: Sequence[Path], kind: str) -> None:
        await self.user.upload(*files, kind=kind)

    async def press(self, button: str, message: Shown) -> str | None:
        try:
            answer = await self.user.press(button, BotMessage.of(message.raw))
        except ControlError:
            raise ButtonGone(button) from None
        return (answer or {}).get("text") or None

    async def log(self, after: int = 0) -> list[Event]:
        events = await self.user.client.log(self.user.id, after=after)
        _keep_cursors(self.user.cursors, self.user.id, events)
        return [Event(e["seq"], e["kind"], telegram_shown(e.get("message") or {})) for e in events]

    async def launch_fragment(self) -> str:
        return (await self.user.client.web_app_data(self.user.id))["fragment"]

    def file_data(self, key: str) -> bytes | None:
        stored = self.emulator.files.get(key)
        return stored.data if stored is not None else None


@dataclass
class MaxChat:
    """A person in MAX (the MAX emulator's MaxFakeUser)."""

    user: MaxFakeUser
    emulator: MaxEmulator
    messenger: str = MAX

    @property
    def account(self) -> int:
        return self.user.id

    async def join(self, code: str) -> None:
        await self.user.start(code)

    async def say(self, text: str) -> None:
        await self.user.send(text)

    async def send_files(self, files: Sequence[Path], kind: str) -> None:
        await self.user.upload(*files, kind=kind)

    async def press(self, button: str, message: Shown) -> str | None:
        try:
            answer = await self.user.press(button, MaxBotMessage.of(message.raw))
        except MaxControlError:
            raise ButtonGone(button) from None
        return (answer or {}).get("notification") or None

    async def log(self, after: int = 0) -> list[Event]:
        dialog = await self.user.dialog()
        events = await self.user.client.log(dialog, after=after)
        _keep_cursors(self.user.cursors, dialog, events)
        return [Event(e["seq"], e["kind"], max_shown(e["message"])) for e in events]

    async def launch_fragment(self) -> str:
        return str((await self.user.launch_data())["fragment"])

    def file_data(self, key: str) -> bytes | None:
        stored = self.emulator.files.get(key)
        return stored.data if stored is not None else None


def _keep_cursors(cursors: dict[tuple[int, str], int], chat: int, events: list[JSON]) -> None:
    """Keep the fake person's own cursors in step, so its helpers see only what is new."""
    if events:
        for kind in ("new", "edit"):
            cursors[(chat, kind)] = events[-1]["seq"]


def telegram_shown(message: JSON) -> Shown:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    files: tuple[tuple[str, str], ...] = ()
    if message.get("document"):
        doc = message["document"]
        files = ((doc["file_id"], doc.get("file_name") or f"{doc['file_unique_id']}.bin"),)
    elif message.get("photo"):
        files = ((message["photo"][-1]["file_id"], f"photo_{message.get('message_id')}.png"),)
    return Shown(
        id=str(message.get("message_id")),
        html=message.get("text") or message.get("caption") or "",
        rows=tuple(tuple(b["text"] for b in row) for row in rows),
        sent=int(message.get("date") or 0),
        files=files,
        raw=message,
    )


def max_shown(message: JSON) -> Shown:
    body = message.get("body") or {}
    attachments = body.get("attachments") or []
    rows: list[list[JSON]] = next(
        (a["payload"]["buttons"] for a in attachments if a["type"] == "inline_keyboard"), []
    )
    files = []
    for number, found in enumerate(attachments, 1):
        url = (found.get("payload") or {}).get("url") or ""
        if found["type"] == "file":
            files.append((url.rsplit("/", 1)[-1], found.get("filename") or "file.bin"))
        elif found["type"] == "image":
            files.append((url.rsplit("/", 1)[-1], f"photo_{body['seq']}_{number}.png"))
    return Shown(
        id=str(body.get("mid")),
        html=max_to_html(body.get("text") or "", body.get("markup") or []),
        rows=tuple(tuple(b["text"] for b in row) for row in rows),
        sent=int(message.get("timestamp") or 0) // 1000,
        files=tuple(files),
        raw=message,
    )
