"""Reports built without holding the event loop: rows are read a few schools at a time and
the document is written in a worker thread or, for a big report, in a process of its own
(`reports/worker.py`), with progress for whoever waits."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core.report_data import PlanReport, ReportRow, report_head, report_rows
from core.scope import Scope

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
        from reports.worker import frame

        assert self.child.stdin is not None
        try:
            # A chunk's pickle takes a dozen milliseconds: not on the event loop.
            self.child.stdin.write(await asyncio.to_thread(frame, message))
            await self.child.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            await self._answer()  # the child stopped: its error says why

    async def _answer(self) -> None:
        from reports.worker import HEADER, unpickled

        assert self.child.stdout is not None
        try:
            head = await self.child.stdout.readexactly(HEADER.size)
            answer = unpickled(await self.child.stdout.readexactly(HEADER.unpack(head)[0]))
        except asyncio.IncompleteReadError:
            answer = ("error", f"the report's process ended ({await self.child.wait()})")
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
            try:
                await asyncio.wait_for(self.child.wait(), 10)
            except TimeoutError:
                self.child.kill()
                await self.child.wait()


async def _sink(report: PlanReport, kind: str, arguments: tuple[Any, ...]) -> _Sink:
    if report.total >= PROCESS_FROM_ROWS:
        return await ProcessSink.start(kind, arguments)
    return await ThreadSink.start(kind, arguments)


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
    sink = await _sink(report, "xlsx", (report, path))
    return await _stream(session, report, sink, default_zone, progress)


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
    report = await report_head(session, plan_id, now, default_zone, school_id, scope)
    school = report.schools[0][1] if school_id is not None and report.schools else None
    sink = await _sink(report, "docx", (report, path, template, aggregated, school))
    return await _stream(session, report, sink, default_zone, progress)
