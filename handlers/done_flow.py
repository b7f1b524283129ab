"""Marking an item done: files and a comment, then Send or Cancel; undo; review requests."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import keyboards, texts
from bot.callbacks import DoneAct, UndoAct
from bot.evidence import store_submission
from bot.middlewares import AfterCommit
from bot.settings import Settings
from core.clock import Clock
from core.dto import UserContext
from core.work import FileInfo, SubmissionInfo, WorkError, begin_done, submit, undo

MAX_DOWNLOAD = 20 * 1024 * 1024


class DoneFlow(StatesGroup):
    collecting = State()


async def start_done(
    query: CallbackQuery,
    assignment_id: int,
    session: AsyncSession,
    state: FSMContext,
    user_ctx: UserContext | None,
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
        }
    )
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


async def collect(message: Message, state: FSMContext, settings: Settings, bot: Bot) -> None:
    """Files and text while the flow is open; refusals keep the flow alive."""
    data: dict[str, Any] = await state.get_data()
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
    status = texts.done_collected(len(data["files"]), bool(data["comment"]))
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
    bot: Bot,
    settings: Settings,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Send stores the submission and tells the coordinators; Cancel leaves the item open."""
    data: dict[str, Any] = await state.get_data()
    if (
        await state.get_state() != DoneFlow.collecting.state
        or user_ctx is None
        or not isinstance(query.message, Message)
    ):
        await query.answer(texts.DONE_STALE, show_alert=True)
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
    # The copy is kept before reviewers look, so what they accept is already stored.
    after_commit(
        lambda: store_submission(
            bot, session_factory, Path(settings.evidence_dir), info.submission_id
        )
    )
    after_commit(lambda: notify_reviewers(bot, info))


async def notify_reviewers(bot: Bot, info: SubmissionInfo) -> None:
    """Each coordinator gets the request, then every file by file_id, in albums of up to 10."""
    text = texts.review_request(info.title, info.school, info.comment, len(info.files))
    photos = [f for f in info.files if f.kind == "photo"]
    documents = [f for f in info.files if f.kind == "document"]
    others = [f for f in info.files if f.kind not in ("photo", "document")]
    for chat_id in info.coordinator_chat_ids:
        await bot.send_message(chat_id, text, reply_markup=keyboards.review(info.submission_id))
        for chunk in _albums(photos):
            if len(chunk) > 1:
                await bot.send_media_group(
                    chat_id, [InputMediaPhoto(media=p.file_id) for p in chunk]
                )
            else:
                await bot.send_photo(chat_id, chunk[0].file_id)
        for chunk in _albums(documents):
            if len(chunk) > 1:
                await bot.send_media_group(
                    chat_id, [InputMediaDocument(media=f.file_id) for f in chunk]
                )
            else:
                await bot.send_document(chat_id, chunk[0].file_id)
        for item in others:  # video and the like: one by one, as sent
            await bot.send_document(chat_id, item.file_id)


def _albums(files: list[FileInfo], size: int = 10) -> list[list[FileInfo]]:
    """Telegram's albums hold 2–10 items: split evenly so no album is left with one."""
    if not files:
        return []
    count = -(-len(files) // size)
    base, extra = divmod(len(files), count)
    albums, start = [], 0
    for index in range(count):
        end = start + base + (1 if index < extra else 0)
        albums.append(files[start:end])
        start = end
    return albums


async def take_back(
    query: CallbackQuery,
    callback_data: UndoAct,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
) -> None:
    """↩️ within 10 minutes, before review."""
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


def build_router() -> Router:
    router = Router(name="done_flow")
    router.callback_query.register(finish, DoneAct.filter())
    router.callback_query.register(take_back, UndoAct.filter())
    collecting = (DoneFlow.collecting, F.chat.type == "private")
    router.message.register(collect, *collecting, ~F.text.startswith("/"))
    return router
