"""Reminder settings of a person (/settings) and of a plan (its coordinators): parse and store.

Values are validated here (pure `parse_value`) and stored in the JSON `settings` columns that
the reminder planner already reads; a change applies to reminders not yet sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import Clock
from core.errors import InvalidInput, NotFound
from core.reminder_policy import ReminderPolicy
from core.schools import validate_timezone
from core.status import Scope
from db.models import Plan, User

PERSON_KEYS = ("timezone", "lead_days", "quiet", "digest")
PLAN_KEYS = (
    "lead_days",
    "hour",
    "quiet",
    "overdue_days",
    "escalate_after_days",
    "digest_weekday",
    "deadlines_move",
)
TERM_KEYS = ("quarters", "halves")  # term boundaries read by the period grammar at import
_TERM = re.compile(r"(\d{1,2})\.(\d{1,2})\s*[-–—]\s*(\d{1,2})\.(\d{1,2})")
_QUIET = re.compile(r"^(\d{1,2})[:.](\d{2})\s*[-–—]\s*(\d{1,2})[:.](\d{2})$")
_WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
_WEEKDAY_STEMS = ("пон", "вто", "сре", "чет", "пят", "суб", "вос")


class SettingError(InvalidInput):
    """A value that does not fit its setting; `key` says which."""

    def __init__(self, key: str) -> None:
        super().__init__(key, "setting", setting=key)
        self.key = key


_CITIES = {
    "калининград": "Europe/Kaliningrad",
    "москва": "Europe/Moscow",
    "санкт-петербург": "Europe/Moscow",
    "самара": "Europe/Samara",
    "екатеринбург": "Asia/Yekaterinburg",
    "челябинск": "Asia/Yekaterinburg",
    "омск": "Asia/Omsk",
    "новосибирск": "Asia/Novosibirsk",
    "красноярск": "Asia/Krasnoyarsk",
    "иркутск": "Asia/Irkutsk",
    "якутск": "Asia/Yakutsk",
    "владивосток": "Asia/Vladivostok",
    "магадан": "Asia/Magadan",
    "камчатка": "Asia/Kamchatka",
}


def parse_zone(text: str) -> str:
    """An IANA zone from 'Asia/Yekaterinburg', 'asia/yekaterinburg' or a city: 'Челябинск'."""
    raw = text.strip()
    if raw.lower() in _CITIES:
        return _CITIES[raw.lower()]
    for candidate in (raw, "/".join(part.title() for part in raw.split("/"))):
        try:
            return validate_timezone(candidate)
        except InvalidInput:
            continue
    raise InvalidInput(raw, "unknown_zone", zone=raw)


def parse_value(key: str, text: str) -> Any:
    """The stored form of a typed value: '7, 3, 1, 0' -> [7, 3, 1, 0]; '22:00-07:30' -> pair."""
    if key == "timezone":
        try:
            return parse_zone(text)
        except InvalidInput:
            raise SettingError(key) from None
    text = text.strip().lower()
    try:
        if key == "lead_days":
            days = sorted({int(d) for d in re.split(r"[\s,;]+", text) if d}, reverse=True)
            if not days or any(not 0 <= d <= 60 for d in days):
                raise ValueError(text)
            return days
        if key == "overdue_days":
            if text in ("нет", "выкл", "off", "-"):
                return []
            days = sorted({int(d) for d in re.split(r"[\s,;]+", text) if d})
            if not days or any(not 1 <= d <= 60 for d in days):
                raise ValueError(text)
            return days
        if key == "quiet":
            if text in ("нет", "выкл", "off", "-"):
                return ["00:00", "00:00"]
            match = _QUIET.match(text)
            if not match:
                raise ValueError(text)
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            return [time(h1, m1).isoformat("minutes"), time(h2, m2).isoformat("minutes")]
        if key in ("digest", "deadlines_move"):
            if text in ("да", "вкл", "on", "1", "yes"):
                return True
            if text in ("нет", "выкл", "off", "0", "no"):
                return False
            raise ValueError(text)
        if key == "hour":
            hour = int(text.split(":")[0])
            if not 0 <= hour <= 23:
                raise ValueError(text)
            return hour
        if key == "escalate_after_days":
            delay = int(text)
            if not 1 <= delay <= 30:
                raise ValueError(text)
            return delay
        if key in TERM_KEYS:
            found = [tuple(int(g) for g in m.groups()) for m in _TERM.finditer(text)]
            if len(found) != (4 if key == "quarters" else 2):
                raise ValueError(text)
            for d1, m1, d2, m2 in found:
                date(2020, m1, d1), date(2020, m2, d2)  # raises for 31.02 and the like
            return [[[m1, d1], [m2, d2]] for d1, m1, d2, m2 in found]
        if key == "digest_weekday":
            if text in _WEEKDAYS:
                return _WEEKDAYS.index(text)
            return _WEEKDAY_STEMS.index(text[:3])
    except (ValueError, InvalidInput):
        raise SettingError(key) from None
    raise SettingError(key)


def _apply(reminders: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    changed = dict(reminders)
    if key == "quiet":
        changed["quiet_start"], changed["quiet_end"] = value
    else:
        changed[key] = value
    return changed


def _describe(policy: ReminderPolicy) -> dict[str, str]:
    return {
        "lead_days": ", ".join(str(d) for d in policy.lead_days),
        "hour": f"{policy.hour:02d}:00",
        "quiet": f"{policy.quiet_start:%H:%M}–{policy.quiet_end:%H:%M}",
        "overdue_days": ", ".join(str(d) for d in policy.overdue_days) or "нет",
        "escalate_after_days": str(policy.escalate_after_days),
        "digest_weekday": _WEEKDAYS[policy.digest_weekday],
        "deadlines_move": "да" if policy.deadlines_move else "нет",
    }


async def person_settings(session: AsyncSession, user_id: int) -> dict[str, str]:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    stored = user.settings or {}
    shown = _describe(ReminderPolicy().merged(stored.get("reminders")))
    return {
        "timezone": user.timezone or "",
        "lead_days": shown["lead_days"],
        "quiet": shown["quiet"],
        "digest": "да" if stored.get("digest", True) else "нет",
    }


async def set_person_setting(
    session: AsyncSession, clock: Clock, user_id: int, key: str, text: str
) -> None:
    """Store one of the person's settings; raises SettingError for a bad value."""
    if key not in PERSON_KEYS:
        raise SettingError(key)
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    value = parse_value(key, text)
    before = {"timezone": user.timezone, **(user.settings or {})}
    settings = dict(user.settings or {})
    if key == "timezone":
        user.timezone = value
    elif key == "digest":
        settings["digest"] = value
    else:
        settings["reminders"] = _apply(settings.get("reminders", {}), key, value)
    user.settings = settings
    audit.record(
        session,
        clock,
        actor_user_id=user_id,
        action="settings.person",
        entity_type="user",
        entity_id=user_id,
        before=before,
        after={"timezone": user.timezone, **settings},
    )


def _manages(scope: Scope, plan_id: int) -> bool:
    from core.timeoff import manages_plan  # one rule for every plan-wide change

    return manages_plan(scope, plan_id)


async def plan_settings(session: AsyncSession, scope: Scope, plan_id: int) -> dict[str, str]:
    plan = await session.get(Plan, plan_id)
    if plan is None or not _manages(scope, plan_id):
        raise NotFound(f"no plan {plan_id} in scope")
    return _describe(ReminderPolicy().merged((plan.settings or {}).get("reminders")))


async def set_plan_setting(
    session: AsyncSession,
    clock: Clock,
    *,
    scope: Scope,
    actor_user_id: int | None,
    plan_id: int,
    key: str,
    text: str,
) -> None:
    """Store one reminder setting of a plan (its coordinators: the whole plan in scope)."""
    if key not in PLAN_KEYS + TERM_KEYS:
        raise SettingError(key)
    plan = await session.get(Plan, plan_id)
    if plan is None or not _manages(scope, plan_id):
        raise NotFound(f"no plan {plan_id} in scope")
    value = parse_value(key, text)
    settings = dict(plan.settings or {})
    if key in TERM_KEYS:
        before_terms = dict(settings.get("terms", {}))
        settings["terms"] = {**before_terms, key: value}
        plan.settings = settings
        audit.record(
            session,
            clock,
            actor_user_id=actor_user_id,
            action="settings.plan",
            entity_type="plan",
            entity_id=plan_id,
            before={"terms": before_terms},
            after={"terms": settings["terms"]},
        )
        return
    before = dict(settings.get("reminders", {}))
    settings["reminders"] = _apply(before, key, value)
    plan.settings = settings
    audit.record(
        session,
        clock,
        actor_user_id=actor_user_id,
        action="settings.plan",
        entity_type="plan",
        entity_id=plan_id,
        before=before,
        after=settings["reminders"],
    )


async def set_archived(
    session: AsyncSession,
    clock: Clock,
    *,
    scope: Scope,
    actor_user_id: int | None,
    plan_id: int,
    archived: bool,
) -> None:
    """Archive a finished plan (no reminders, out of status) or bring it back."""
    plan = await session.get(Plan, plan_id)
    if plan is None or not _manages(scope, plan_id):
        raise NotFound(f"no plan {plan_id} in scope")
    if (plan.archived_at is not None) == archived:
        return
    plan.archived_at = clock.now() if archived else None
    audit.record(
        session,
        clock,
        actor_user_id=actor_user_id,
        action="plan.archive" if archived else "plan.unarchive",
        entity_type="plan",
        entity_id=plan_id,
    )


@dataclass(frozen=True)
class PlanLine:
    plan_id: int
    title: str
    archived: bool


async def plans_in_scope(session: AsyncSession, scope: Scope) -> list[PlanLine]:
    """Plans whose settings the person may change, archived ones too."""
    plans = await session.scalars(select(Plan).order_by(Plan.archived_at.is_not(None), Plan.id))
    return [
        PlanLine(p.id, p.title, p.archived_at is not None) for p in plans if _manages(scope, p.id)
    ]
