"""The frames a report's processes speak in over their pipes: a length, then a pickle (only
ever between our own processes), and the failure one of them reports."""

from __future__ import annotations

import pickle
import struct
from typing import IO, Any

HEADER = struct.Struct("!I")  # a frame's length in bytes


class ReportFailed(RuntimeError):
    """A report's process failed: what it said (the error's kind and text)."""

    def __init__(self, said: str) -> None:
        super().__init__(f"report not written: {said}")
        self.said = said


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


def send(outbox: IO[bytes], message: tuple[Any, ...]) -> None:
    """One frame to the other side, at once."""
    outbox.write(frame(message))
    outbox.flush()


def picklable(error: BaseException) -> BaseException | None:
    """`error` itself if it crosses the pipe and comes back whole (a domain error does), else
    None: its text is said anyway."""
    try:
        return pickle.loads(pickle.dumps(error))  # type: ignore[no-any-return]
    except Exception:  # any failure to pickle: the text alone is sent
        return None
