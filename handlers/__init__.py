"""aiogram routers, one module per conversation; `build_routers` returns fresh instances."""

from __future__ import annotations

from aiogram import Router

from handlers import fallback, onboarding, plan_import, reminders, schools, upcoming


def build_routers() -> list[Router]:
    """New routers for one dispatcher (a router cannot be included twice)."""
    return [
        onboarding.build_router(),
        schools.build_router(),
        plan_import.build_router(),
        reminders.build_router(),
        upcoming.build_router(),
        fallback.build_router(),
    ]
