"""Reports built without holding the event loop: rows are read a few schools at a time and
the document is written in a worker thread, with progress for whoever waits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core.report_data import PlanReport, ReportRow, report_head, report_rows
from core.scope import Scope

Progress = Callable[[int, int], Awaitable[None]]  # rows done, rows in all


class _Writer(Protocol):
    def add(self, rows: list[ReportRow]) -> None: ...
    def save(self) -> None: ...


async def _stream(
    session: AsyncSession,
    report: PlanReport,
    writer: _Writer,
    default_zone: str,
    progress: Progress | None,
) -> PlanReport:
    done = 0
    # The next chunk is read while the last one is written: SQLite works outside the GIL.
    writing: asyncio.Future[None] | None = None
    try:
        async for rows in report_rows(session, report, default_zone):
            if writing is not None:
                await writing
            writing = asyncio.ensure_future(asyncio.to_thread(writer.add, rows))
            done += len(rows)
            if progress is not None:
                await progress(done, max(report.total, done))
        if writing is not None:
            await writing
        await asyncio.to_thread(writer.save)
    except BaseException:
        # A report that failed (or was cancelled) leaves no temporary files and no half file,
        # once the chunk being written is done with them.
        if writing is not None and not writing.done():
            await asyncio.wait([writing])
        discard = getattr(writer, "discard", None)
        if discard is not None:
            discard()
        raise
    return report


async def write_xlsx(
    session: AsyncSession,
    plan_id: int,
    now: datetime,
    default_zone: str,
    path: Path,
    progress: Progress | None = None,
    scope: Scope | None = None,
) -> PlanReport:
    """Write the plan's XLSX report (what `scope` sees of it) to `path`; memory stays at one
    chunk of rows."""
    report = await report_head(session, plan_id, now, default_zone, scope=scope)
    writer = await asyncio.to_thread(_xlsx, report, path)
    return await _stream(session, report, writer, default_zone, progress)


def _xlsx(report: PlanReport, path: Path) -> _Writer:
    # XlsxWriter and the texts are loaded by the first report, in the worker: an import on the
    # event loop would hold it.
    from reports.xlsx import XlsxReport

    return XlsxReport(report, path)


async def write_docx(
    session: AsyncSession,
    plan_id: int,
    now: datetime,
    default_zone: str,
    path: Path,
    progress: Progress | None = None,
    *,
    template: Path | None = None,
    aggregated: bool = False,
    school_id: int | None = None,
    scope: Scope | None = None,
) -> PlanReport:
    """Write the plan's DOCX report (per school, or one line per activity when `aggregated`;
    only `school_id`'s items for a school's own report; what `scope` sees) to `path`."""
    from reports.docx_report import DocxReport

    report = await report_head(session, plan_id, now, default_zone, school_id, scope)
    school = report.schools[0][1] if school_id is not None and report.schools else None
    writer = await asyncio.to_thread(DocxReport, report, path, template, aggregated, school)
    return await _stream(session, report, writer, default_zone, progress)
