"""Reports built without holding the event loop: rows are read a few schools at a time and
the document is written in a worker thread or, for a big report, in a process of its own
(`reports/worker.py`), with progress for whoever waits."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.report_data import PlanReport, ReportRow, report_head, report_rows, report_size
from core.scope import Scope
from reports.worker import frame

Progress = Callable[[int, int], Awaitable[None]]  # rows done, rows in all
# From this many rows a report is written in a process of its own: there the writer never
# shares the bot's interpreter lock, and the rows are read on one core while written on
# another. A smaller report is quicker in a thread than a process's start (about 0.5 s).
PROCESS_FROM_ROWS = 20_000
ROOT = str(Path(__file__).resolve().parents[1])  # where `reports` is imported from, for the child


class _Writer(Protocol):
    def add(self, rows: list[ReportRow]) -> None: ...
    def save(self) -> None: ...
    def discard(self) -> None: ...


class _Sink(Protocol):
    """Where the rows go: a writer in a thread of this process or in a process of its own."""

    async def add(self, rows: list[ReportRow]) -> None: ...
    async def save(self) -> None: ...
    async def discard(self) -> None: ...


class ThreadSink:
    """The writer in a worker thread of this process, a chunk written while the next is read
    (SQLite reads outside the interpreter lock)."""

    def __init__(self, writer: _Writer) -> None:
        self.writer = writer
        self.writing: asyncio.Future[None] | None = None

    @classmethod
    async def start(cls, kind: str, arguments: tuple[Any, ...]) -> ThreadSink:
        from reports.worker import writer_of

        # The writer's libraries load in the thread: an import on the event loop would hold it.
        return cls(await asyncio.to_thread(writer_of, kind, arguments))

    async def add(self, rows: list[ReportRow]) -> None:
        if self.writing is not None:
            await self.writing
        self.writing = asyncio.ensure_future(asyncio.to_thread(self.writer.add, rows))

    async def save(self) -> None:
        if self.writing is not None:
            await self.writing
        await asyncio.to_thread(self.writer.save)

    async def discard(self) -> None:
        # Once the chunk being written is done with the temporary files.
        if self.writing is not None and not self.writing.done():
            await asyncio.wait([self.writing])
        self.writer.discard()


class ProcessSink:
    """The writer in a child process (`python -m reports.worker`), fed the rows through a pipe;
    the pipe's buffer keeps the reading at most a chunk or two ahead of the writing."""

    def __init__(self, child: asyncio.subprocess.Process) -> None:
        self.child = child

    @classmethod
    async def start(cls, kind: str, arguments: tuple[Any, ...]) -> ProcessSink:
        root = ROOT
        path = os.environ.get("PYTHONPATH")
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "reports.worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{path}" if path else root},
        )  # fmt: skip
        sink = cls(child)
        await sink._send(("start", kind, arguments))
        return sink

    async def _send(self, message: tuple[Any, ...]) -> None:
        assert self.child.stdin is not None
        try:
            # A chunk's pickle takes a dozen milliseconds: not on the event loop.
            self.child.stdin.write(await asyncio.to_thread(frame, message))
            await self.child.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            await self._answer()  # the child stopped: its error says why

    async def _answer(self) -> None:
        answer = await answer_of(self.child)
        await self.child.wait()
        if answer[0] != "ok":
            raise RuntimeError(f"report not written: {answer[1]}")

    async def add(self, rows: list[ReportRow]) -> None:
        await self._send(("add", rows))

    async def save(self) -> None:
        await self._send(("save",))
        assert self.child.stdin is not None
        self.child.stdin.close()
        await self._answer()

    async def discard(self) -> None:
        # The end of its input before "save" makes the child discard what it wrote and exit.
        if self.child.returncode is None and self.child.stdin is not None:
            self.child.stdin.close()
        await _ended(self.child)


async def worker_process() -> asyncio.subprocess.Process:
    """A new `python -m reports.worker`, its stdin and stdout ours (its start, about half a
    second, runs while the caller goes on)."""
    path = os.environ.get("PYTHONPATH")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "reports.worker",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{path}" if path else ROOT},
    )  # fmt: skip


async def answer_of(child: asyncio.subprocess.Process) -> tuple[Any, ...]:
    """The child's next frame; an "error" one if it ended without a word."""
    from reports.worker import HEADER, unpickled

    assert child.stdout is not None
    try:
        head = await child.stdout.readexactly(HEADER.size)
        return unpickled(await child.stdout.readexactly(HEADER.unpack(head)[0]))
    except asyncio.IncompleteReadError:
        return ("error", f"the report's process ended ({await child.wait()})")


async def _ended(child: asyncio.subprocess.Process, seconds: float = 10) -> None:
    """Wait for a child told to stop; one that does not in `seconds` is killed."""
    try:
        await asyncio.wait_for(child.wait(), seconds)
    except TimeoutError:
        child.kill()
        await child.wait()


async def _stream(
    session: AsyncSession,
    report: PlanReport,
    sink: _Sink,
    default_zone: str,
    progress: Progress | None,
) -> PlanReport:
    done = 0
    try:
        async for rows in report_rows(session, report, default_zone):
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
        """What the kind's writer is made with (reports/worker.writer_of)."""
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
    child = await worker_process() if big and job.writes_each_row else None
    try:
        report = await report_head(
            session, job.plan_id, job.now, job.default_zone, job.school_id, job.scope
        )
        sink: _Sink
        if child is not None or (job.writes_each_row and report.total >= PROCESS_FROM_ROWS):
            sink = ProcessSink(child or await worker_process())
            child = None
            await sink._send(("start", job.kind, job.arguments(report)))
        else:
            sink = await ThreadSink.start(job.kind, job.arguments(report))
    finally:
        if child is not None:  # the head failed: the writer's process is not needed
            assert child.stdin is not None
            child.stdin.close()
            await _ended(child)
    return await _stream(session, report, sink, job.default_zone, progress)


async def _made(session: AsyncSession, job: ReportJob, progress: Progress | None) -> PlanReport:
    """A big report is read and written in processes of their own, the bot's process only
    waits (its event loop is never held); a small one, or one over a database only this
    process can reach (SQLite in memory), is made here."""
    url = shared_url(session)
    if url is None or await report_size(session, job.plan_id, job.scope, job.school_id) < (
        PROCESS_FROM_ROWS
    ):
        return await build_here(session, job, progress)
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
        await asyncio.shield(_ended(child))
        raise
    await child.wait()
    if answer[0] != "ok":
        raise RuntimeError(f"report not written: {answer[1]}")
    report: PlanReport = answer[1]
    return report


def shared_url(session: AsyncSession) -> str | None:
    """The session's database as a URL another process can open, or None (SQLite in memory)."""
    bind = session.bind
    if bind is None:
        return None
    url = bind.url if isinstance(bind, AsyncEngine) else bind.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
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
) -> PlanReport:
    """Write the plan's XLSX report (what `scope` sees of it) to `path`; memory stays at one
    chunk of rows."""
    job = ReportJob("xlsx", plan_id, now, default_zone, path, scope)
    return await _made(session, job, progress)


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
    job = ReportJob(
        "docx", plan_id, now, default_zone, path, scope, school_id, template, aggregated
    )
    return await _made(session, job, progress)
