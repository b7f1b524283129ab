"""Personal data (152-FZ): everything Kurator keeps about a person, and forgetting them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.accounts import accounts_of
from core.clock import Clock
from core.errors import NotFound
from core.membership_news import tell_left
from core.outbox import cancel_pending_to
from core.pseudonyms import account_key, pseudonym
from db.models import (
    Activity,
    Assignment,
    Attendance,
    AuditEntry,
    Direction,
    EvidenceFile,
    ForgottenAccount,
    Membership,
    OutboxMessage,
    Plan,
    School,
    Seminar,
    Submission,
    User,
)

FORGOTTEN_NAME = "удалённый пользователь"  # what plan history shows instead of a name


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def my_data(session: AsyncSession, user_id: int) -> dict[str, Any]:
    """A JSON-ready document of the person's profile, roles, reports, answers and actions."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    roles = await session.execute(
        select(Membership, School.name, Plan.title, Direction.title)
        .outerjoin(School, School.id == Membership.school_id)
        .outerjoin(Plan, Plan.id == Membership.plan_id)
        .outerjoin(Direction, Direction.id == Membership.direction_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.id)
    )
    submissions = await session.execute(
        select(Submission, Activity.title, School.name)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .join(Activity, Activity.id == Assignment.activity_id)
        .outerjoin(School, School.id == Assignment.school_id)
        .where(Submission.user_id == user_id)
        .order_by(Submission.id)
    )
    files: dict[int, list[str]] = {}
    for submission_id, name, kind in await session.execute(
        select(EvidenceFile.submission_id, EvidenceFile.file_name, EvidenceFile.kind)
        .join(Submission, Submission.id == EvidenceFile.submission_id)
        .where(Submission.user_id == user_id)
    ):
        files.setdefault(submission_id, []).append(name or kind)
    answers = await session.execute(
        select(Attendance, Seminar.topic)
        .join(Seminar, Seminar.id == Attendance.seminar_id)
        .where(Attendance.user_id == user_id)
    )
    actions = list(
        await session.scalars(
            select(AuditEntry).where(AuditEntry.actor_user_id == user_id).order_by(AuditEntry.id)
        )
    )
    # Answers others wrote to this person's questions are kept about them too.
    asked = {e.id: e for e in actions if e.action == "help.ask"}
    replies = [
        e
        for e in await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "help.answer").order_by(AuditEntry.id)
        )
        if (e.after or {}).get("question_id") in asked
    ]
    return {
        "profile": {
            "accounts": [
                {"messenger": a.messenger, "id": a.external_id, "since": _iso(a.created_at)}
                for a in await accounts_of(session, user_id)
            ],
            "reminders_to": user.messenger,
            "full_name": user.full_name,
            "username": user.username,
            "language_code": user.language_code,
            "timezone": user.timezone,
            "settings": user.settings or {},
            "active": user.is_active,
            "joined_at": _iso(user.created_at),
            "started_at": _iso(user.started_at),
            "blocked_at": _iso(user.blocked_at),
        },
        "roles": [
            {
                "role": m.role.value,
                "school": school,
                "plan": plan,
                "direction": direction,
                "since": _iso(m.created_at),
                "revoked_at": _iso(m.revoked_at),
            }
            for m, school, plan, direction in roles
        ],
        "reports": [
            {
                "item": title,
                "school": school,
                "status": s.status.value,
                "comment": s.comment,
                "files": files.get(s.id, []),
                "sent_at": _iso(s.created_at),
                "review_comment": s.review_comment,
            }
            for s, title, school in submissions
        ],
        "seminar_answers": [
            {"seminar": topic, "answer": a.answer.value, "at": _iso(a.answered_at)}
            for a, topic in answers
        ],
        "actions": [
            {
                "at": _iso(e.at),
                "action": e.action,
                "entity": f"{e.entity_type}:{e.entity_id}",
                # Their own words kept with the action: questions, answers, comments.
                "details": e.after,
            }
            for e in actions
        ],
        "questions": [
            {
                "at": _iso(e.at),
                "question": (e.after or {}).get("question"),
                "answers": [
                    {"at": _iso(r.at), "answer": (r.after or {}).get("answer")}
                    for r in replies
                    if (r.after or {}).get("question_id") == e.id
                ],
            }
            for e in asked.values()
        ],
    }


def _scrubbed(value: Any, words: list[str], ids: set[int]) -> Any:
    """`value` (decoded JSON) with every mention of the person replaced."""
    if isinstance(value, dict):
        return {k: _scrubbed(v, words, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, words, ids) for v in value]
    if isinstance(value, str):
        for word in words:
            value = value.replace(word, FORGOTTEN_NAME)
        for number in ids:
            value = value.replace(str(number), "")
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value in ids:
        return None
    return value


async def _scrub_mentions(session: AsyncSession, words: list[str | None], ids: set[int]) -> None:
    """Remove the person's name, username and account ids from every stored JSON document:
    notices queued for others ("… blocked the bot") and audit entries."""
    names = sorted({w for w in words if w and len(w) >= 2}, key=len, reverse=True)
    for model, column in (
        (OutboxMessage, "payload"),
        (AuditEntry, "before"),
        (AuditEntry, "after"),
    ):
        rows = await session.execute(select(model.id, getattr(model, column)))
        for row_id, document in rows:
            if not document:
                continue
            cleaned = _scrubbed(document, names, ids)
            if cleaned != document:
                await session.execute(
                    update(model).where(model.id == row_id).values({column: cleaned})
                )


async def forget(session: AsyncSession, clock: Clock, user_id: int) -> None:
    """Remove a person's personal data; their plan history stays, anonymised.

    Their messenger accounts are released, so the same person can join again by a new
    invitation and start clean; nothing links the new account to the old history.
    """
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    now = clock.now()
    accounts = await accounts_of(session, user_id)
    ids = {a.external_id for a in accounts} | {a.chat_id for a in accounts}
    await _scrub_mentions(session, [user.full_name, user.username], ids)
    # The redemptions stay, and a keyed pseudonym of each account, whichever messenger it was
    # in: the same link never lets them in again from any of them.
    for account in accounts:
        key = await pseudonym(session, account_key(account.messenger, account.external_id))
        session.add(ForgottenAccount(user_id=user_id, key=key))
        await session.delete(account)
    user.full_name = FORGOTTEN_NAME
    user.username = None
    user.language_code = None
    user.timezone = None
    user.settings = {}
    user.is_active = False
    user.forgotten_at = now
    held = list(
        await session.scalars(
            select(Membership).where(Membership.user_id == user_id, Membership.revoked_at.is_(None))
        )
    )
    for membership in held:
        membership.revoked_at = now
    await tell_left(session, clock, held)
    await session.execute(delete(Attendance).where(Attendance.user_id == user_id))
    await cancel_pending_to(session, user_id)
    # Earlier messages to the person: the chat id is theirs, the text may name them.
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient_user_id == user_id)
        .values(chat_id=0, payload={})
    )
    await session.flush()
    audit.record(
        session,
        clock,
        actor_user_id=user_id,
        action="user.forget",
        entity_type="user",
        entity_id=user_id,
    )
