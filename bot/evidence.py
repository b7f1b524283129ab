"""The evidence store: copies of submitted files on disk, made by a sweeper after the commit.

The sweeper runs on every scheduler tick and right after a submission (a kick); it never runs
inside a chat's update. A failed download is tried again later; a file Telegram says it does
not have (or will not give a bot) is marked missing, never silently skipped.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.evidence import CopyJob, copies_due, copy_failed, copy_made
from core.filenames import NAME_MAX_BYTES, safe_name
from messengers import file_messenger, messenger_of

log = logging.getLogger(__name__)


PART = ".part"  # the copy's name while it is written; renamed when complete
ID_BYTES = 64  # Telegram's file_unique_id is about 20 ASCII characters


def disk_name(file_unique_id: str, file_name: str | None) -> str:
    """`<unique id>_<name>`, leaving room for PART within one path component's bytes."""
    prefix = safe_name(file_unique_id, max_bytes=ID_BYTES) + "_"
    budget = NAME_MAX_BYTES - len(prefix.encode()) - len(PART.encode())
    return prefix + safe_name(file_name, prefix[:-1], max_bytes=budget)


class EvidenceSweeper:
    """Makes every missing copy it can; one sweep at a time per process."""

    def __init__(
        self,
        bot: Bot | Mapping[str, Bot],
        session_factory: async_sessionmaker[AsyncSession],
        root: Path,
        clock: Clock,
    ) -> None:
        # A file is fetched from the messenger it came through (MAX's file ids say "max:").
        self.bots = {messenger_of(bot): bot} if isinstance(bot, Bot) else dict(bot)
        self.session_factory = session_factory
        self.root = root
        self.clock = clock
        self._lock = asyncio.Lock()

    async def sweep(self) -> int:
        """Try every due copy once; returns how many copies were made."""
        async with self._lock:
            made = 0
            others: set[int] = set()  # files of a messenger another process serves
            while True:
                async with self.session_factory() as session:
                    due = await copies_due(session, self.clock.now())
                jobs = [j for j in due if j.evidence_id not in others]
                if not jobs:
                    return made
                for job in jobs:
                    if self._bot_for(job.file_id) is None:
                        others.add(job.evidence_id)
                        continue
                    made += await self._copy(job)

    def _bot_for(self, file_id: str) -> Bot | None:
        """The bot of the messenger the file came through; None where this process does not
        serve it (a process that does will copy it)."""
        return self.bots.get(file_messenger(file_id))

    async def _copy(self, job: CopyJob) -> int:
        bot = self._bot_for(job.file_id)
        assert bot is not None  # sweep() leaves the others
        try:
            buffer = await bot.download(job.file_id)
        except (TelegramBadRequest, TelegramForbiddenError) as exc:
            # Telegram answered: the file is gone, or too big for a bot. Trying again cannot help.
            await self._failed(job, exc.message, gone=True)
            log.warning("evidence %s cannot be copied: %s", job.evidence_id, exc.message)
            return 0
        except Exception as exc:  # network, 5xx, disk: the next sweep tries again
            await self._failed(job, f"{type(exc).__name__}: {exc}", gone=False)
            log.warning("evidence %s not copied yet: %s", job.evidence_id, type(exc).__name__)
            return 0
        assert buffer is not None
        data = buffer.read()
        path = self.root / str(job.submission_id) / disk_name(job.file_unique_id, job.file_name)
        try:
            await asyncio.to_thread(_write, path, data)
        except OSError as exc:
            await self._failed(job, f"disk: {exc.strerror}", gone=False)
            log.error("evidence %s: cannot write the copy: %s", job.evidence_id, exc.strerror)
            return 0
        async with self.session_factory() as session, session.begin():
            await copy_made(session, job.evidence_id, str(path), hashlib.sha256(data).hexdigest())
        return 1

    async def _failed(self, job: CopyJob, error: str, *, gone: bool) -> None:
        async with self.session_factory() as session, session.begin():
            await copy_failed(session, job.evidence_id, self.clock.now(), error, gone=gone)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + PART)
    tmp.write_bytes(data)
    tmp.replace(path)
