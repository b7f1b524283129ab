"""The delivery loop: claim due outbox rows, send them paced, record every attempt.

Guarantee (docs/reminders.md): a row is marked sent in its own transaction right after
Telegram accepts the message. Nothing is given up for want of an answer: a row is retried
until Telegram accepts it, refuses it for good (blocked, bad request), it becomes pointless
(cancelled, or its `not_after` passed), or, with no `not_after`, a day after its first
attempt; unsent rows stay pending or claimed, and a claim held by a dead worker expires after
CLAIM_TTL. Repeats are kept small: a send is counted in the row (`doubt`) before it begins
and uncounted only when it surely failed, so a send whose answer never came (a timeout, a
dropped connection, a crash) stays counted, and the next send of that step waits PATIENCE
times longer for its answer: an answer that was merely slow then arrives, and the copy the
first send may have made is the only extra one. A worker stops using a claim once half its
TTL has passed and hands the rest back, so a slow worker never sends a row another worker has
taken over. A lane sends to up to `concurrency` chats at once (a chat's own rows one after
another, in order), so a burst is bound by the messenger's limit rather than by one request's
round trip; on SQLite, whose writers queue anyway, it sends one row at a time.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from functools import partial
from itertools import groupby
from typing import Any, cast
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiohttp import ClientConnectorError, ConnectionTimeoutError
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.reminder_render import Rendered, family, merges
from bot.submission_view import carried, send_part
from core.clock import Clock
from core.groups import links_of, unlink_chat
from core.notices import REVIEW_REQUEST
from core.people import mark_blocked
from core.seminars import fields_of
from core.states import AssignmentStatus, OutboxStatus, RsvpAnswer, SubmissionStatus
from core.timeoff import pause_covering
from db.models import (
    Activity,
    Assignment,
    Attendance,
    DeliveryAttempt,
    OutboxMessage,
    Plan,
    Seminar,
    Submission,
    User,
)
from messengers import messenger_of
from ops.metrics import note_delivery

log = logging.getLogger(__name__)

CLAIM_TTL = timedelta(minutes=5)
# A row Telegram neither accepts nor refuses for good is retried until its `not_after`, or,
# when it has none, until this long after its first attempt; then it fails.
HORIZON = timedelta(hours=24)
# The send of a step (the text, or one file part) after a send of it with no answer waits
# this many times the bot's request timeout for Telegram's answer.
PATIENCE = 4
BATCH = 200
Renderer = Callable[[AsyncSession, list[OutboxMessage], datetime, ZoneInfo], Awaitable[Rendered]]


def answer_lost(exc: BaseException) -> bool:
    """Whether a failed request may still have reached Telegram (no answer came back)."""
    if isinstance(exc, TelegramServerError):
        return False  # Telegram answered: the method did not run
    if isinstance(exc, ClientDecodeError):
        return True  # an answer that is not Telegram's (a proxy's error page): who knows
    cause = exc.__cause__ if isinstance(exc, TelegramNetworkError) else exc
    # No connection was made (refused, unreachable, or not made in time), so nothing was sent.
    return not isinstance(
        cause, (ClientConnectorError, ConnectionTimeoutError, ConnectionRefusedError)
    )


def backoff(attempt: int, rng: random.Random) -> timedelta:
    """Exponential backoff with full jitter: up to 15 s, 30 s, 60 s ... capped at 30 min."""
    return timedelta(seconds=rng.uniform(0.5, 1.0) * min(15 * 2 ** min(attempt - 1, 8), 1800))


class _Patient:
    """The bot with a longer `request_timeout` on every call (for `send_part`)."""

    def __init__(self, bot: Bot, timeout: int) -> None:
        self._bot, self._timeout = bot, timeout

    def __getattr__(self, name: str) -> Any:
        return partial(getattr(self._bot, name), request_timeout=self._timeout)


class OutboxSender:
    """Sends what is due; safe to run in several processes against one database."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        bot: Bot,
        clock: Clock,
        render: Renderer,
        *,
        worker: str,
        rng: random.Random | None = None,
        claim_ttl: timedelta = CLAIM_TTL,
        more: Mapping[str, Bot] | None = None,
        concurrency: int = 1,
    ) -> None:
        self.session_factory = session_factory
        self.bot = bot
        # Each row goes out through its messenger's bot; rows of a messenger this process
        # does not serve are left for one that does.
        self.bots: dict[str, Bot] = {messenger_of(bot): bot, **(more or {})}
        self.clock = clock
        self.render = render
        self.worker = worker
        self.rng = rng or random.Random()
        self.claim_ttl = claim_ttl
        self.concurrency = concurrency

    async def drain(self) -> int:
        """Send every due row, each messenger in its own lane; returns how many went out."""
        if len(self.bots) == 1:
            return await self._drain(next(iter(self.bots)))
        # A lane waiting for its messenger's budget must not hold the other's rows: in one
        # loop, MAX's rows (sorted first) held Telegram's, and the two took turns at one
        # limit. A failing lane does not cut the other short; its error is raised after.
        lanes = await asyncio.gather(*map(self._drain, self.bots), return_exceptions=True)
        for lane in lanes:
            if isinstance(lane, BaseException):
                raise lane
        return sum(cast(list[int], lanes))

    async def _drain(self, messenger: str) -> int:
        """Send every due row of one messenger, a claimed batch at a time."""
        sent = 0
        while True:
            rows = await self._claim(messenger)
            if not rows:
                return sent
            rows.sort(key=_group_key)
            groups = [list(group) for _, group in groupby(rows, key=_group_key)]
            # One line per chat (the sort keeps a chat's groups together and in order); one
            # sending at a time is one line of everything, in the same order.
            lines = (
                [list(line) for _, line in groupby(groups, key=lambda g: g[0].chat_id)]
                if self.concurrency > 1
                else [groups]
            )
            gate = asyncio.Semaphore(self.concurrency)
            # A line that fails does not cut the others short: their sends finish and are
            # recorded, then the first error is raised.
            results = await asyncio.gather(
                *(self._line(line, gate) for line in lines), return_exceptions=True
            )
            failed = [r for r in results if isinstance(r, BaseException)]
            for extra in failed[1:]:  # the first is raised; the others are not lost
                log.error("outbox lane %s: a line failed too", messenger, exc_info=extra)
            if failed:
                raise failed[0]
            sent += sum(cast(list[int], results))

    async def _line(self, groups: list[list[OutboxMessage]], gate: asyncio.Semaphore) -> int:
        """Deliver these groups one after another; a claim running out hands the rest back."""
        sent = 0
        for index, group in enumerate(groups):
            async with gate:
                if self._claim_running_out(group[0]):
                    # Slower than planned (a busy machine): hand the rest back rather than
                    # send under a claim that may expire and be taken by another worker.
                    await self._release([row.id for rest in groups[index:] for row in rest])
                    break
                sent += await self._deliver(group)
        return sent

    def _claim_running_out(self, row: OutboxMessage) -> bool:
        until = row.claimed_until
        return until is not None and self.clock.now() >= until - self.claim_ttl / 2

    async def _release(self, ids: list[int]) -> None:
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(ids),
                    OutboxMessage.claimed_by == self.worker,
                    OutboxMessage.status == OutboxStatus.CLAIMED,
                )
                .values(status=OutboxStatus.PENDING, claimed_by=None, claimed_until=None)
                .execution_options(synchronize_session=False)
            )

    async def _claim(self, messenger: str) -> list[OutboxMessage]:
        now = self.clock.now()
        due = [
            OutboxMessage.messenger == messenger,
            OutboxMessage.scheduled_at <= now,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
            or_(
                OutboxMessage.status == OutboxStatus.PENDING,
                (OutboxMessage.status == OutboxStatus.CLAIMED)
                & (OutboxMessage.claimed_until < now),
            ),
        ]
        async with self.session_factory() as session, session.begin():
            candidates = (
                select(OutboxMessage.id)
                .where(*due)
                .order_by(OutboxMessage.scheduled_at, OutboxMessage.id)
                .limit(BATCH)
            )
            if session.get_bind().dialect.name == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            ids = list(await session.scalars(candidates))
            if not ids:
                return []
            # The conditions are repeated so a row another worker claimed meanwhile is left alone.
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), *due)
                .values(
                    status=OutboxStatus.CLAIMED,
                    claimed_by=self.worker,
                    claimed_until=now + self.claim_ttl,
                )
                .execution_options(synchronize_session=False)
            )
        async with self.session_factory() as session:
            return list(
                await session.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.id.in_(ids),
                        OutboxMessage.claimed_by == self.worker,
                        OutboxMessage.status == OutboxStatus.CLAIMED,
                    )
                )
            )

    async def _deliver(self, rows: list[OutboxMessage]) -> int:
        now = self.clock.now()
        async with self.session_factory() as session, session.begin():
            fresh = [await session.get(OutboxMessage, r.id) for r in rows]
            live = [
                r
                for r in fresh
                if r is not None
                and r.status == OutboxStatus.CLAIMED
                and r.claimed_by == self.worker
            ]
            valid: list[OutboxMessage] = []
            for row in live:
                verdict = await _still_wanted(session, row, now)
                if verdict is None:
                    valid.append(row)
                else:
                    row.status = verdict
                    session.add(
                        DeliveryAttempt(
                            outbox_id=row.id, attempted_at=now, result=verdict.value, error=None
                        )
                    )
            if not valid:
                return 0
            zone = ZoneInfo(valid[0].payload.get("tz") or "Europe/Moscow")
            try:
                rendered = await self.render(session, valid, now, zone)
            except LookupError as exc:  # what it was about is gone: nothing left to say
                log.info("outbox rows %s dropped: %s", [r.id for r in valid], exc)
                for row in valid:
                    row.status, row.last_error = OutboxStatus.CANCELLED, f"gone: {exc}"[:500]
                    row.claimed_by = row.claimed_until = None
                return 0
            except Exception as exc:  # a fault in building it; retrying cannot help
                log.exception("outbox rows %s cannot be rendered", [r.id for r in valid])
                for row in valid:
                    row.status, row.last_error = OutboxStatus.FAILED, f"render: {exc!r}"[:500]
                    row.claimed_by = row.claimed_until = None
                return 0
            ids = [r.id for r in valid]
            bot = self.bots[valid[0].messenger]
            chat_id = valid[0].chat_id
            recipient = valid[0].recipient_user_id
            done = _step(valid[0]) if len(valid) == 1 else 0
            # An edit repeated changes nothing: only sends are counted.
            sends = rendered.edit_message_id is None
            wait = None
            if sends:
                if any(_in_doubt(row) for row in valid):  # an earlier send may have arrived
                    wait = self.patient_timeout(bot)
                for row in valid:  # counted before it begins: a crash mid-send stays counted
                    row.payload = {**row.payload, "doubt": _in_doubt(row) + 1}
                    if wait is not None:  # the claim outlasts the longer wait
                        row.claimed_until = now + self.claim_ttl + timedelta(seconds=wait)
        try:
            message_id = await self._send(bot, ids[0], chat_id, rendered, done, wait)
        except TelegramForbiddenError as exc:
            await self._finish(ids, OutboxStatus.FAILED, f"forbidden: {exc.message}", bot=bot)
            async with self.session_factory() as session, session.begin():
                if recipient is not None:
                    await mark_blocked(session, self.clock, recipient, messenger_of(bot))
                else:  # a group that removed the bot: stop writing there
                    await unlink_chat(session, self.clock, chat_id, None, messenger_of(bot))
            return 0
        except TelegramBadRequest as exc:
            await self._finish(ids, OutboxStatus.FAILED, f"bad request: {exc.message}", bot=bot)
            return 0
        except TelegramRetryAfter as exc:
            await self._retry(
                ids,
                f"429: retry after {exc.retry_after}",
                timedelta(seconds=exc.retry_after),
                counted=sends,
                bot=bot,
            )
            return 0
        except (
            TelegramServerError,
            TelegramNetworkError,
            ClientDecodeError,
            TimeoutError,
            OSError,
        ) as exc:
            error = f"{type(exc).__name__}: {exc}"
            await self._retry(
                ids, error, None, counted=sends, lost=sends and answer_lost(exc), bot=bot
            )
            return 0
        await self._finish(ids, OutboxStatus.SENT, None, message_id, bot)
        return 1

    def patient_timeout(self, bot: Bot | None = None) -> int:
        """Seconds the send after one with no answer waits for the messenger's answer."""
        return math.ceil(PATIENCE * float((bot or self.bot).session.timeout))

    async def _send(
        self,
        bot: Bot,
        row_id: int,
        chat_id: int,
        rendered: Rendered,
        done: int,
        wait: int | None,
    ) -> int | None:
        """The text, then each part of files; parts already sent (`done`) are not repeated.

        Progress is stored after every part, so a retry or a crash repeats at most one part.
        The first step sent waits `wait` seconds for its answer (None: the bot's timeout).
        A file Telegram refuses is skipped with a warning; the other files still go.
        """
        if rendered.edit_message_id is not None:
            await bot.edit_message_text(
                rendered.text, chat_id=chat_id, message_id=rendered.edit_message_id
            )
            return rendered.edit_message_id
        message_id = None
        if done == 0:
            message = await bot.send_message(
                chat_id, rendered.text, reply_markup=rendered.markup, request_timeout=wait
            )
            message_id = message.message_id
            wait = None  # the parts are new: they wait as long as any request
            if rendered.media:
                await self._progress(row_id, 1, message_id)
        for index, part in enumerate(rendered.media, start=1):
            if index < done:
                continue
            sender = bot if wait is None else cast(Bot, _Patient(bot, wait))
            wait = None
            try:
                await send_part(sender, chat_id, await carried(bot, part, self.bots))
            except TelegramBadRequest as exc:
                log.warning("outbox row %s: part %s refused: %s", row_id, index, exc.message)
            await self._progress(row_id, index + 1, begins=index < len(rendered.media))
        return message_id

    async def _progress(
        self, row_id: int, parts_sent: int, message_id: int | None = None, *, begins: bool = True
    ) -> None:
        """Steps before `parts_sent` are done; the next one `begins` at once, so it is counted."""
        async with self.session_factory() as session, session.begin():
            row = await session.get(OutboxMessage, row_id)
            if row is not None:
                row.payload = {**row.payload, "parts_sent": parts_sent, "doubt": int(begins)}
                if message_id is not None:
                    row.telegram_message_id = message_id

    async def _finish(
        self,
        ids: list[int],
        status: OutboxStatus,
        error: str | None,
        message_id: int | None = None,
        bot: Bot | None = None,
    ) -> None:
        now = self.clock.now()
        note_delivery(bot or self.bot, status.value, error, len(ids))  # metrics (ops/)
        async with self.session_factory() as session, session.begin():
            for row_id in ids:
                row = await session.get(OutboxMessage, row_id)
                if row is None:
                    continue
                row.status, row.attempts, row.last_error = status, row.attempts + 1, error
                row.claimed_by = row.claimed_until = None
                if status == OutboxStatus.SENT:
                    row.sent_at = now
                    row.telegram_message_id = message_id or row.telegram_message_id
                session.add(
                    DeliveryAttempt(
                        outbox_id=row.id, attempted_at=now, result=status.value, error=error
                    )
                )

    async def _retry(
        self,
        ids: list[int],
        error: str,
        wait: timedelta | None,
        *,
        counted: bool = True,
        lost: bool = False,
        bot: Bot | None = None,
    ) -> None:
        """Send again after `wait` (None: the backoff). A counted send that surely failed is
        uncounted; one whose answer was `lost` (it may have arrived) stays counted. Only a row
        without `not_after` whose first attempt is HORIZON old fails: `_still_wanted` ends
        the others once their `not_after` passes."""
        now = self.clock.now()
        async with self.session_factory() as session, session.begin():
            for row_id in ids:
                row = await session.get(OutboxMessage, row_id)
                if row is None:
                    continue
                first = await session.scalar(
                    select(func.min(DeliveryAttempt.attempted_at)).where(
                        DeliveryAttempt.outbox_id == row.id
                    )
                )
                row.attempts += 1
                row.last_error = error
                row.claimed_by = row.claimed_until = None
                if counted and not lost:
                    row.payload = {**row.payload, "doubt": max(_in_doubt(row) - 1, 0)}
                if row.not_after is None and first is not None and now - first >= HORIZON:
                    row.status = OutboxStatus.FAILED
                    hours = HORIZON.total_seconds() / 3600
                    row.last_error = f"no delivery within {hours:g} h: {error}"[:500]
                    _note(session, row, now, OutboxStatus.FAILED.value, row.last_error)
                    log.warning("outbox row %s given up: %s", row.id, row.last_error)
                    note_delivery(bot or self.bot, "failed", error)  # metrics (ops/)
                    continue
                row.status = OutboxStatus.PENDING
                note_delivery(bot or self.bot, "retry", error)  # metrics (ops/)
                row.next_attempt_at = now + (
                    wait if wait is not None else backoff(row.attempts, self.rng)
                )
                # "uncertain": this send may have reached the person; the next is patient.
                _note(session, row, now, "uncertain" if lost else "retry", error)
        log.info("delivery of %s postponed: %s", ids, error)


def _in_doubt(row: OutboxMessage) -> int:
    """Sends of the current step that may have reached the person (begun, not surely failed)."""
    return int(row.payload.get("doubt", 0))


def _step(row: OutboxMessage) -> int:
    """The step to send next: 0 the text, n the n-th file part."""
    return int(row.payload.get("parts_sent", 0))


def _note(
    session: AsyncSession, row: OutboxMessage, now: datetime, result: str, error: str
) -> None:
    session.add(DeliveryAttempt(outbox_id=row.id, attempted_at=now, result=result, error=error))


def _group_key(row: OutboxMessage) -> tuple[str, int, datetime, str, int]:
    return (
        row.messenger,
        row.chat_id,
        row.scheduled_at,
        family(row.kind),
        0 if merges(row.kind) else row.id,
    )


async def _still_wanted(
    session: AsyncSession, row: OutboxMessage, now: datetime
) -> OutboxStatus | None:
    """None if the row should go now, else the status it ends with (cancelled or skipped)."""
    if row.not_after is not None and row.not_after <= now:
        return OutboxStatus.SKIPPED
    if row.recipient_user_id is not None:
        user = await session.get(User, row.recipient_user_id)
        if (
            user is None
            or not user.is_active
            or user.blocked_at is not None
            or user.forgotten_at is not None
        ):
            return OutboxStatus.CANCELLED
    if row.target_type == "assignment" and row.kind != "escalation":
        # A reminder missed before a pause began is not sent in it: the summary after says it.
        today = now.astimezone(ZoneInfo(str(row.payload.get("tz") or "UTC"))).date()
        found = (
            await session.execute(
                select(
                    Assignment.status,
                    Activity.cancelled_at,
                    Plan.archived_at,
                    pause_covering(Plan.id, Assignment.school_id, today),
                )
                .join(Activity, Activity.id == Assignment.activity_id)
                .join(Plan, Plan.id == Activity.plan_id)
                .where(Assignment.id == row.target_id)
            )
        ).first()
        if (
            found is None
            or found[0] not in (AssignmentStatus.OPEN, AssignmentStatus.RETURNED)
            or found[1]
            or found[2]
        ):
            return OutboxStatus.CANCELLED
        if found[3]:
            return OutboxStatus.SKIPPED
    if row.kind == "escalation":
        status = await session.scalar(
            select(Assignment.status).where(Assignment.id == row.target_id)
        )
        if status not in (AssignmentStatus.OPEN, AssignmentStatus.RETURNED):
            return OutboxStatus.CANCELLED
    if row.kind == REVIEW_REQUEST:
        status = await session.scalar(
            select(Submission.status).where(Submission.id == row.target_id)
        )
        if status != SubmissionStatus.PENDING:
            return OutboxStatus.CANCELLED  # taken back, or another reviewer decided already
    if row.kind == "group_status" and not await links_of(session, row.chat_id, row.messenger):
        return OutboxStatus.CANCELLED  # the group was unlinked meanwhile
    if row.target_type == "seminar":
        seminar = await session.get(Seminar, row.target_id)
        if seminar is None:
            return OutboxStatus.CANCELLED
        if row.kind == "seminar_news" and row.payload.get("event") == "cancelled":
            return None  # the news of a cancellation goes even though the seminar is gone
        # Any change since the row was written makes it stale: a newer row says the right thing.
        keys = (
            ("topic", "day", "starts_at", "place")
            if row.kind == "seminar_news"
            else ("topic", "starts_at")
        )
        current = fields_of(seminar)
        if seminar.cancelled_at is not None or any(row.payload.get(k) != current[k] for k in keys):
            return OutboxStatus.CANCELLED
        if row.kind in ("seminar", "seminar_soon") and row.recipient_user_id is not None:
            answer = await session.scalar(
                select(Attendance.answer).where(
                    Attendance.seminar_id == seminar.id,
                    Attendance.user_id == row.recipient_user_id,
                )
            )
            if answer == RsvpAnswer.NO:
                return OutboxStatus.CANCELLED  # "Не смогу": no more reminders of that seminar
    return None
