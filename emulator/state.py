"""In-memory world of the emulator: bots, people, chats, messages, files and pending updates."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import itertools
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import too_many
from emulator.ratelimit import FloodControl, RateLimits


@dataclass
class EmuUser:
    """A Telegram account that a test or the sandbox speaks for."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "ru"
    is_bot: bool = False

    def as_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class EmuChat:
    """A private chat (id = user id) or a group."""

    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    user: EmuUser | None = None  # the other side of a private chat
    members: set[int] = field(default_factory=set)
    next_message_id: int = 1
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)  # what the bot did here, in order

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def as_api(self) -> dict[str, Any]:
        if self.user is not None:
            data: dict[str, Any] = {
                "id": self.id,
                "type": "private",
                "first_name": self.user.first_name,
            }
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
            return data
        return {"id": self.id, "type": self.type, "title": self.title or ""}


@dataclass
class StoredFile:
    """Bytes behind a file_id."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    kind: str = "document"  # photo, video, audio, voice, video_note: a file_id keeps its kind


# Faults that strike before the method runs: nothing is delivered.
BEFORE_FAULTS = frozenset({"429", "500", "502", "timeout", "disconnect"})
# Faults that strike after the method ran: the message is delivered, the answer never arrives
# (held past the client's timeout, or the connection dropped), as when Telegram accepted a
# message and the network lost its answer.
AFTER_FAULTS = frozenset({"accepted_timeout", "accepted_disconnect"})


@dataclass
class FaultPlan:
    """Injected failures: a share of bot requests answered with 429, 5xx, a hang or a drop."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "500", "timeout")
    methods: frozenset[str] | None = None  # None: every send/edit method
    retry_after: int = 1
    hang_seconds: float = 30.0
    seed: int | None = None
    # For a while: faults stop once the emulator's clock reaches `until` (None: never), or
    # after `left` more faults (None: no count); then every request is answered normally.
    until: float | None = None
    left: int | None = None

    def over(self, now: float) -> bool:
        return (self.until is not None and now >= self.until) or self.left == 0


@dataclass
class BotAccount:
    """One bot token's state: identity, update queue, commands, flood buckets."""

    token: str
    user: EmuUser
    flood: FloodControl
    updates: list[dict[str, Any]] = field(default_factory=list)
    # The update types the bot asked for (getUpdates/setWebhook allowed_updates); None:
    # Telegram's default, every type but chat_member and the reactions.
    allowed_updates: frozenset[str] | None = None
    # Telegram's ids do not start at 1 (and restart at random after a quiet week); neither
    # do ours, so a bot that remembers handled ids across emulator runs is exercised honestly.
    next_update_id: int = field(default_factory=lambda: random.randint(1, 2**31 - 2**24))
    confirmed_offset: int = 0
    poller: asyncio.Future[None] | None = None
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    menu_buttons: dict[int | None, dict[str, Any]] = field(default_factory=dict)  # None: default
    webhook_url: str = ""
    webhook_secret: str | None = None
    webhook_max_connections: int = 40
    blocked_by: set[int] = field(default_factory=set)
    started_by: set[int] = field(default_factory=set)
    callback_queries: dict[str, dict[str, Any]] = field(default_factory=dict)
    flood_until: dict[int | None, float] = field(default_factory=dict)


@dataclass
class Stats:
    """Counters the tests and benchmarks read."""

    requests: dict[str, int] = field(default_factory=dict)
    sent_messages: int = 0
    rate_limited: int = 0
    early_retries: int = 0  # requests that came back before retry_after elapsed
    faults: int = 0


_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def _wanted(bot: BotAccount, update: dict[str, Any]) -> bool:
    kind = next((k for k in update if k != "update_id"), "")
    if bot.allowed_updates is None:
        return kind not in _NOT_BY_DEFAULT
    return kind in bot.allowed_updates


class Emulator:
    """The whole emulated Telegram; one instance per server."""

    def __init__(
        self,
        limits: RateLimits | None = None,
        *,
        now: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits or RateLimits()
        # Telegram refuses answerCallbackQuery about 15 s after the press ("query is too old").
        self.callback_answer_window = 15.0
        self.now = now
        self.monotonic = monotonic
        self.bots: dict[str, BotAccount] = {}
        self.users: dict[int, EmuUser] = {}
        self.chats: dict[int, EmuChat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.faults = FaultPlan()
        # Seconds every Bot API answer takes on its way back (a real network's round trip;
        # 0 on loopback): shows what a sender that waits for each answer in turn would lose.
        self.latency = 0.0
        self.fault_rng = random.Random()
        self.stats = Stats()
        self.changed = asyncio.Condition()
        from emulator.webhook import WebhookDelivery  # the loop posts to bots' servers

        self.webhooks = WebhookDelivery(self)
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._media_group_ids = itertools.count(1)

    # --- world building -------------------------------------------------------------------
    def add_bot(
        self, token: str, username: str = "kurator_test_bot", first_name: str = "Куратор"
    ) -> BotAccount:
        bot_id = int(token.split(":", 1)[0])
        account = BotAccount(
            token=token,
            user=EmuUser(
                id=bot_id, first_name=first_name, username=username, is_bot=True, language_code=None
            ),
            flood=FloodControl(self.limits, self.monotonic),
        )
        self.bots[token] = account
        return account

    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        user_id: int | None = None,
        language_code: str | None = "ru",
    ) -> EmuUser:
        user = EmuUser(
            id=user_id if user_id is not None else next(self._user_ids),
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self.users[user.id] = user
        self.chats[user.id] = EmuChat(id=user.id, type="private", user=user)
        return user

    def add_group(self, title: str, member_ids: list[int], *, supergroup: bool = False) -> EmuChat:
        base = -1_000_000_000_000 if supergroup else -1_000_000
        chat = EmuChat(
            id=base - next(self._group_ids),
            type="supergroup" if supergroup else "group",
            title=title,
            members=set(member_ids),
        )
        self.chats[chat.id] = chat
        return chat

    # --- messages -------------------------------------------------------------------------
    def store_message(
        self, chat: EmuChat, sender: EmuUser, content: dict[str, Any]
    ) -> dict[str, Any]:
        """Append a message to a chat and return its API object."""
        message: dict[str, Any] = {
            "message_id": chat.next_message_id,
            "from": sender.as_api(),
            "chat": chat.as_api(),
            "date": int(self.now()),
        }
        message.update(content)
        chat.next_message_id += 1
        chat.messages[message["message_id"]] = message
        return message

    def admit(self, bot: BotAccount, chat: EmuChat, count: int = 1) -> None:
        """Count `count` outgoing messages against flood limits or raise 429.

        A request that arrives while a previous 429's retry_after is still running is
        counted as an early retry: a well-behaved client never makes one.
        """
        now = self.monotonic()
        if now < max(bot.flood_until.get(chat.id, 0.0), bot.flood_until.get(None, 0.0)):
            self.stats.early_retries += 1
        retry_after = bot.flood.check(chat.id, chat.is_group, count)
        if retry_after:
            self.stats.rate_limited += 1
            bot.flood_until[chat.id] = now + retry_after
            raise too_many(retry_after)
        self.stats.sent_messages += count

    def log_event(self, chat: EmuChat, kind: str, message: dict[str, Any]) -> None:
        """Record a bot action in a chat (new, edit, delete) for the people reading it."""
        chat.log.append({"seq": len(chat.log) + 1, "kind": kind, "message": copy.deepcopy(message)})

    async def notify(self) -> None:
        """Wake everyone waiting for a change (new update, new bot message, edit)."""
        async with self.changed:
            self.changed.notify_all()

    def enqueue_update(self, bot: BotAccount, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": bot.next_update_id, kind: payload}
        bot.next_update_id += 1
        bot.updates.append(update)
        return update

    def pending_updates(
        self, bot: BotAccount, offset: int | None, limit: int
    ) -> list[dict[str, Any]]:
        """Updates from `offset` on; confirming an offset forgets earlier ones, as Telegram does."""
        if offset is not None and offset > 0:
            bot.confirmed_offset = max(bot.confirmed_offset, offset)
            bot.updates = [u for u in bot.updates if u["update_id"] >= bot.confirmed_offset]
        # Types the bot did not ask for are never delivered (Telegram does not keep them).
        bot.updates = [u for u in bot.updates if _wanted(bot, u)]
        return bot.updates[:limit]

    # --- files ----------------------------------------------------------------------------
    def store_file(
        self,
        data: bytes,
        *,
        file_name: str | None,
        mime_type: str | None,
        folder: str,
        kind: str = "document",
    ) -> StoredFile:
        unique = hashlib.sha256(data).hexdigest()[:16]
        file_id = "BQAC" + secrets.token_urlsafe(24)
        extension = ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=file_id,
            file_unique_id="AgAD" + unique,
            data=data,
            file_path=f"{folder}/file_{len(self.files)}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            kind=kind,
        )
        self.files[file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def new_callback_id(self) -> str:
        return str(next(self._callback_ids) * 7919 + 1_000_000_000)

    def new_media_group_id(self) -> str:
        return str(13_000_000_000 + next(self._media_group_ids))
