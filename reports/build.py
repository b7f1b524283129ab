"""Reports made without holding the event loop: rows are read a few schools at a time and
written in a worker thread or, for a big report, in processes of its own (`reports/worker.py`:
a reader that writes an XLSX report itself with the Rust-backed writer, else feeds a writer's
process), with progress for whoever waits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.report_data import PlanReport, report_head, report_rows, report_size
from core.scope import Scope
from reports.frames import frame
from reports.sinks import ProcessSink, Sink, ThreadSink, answer_of, ended, finished, worker_process

log = logging.getLogger(__name__)

Progress = Callable[[int, int], Awaitable[None]]  # rows done, rows in all
# From this many rows a report is read and written in processes of its own: they never share
# the bot's interpreter lock, and the rows are read on one core while written on another. A
# smaller report is quicker in a thread than two processes' start (about 0.7 s each).
PROCESS_FROM_ROWS = 20_000
# Big reports made at once by one bot process (a region's XLSX takes one process of about 115 MB,
# a Word report two of about 65 MB, each up to a core); the next waits its turn, and whoever
# waits is told so.
BIG_AT_ONCE = 2
BIG_CHUNK = 50  # schools a report's own process reads at once (10,000 rows in a region)
WAITING = -1  # a progress's total while the report waits for its turn
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def _turn(progress: Progress | None) -> AsyncIterator[None]:
    """Hold one of this event loop's BIG_AT_ONCE turns; `progress(0, WAITING)` while waiting."""
    loop = asyncio.get_running_loop()
    gate = _turns.get(loop)
    if gate is None:
        gate = _turns[loop] = asyncio.Semaphore(BIG_AT_ONCE)
    turn = asyncio.Event()
    telling = None
    if gate.locked() and progress is not None:
        telling = asyncio.create_task(_tell_waiting(progress, turn))
    try:
        async with gate:
            if telling is not None:
                # Its line in flight is finished, not cut: the chat's message is then edited
                # into the progress rather than left behind saying "в очереди".
                turn.set()
                await telling
            yield
    finally:
        if telling is not None and not telling.done():
            telling.cancel()  # given up while waiting


async def _tell_waiting(progress: Progress, turn: asyncio.Event) -> None:
    while not turn.is_set():  # the progress itself decides when a line is worth showing
        try:
            await progress(0, WAITING)
        except Exception:  # a courtesy: the report goes on without it
            log.exception("a waiting report's progress failed")
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(turn.wait(), 1)


async def _stream(
    session: AsyncSession,
    report: PlanReport,
    sink: Sink,
    default_zone: str,
    progress: Progress | None,
    schools: int = 10,
) -> PlanReport:
    """Read the report's rows, `schools` schools at a time, into `sink`, and save it."""
    done = 0
    try:
        # Closed when left: the chunk being read ahead is finished before the session goes on.
        async with contextlib.aclosing(report_rows(session, report, default_zone, schools)) as read:
            async for rows in read:
                await sink.add(rows)
                done += len(rows)
                if progress is not None:
                    await progress(done, max(report.total, done))
        await sink.save()
    except BaseException:
        # A report that failed (or was cancelled) leaves no temporary files and no half file.
        await asyncio.shield(sink.discard())
        raise
    return report


@dataclass(frozen=True)
class ReportJob:
    """One report to make: which, of what, for whom (`scope`), and where its file goes."""

    kind: str  # "xlsx" or "docx"
    plan_id: int
    now: datetime
    default_zone: str
    path: Path
    scope: Scope | None = None
    school_id: int | None = None  # a school's own report
    template: Path | None = None  # the Word report's head
    aggregated: bool = False  # the Word report by activity, not by school

    @property
    def writes_each_row(self) -> bool:
        """The writer's work grows with the rows (not a Word report's tally by activity, whose
        rows would cost more on their way to another process than they take to count)."""
        return not (self.kind == "docx" and self.aggregated)

    def arguments(self, report: PlanReport) -> tuple[Any, ...]:
        """What the kind's writer is made with (reports/sinks.writer_of)."""
        if self.kind == "xlsx":
            return (report, self.path)
        school = report.schools[0][1] if self.school_id is not None and report.schools else None
        return (report, self.path, self.template, self.aggregated, school)


async def build_here(
    session: AsyncSession, job: ReportJob, progress: Progress | None, big: bool = False
) -> PlanReport:
    """Make the report reading in this process; the writer in a thread, or in a process of its
    own for a big report whose writing grows with its rows (`big`: known so before the head, so
    that process starts at once)."""
    # The writer's process starts while the head is read; not for an XLSX report, which the
    # Rust-backed writer makes right here if it can (it writes faster than the rows are read and
    # takes them at once: another process would only add their trip through a pipe).
    spare = await worker_process() if big and job.writes_each_row and job.kind != "xlsx" else None
    try:
        report = await report_head(
            session, job.plan_id, job.now, job.default_zone, job.school_id, job.scope
        )
        if big:
            # The head may have recounted what became overdue: kept, and no lock held on the
            # counts while the rows are read (the session is the reader's own, or the command
            # line's, not in a transaction's block).
            await session.commit()
        sink: Sink
        if big and job.kind == "xlsx" and _rust_fits(report):
            sink = await ThreadSink.start(job.kind, job.arguments(report), own_process=True)
        elif spare is not None or (
            job.writes_each_row and (big or report.total >= PROCESS_FROM_ROWS)
        ):
            child, spare = spare, None
            sink = await ProcessSink.start(job.kind, job.arguments(report), child)
        else:
            sink = await ThreadSink.start(job.kind, job.arguments(report))
    finally:
        if spare is not None:  # the head failed: the writer's process is not needed
            await asyncio.shield(ProcessSink(spare).discard())
    # Written right here in a report's own process: bigger chunks, fewer queries (nothing else on
    # its event loop, and none of them pickled for a pipe).
    schools = BIG_CHUNK if big and isinstance(sink, ThreadSink) else 10
    return await _stream(session, report, sink, job.default_zone, progress, schools)


def _rust_fits(report: PlanReport) -> bool:
    """Whether the Rust-backed writer makes this XLSX report (loaded by the first big one)."""
    from reports import xlsx_rust

    return xlsx_rust.fits(report)


async def _made(
    session: AsyncSession, job: ReportJob, progress: Progress | None, alone: bool = False
) -> PlanReport:
    """A big report is read and written in processes of their own, the bot's process only
    waits (its event loop is never held), BIG_AT_ONCE at a time; a small one, or one over a
    database only this process can reach (SQLite in memory), is made here. `alone`: this
    process makes nothing else (the command line, whose session is its own and not in a
    transaction's block: the head is committed), so a big one is read right here."""
    url = shared_url(session)
    size = await report_size(session, job.plan_id, job.scope, job.school_id)
    if alone and url is not None and size >= PROCESS_FROM_ROWS:
        # As a reader process does, in the caller's session (its own): the head committed.
        return await build_here(session, job, progress, big=True)
    if url is None or size < PROCESS_FROM_ROWS:
        return await build_here(session, job, progress)
    async with _turn(progress):
        child = await worker_process()
        assert child.stdin is not None
        try:
            child.stdin.write(frame(("build", url, job)))
            await child.stdin.drain()
            while (answer := await answer_of(child))[0] == "progress":
                if progress is not None:
                    await progress(answer[1], answer[2])
        except BaseException:
            # Given up (or cancelled): the child is told to stop, and discards what it made.
            if child.returncode is None:
                child.terminate()
            await asyncio.shield(ended(child))
            raise
        await finished(child, answer)
    report: PlanReport = answer[1]
    return report


def shared_url(session: AsyncSession) -> str | None:
    """The session's database as a URL another process can open and see the same data in, or
    None: SQLite in memory, or a session bound to a connection (its transaction unseen)."""
    bind = session.bind
    if not isinstance(bind, AsyncEngine):
        return None
    url = bind.url
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if url.get_backend_name() == "sqlite" and (in_memory or url.query.get("mode") == "memory"):
        return None
    return url.render_as_string(hide_password=False)


async def write_xlsx(
    session: AsyncSession,
    plan_id: int,
    now: datetime,
    default_zone: str,
    path: Path,
    progress: Progress | None = None,
    scope: Scope | None = None,
    alone: bool = False,
) -> PlanReport:
    """Write the plan's XLSX report (what `scope` sees of it) to `path` (`alone`: this process
    makes nothing else, as `_made` says)."""
    job = ReportJob("xlsx", plan_id, now, default_zone, path, scope)
    return await _made(session, job, progress, alone)


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
    alone: bool = False,
) -> PlanReport:
    """Write the plan's DOCX report (per school, or one line per activity when `aggregated`;
    only `school_id`'s items for a school's own report; what `scope` sees) to `path`."""
    job = ReportJob(
        "docx", plan_id, now, default_zone, path, scope, school_id, template, aggregated
    )
    return await _made(session, job, progress, alone)
