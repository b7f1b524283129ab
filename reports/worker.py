"""A big report written in a process of its own: the bot's process reads the rows and sends
them here, so the writer never shares the bot's interpreter lock (its event loop is never held)
and the reading runs on another core beside the writing.

The two sides speak in frames over the child's stdin and stdout: a length and a pickle. The bot
sends ("start", kind, arguments), then ("add", rows) as they are read, then ("save",); the child
answers ("ok",) once the file is in place, or ("error", text) and exits. An end of input before
"save" (the bot gave up or was cancelled) discards everything: no temporary file survives.

    python -m reports.worker   (started by reports.build, never by hand)
"""

from __future__ import annotations

import gc
import pickle
import struct
import sys
import traceback
from typing import IO, Any

HEADER = struct.Struct("!I")  # a frame's length in bytes


def frame(message: tuple[Any, ...]) -> bytes:
    """`message` as one frame: its length, then its pickle."""
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(body)) + body


def read_frame(stream: IO[bytes]) -> tuple[Any, ...] | None:
    """The next message from a blocking stream, or None at its end."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    (size,) = HEADER.unpack(head)
    body = stream.read(size)
    if len(body) < size:
        return None
    return unpickled(body)


def unpickled(body: bytes) -> tuple[Any, ...]:
    """A frame's message (only ever from the other side of our own pipe)."""
    message: tuple[Any, ...] = pickle.loads(body)
    return message


def writer_of(kind: str, arguments: tuple[Any, ...]) -> Any:
    """The in-process writer of a report kind (only these two: nothing else is built here)."""
    if kind == "xlsx":
        from reports.xlsx import XlsxReport

        return XlsxReport(*arguments)
    if kind == "docx":
        from reports.docx_report import DocxReport

        return DocxReport(*arguments)
    raise ValueError(f"unknown report kind {kind!r}")


def serve(inbox: IO[bytes], outbox: IO[bytes]) -> int:
    """Build one report from the frames on `inbox`; the answer goes to `outbox`."""
    writer = None
    try:
        first = read_frame(inbox)
        if first is None:
            return 0
        _, kind, arguments = first
        writer = writer_of(kind, arguments)
        # Everything loaded so far lives as long as the process: the collector need not walk it
        # again, and the rows that come and go make no cycles worth a pass per chunk.
        gc.freeze()
        gc.set_threshold(50_000, 50, 50)
        while (message := read_frame(inbox)) is not None:
            if message[0] == "add":
                writer.add(message[1])
            elif message[0] == "save":
                writer.save()
                writer = None
                outbox.write(frame(("ok",)))
                outbox.flush()
                return 0
        writer.discard()  # the bot stopped sending before "save"
        return 0
    except BaseException as error:  # told to the bot, which raises it there
        if writer is not None:
            writer.discard()
        traceback.print_exc(file=sys.stderr)
        outbox.write(frame(("error", f"{type(error).__name__}: {error}")))
        outbox.flush()
        return 1


if __name__ == "__main__":
    sys.exit(serve(sys.stdin.buffer, sys.stdout.buffer))
