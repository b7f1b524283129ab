"""Reminder settings: plan defaults, per-person overrides, local time and quiet hours. Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ReminderPolicy:
    """When reminders go; a plan's settings and a person's /settings override the defaults."""

    lead_days: tuple[int, ...] = (7, 3, 1, 0)
    hour: int = 9
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    overdue_days: tuple[int, ...] = (1, 3, 7)  # days after the deadline; then the digest only
    escalate_after_days: int = 3
    digest_weekday: int = 0  # Monday
    seminar_hours_before: int = 2
    checkin_min_days: int = 14  # periods at least this long get a mid-period check-in
    working_days_only: bool = True  # weekends and public holidays (RU) move reminders
    deadlines_move: bool = False  # a due date on a day off: "сдайте до" the working day before

    def merged(self, overrides: dict[str, Any] | None) -> ReminderPolicy:
        """A copy with the known keys of `overrides` applied (unknown keys are ignored)."""
        if not overrides:
            return self
        changes: dict[str, Any] = {}
        if isinstance(overrides.get("lead_days"), list | tuple):
            changes["lead_days"] = tuple(
                sorted({int(d) for d in overrides["lead_days"] if 0 <= int(d) <= 60}, reverse=True)
            )
        if isinstance(overrides.get("overdue_days"), list | tuple):
            changes["overdue_days"] = tuple(
                sorted({int(d) for d in overrides["overdue_days"] if 1 <= int(d) <= 60})
            )
        for key in (
            "hour",
            "escalate_after_days",
            "digest_weekday",
            "seminar_hours_before",
        ):
            if isinstance(overrides.get(key), int):
                changes[key] = overrides[key]
        for key in ("working_days_only", "deadlines_move"):
            if isinstance(overrides.get(key), bool):
                changes[key] = overrides[key]
        for key in ("quiet_start", "quiet_end"):
            if isinstance(overrides.get(key), str):
                changes[key] = time.fromisoformat(overrides[key])
        return replace(self, **changes)


def in_quiet_hours(local: time, policy: ReminderPolicy) -> bool:
    start, end = policy.quiet_start, policy.quiet_end
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def local_send_time(day: date, at: time, zone: ZoneInfo, policy: ReminderPolicy) -> datetime:
    """`day` at `at` local, moved to the end of quiet hours if it falls inside them; UTC."""
    local = datetime.combine(day, at, zone)
    if in_quiet_hours(local.timetz().replace(tzinfo=None), policy):
        end_day = day if local.time() < policy.quiet_end else day + timedelta(days=1)
        local = datetime.combine(end_day, policy.quiet_end, zone)
    return local.astimezone(UTC)


def at_hour(day: date, zone: ZoneInfo, policy: ReminderPolicy, hour: int | None = None) -> datetime:
    """The policy's reminder hour (or `hour`) on `day`, local, quiet hours respected; UTC."""
    return local_send_time(day, time(policy.hour if hour is None else hour), zone, policy)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)


def resolve_zone(*names: str | None) -> ZoneInfo:
    """The first valid IANA zone among user's, school's, plan's, default."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (KeyError, ValueError):
                continue
    return ZoneInfo("Europe/Moscow")


def local_today(now: datetime, *zone_names: str | None) -> date:
    """The date `now` falls on in the first valid zone among `zone_names` (else Moscow)."""
    return now.astimezone(resolve_zone(*zone_names)).date()
