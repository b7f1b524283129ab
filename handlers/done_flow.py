"""Marking an item done: files and a comment, then Send or Cancel; undo; review requests."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any, Protocol

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import DoneAct, UndoAct
from bot.middlewares import AfterCommit, Kick
from bot.settings import Settings
from core.clock import Clock
from core.dto import UserContext
from core.work import FileInfo, WorkError, begin_done, submit, undo

MAX_DOWNLOAD = 20 * 1024 * 1024


class DoneFlow(StatesGroup):
    collecting = State()


class FlowTracker(Protocol):
    """Told of every open flow, so that an idle one can be ended on time (bot.flows)."""

    def track(self, key: StorageKey) -> None: ...


def expired(data: dict[str, Any], now: datetime, minutes: int) -> bool:
    """True when the flow has had no file or text for `minutes`."""
    last = data.get("last")
    return last is not None and now - datetime.fromisoformat(last) >= timedelta(minutes=minutes)


def expired_text(data: dict[str, Any], minutes: int) -> str:
    return texts.done_expired(str(data.get("title", "")), len(data.get("files", [])), minutes)


async def start_done(
    query: CallbackQuery,
    assignment_id: int,
    session: AsyncSession,
    state: FSMContext,
    user_ctx: UserContext | None,
    clock: Clock,
    flow_watch: FlowTracker | None = None,
    **_: object,
) -> None:
    """✅ Выполнено: check, then ask for evidence with the plan's expected result as the hint."""
    if user_ctx is None or not isinstance(query.message, Message):
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return
    try:
        card = await begin_done(session, user_ctx, assignment_id)
    except WorkError as exc:
        await query.answer(texts.work_error_of(exc), show_alert=True)
        return
    await state.set_state(DoneFlow.collecting)
    await state.set_data(
        {
            "assignment_id": card.assignment_id,
            "version": card.version,
            "title": card.title,
            "expected": card.expected_result,
            "comment": "",
            "files": [],
            "album_acks": {},
            "last": clock.now().isoformat(),
        }
    )
    if flow_watch is not None:
        flow_watch.track(state.key)
    await query.answer()
    await query.message.answer(
        texts.done_start(card.title, card.expected_result), reply_markup=keyboards.done_controls()
    )


def _file_of(message: Message) -> tuple[FileInfo | None, str | None]:
    """The file a message carries and its display name."""
    group = message.media_group_id
    if message.document:
        d = message.document
        return FileInfo(
            "document", d.file_id, d.file_unique_id, d.file_name, d.mime_type, d.file_size, group
        ), d.file_name
    if message.photo:
        p = message.photo[-1]
        return FileInfo(
            "photo", p.file_id, p.file_unique_id, None, "image/jpeg", p.file_size, group
        ), "фото"
    for kind in ("video", "voice", "video_note", "audio"):
        item = getattr(message, kind)
        if item is not None:
            return FileInfo(
                kind,
                item.file_id,
                item.file_unique_id,
                getattr(item, "file_name", None),
                getattr(item, "mime_type", None),
                item.file_size,
                group,
            ), kind
    return None, None


async def collect(
    message: Message, state: FSMContext, settings: Settings, bot: Bot, clock: Clock
) -> None:
    """Files and text while the flow is open; refusals keep the flow alive."""
    data: dict[str, Any] = await state.get_data()
    if expired(data, clock.now(), settings.done_flow_minutes):
        # Too late for this item: end the flow, then answer the message as outside any flow.
        await state.clear()
        await message.answer(expired_text(data, settings.done_flow_minutes))
        raise SkipHandler
    data["last"] = clock.now().isoformat()
    info, name = _file_of(message)
    text = message.text or message.caption
    if info is None and not text:
        return
    # A message posted again (its first process died after saving it) is not added twice.
    seen: list[int] = data.setdefault("seen", [])
    if message.message_id in seen:
        return
    seen.append(message.message_id)
    if info is not None:
        allowed = [t.strip().lower() for t in settings.evidence_types.split(",") if t.strip()]
        suffix = PurePath(info.file_name or "").suffix.lower().lstrip(".")
        if info.size and info.size > MAX_DOWNLOAD:
            await message.answer(texts.FILE_TOO_BIG.format(name=name))
            return
        if info.kind == "document" and suffix not in allowed:
            await message.answer(texts.FILE_FORBIDDEN.format(name=name, allowed=", ".join(allowed)))
            return
        if len(data["files"]) >= settings.evidence_max_files:
            await message.answer(texts.TOO_MANY_FILES.format(limit=settings.evidence_max_files))
            return
        data["files"].append(info.__dict__)
    if text:
        data["comment"] = (data["comment"] + "\n" + text).strip()
    group = message.media_group_id
    status = texts.done_collected(data["title"], len(data["files"]), bool(data["comment"]))
    acks: dict[str, int] = data.setdefault("album_acks", {})
    if group is not None and group in acks:
        # One answer per album, kept current by editing it as the album's photos arrive.
        await bot.edit_message_text(
            status,
            chat_id=message.chat.id,
            message_id=acks[group],
            reply_markup=keyboards.done_controls(),
        )
        await state.set_data(data)
        return
    sent = await message.answer(status, reply_markup=keyboards.done_controls())
    if group is not None:
        acks[group] = sent.message_id
    await state.set_data(data)


async def finish(
    query: CallbackQuery,
    callback_data: DoneAct,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    settings: Settings,
    outbox_kick: Kick | None = None,
    evidence_kick: Kick | None = None,
) -> None:
    """Send stores the submission and queues the review requests; Cancel leaves it open."""
    data: dict[str, Any] = await state.get_data()
    if (
        await state.get_state() != DoneFlow.collecting.state
        or user_ctx is None
        or not isinstance(query.message, Message)
    ):
        await query.answer(texts.DONE_STALE, show_alert=True)
        return
    if expired(data, clock.now(), settings.done_flow_minutes):
        await state.clear()
        await query.answer(expired_text(data, settings.done_flow_minutes), show_alert=True)
        return
    message = query.message
    if callback_data.action == "cancel":
        await state.clear()
        await query.answer()
        await message.answer(texts.DONE_CANCELLED)
        return
    if not data["files"] and not data["comment"]:
        await query.answer(texts.DONE_EMPTY, show_alert=True)
        return
    files = [FileInfo(**f) for f in data["files"]]
    try:
        info = await submit(
            session,
            clock,
            user_ctx,
            data["assignment_id"],
            data["version"],
            data["comment"] or None,
            files,
        )
    except WorkError as exc:
        await state.clear()
        await query.answer(texts.work_error_of(exc), show_alert=True)
        return
    # The conversation ends only once the submission is stored: if this process dies before
    # the commit, the redelivered press finds the flow still open and submits again.
    after_commit(state.clear)
    await query.answer()
    after_commit(
        lambda: message.answer(
            texts.submitted(info.title), reply_markup=keyboards.undo(info.submission_id)
        )
    )
    # Review requests are already in the outbox (same transaction); the evidence copy is made
    # by the sweeper; neither holds this chat.
    after_commit.call(outbox_kick)
    after_commit.call(evidence_kick)


async def take_back(
    query: CallbackQuery,
    callback_data: UndoAct,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
) -> None:
    """↩️ within 10 minutes, before review; delivered requests are edited to say so."""
    if user_ctx is None or not isinstance(query.message, Message):
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return
    try:
        await undo(session, clock, user_ctx, callback_data.submission_id)
    except WorkError as exc:
        await query.answer(texts.work_error_of(exc), show_alert=True)
        return
    message = query.message
    after_commit(lambda: query.answer(texts.UNDONE, show_alert=True))
    # The "you can still take it back" message now says what happened, without the button.
    after_commit(lambda: message.edit_text(texts.withdrawn(message.html_text), reply_markup=None))
    after_commit.call(outbox_kick)


async def interrupt(message: Message, state: FSMContext, settings: Settings, clock: Clock) -> None:
    """A command in the middle of the flow ends it with a message, then runs as usual, so a
    file sent later is never attached to an item the person has left."""
    data: dict[str, Any] = await state.get_data()
    await state.clear()
    if expired(data, clock.now(), settings.done_flow_minutes):
        await message.answer(expired_text(data, settings.done_flow_minutes))
    else:
        await message.answer(
            texts.done_interrupted(str(data.get("title", "")), len(data.get("files", [])))
        )
    raise SkipHandler  # the command itself is handled by its own router


def build_interrupt_router() -> Router:
    """Comes before every other router: it must see a command before the command's handler."""
    router = Router(name="done_flow_interrupt")
    router.message.register(
        interrupt, DoneFlow.collecting, F.chat.type == "private", F.text.startswith("/")
    )
    return router


def build_router() -> Router:
    router = Router(name="done_flow")
    router.callback_query.register(finish, DoneAct.filter())
    router.callback_query.register(take_back, UndoAct.filter())
    collecting = (DoneFlow.collecting, F.chat.type == "private")
    router.message.register(collect, *collecting, ~F.text.startswith("/"))
    return router
