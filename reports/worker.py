"""A big report made in processes of its own, so the bot's event loop is never held: a reader
(which writes an XLSX report itself) and, for a Word report or XLSX's fallback, a writer, each
on its own core, neither sharing the bot's interpreter lock.

Each speaks in frames over its stdin and stdout: a length and a pickle. The reader is sent
("build", database URL, job); it reads the rows with an engine of its own, answers ("progress",
done, total) as it goes and ("ok", the report's head) when the file is in place; SIGTERM stops
it and discards what it made. An XLSX report it writes itself where the Rust-backed writer fits
(reports/xlsx_rust.py: faster than the reading, so a pipe would only add the rows' trip);
otherwise it starts a writer, which is sent ("start", kind, arguments), then
("add", rows) as they are read, then ("save",); it answers ("ok",) once the file is in place.
Either answers ("error", text, the error if it pickles) and exits when something fails; the
writer discards everything when its input ends before "save" (the reader gave up or was
stopped) or when it is sent SIGTERM.

    python -m reports.worker   (started by reports.build, never by hand)
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import sys
import traceback
from typing import IO, Any

from reports.frames import ReportFailed, picklable, read_frame, send
from reports.sinks import writer_of


def read(url: str, job: Any, outbox: IO[bytes]) -> None:
    """The reader: make `job`'s report from the database at `url` (its writer in a process of
    its own), telling the progress; SIGTERM cancels it (what was made is discarded)."""
    from db.engine import build_engine, build_session_factory
    from reports.build import build_here

    async def progress(done: int, total: int) -> None:
        send(outbox, ("progress", done, total))

    async def made() -> Any:
        engine = build_engine(url)
        try:
            async with build_session_factory(engine)() as session:
                return await build_here(session, job, progress, big=True)
        finally:
            await engine.dispose()

    async def main() -> Any:
        work = asyncio.ensure_future(made())
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, work.cancel)
        return await work

    send(outbox, ("ok", asyncio.run(main())))


def serve(inbox: IO[bytes], outbox: IO[bytes]) -> int:
    """Make one report from the frames on `inbox`; the answers go to `outbox`."""
    # Stopped by a signal (a service's stop reaches every process of its group), the writer
    # still discards its temporary files: SIGTERM becomes an exit through the cleanup below.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    writer = None
    try:
        first = read_frame(inbox)
        if first is None:
            return 0
        # Everything loaded so far lives as long as the process: the collector need not walk it
        # again, and the rows that come and go (or are kept until the save) make no cycles
        # worth a pass per chunk.
        gc.freeze()
        gc.set_threshold(50_000, 50, 50)
        if first[0] == "build":
            read(first[1], first[2], outbox)
            return 0
        _, kind, arguments = first
        writer = writer_of(kind, arguments, own_process=True)
        while (message := read_frame(inbox)) is not None:
            if message[0] == "add":
                writer.add(message[1])
            elif message[0] == "save":
                writer.save()
                writer = None
                send(outbox, ("ok",))
                return 0
        writer.discard()  # the bot stopped sending before "save"
        return 0
    except BaseException as error:  # told to whoever started this process, raised there
        if writer is not None:
            writer.discard()
        stopped = isinstance(error, asyncio.CancelledError | SystemExit)
        if not stopped and not isinstance(error, ReportFailed):  # said once, where it happened
            traceback.print_exc(file=sys.stderr)
        said = error.said if isinstance(error, ReportFailed) else f"{type(error).__name__}: {error}"
        with contextlib.suppress(OSError):  # unless nobody is listening any more
            send(outbox, ("error", said, picklable(error)))
        return error.code if isinstance(error, SystemExit) and isinstance(error.code, int) else 1


def _exit_on_signal(signum: int, _frame: Any) -> None:
    sys.exit(128 + signum)


if __name__ == "__main__":
    sys.exit(serve(sys.stdin.buffer, sys.stdout.buffer))
