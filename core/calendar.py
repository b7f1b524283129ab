"""A person's calendar: their deadlines and seminars as events, and the secret feed address.

The address carries `user.version.signature`: the signature is an HMAC of the person and a
version number kept in their settings, so nothing secret is stored; renewing bumps the
version (the old address answers 404), switching off makes it negative.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import Clock
from core.dto import UserContext
from core.permissions import may_answer_seminar, may_review
from core.reminder_policy import resolve_zone
from core.scope import school_visible, scope_of
from core.seminars import school_ids_of
from core.states import AssignmentStatus
from core.users import context_for
from db.models import Activity, Assignment, Plan, School, Seminar, User

FEED_KEY = "calendar_feed"  # in user.settings: the current version (negative: switched off)
PAST = timedelta(days=30)  # events this far back stay in the feed
AHEAD = timedelta(days=400)


@dataclass(frozen=True)
class CalEvent:
    """One event: an all-day deadline (`day`), or a moment in a zone (`start`, `zone`)."""

    uid: str
    summary: str
    description: str
    day: date | None = None
    start: datetime | None = None
    zone: str | None = None
    location: str | None = None
    cancelled: bool = False
    sequence: int = 0


def _key(secret: str) -> bytes:
    return hashlib.sha256(f"kurator-calendar:{secret}".encode()).digest()


def feed_token(secret: str, user_id: int, version: int) -> str:
    signature = hmac.new(_key(secret), f"{user_id}.{version}".encode(), hashlib.sha256)
    return f"{user_id}.{version}.{signature.hexdigest()[:32]}"


def feed_address(public_base: str, secret: str, user_id: int, version: int) -> str:
    """The public address of a person's feed, under the bot's public base (WEBAPP_URL)."""
    return f"{public_base.rstrip('/')}/cal/{feed_token(secret, user_id, version)}.ics"


def read_token(secret: str, token: str) -> tuple[int, int] | None:
    """(user id, version) of a well-signed token; None for anything else."""
    try:
        user_text, version_text, _ = token.split(".")
        user_id, version = int(user_text), int(version_text)
    except ValueError:
        return None
    if version <= 0 or not hmac.compare_digest(feed_token(secret, user_id, version), token):
        return None
    return user_id, version


async def current_version(session: AsyncSession, user_id: int) -> int:
    user = await session.get(User, user_id)
    return int((user.settings or {}).get(FEED_KEY, 0)) if user else 0


async def issue(session: AsyncSession, clock: Clock, user_id: int, renew: bool = False) -> int:
    """The person's feed version: the current one, or a new one (renewed, or switched off
    before); the old address stops working when the version changes."""
    user = await session.get(User, user_id)
    assert user is not None
    version = int((user.settings or {}).get(FEED_KEY, 0))
    if version > 0 and not renew:
        return version
    new = abs(version) + 1
    user.settings = {**(user.settings or {}), FEED_KEY: new}
    audit.record(session, clock, actor_user_id=user_id, action="calendar.issue",
                 entity_type="user", entity_id=user_id, after={"version": new})  # fmt: skip
    return new


async def revoke(session: AsyncSession, clock: Clock, user_id: int) -> None:
    """Switch the feed off: its address answers 404 until a new one is issued."""
    user = await session.get(User, user_id)
    assert user is not None
    version = int((user.settings or {}).get(FEED_KEY, 0))
    if version > 0:
        user.settings = {**(user.settings or {}), FEED_KEY: -version}
        audit.record(session, clock, actor_user_id=user_id, action="calendar.revoke",
                     entity_type="user", entity_id=user_id)  # fmt: skip


async def owner(session: AsyncSession, secret: str, token: str, today: date) -> UserContext | None:
    """Whose feed this address is, if it is the current one of an active person."""
    found = read_token(secret, token)
    if found is None:
        return None
    user = await session.get(User, found[0])
    if user is None or not user.is_active or user.forgotten_at is not None:
        return None
    if (user.settings or {}).get(FEED_KEY) != found[1]:
        return None
    return await context_for(session, user, today)


async def events(
    session: AsyncSession, user: UserContext, now: datetime, default_zone: str
) -> list[CalEvent]:
    """The person's deadlines (their schools' items; a coordinator's plan activities) and the
    seminars they are invited to or run, from a month back; cancelled ones marked."""
    today = now.astimezone(ZoneInfo(default_zone)).date()
    found = await _school_items(session, user, today)
    found += await _plan_deadlines(session, user, today)
    found += await _seminars(session, user, now, default_zone)
    return found


def _deadline(
    uid: str,
    title: str,
    where: str,
    due: date,
    due_time: str | None,
    zone: str,
    cancelled: bool,
    sequence: int,
) -> CalEvent:
    summary = f"Срок: {title}"
    if due_time:  # "до 18:00": a moment in the plan's (or the item's) zone
        hour, minute = (int(x) for x in due_time.split(":"))
        start = datetime.combine(due, time(hour, minute), ZoneInfo(zone))
        return CalEvent(uid, summary, where, start=start, zone=zone, cancelled=cancelled,
                        sequence=sequence)  # fmt: skip
    return CalEvent(uid, summary, where, day=due, cancelled=cancelled, sequence=sequence)


async def _school_items(session: AsyncSession, user: UserContext, today: date) -> list[CalEvent]:
    scope = scope_of(user)
    if not scope.school_ids:
        return []
    mine = school_visible(scope, Activity.plan_id, Activity.direction_id, Assignment.school_id)
    rows = await session.execute(
        select(
            Assignment.id,
            Assignment.status,
            Assignment.due_date,
            Assignment.version,
            Activity.title,
            Activity.due_time,
            Activity.due_zone,
            Activity.cancelled_at,
            Plan.timezone,
            Plan.title,
            School.name,
        )
        .join(Activity, Activity.id == Assignment.activity_id)
        .join(Plan, Plan.id == Activity.plan_id)
        .join(School, School.id == Assignment.school_id)
        .where(
            mine,
            Plan.archived_at.is_(None),
            Assignment.due_date.is_not(None),
            Assignment.due_date >= today - PAST,
            Assignment.due_date <= today + AHEAD,
            Assignment.status != AssignmentStatus.ACCEPTED,  # done: off the calendar
        )
    )
    return [
        _deadline(
            f"assignment-{a_id}@kurator",
            title,
            f"{school} — {plan}",
            due,
            due_time,
            resolve_zone(due_zone or zone, "Europe/Moscow").key,
            cancelled is not None or status == AssignmentStatus.CANCELLED,
            version,
        )
        for a_id, status, due, version, title, due_time, due_zone, cancelled, zone, plan, school
        in rows
        if due is not None
    ]  # fmt: skip


async def _plan_deadlines(session: AsyncSession, user: UserContext, today: date) -> list[CalEvent]:
    scope = scope_of(user)
    if not (scope.all_plans or scope.plan_ids):
        return []
    query = (
        select(
            Activity.id,
            Activity.title,
            Activity.due_date,
            Activity.due_time,
            Activity.due_zone,
            Activity.cancelled_at,
            Activity.direction_id,
            Plan.id,
            Plan.timezone,
            Plan.title,
        )
        .join(Plan, Plan.id == Activity.plan_id)
        .where(
            Plan.archived_at.is_(None),
            Activity.due_date.is_not(None),
            Activity.due_date >= today - PAST,
            Activity.due_date <= today + AHEAD,
        )
    )
    if not scope.all_plans:
        query = query.where(Plan.id.in_(scope.plan_ids))
    return [
        _deadline(
            f"activity-{a_id}@kurator",
            title,
            plan_title,
            due,
            due_time,
            resolve_zone(due_zone or zone, "Europe/Moscow").key,
            cancelled is not None,
            0,
        )
        for a_id, title, due, due_time, due_zone, cancelled, direction_id, plan_id, zone, plan_title
        in await session.execute(query)
        if due is not None and may_review(user, plan_id, direction_id)
    ]  # fmt: skip


async def _seminars(
    session: AsyncSession, user: UserContext, now: datetime, default_zone: str
) -> list[CalEvent]:
    since = now - PAST
    rows = await session.execute(
        select(Seminar, Plan.timezone)
        .join(Plan, Plan.id == Seminar.plan_id)
        .where(
            Plan.archived_at.is_(None),
            or_(Seminar.starts_at >= since, Seminar.starts_on >= since.date()),
        )
    )
    found = []
    for seminar, plan_zone in rows:
        invited = await school_ids_of(session, seminar)
        if not may_answer_seminar(user, invited, seminar.plan_id, seminar.direction_id):
            continue
        zone = resolve_zone(plan_zone, default_zone).key
        details = "\n".join(x for x in (seminar.audience_text, seminar.date_text) if x)
        event = CalEvent(
            uid=f"seminar-{seminar.id}@kurator",
            summary=f"Семинар: {seminar.topic}",
            description=details,
            location=seminar.place,
            cancelled=seminar.cancelled_at is not None,
        )
        if seminar.starts_at is not None:
            start = seminar.starts_at.astimezone(ZoneInfo(zone))
            found.append(replace(event, start=start, zone=zone))
        elif seminar.starts_on is not None:  # the day is known, the time not yet: all day
            found.append(replace(event, day=seminar.starts_on))
    return found
