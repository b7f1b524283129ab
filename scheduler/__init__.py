"""Reminders: APScheduler only ticks; the database outbox is the truth (see docs/reminders.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.service import ReminderService


def build_scheduler(
    service: ReminderService,
    seconds: int = 60,
    sweeps: dict[str, Callable[[], Awaitable[Any]]] | None = None,
) -> AsyncIOScheduler:
    """One coalesced reminder tick, plus background sweeps (e.g. evidence copies) on the
    same interval, each with a grace period for late runs."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    jobs = {"reminders.tick": service.tick, **(sweeps or {})}
    for job_id, job in jobs.items():
        scheduler.add_job(
            job,
            IntervalTrigger(seconds=seconds),
            id=job_id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(seconds // 2, 1),
            replace_existing=True,
        )
    return scheduler
