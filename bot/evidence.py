"""The evidence store: copies of submitted files on disk, named by submission and file."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from pathlib import Path

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.work import files_to_store, stored

log = logging.getLogger(__name__)


def safe_name(name: str | None, fallback: str) -> str:
    cleaned = re.sub(r"[^\w.\-]+", "_", name or "", flags=re.UNICODE).strip("._")
    return cleaned[:120] or fallback


async def store_submission(
    bot: Bot, session_factory: async_sessionmaker[AsyncSession], root: Path, submission_id: int
) -> int:
    """Download every file of a submission that has no stored copy yet; returns how many."""
    async with session_factory() as session:
        pending = await files_to_store(session, submission_id)
    saved = 0
    for evidence_id, file_id, unique_id, name in pending:
        try:
            buffer = await bot.download(file_id)
        except Exception:  # the copy can be fetched later; the submission itself is stored
            log.warning("could not download evidence %s", evidence_id)
            continue
        assert buffer is not None
        data = buffer.read()
        folder = root / str(submission_id)
        path = folder / f"{unique_id}_{safe_name(name, unique_id)}"
        await asyncio.to_thread(_write, path, data)
        async with session_factory() as session, session.begin():
            await stored(session, evidence_id, str(path), hashlib.sha256(data).hexdigest())
        saved += 1
    return saved


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
