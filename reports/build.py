"""Reports built without holding the event loop: rows are read a few schools at a time and
the workbook is written in a worker thread, with progress for whoever waits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from core.report_data import PlanReport, report_head, report_rows

Progress = Callable[[int, int], Awaitable[None]]  # rows done, rows in all


async def write_xlsx(
    session: AsyncSession,
    plan_id: int,
    now: datetime,
    default_zone: str,
    path: Path,
    progress: Progress | None = None,
) -> PlanReport:
    """Write the plan's XLSX report to `path`; memory stays at one chunk of rows."""
    from reports.xlsx import XlsxReport  # openpyxl is loaded by the first report, not at start

    report = await report_head(session, plan_id, now, default_zone)
    writer = await asyncio.to_thread(XlsxReport, report, path)
    done = 0
    async for rows in report_rows(session, report, default_zone):
        await asyncio.to_thread(writer.add, rows)
        done += len(rows)
        if progress is not None:
            await progress(done, report.total)
    await asyncio.to_thread(writer.save)
    return report
