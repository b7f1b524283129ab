"""The delivery loop: claim due outbox rows, send them paced, record every attempt.

Guarantee: a row is marked sent in its own transaction right after Telegram accepts the
message. Nothing is lost: unsent rows stay pending or claimed, and a claim held by a dead
worker expires after CLAIM_TTL. Repeats are bounded by bookkeeping (docs/reminders.md): a
send is counted in the row (`doubt`) before it begins and uncounted only when it surely
failed, so a send whose answer never came (a timeout, a dropped connection, a crash) stays
counted; a row, or a part of one, is never begun once two such sends may have reached the
person: it is marked sent, "uncertain". A worker stops using a claim once half its TTL has
passed and hands the rest back, so a slow worker never sends a row another worker has taken
over.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiohttp import ClientConnectorError, ConnectionTimeoutError
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.reminder_render import Rendered, family, merges
from bot.submission_view import send_part
from core.clock import Clock
from core.groups import links_of, unlink_chat
from core.notices import REVIEW_REQUEST
from core.people import mark_blocked
from core.seminars import fields_of
from core.states import AssignmentStatus, OutboxStatus, SubmissionStatus
from core.timeoff import pause_covering
from db.models import (
    Activity,
    Assignment,
    DeliveryAttempt,
    OutboxMessage,
    Plan,
    Seminar,
    Submission,
    User,
)

log = logging.getLogger(__name__)

CLAIM_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 8
# Sends of one step (the text, or one file part) that may each have reached the person: the
# step is not begun again once this many are counted, so at most one copy is extra.
MAX_IN_DOUBT = 2
IN_DOUBT = "two sends with no answer (timeouts or a crash)"
BATCH = 200
Renderer = Callable[[AsyncSession, list[OutboxMessage], datetime, ZoneInfo], Awaitable[Rendered]]


def answer_lost(exc: BaseException) -> bool:
    """Whether a failed request may still have reached Telegram (no answer came back)."""
    if isinstance(exc, TelegramServerError):
        return False  # Telegram answered: the method did not run
    cause = exc.__cause__ if isinstance(exc, TelegramNetworkError) else exc
    # No connection was made, so nothing was sent.
    return not isinstance(
        cause, (ClientConnectorError, ConnectionTimeoutError, ConnectionRefusedError)
    )


def backoff(attempt: int, rng: random.Random) -> timedelta:
    """Exponential backoff with full jitter: up to 15 s, 30 s, 60 s ... capped at 30 min."""
    return timedelta(seconds=rng.uniform(0.5, 1.0) * min(15 * 2 ** (attempt - 1), 1800))


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
    ) -> None:
        self.session_factory = session_factory
        self.bot = bot
        self.clock = clock
        self.render = render
        self.worker = worker
        self.rng = rng or random.Random()
        self.claim_ttl = claim_ttl

    async def drain(self) -> int:
        """Send every due row; returns how many messages went out."""
        sent = 0
        while True:
            rows = await self._claim()
            if not rows:
                return sent
            rows.sort(key=_group_key)
            groups = [list(group) for _, group in groupby(rows, key=_group_key)]
            for index, group in enumerate(groups):
                if self._claim_running_out(group[0]):
                    # Slower than planned (a busy machine): hand the rest back rather than
                    # send under a claim that may expire and be taken by another worker.
                    await self._release([row.id for rest in groups[index:] for row in rest])
                    break
                sent += await self._deliver(group)

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

    async def _claim(self) -> list[OutboxMessage]:
        now = self.clock.now()
        due = [
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
            valid, passed = _pass_steps_in_doubt(session, valid, now)
            if not valid:
                return 0
            zone = ZoneInfo(valid[0].payload.get("tz") or "Europe/Moscow")
            try:
                rendered = await self.render(session, valid, now, zone)
            except Exception as exc:  # what it was about is gone; retrying cannot help
                log.exception("outbox rows %s cannot be rendered", [r.id for r in valid])
                for row in valid:
                    row.status, row.last_error = OutboxStatus.FAILED, f"render: {exc!r}"[:500]
                    row.claimed_by = row.claimed_until = None
                return 0
            ids = [r.id for r in valid]
            chat_id = valid[0].chat_id
            recipient = valid[0].recipient_user_id
            done = _step(valid[0]) if len(valid) == 1 else 0
            steps = 1 + len(rendered.media)
            # An edit repeated changes nothing: only sends are counted.
            sends = rendered.edit_message_id is None
            if sends and not _begin(session, valid, done, steps, passed, now):
                return 0
        try:
            message_id = await self._send(ids[0], chat_id, rendered, done)
        except TelegramForbiddenError as exc:
            await self._finish(ids, OutboxStatus.FAILED, f"forbidden: {exc.message}")
            async with self.session_factory() as session, session.begin():
                if recipient is not None:
                    await mark_blocked(session, self.clock, recipient)
                else:  # a group that removed the bot: stop writing there
                    await unlink_chat(session, self.clock, chat_id, None)
            return 0
        except TelegramBadRequest as exc:
            await self._finish(ids, OutboxStatus.FAILED, f"bad request: {exc.message}")
            return 0
        except TelegramRetryAfter as exc:
            await self._retry(
                ids, f"429: retry after {exc.retry_after}", timedelta(seconds=exc.retry_after)
            )
            return 0
        except (TelegramServerError, TelegramNetworkError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            if answer_lost(exc):
                await self._retry(ids, error, None, lost=True, last_step=steps - 1)
            else:
                await self._retry(ids, error, None)
            return 0
        await self._finish(ids, OutboxStatus.SENT, None, message_id)
        return 1

    async def _send(self, row_id: int, chat_id: int, rendered: Rendered, done: int) -> int | None:
        """The text, then each part of files; parts already sent (`done`) are not repeated.

        Progress is stored after every part, so a retry or a crash repeats at most one part.
        A file Telegram refuses is skipped with a warning; the other files still go.
        """
        if rendered.edit_message_id is not None:
            await self.bot.edit_message_text(
                rendered.text, chat_id=chat_id, message_id=rendered.edit_message_id
            )
            return rendered.edit_message_id
        message_id = None
        if done == 0:
            message = await self.bot.send_message(
                chat_id, rendered.text, reply_markup=rendered.markup
            )
            message_id = message.message_id
            if rendered.media:
                await self._progress(row_id, 1, message_id)
        for index, part in enumerate(rendered.media, start=1):
            if index < done:
                continue
            try:
                await send_part(self.bot, chat_id, part)
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
        self, ids: list[int], status: OutboxStatus, error: str | None, message_id: int | None = None
    ) -> None:
        now = self.clock.now()
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
        lost: bool = False,
        last_step: int = 0,
    ) -> None:
        """Send again later. A send that surely failed is uncounted; one whose answer was
        `lost` stays counted, and a step counted twice is passed (the row settled if last)."""
        now = self.clock.now()
        async with self.session_factory() as session, session.begin():
            for row_id in ids:
                row = await session.get(OutboxMessage, row_id)
                if row is None:
                    continue
                row.attempts += 1
                row.last_error = error
                row.claimed_by = row.claimed_until = None
                delay = wait
                if not lost:
                    row.payload = {**row.payload, "doubt": max(_in_doubt(row) - 1, 0)}
                elif _in_doubt(row) >= MAX_IN_DOUBT:
                    if _step(row) >= last_step:
                        _settle(session, row, now, error)
                        continue
                    delay = timedelta(0)  # the next part may go at once: _deliver passes this one
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = OutboxStatus.FAILED
                else:
                    row.status = OutboxStatus.PENDING
                    row.next_attempt_at = now + (
                        delay if delay is not None else backoff(row.attempts, self.rng)
                    )
                _note(session, row, now, "retry", error)
        log.info("delivery of %s postponed: %s", ids, error)


def _in_doubt(row: OutboxMessage) -> int:
    """Sends of the current step that may have reached the person (begun, not surely failed)."""
    return int(row.payload.get("doubt", 0))


def _step(row: OutboxMessage) -> int:
    """The step to send next: 0 the text, n the n-th file part."""
    return int(row.payload.get("parts_sent", 0))


def _pass_steps_in_doubt(
    session: AsyncSession, rows: list[OutboxMessage], now: datetime
) -> tuple[list[OutboxMessage], bool]:
    """Move rows past a step that may have reached the person twice; the rows still to send."""
    passed = [r for r in rows if _in_doubt(r) >= MAX_IN_DOUBT]
    for row in passed:
        row.payload = {**row.payload, "parts_sent": _step(row) + 1, "doubt": 0}
    if len(rows) == 1:  # the rest of its parts may still be due: _begin decides
        return rows, bool(passed)
    for row in passed:  # merged rows are one text and nothing else: theirs is done
        _settle(session, row, now, IN_DOUBT)
    return [r for r in rows if r not in passed], False


def _begin(
    session: AsyncSession,
    rows: list[OutboxMessage],
    done: int,
    steps: int,
    passed: bool,
    now: datetime,
) -> bool:
    """Count the send about to begin in each row (a crash mid-send stays counted); False when
    the step just `passed` was the last."""
    if passed:
        if done >= steps:
            _settle(session, rows[0], now, IN_DOUBT)
            return False
        step = "the text" if done == 1 else f"file part {done - 1}"
        _note(session, rows[0], now, "uncertain", f"{step}: {IN_DOUBT}; the rest goes")
    for row in rows:
        row.payload = {**row.payload, "doubt": _in_doubt(row) + 1}
    return True


def _note(
    session: AsyncSession, row: OutboxMessage, now: datetime, result: str, error: str
) -> None:
    session.add(DeliveryAttempt(outbox_id=row.id, attempted_at=now, result=result, error=error))


def _settle(session: AsyncSession, row: OutboxMessage, now: datetime, error: str) -> None:
    """Sent as far as anyone can tell: a third copy is never risked (docs/reminders.md)."""
    row.status, row.sent_at = OutboxStatus.SENT, now
    row.last_error = f"uncertain: {error}"[:500]
    row.claimed_by = row.claimed_until = None
    _note(session, row, now, "uncertain", error)
    log.warning("outbox row %s: taken as delivered, not sent a third time: %s", row.id, error)


def _group_key(row: OutboxMessage) -> tuple[int, datetime, str, int]:
    return row.chat_id, row.scheduled_at, family(row.kind), 0 if merges(row.kind) else row.id


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
    if row.kind == "group_status" and not await links_of(session, row.chat_id):
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
    return None
