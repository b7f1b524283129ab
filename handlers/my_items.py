"""/my: a curator's items with filters and pages (one message, edited), item cards, snooze."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import ItemAct, ItemOpen, ItemsPage, RemindAction
from bot.middlewares import AfterCommit
from bot.settings import Settings
from core.clock import Clock
from core.dto import UserContext
from core.reminder_policy import local_today, resolve_zone
from core.report_data import document_zone
from core.work import PAGE_SIZE, ItemCard, WorkError, item_card, item_history, my_items, snooze


async def _page(
    session: AsyncSession, user: UserContext, view: str, page: int, clock: Clock, settings: Settings
) -> tuple[str, object]:
    today = local_today(clock.now(), settings.default_timezone)
    result = await my_items(session, user, view, page, today)
    text = texts.my_items(
        view,
        [(r.title, r.due, r.state, r.section, r.for_name) for r in result.rows],
        result.page,
        result.pages,
        result.total,
        today,
    )
    markup = keyboards.items_page(
        view,
        result.page,
        result.pages,
        [r.assignment_id for r in result.rows],
        result.page * PAGE_SIZE,
    )
    return text, markup


async def show_my(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
) -> None:
    """/my: open items, soonest first."""
    if user_ctx is None or not user_ctx.memberships:
        await message.answer(texts.NOT_MEMBER)
        return
    text, markup = await _page(session, user_ctx, "open", 0, clock, settings)
    await message.answer(text, reply_markup=markup)  # type: ignore[arg-type]


async def turn_page(
    query: CallbackQuery,
    callback_data: ItemsPage,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
) -> None:
    """Filters and arrows edit the same message."""
    if user_ctx is None or not isinstance(query.message, Message):
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return
    view = callback_data.view if callback_data.view in texts.VIEW_NAMES else "open"
    text, markup = await _page(session, user_ctx, view, callback_data.page, clock, settings)
    await query.answer()
    if text != query.message.text:
        await query.message.edit_text(text, reply_markup=markup)  # type: ignore[arg-type]


async def _visible_card(
    query: CallbackQuery, session: AsyncSession, user_ctx: UserContext | None, assignment_id: int
) -> ItemCard | None:
    """The card if this person may see it in a private message; else the press is refused."""
    if user_ctx is None or not isinstance(query.message, Message):
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return None
    try:
        return await item_card(session, user_ctx, assignment_id)
    except WorkError as exc:
        await query.answer(texts.work_error(exc.code), show_alert=True)
        return None


async def open_card(
    query: CallbackQuery,
    callback_data: ItemOpen,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
) -> None:
    """The full card with the actions this person may take now."""
    card = await _visible_card(query, session, user_ctx, callback_data.assignment_id)
    if card is None or not isinstance(query.message, Message):
        return
    await query.answer()
    review = card.pending_submission_id if card.can_review else None
    today = local_today(clock.now(), card.zone, settings.default_timezone)
    await query.message.answer(
        texts.item_card(card, today),
        reply_markup=keyboards.item_actions(
            card.assignment_id,
            card.can_act,
            review,
            texts.comments_clipped(card),
            can_move=card.can_move,
            can_snooze=card.can_snooze(today),
        ),
    )


async def postpone(
    query: CallbackQuery,
    assignment_id: int,
    days: int,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    **_: object,
) -> None:
    if user_ctx is None:
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return
    try:
        moment = await snooze(
            session, clock, user_ctx, assignment_id, days, settings.default_timezone
        )
    except WorkError as exc:
        await query.answer(texts.work_error_of(exc), show_alert=True)
        return
    today = local_today(clock.now(), settings.default_timezone)
    after_commit(lambda: query.answer(texts.snoozed(moment, today), show_alert=True))


async def show_history(
    query: CallbackQuery,
    assignment_id: int,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
    **_: object,
) -> None:
    """Who did what with the item; only for people who may see its card."""
    card = await _visible_card(query, session, user_ctx, assignment_id)
    if card is None or not isinstance(query.message, Message):
        return
    assert user_ctx is not None  # _visible_card checked it
    lines = await item_history(session, user_ctx, assignment_id)
    # The one time rule: the plan's clock, named, as on the dashboard's card and in documents.
    zone = resolve_zone(document_zone(card.plan_zone, settings.default_timezone))
    await query.answer()
    today = clock.now().astimezone(zone).date()
    await query.message.answer(texts.history(card.title, lines, zone, today))


async def show_comments(
    query: CallbackQuery,
    assignment_id: int,
    session: AsyncSession,
    user_ctx: UserContext | None,
    **_: object,
) -> None:
    """The comments a card cut short, in full (split into messages if needed)."""
    card = await _visible_card(query, session, user_ctx, assignment_id)
    if card is None or not isinstance(query.message, Message):
        return
    await query.answer()
    for part in texts.full_comments(card):
        await query.message.answer(part)


async def item_action(query: CallbackQuery, callback_data: ItemAct, **data: object) -> None:
    """Card buttons: snoozes here; done and help are other conversations."""
    await _dispatch(query, callback_data.action, callback_data.assignment_id, data)


async def reminder_action(
    query: CallbackQuery, callback_data: RemindAction, **data: object
) -> None:
    """The same actions from the buttons under a reminder."""
    action = {"report": "done", "tomorrow": "tomorrow"}.get(
        callback_data.action, callback_data.action
    )
    await _dispatch(query, action, callback_data.assignment_id, data)


async def _dispatch(
    query: CallbackQuery, action: str, assignment_id: int, data: dict[str, object]
) -> None:
    from handlers.deadlines import start_move
    from handlers.done_flow import start_done
    from handlers.help_flow import start_help

    if action in ("tomorrow", "later3"):
        await postpone(query, assignment_id, 1 if action == "tomorrow" else 3, **data)  # type: ignore[arg-type]
    elif action == "done":
        await start_done(query, assignment_id, **data)  # type: ignore[arg-type]
    elif action == "help":
        await start_help(query, assignment_id, **data)  # type: ignore[arg-type]
    elif action == "history":
        await show_history(query, assignment_id, **data)  # type: ignore[arg-type]
    elif action == "comments":
        await show_comments(query, assignment_id, **data)  # type: ignore[arg-type]
    elif action == "move":
        await start_move(query, assignment_id, **data)  # type: ignore[arg-type]
    else:
        await query.answer(texts.work_error("not_found"), show_alert=True)


def build_router() -> Router:
    router = Router(name="my_items")
    router.message.register(show_my, Command("my"), F.chat.type == "private")
    router.callback_query.register(turn_page, ItemsPage.filter())
    router.callback_query.register(open_card, ItemOpen.filter())
    router.callback_query.register(item_action, ItemAct.filter())
    router.callback_query.register(reminder_action, RemindAction.filter())
    return router
