"""Facts about delivery for operators: the watchdog's samples and the admins' /health.

Reads only; one query per fact, each bounded (counts grouped by kind, reason or school).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.roles import Role
from core.states import OutboxStatus
from db.models import (
    DeliveryAttempt,
    EvidenceFile,
    Invitation,
    Membership,
    OutboxMessage,
    School,
    User,
)

UNSENT = (OutboxStatus.PENDING, OutboxStatus.CLAIMED)
REASONS = ("blocked", "not_found", "bad_request", "rate_limited", "server", "network", "other")


def reason_of(error: str | None) -> str:
    """The reason of a delivery error as the sender writes it (`forbidden: …`, `429: …`)."""
    text = (error or "").lower()
    if text.startswith("no delivery within"):
        text = text.split(": ", 1)[-1]
    if text.startswith("forbidden"):
        return "blocked"
    if "not found" in text:
        return "not_found"
    if text.startswith("bad request"):
        return "bad_request"
    if text.startswith("429") or "too many requests" in text:
        return "rate_limited"
    if "servererror" in text or "internal server error" in text or "bad gateway" in text:
        return "server"
    if text.startswith("render"):
        return "other"
    return "network"


@dataclass(frozen=True)
class OutboxFacts:
    """Unsent outbox rows by kind: `waiting` (not yet due) and `due` (their time has come)."""

    waiting: dict[str, int]
    due: dict[str, int]
    oldest_due_at: datetime | None
    evidence_backlog: int

    def oldest_due_age(self, now: datetime) -> timedelta:
        return now - self.oldest_due_at if self.oldest_due_at is not None else timedelta(0)


@dataclass(frozen=True)
class SchoolReach:
    """People of one school the bot cannot write to, and invitations nobody used yet."""

    school_id: int
    name: str
    blocked: int = 0
    not_started: int = 0
    unused_invitations: int = 0


@dataclass(frozen=True)
class HealthFacts:
    """What /health tells besides the processes (database side)."""

    outbox: OutboxFacts
    sent_last_hour: int
    failures_last_day: dict[str, int]
    retries_last_day: dict[str, int]
    unreachable: list[SchoolReach] = field(default_factory=list)


async def outbox_facts(session: AsyncSession, now: datetime) -> OutboxFacts:
    """Unsent rows by kind and due-ness, the oldest due one, evidence copies still to make."""
    is_due = OutboxMessage.scheduled_at <= now
    rows = await session.execute(
        select(OutboxMessage.kind, is_due, func.count())
        .where(OutboxMessage.status.in_(UNSENT))
        .group_by(OutboxMessage.kind, is_due)
    )
    waiting: dict[str, int] = {}
    due: dict[str, int] = {}
    for kind, row_due, count in rows:
        (due if row_due else waiting)[kind] = int(count)
    oldest = await session.scalar(
        select(func.min(OutboxMessage.scheduled_at)).where(OutboxMessage.status.in_(UNSENT), is_due)
    )
    backlog = await session.scalar(
        select(func.count()).where(
            EvidenceFile.stored_path.is_(None), EvidenceFile.copy_missing_at.is_(None)
        )
    )
    return OutboxFacts(waiting, due, oldest, int(backlog or 0))


async def health_facts(
    session: AsyncSession, now: datetime, schools_shown: int = 15
) -> HealthFacts:
    """Outbox facts, sends of the last hour, failures of the last day, unreachable people."""
    outbox = await outbox_facts(session, now)
    sent = await session.scalar(
        select(func.count()).where(
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.sent_at >= now - timedelta(hours=1),
        )
    )
    day = now - timedelta(days=1)
    failures = await _reasons(session, OutboxStatus.FAILED.value, day)
    retries = await _reasons(session, "retry", day)
    unreachable = await _unreachable(session, now, schools_shown)
    return HealthFacts(outbox, int(sent or 0), failures, retries, unreachable)


async def _reasons(session: AsyncSession, result: str, since: datetime) -> dict[str, int]:
    """Delivery attempts with this result since then, by reason."""
    rows = await session.execute(
        select(DeliveryAttempt.error, func.count())
        .where(DeliveryAttempt.result == result, DeliveryAttempt.attempted_at >= since)
        .group_by(DeliveryAttempt.error)
    )
    counts: dict[str, int] = {}
    for error, count in rows:
        reason = reason_of(error)
        counts[reason] = counts.get(reason, 0) + int(count)
    return counts


async def _unreachable(session: AsyncSession, now: datetime, limit: int) -> list[SchoolReach]:
    member = (
        select(Membership.school_id, User.blocked_at, User.started_at)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.school_id.is_not(None),
            Membership.revoked_at.is_(None),
            User.is_active.is_(True),
            User.forgotten_at.is_(None),
        )
        .subquery()
    )
    people = await session.execute(
        select(
            member.c.school_id,
            func.count(member.c.blocked_at),
            func.count(case((member.c.started_at.is_(None), 1))),
        ).group_by(member.c.school_id)
    )
    counts: dict[int, list[int]] = {}
    for school_id, blocked, not_started in people:
        if blocked or not_started:
            counts[int(school_id)] = [int(blocked or 0), int(not_started or 0), 0]
    invitations = await session.execute(
        select(Invitation.school_id, func.count())
        .where(
            Invitation.school_id.is_not(None),
            Invitation.uses == 0,
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
            Invitation.role != Role.ADMIN,
        )
        .group_by(Invitation.school_id)
    )
    for school_id, count in invitations:
        counts.setdefault(int(school_id or 0), [0, 0, 0])[2] = int(count)
    if not counts:
        return []
    found = await session.execute(select(School.id, School.name).where(School.id.in_(list(counts))))
    names = {school_id: name for school_id, name in found}
    ranked = sorted(counts.items(), key=lambda item: (-sum(item[1]), names.get(item[0], "")))
    return [
        SchoolReach(school_id, names.get(school_id, str(school_id)), *numbers)
        for school_id, numbers in ranked[:limit]
    ]


async def admin_chats(session: AsyncSession, messengers: Collection[str]) -> list[tuple[str, int]]:
    """(messenger, chat) of each admin the bot can write to (the watchdog's recipients): the
    messenger they chose, or, where this process does not serve it, one it does."""
    from core.people import reachable
    from db.models import Account

    admins = select(Membership.user_id).where(
        Membership.role == Role.ADMIN, Membership.revoked_at.is_(None)
    )
    rows = await session.execute(
        select(User.id, User.messenger, Account.messenger, Account.chat_id)
        .join(Account, Account.user_id == User.id)
        .where(Account.messenger.in_(messengers), User.id.in_(admins), *reachable())
        .order_by(User.id, Account.id)
    )
    chosen: dict[int, tuple[str, int]] = {}
    for user_id, wanted, messenger, chat_id in rows:
        if user_id not in chosen or messenger == wanted:
            chosen[user_id] = (messenger, chat_id)
    return sorted(chosen.values())
