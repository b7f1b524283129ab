"""/status with drill-down (plan -> direction -> school -> item card) and /overdue."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import OverdueNudge, StatusChart, StatusDirection, StatusSchool
from bot.filters import HasRole
from bot.middlewares import AfterCommit, Kick
from bot.settings import Settings
from core.absences import away_in_scope
from core.clock import Clock
from core.dto import UserContext
from core.filenames import document_name
from core.nudges import NudgeRefused, nudge_school
from core.reminder_policy import local_today
from core.roles import Role
from core.status import (
    STAGE,
    PlanStatus,
    chart_parts,
    direction_schools,
    overdue_by_school,
    plan_status,
    plans_with_stages,
    school_items,
    scope_of,
)

ANY_ROLE = HasRole(*Role)


def _parts_word(plan: PlanStatus, staged: bool) -> str | None:
    """What the plan without directions is split into, for the drill-down's button."""
    if plan.group_kind == STAGE or (staged and not plan.sections):
        return "этапы"
    return "разделы" if plan.sections else None


async def show_status(
    message: Message, session: AsyncSession, clock: Clock, settings: Settings, user_ctx: UserContext
) -> None:
    scope = scope_of(user_ctx)
    plans = await plan_status(session, scope, clock.now(), settings.default_timezone)
    staged = await plans_with_stages(session, [p.plan_id for p in plans])
    several = len(plans) > 1
    buttons = [
        (
            p.plan_id,
            texts.status_buttons(
                p.title,
                [(d.direction_id, d.code) for d in p.directions],
                _parts_word(p, p.plan_id in staged),
                several,
            ),
        )
        for p in plans
    ]
    today = local_today(clock.now(), settings.default_timezone)
    away = await away_in_scope(
        session, None if scope.all_plans else set(scope.plan_ids), set(scope.school_ids), today
    )
    text = texts.status(plans) + texts.away_block(away, today)
    # Mini App buttons work only in private chats; a group gets the chat's buttons alone.
    url = settings.webapp_url if message.chat.type == "private" else None
    await message.answer(text, reply_markup=keyboards.status_plans(buttons, url))


async def open_direction(
    query: CallbackQuery,
    callback_data: StatusDirection,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
) -> None:
    direction_id = callback_data.direction_id or None
    scope = scope_of(user_ctx)
    schools = await direction_schools(
        session, scope, callback_data.plan_id, direction_id, clock.now(), settings.default_timezone
    )
    plans = await plan_status(session, scope, clock.now(), settings.default_timezone)
    title = next(
        (
            f"{d.code}. {d.title}" if d.code else d.title
            for p in plans
            if p.plan_id == callback_data.plan_id
            for d in p.directions
            if d.direction_id == direction_id
        ),
        None,
    )
    if title is None and not schools:  # not a plan or direction this person may see
        await query.answer(texts.NOT_IN_SCOPE, show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            texts.status_direction(title or "", schools[:25]),
            reply_markup=keyboards.status_schools(
                callback_data.plan_id,
                callback_data.direction_id,
                [(s.school_id, s.name) for s in schools[:25]],
            ),
        )


async def open_school(
    query: CallbackQuery,
    callback_data: StatusSchool,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
) -> None:
    scope = scope_of(user_ctx)
    items = await school_items(
        session,
        scope,
        callback_data.plan_id,
        callback_data.direction_id or None,
        callback_data.school_id or None,
        clock.now(),
        settings.default_timezone,
    )
    schools = await direction_schools(
        session,
        scope,
        callback_data.plan_id,
        callback_data.direction_id or None,
        clock.now(),
        settings.default_timezone,
    )
    name = next((s.name for s in schools if (s.school_id or 0) == callback_data.school_id), None)
    if name is None:  # not a school this person may see (or no longer in the plan)
        await query.answer(texts.NOT_IN_SCOPE, show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            texts.status_school(name, items),
            reply_markup=keyboards.status_items([i[0] for i in items]),
        )


async def show_overdue(
    message: Message, session: AsyncSession, clock: Clock, settings: Settings, user_ctx: UserContext
) -> None:
    rows = await overdue_by_school(
        session, scope_of(user_ctx), clock.now(), settings.default_timezone
    )
    markup = keyboards.overdue_nudges([row.school_id for row in rows])
    hint = texts.OVERDUE_NUDGE_HINT if markup else ""
    await message.answer(texts.overdue_by_school(rows) + hint, reply_markup=markup)


async def nudge(
    query: CallbackQuery,
    callback_data: OverdueNudge,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
) -> None:
    """🔔 N: remind school N's curators of its overdue items (once a day, audited)."""
    try:
        count = await nudge_school(
            session, clock, user_ctx, callback_data.school_id, settings.default_timezone
        )
    except NudgeRefused as exc:
        await query.answer(texts.NUDGE_REFUSED[exc.code], show_alert=True)
        return
    after_commit(lambda: query.answer(texts.nudged(count), show_alert=True))
    after_commit.call(outbox_kick)


async def send_chart(
    query: CallbackQuery,
    callback_data: StatusChart,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
) -> None:
    """📈: directions of the plan, or its schools when it has one direction or none."""
    chart = await chart_parts(
        session, scope_of(user_ctx), callback_data.plan_id, clock.now(), settings.default_timezone
    )
    if chart is None or not isinstance(query.message, Message):
        await query.answer(texts.CHART_UNAVAILABLE, show_alert=True)
        return
    await query.answer()  # drawing takes a moment: the button stops spinning first
    from reports.chart import bars_of, progress_png  # matplotlib loads with the first chart

    png = await asyncio.to_thread(progress_png, chart.title, bars_of(chart.parts))
    today = local_today(clock.now(), settings.default_timezone)
    await query.message.answer_photo(
        BufferedInputFile(png, document_name(texts.CHART_FILE, "png", chart.title, day=today)),
        caption=texts.chart_caption(chart.title, chart.counts),
    )


def build_router() -> Router:
    router = Router(name="status")
    router.message.register(show_status, Command("status"), ANY_ROLE)
    router.message.register(show_overdue, Command("overdue"), HasRole(Role.ADMIN, Role.COORDINATOR))
    router.callback_query.register(open_direction, StatusDirection.filter(), ANY_ROLE)
    router.callback_query.register(send_chart, StatusChart.filter(), ANY_ROLE)
    router.callback_query.register(open_school, StatusSchool.filter(), ANY_ROLE)
    router.callback_query.register(
        nudge, OverdueNudge.filter(), HasRole(Role.ADMIN, Role.COORDINATOR)
    )
    return router
