"""Bookkeeping of evidence copies: which files still need a copy, and what became of each try.

A copy is made by the sweeper (bot/evidence.py) after the submission is committed, and tried
again with growing pauses until it exists, or until Telegram says the file cannot be had;
then the file is marked missing with the reason, and cards and reports show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import EvidenceFile

MAX_PAUSE = timedelta(hours=1)


@dataclass(frozen=True)
class CopyJob:
    evidence_id: int
    submission_id: int
    file_id: str
    file_unique_id: str
    file_name: str | None


def pause_after(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … up to an hour between tries of one file."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_PAUSE)


async def copies_due(session: AsyncSession, now: datetime, limit: int = 50) -> list[CopyJob]:
    """Files without a copy, not given up, whose next try is due (oldest first)."""
    rows = await session.execute(
        select(
            EvidenceFile.id,
            EvidenceFile.submission_id,
            EvidenceFile.telegram_file_id,
            EvidenceFile.file_unique_id,
            EvidenceFile.file_name,
        )
        .where(
            EvidenceFile.stored_path.is_(None),
            EvidenceFile.copy_missing_at.is_(None),
            or_(EvidenceFile.copy_next_at.is_(None), EvidenceFile.copy_next_at <= now),
        )
        .order_by(EvidenceFile.id)
        .limit(limit)
    )
    return [CopyJob(*row) for row in rows]


async def copy_made(session: AsyncSession, evidence_id: int, path: str, sha256: str) -> None:
    """Remember where the copy of an evidence file is kept."""
    row = await session.get(EvidenceFile, evidence_id)
    if row is not None:
        row.stored_path, row.sha256 = path, sha256
        row.copy_next_at = None


async def copy_failed(
    session: AsyncSession, evidence_id: int, now: datetime, error: str, *, gone: bool
) -> None:
    """A try failed: try again later, or (the file is gone from Telegram) give up and mark it."""
    row = await session.get(EvidenceFile, evidence_id)
    if row is None:
        return
    row.copy_attempts += 1
    row.copy_error = error[:300]
    if gone:
        row.copy_missing_at, row.copy_next_at = now, None
    else:
        row.copy_next_at = now + pause_after(row.copy_attempts)
