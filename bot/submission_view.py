"""A submission as messages: the request text, then every file by file_id in albums of up to 10."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from aiogram import Bot
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
)

from bot import keyboards, texts
from core.work import FileInfo, SubmissionInfo
from messengers import file_messenger, messenger_of

T = TypeVar("T")


@dataclass(frozen=True)
class MediaPart:
    """One message of files: an album of 2–10 of one kind, or a single file."""

    kind: str  # photo, document, video, audio, voice, video_note
    file_ids: tuple[str | InputFile, ...]  # a file's bytes where the id is another messenger's
    names: tuple[str | None, ...] = ()  # each file's name, for sending its bytes


# Kinds Telegram sends in albums (photos and videos could mix; kept apart for simplicity);
# voice messages and video notes go one by one. Each kind with its own method: a file_id
# sent with another kind's method is refused ("type of file mismatch").
ALBUM_KINDS = ("photo", "video", "document", "audio")
SINGLE_KINDS = ("voice", "video_note")


def media_parts(files: list[FileInfo]) -> list[MediaPart]:
    """Every file, in albums per kind where Telegram allows them, otherwise one by one."""
    parts: list[MediaPart] = []
    for kind in ALBUM_KINDS:
        of_kind = [f for f in files if f.kind == kind]
        parts += [_part(kind, chunk) for chunk in albums(of_kind)]
    known = set(ALBUM_KINDS)
    for f in files:
        if f.kind not in known:
            parts.append(_part(f.kind if f.kind in SINGLE_KINDS else "document", [f]))
    return parts


def _part(kind: str, files: list[FileInfo]) -> MediaPart:
    return MediaPart(kind, tuple(f.file_id for f in files), tuple(f.file_name for f in files))


async def carried(bot: Bot, part: MediaPart, bots: Mapping[str, Bot] | None) -> MediaPart:
    """The part as `bot` can send it: a file that came through another messenger goes as its
    bytes, fetched by that messenger's bot (where this process serves it; else as it is)."""
    own = messenger_of(bot)
    names = part.names or (None,) * len(part.file_ids)
    sources: list[str | InputFile] = []
    for source, name in zip(part.file_ids, names, strict=True):
        origin = file_messenger(source) if isinstance(source, str) else own
        other = (bots or {}).get(origin)
        if not isinstance(source, str) or origin == own or other is None:
            sources.append(source)
            continue
        buffer = await other.download(source)
        assert buffer is not None
        sources.append(BufferedInputFile(buffer.read(), filename=name or "file"))
    return replace(part, file_ids=tuple(sources))


def albums(items: list[T], size: int = 10) -> list[list[T]]:
    """Telegram's albums hold 2–10 items: split evenly so no album is left with one."""
    if not items:
        return []
    count = -(-len(items) // size)
    base, extra = divmod(len(items), count)
    chunks, start = [], 0
    for index in range(count):
        end = start + base + (1 if index < extra else 0)
        chunks.append(items[start:end])
        start = end
    return chunks


_ALBUM_ITEM: dict[
    str, type[InputMediaPhoto | InputMediaVideo | InputMediaDocument | InputMediaAudio]
] = {
    "photo": InputMediaPhoto,
    "video": InputMediaVideo,
    "document": InputMediaDocument,
    "audio": InputMediaAudio,
}


async def send_part(bot: Bot, chat_id: int, part: MediaPart) -> int:
    """Send one part with the method of its kind; returns the id of its first message."""
    if len(part.file_ids) > 1:
        item = _ALBUM_ITEM[part.kind]
        media = [item(media=file_id) for file_id in part.file_ids]
        sent = await bot.send_media_group(chat_id, media)  # type: ignore[arg-type]
        return sent[0].message_id
    (file_id,) = part.file_ids
    message: Message
    if part.kind == "photo":
        message = await bot.send_photo(chat_id, file_id)
    elif part.kind == "video":
        message = await bot.send_video(chat_id, file_id)
    elif part.kind == "audio":
        message = await bot.send_audio(chat_id, file_id)
    elif part.kind == "voice":
        message = await bot.send_voice(chat_id, file_id)
    elif part.kind == "video_note":
        message = await bot.send_video_note(chat_id, file_id)
    else:
        message = await bot.send_document(chat_id, file_id)
    return message.message_id


def review_request(info: SubmissionInfo) -> tuple[str, InlineKeyboardMarkup, list[MediaPart]]:
    """The request's text and buttons, and the parts of files that follow it."""
    text = texts.review_request(
        info.title,
        info.school,
        info.comment,
        len(info.files),
        info.person,
        info.by_reviewer,
        for_name=info.for_name,
        resubmitted=info.resubmitted,
        return_comment=info.return_comment,
    )
    return text, keyboards.review(info.submission_id), media_parts(info.files)


async def show_submission(
    bot: Bot, chat_id: int, info: SubmissionInfo, bots: Mapping[str, Bot] | None = None
) -> None:
    """The review request and its files, to one chat (a reviewer who asked to see it); `bots`
    fetch files that came through another messenger."""
    text, markup, parts = review_request(info)
    await bot.send_message(chat_id, text, reply_markup=markup)
    for part in parts:
        await send_part(bot, chat_id, await carried(bot, part, bots))
