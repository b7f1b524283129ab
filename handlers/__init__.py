"""aiogram routers, one module per conversation; `build_routers` returns fresh instances."""

from __future__ import annotations

from aiogram import F, Router

from handlers import (
    accounts,
    away,
    calendar,
    dashboard,
    deadlines,
    done_flow,
    evidence_archive,
    fallback,
    groups,
    health,
    help_flow,
    holidays,
    invitations,
    my_items,
    onboarding,
    people,
    plan_import,
    plan_schools,
    privacy,
    reminders,
    reports,
    review,
    schools,
    seminars,
    settings,
    status,
    upcoming,
)


def private_only(router: Router) -> Router:
    """Personal conversations stay in private chats: in a group nothing of a school leaks."""
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    return router


def build_routers() -> list[Router]:
    """New routers for one dispatcher (a router cannot be included twice)."""
    personal = [
        done_flow.build_interrupt_router(),
        accounts.build_router(),
        onboarding.build_router(),
        schools.build_router(),
        status.build_router(),
        dashboard.build_router(),
        reports.build_router(),
        evidence_archive.build_router(),
        calendar.build_router(),
        plan_import.build_router(),
        plan_schools.build_router(),
        my_items.build_router(),
        done_flow.build_router(),
        review.build_router(),
        help_flow.build_router(),
        deadlines.build_router(),
        away.build_router(),
        holidays.build_router(),
        reminders.build_router(),
        upcoming.build_router(),
        seminars.build_router(),
        privacy.build_router(),
        settings.build_router(),
        people.build_router(),
        invitations.build_router(),
        health.build_router(),
        fallback.build_router(),
    ]
    return [*(private_only(router) for router in personal), groups.build_router()]
