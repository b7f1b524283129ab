"""The emulated MAX: bots, people, dialogs and group chats, messages, uploads and updates."""

from __future__ import annotations

import asyncio
import copy
import itertools
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.clock import Clock, SystemClock
from emulator.max.errors import not_ready, too_many
from emulator.max.ratelimit import MaxFlood, MaxRateLimits

JSON = dict[str, Any]
LOCALE = "ru"


@dataclass
class MaxUser:
    """A MAX account (a person, or a bot's own account)."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    is_bot: bool = False
    locale: str = LOCALE
    description: str | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def as_api(self, at_ms: int) -> JSON:
        """The schema's User (`name` is deprecated but still required)."""
        data: JSON = {
            "user_id": self.user_id,
            "first_name": self.first_name,
            "username": self.username,
            "is_bot": self.is_bot,
            "last_activity_time": at_ms,
            "name": self.name,
        }
        if self.last_name is not None:
            data["last_name"] = self.last_name
        return data


@dataclass
class Member:
    """Someone in a group chat."""

    user_id: int
    join_ms: int
    is_owner: bool = False
    is_admin: bool = False


@dataclass
class MaxChat:
    """A dialog of one person with one bot, or a group chat ("chat")."""

    chat_id: int
    type: str  # dialog | chat
    title: str | None = None
    owner_id: int | None = None
    members: dict[int, Member] = field(default_factory=dict)
    dialog_user: int | None = None
    dialog_bot: int | None = None
    gone_bots: dict[int, str] = field(default_factory=dict)  # bot id -> removed | left
    messages: dict[str, JSON] = field(default_factory=dict)  # mid -> Message, in order
    log: list[JSON] = field(default_factory=list)  # what bots did here, in order
    actions: list[str] = field(default_factory=list)  # typing_on, sending_file ...
    next_seq: int = 0
    last_event_ms: int = 0

    @property
    def is_dialog(self) -> bool:
        return self.type == "dialog"


@dataclass
class Media:
    """An uploaded file behind a token; `failures_left` attach attempts still get not-ready."""

    token: str
    kind: str  # image | video | audio | file
    data: bytes
    filename: str
    mime: str | None
    file_id: str
    photo_id: int
    ready_at: float = 0.0
    failures_left: int = 0


@dataclass
class PendingUpload:
    """An upload URL handed out by POST /uploads; it takes one file."""

    upload_id: str
    kind: str
    token: str  # video and audio learn it before the upload, image and file after
    used: bool = False


@dataclass
class UploadPolicy:
    """How long a fresh upload stays "not ready": its first attempts, and/or a time."""

    not_ready_attempts: int = 1
    not_ready_seconds: float = 0.0


@dataclass
class WebhookPolicy:
    """Webhook retries as documented: after 60 s, then x2.5, up to 10 times, 8 hours at most."""

    first_retry: float = 60.0
    factor: float = 2.5
    max_retries: int = 10
    give_up_after: float = 8 * 3600.0
    timeout: float = 30.0
    connections: int = 20

    def delay(self, failures: int) -> float:
        return float(self.first_retry * self.factor ** max(failures - 1, 0))


@dataclass
class Subscription:
    """The bot's webhook (one per bot: a new POST /subscriptions replaces it)."""

    url: str
    time_ms: int
    update_types: list[str] | None
    secret: str | None
    failing_since: float | None = None

    def as_api(self) -> JSON:
        return {"url": self.url, "time": self.time_ms, "update_types": self.update_types}


@dataclass
class CallbackEntry:
    """A button press and every answer the bot gave it."""

    callback_id: str
    user_id: int
    chat_id: int
    mid: str
    payload: str | None
    log_seq: int = 0  # the chat log's length at the press: later entries are the bot acting
    answers: list[JSON] = field(default_factory=list)


@dataclass
class RequestRecord:
    """One Bot API request as the emulator saw it, and its answer."""

    seq: int
    verb: str
    path: str
    route: str | None
    query: dict[str, str]
    body: Any
    status: int
    response: Any
    at_ms: int

    def as_api(self) -> JSON:
        return {
            "seq": self.seq,
            "verb": self.verb,
            "path": self.path,
            "route": self.route,
            "query": self.query,
            "body": self.body,
            "status": self.status,
            "response": self.response,
            "at": self.at_ms,
        }


@dataclass
class MaxBot:
    """One bot token's state."""

    token: str
    user: MaxUser
    flood: MaxFlood
    commands: list[JSON] = field(default_factory=list)
    # Updates are numbered; GET /updates's marker is the number of the next one expected.
    updates: list[tuple[int, JSON]] = field(default_factory=list)
    next_number: int = field(default_factory=lambda: random.randint(10**9, 2 * 10**9))
    subscription: Subscription | None = None
    callbacks: dict[str, CallbackEntry] = field(default_factory=dict)
    requests: list[RequestRecord] = field(default_factory=list)
    dialogs: dict[int, int] = field(default_factory=dict)  # user id -> dialog chat id
    started_by: set[int] = field(default_factory=set)
    stopped_by: set[int] = field(default_factory=set)
    flood_until: dict[int | None, float] = field(default_factory=dict)


@dataclass
class MaxStats:
    """Counters tests and benchmarks read."""

    requests: dict[str, int] = field(default_factory=dict)
    sent_messages: int = 0
    rate_limited: int = 0
    early_retries: int = 0  # requests made before a 429's retry-after had passed
    not_ready: int = 0
    webhook_delivered: int = 0
    webhook_failed: int = 0

    def as_api(self) -> JSON:
        return {
            "requests": dict(self.requests),
            "sent_messages": self.sent_messages,
            "rate_limited": self.rate_limited,
            "early_retries": self.early_retries,
            "not_ready": self.not_ready,
            "webhook_delivered": self.webhook_delivered,
            "webhook_failed": self.webhook_failed,
        }


def chat_of_update(update: JSON) -> int | None:
    """The chat an update belongs to (webhook delivery keeps each chat in order)."""
    if isinstance(update.get("chat_id"), int):
        return int(update["chat_id"])
    message = update.get("message")
    if isinstance(message, dict):
        return int(message["recipient"]["chat_id"])
    chat = update.get("chat")
    if isinstance(chat, dict):
        return int(chat["chat_id"])
    return None


class MaxEmulator:
    """The whole emulated MAX; one instance per server."""

    def __init__(
        self,
        limits: MaxRateLimits | None = None,
        *,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        uploads: UploadPolicy | None = None,
        webhooks: WebhookPolicy | None = None,
    ) -> None:
        # Seconds every answer takes on its way back (a real network's round trip; 0 here).
        self.latency = 0.0
        self.limits = limits or MaxRateLimits()
        self.clock = clock or SystemClock()
        self.monotonic = monotonic
        self.upload_policy = uploads or UploadPolicy()
        self.webhook_policy = webhooks or WebhookPolicy()
        self.base_url = ""  # set by the server: upload and file URLs point back at it
        self.bots: dict[str, MaxBot] = {}
        self.users: dict[int, MaxUser] = {}
        self.chats: dict[int, MaxChat] = {}
        self.mids: dict[str, int] = {}  # mid -> chat id
        self.media: dict[str, Media] = {}  # token -> media
        self.files: dict[str, Media] = {}  # file id (download path) -> media
        self.pending_uploads: dict[str, PendingUpload] = {}
        self.stats = MaxStats()
        self.changed = asyncio.Condition()
        self._user_ids = itertools.count(300_000_001)
        self._bot_ids = itertools.count(900_000_001)
        self._dialog_ids = itertools.count(50_000_000_001)
        self._group_ids = itertools.count(60_000_000_001)
        self._mids = itertools.count(random.randint(10**12, 2 * 10**12))
        self._photo_ids = itertools.count(4_000_000_001)
        self._request_seq = itertools.count(1)

    # --- time ------------------------------------------------------------------------------
    def now_ms(self) -> int:
        moment = self.clock.now()
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)

    def moment(self) -> datetime:
        return self.clock.now()

    # --- world building --------------------------------------------------------------------
    def add_bot(
        self,
        token: str,
        username: str = "kurator_test_bot",
        first_name: str = "Куратор",
        user_id: int | None = None,
    ) -> MaxBot:
        user = MaxUser(
            user_id=user_id if user_id is not None else next(self._bot_ids),
            first_name=first_name,
            username=username,
            is_bot=True,
            description="Бот-куратор образовательных планов",
        )
        bot = MaxBot(token=token, user=user, flood=MaxFlood(self.limits, self.monotonic))
        self.bots[token] = bot
        self.users[user.user_id] = user
        return bot

    def bot_by_id(self, user_id: int) -> MaxBot | None:
        return next((b for b in self.bots.values() if b.user.user_id == user_id), None)

    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        user_id: int | None = None,
        locale: str = LOCALE,
    ) -> MaxUser:
        user = MaxUser(
            user_id=user_id if user_id is not None else next(self._user_ids),
            first_name=first_name,
            last_name=last_name,
            username=username,
            locale=locale,
        )
        self.users[user.user_id] = user
        return user

    def dialog(self, bot: MaxBot, user: MaxUser) -> MaxChat:
        """The dialog of `user` with `bot`, opened if new (its id is not the user's id)."""
        chat_id = bot.dialogs.get(user.user_id)
        if chat_id is not None:
            return self.chats[chat_id]
        chat = MaxChat(
            chat_id=next(self._dialog_ids),
            type="dialog",
            dialog_user=user.user_id,
            dialog_bot=bot.user.user_id,
            next_seq=self.now_ms() << 16,
            last_event_ms=self.now_ms(),
        )
        self.chats[chat.chat_id] = chat
        bot.dialogs[user.user_id] = chat.chat_id
        return chat

    def add_group(
        self,
        title: str,
        owner: MaxUser | None,
        members: list[MaxUser],
        *,
        bot: MaxBot | None,
        bot_admin: bool = True,
    ) -> MaxChat:
        now = self.now_ms()
        chat = MaxChat(
            chat_id=-next(self._group_ids),
            type="chat",
            title=title,
            owner_id=owner.user_id if owner else None,
            next_seq=now << 16,
            last_event_ms=now,
        )
        for person in ([owner] if owner else []) + members:
            chat.members[person.user_id] = Member(
                person.user_id, now, is_owner=person is owner, is_admin=person is owner
            )
        if bot is not None:
            chat.members[bot.user.user_id] = Member(bot.user.user_id, now, is_admin=bot_admin)
        self.chats[chat.chat_id] = chat
        return chat

    def bot_status(self, bot: MaxBot, chat: MaxChat) -> str:
        """The schema's ChatStatus of `chat` for `bot`."""
        if chat.is_dialog:
            return "active" if chat.dialog_bot == bot.user.user_id else "removed"
        if bot.user.user_id in chat.members:
            return "active"
        return chat.gone_bots.get(bot.user.user_id, "removed")

    def watchers(self, chat: MaxChat) -> list[MaxBot]:
        """Bots that get this chat's updates: the dialog's bot; in groups, admin bots only
        (the API description: a bot must be an administrator to get a group's events)."""
        if chat.is_dialog:
            bot = self.bot_by_id(chat.dialog_bot or 0)
            return [bot] if bot else []
        return [
            bot
            for bot in self.bots.values()
            if (member := chat.members.get(bot.user.user_id)) is not None and member.is_admin
        ]

    # --- messages --------------------------------------------------------------------------
    def recipient(self, chat: MaxChat, sender: MaxUser) -> JSON:
        if chat.is_dialog:
            other = chat.dialog_user if sender.is_bot else chat.dialog_bot
            return {"chat_id": chat.chat_id, "chat_type": "dialog", "user_id": other}
        return {"chat_id": chat.chat_id, "chat_type": "chat", "user_id": None}

    def store_message(
        self,
        chat: MaxChat,
        sender: MaxUser,
        text: str | None,
        attachments: list[JSON] | None,
        markup: list[JSON] | None = None,
        link: JSON | None = None,
    ) -> JSON:
        """Append a message to `chat` and return the schema's Message."""
        now = self.now_ms()
        chat.next_seq = max(chat.next_seq + 1, now << 16)
        mid = f"mid.{chat.chat_id & 0xFFFFFFFFFFFFFFFF:016x}{next(self._mids):016x}"
        body: JSON = {"mid": mid, "seq": chat.next_seq, "text": text, "attachments": attachments}
        if markup:
            body["markup"] = markup
        message: JSON = {
            "sender": sender.as_api(now),
            "recipient": self.recipient(chat, sender),
            "timestamp": now,
            "body": body,
        }
        if link is not None:
            message["link"] = link
        chat.messages[mid] = message
        chat.last_event_ms = now
        self.mids[mid] = chat.chat_id
        return message

    def find_message(self, mid: str) -> tuple[MaxChat, JSON] | None:
        chat_id = self.mids.get(mid)
        chat = self.chats.get(chat_id) if chat_id is not None else None
        if chat is None or mid not in chat.messages:
            return None
        return chat, chat.messages[mid]

    def log_event(self, chat: MaxChat, kind: str, message: JSON, **extra: Any) -> None:
        """Record what a bot did in a chat (new, edit, delete) for the people reading it."""
        event = {"seq": len(chat.log) + 1, "kind": kind, "message": copy.deepcopy(message)}
        chat.log.append({**event, **extra})

    # --- updates ---------------------------------------------------------------------------
    def enqueue(self, bot: MaxBot, update_type: str, fields: JSON) -> JSON:
        """Queue an update (the schema's Update: update_type, timestamp and its own fields)."""
        update: JSON = {"update_type": update_type, "timestamp": self.now_ms(), **fields}
        bot.updates.append((bot.next_number, update))
        bot.next_number += 1
        return update

    def broadcast(self, chat: MaxChat, update_type: str, fields: JSON) -> None:
        for bot in self.watchers(chat):
            self.enqueue(bot, update_type, copy.deepcopy(fields))

    async def notify(self) -> None:
        """Wake every waiter (long polls, chat logs, webhook loops)."""
        async with self.changed:
            self.changed.notify_all()

    # --- limits ----------------------------------------------------------------------------
    def admit_request(self, bot: MaxBot) -> None:
        self._admit(bot, None, bot.flood.request())

    def admit_message(self, bot: MaxBot, chat: MaxChat) -> None:
        self._admit(bot, chat.chat_id, bot.flood.message(chat.chat_id))
        self.stats.sent_messages += 1

    def _admit(self, bot: MaxBot, key: int | None, retry_after: int) -> None:
        now = self.monotonic()
        if now < bot.flood_until.get(key, 0.0):
            self.stats.early_retries += 1
        if retry_after:
            self.stats.rate_limited += 1
            bot.flood_until[key] = now + retry_after
            raise too_many(retry_after)

    def set_limits(self, limits: MaxRateLimits) -> None:
        self.limits = limits
        for bot in self.bots.values():
            bot.flood = MaxFlood(limits, self.monotonic)

    # --- uploads ---------------------------------------------------------------------------
    def new_upload(self, kind: str) -> PendingUpload:
        upload = PendingUpload(secrets.token_urlsafe(12), kind, secrets.token_urlsafe(32))
        self.pending_uploads[upload.upload_id] = upload
        return upload

    def finish_upload(
        self, upload: PendingUpload, data: bytes, filename: str, mime: str | None
    ) -> Media:
        policy = self.upload_policy
        media = Media(
            token=upload.token,
            kind=upload.kind,
            data=data,
            filename=filename,
            mime=mime,
            file_id=secrets.token_urlsafe(16),
            photo_id=next(self._photo_ids),
            ready_at=self.monotonic() + policy.not_ready_seconds,
            failures_left=policy.not_ready_attempts,
        )
        upload.used = True
        self.media[media.token] = media
        self.files[media.file_id] = media
        return media

    def store_media(self, kind: str, data: bytes, filename: str, mime: str | None) -> Media:
        """A file a person sends: ready at once (the bot only downloads it)."""
        upload = PendingUpload(secrets.token_urlsafe(12), kind, secrets.token_urlsafe(32))
        media = self.finish_upload(upload, data, filename, mime)
        media.failures_left, media.ready_at = 0, 0.0
        return media

    def attachable(self, media: Media) -> None:
        """Refuse a fresh upload with attachment.not.ready while it is "processed"."""
        if media.failures_left > 0 or self.monotonic() < media.ready_at:
            media.failures_left = max(media.failures_left - 1, 0)
            self.stats.not_ready += 1
            raise not_ready()

    def file_url(self, media: Media) -> str:
        return f"{self.base_url}/_files/{media.file_id}"
