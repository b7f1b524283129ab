"""Reminders: APScheduler only ticks; the database outbox is the truth (see docs/reminders.md)."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.service import ReminderService


def build_scheduler(service: ReminderService, seconds: int = 60) -> AsyncIOScheduler:
    """A scheduler with one coalesced tick job and a grace period for late ticks."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        service.tick,
        IntervalTrigger(seconds=seconds),
        id="reminders.tick",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(seconds // 2, 1),
        replace_existing=True,
    )
    return scheduler
