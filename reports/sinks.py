"""Where a report's rows go: its writer in a worker thread of this process, or in a process of
its own (`python -m reports.worker`) fed through a pipe."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any, Protocol

from core.errors import DomainError
from core.report_data import ReportRow
from reports.frames import HEADER, ReportFailed, frame, unpickled

ROOT = str(Path(__file__).resolve().parents[1])  # where `reports` is imported from, for a child


def writer_of(kind: str, arguments: tuple[Any, ...], own_process: bool = False) -> Any:
    """The writer of a report kind (only these two: nothing else is built here). In a process
    of its own an XLSX report is written by the Rust-backed writer where it fits (it holds the
    interpreter lock while it writes, so never in a thread of the bot)."""
    if kind == "xlsx":
        from reports import xlsx_rust
        from reports.xlsx import XlsxReport

        if own_process and xlsx_rust.fits(arguments[0]):
            return xlsx_rust.RustXlsxReport(*arguments)
        return XlsxReport(*arguments)
    if kind == "docx":
        from reports.docx_report import DocxReport

        return DocxReport(*arguments)
    raise ValueError(f"unknown report kind {kind!r}")


class _Writer(Protocol):
    def add(self, rows: list[ReportRow]) -> None: ...
    def save(self) -> None: ...
    def discard(self) -> None: ...


class Sink(Protocol):
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
    async def start(
        cls, kind: str, arguments: tuple[Any, ...], own_process: bool = False
    ) -> ThreadSink:
        """A writer of `kind` (`own_process`: this is a report's own process, not the bot's)."""
        # The writer's libraries load in the thread: an import on the event loop would hold it.
        return cls(await asyncio.to_thread(writer_of, kind, arguments, own_process))

    async def add(self, rows: list[ReportRow]) -> None:
        if self.writing is not None:
            await asyncio.shield(self.writing)
        self.writing = asyncio.ensure_future(asyncio.to_thread(self.writer.add, rows))

    async def save(self) -> None:
        if self.writing is not None:
            await asyncio.shield(self.writing)
        # Kept as the work in hand, and shielded: a cancel cannot stop the thread, so `discard`
        # waits for it (the finished file may then stay at its place, the caller's to drop).
        self.writing = asyncio.ensure_future(asyncio.to_thread(self.writer.save))
        await asyncio.shield(self.writing)

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
    async def start(
        cls,
        kind: str,
        arguments: tuple[Any, ...],
        child: asyncio.subprocess.Process | None = None,
    ) -> ProcessSink:
        """A writer of `kind` made with `arguments`, in `child` (started early) or a new one;
        the sink owns the process from here, and stops it if its start fails."""
        sink = cls(child or await worker_process())
        try:
            await sink._send(("start", kind, arguments))
        except BaseException:
            await asyncio.shield(sink.discard())
            raise
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
        await finished(self.child, await answer_of(self.child))

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
        await ended(self.child)


async def worker_process() -> asyncio.subprocess.Process:
    """A new `python -m reports.worker`, its stdin and stdout ours (its start, about 0.7 s,
    runs while the caller goes on)."""
    # -P: the caller's working directory is not searched first (a folder holding another
    # `reports` would be imported instead); our root comes after what PYTHONPATH already says.
    path = os.environ.get("PYTHONPATH")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-P", "-m", "reports.worker",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": f"{path}{os.pathsep}{ROOT}" if path else ROOT},
    )  # fmt: skip


async def finished(child: asyncio.subprocess.Process, answer: tuple[Any, ...]) -> None:
    """Wait for a child that gave its last `answer`; raise what failed, if it did: a domain
    error as itself (a plan gone: NotFound), anything else as ReportFailed."""
    await child.wait()
    if answer[0] == "ok":
        return
    error = answer[2] if len(answer) > 2 else None
    if isinstance(error, DomainError):
        raise error
    raise ReportFailed(answer[1])


async def answer_of(child: asyncio.subprocess.Process) -> tuple[Any, ...]:
    """The child's next frame; an "error" one if it ended without a word."""
    assert child.stdout is not None
    try:
        head = await child.stdout.readexactly(HEADER.size)
        return unpickled(await child.stdout.readexactly(HEADER.unpack(head)[0]))
    except asyncio.IncompleteReadError:
        return ("error", f"the report's process ended ({await child.wait()})")


async def ended(child: asyncio.subprocess.Process, seconds: float = 10) -> None:
    """Wait for a child told to stop; one that does not in `seconds` is killed."""
    try:
        await asyncio.wait_for(child.wait(), seconds)
    except TimeoutError:
        child.kill()
        await child.wait()
