"""A submission as messages: the request text, then every file by file_id in albums of up to 10."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from aiogram import Bot
from aiogram.types import InputMediaDocument, InputMediaPhoto

from bot import keyboards, texts
from core.work import FileInfo, SubmissionInfo

T = TypeVar("T")


@dataclass(frozen=True)
class MediaPart:
    """One message of files: an album of 2–10 of one kind, or a single file."""

    kind: str  # "photo" or "document"
    file_ids: tuple[str, ...]


def media_parts(files: list[FileInfo]) -> list[MediaPart]:
    """Photos in albums, documents in albums, anything else (video …) one by one as a document."""
    photos = [f.file_id for f in files if f.kind == "photo"]
    documents = [f.file_id for f in files if f.kind == "document"]
    others = [f.file_id for f in files if f.kind not in ("photo", "document")]
    parts = [MediaPart("photo", tuple(chunk)) for chunk in albums(photos)]
    parts += [MediaPart("document", tuple(chunk)) for chunk in albums(documents)]
    parts += [MediaPart("document", (file_id,)) for file_id in others]
    return parts


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


async def send_part(bot: Bot, chat_id: int, part: MediaPart) -> int:
    """Send one part; returns the id of its first message."""
    if len(part.file_ids) == 1:
        (file_id,) = part.file_ids
        if part.kind == "photo":
            return (await bot.send_photo(chat_id, file_id)).message_id
        return (await bot.send_document(chat_id, file_id)).message_id
    media: list[InputMediaPhoto | InputMediaDocument] = [
        InputMediaPhoto(media=f) if part.kind == "photo" else InputMediaDocument(media=f)
        for f in part.file_ids
    ]
    sent = await bot.send_media_group(chat_id, media)  # type: ignore[arg-type]
    return sent[0].message_id


async def show_submission(bot: Bot, chat_id: int, info: SubmissionInfo) -> None:
    """The review request and its files, to one chat (a reviewer who asked to see it)."""
    await bot.send_message(
        chat_id,
        texts.review_request(info.title, info.school, info.comment, len(info.files)),
        reply_markup=keyboards.review(info.submission_id),
    )
    for part in media_parts(info.files):
        await send_part(bot, chat_id, part)
