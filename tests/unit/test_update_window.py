"""The polling window: the offset confirms exactly the updates that finished, in any order."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.polling import UpdateWindow, wait_briefly


@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=30, unique=True))
def test_offset_never_passes_an_unfinished_update(finish_order: list[int]) -> None:
    window = UpdateWindow()
    ids = sorted(finish_order)
    assert [window.take(1000 + i) for i in ids] == [True] * len(ids)
    assert not window.take(1000 + ids[0])  # a copy of a running update is not handled twice
    done: set[int] = set()
    for i in finish_order:
        window.finish(1000 + i)
        done.add(i)
        offset = window.offset()
        assert offset is not None
        running = [u for u in ids if u not in done]
        # Confirmed (below the offset): finished ones only; every running one stays above.
        assert all(1000 + u >= offset for u in running)
        assert offset == (1000 + min(running) if running else 1000 + max(ids) + 1)
    assert not window.take(1000 + ids[-1])  # confirmed already


def test_a_fresh_window_confirms_nothing() -> None:
    window = UpdateWindow()
    assert window.offset() is None
    assert window.take(5) and window.offset() == 5
    window.finish(5)
    assert window.offset() == 6


async def test_a_stop_that_arrives_as_an_update_finishes_still_stops_the_wait() -> None:
    # asyncio.wait_for on Python 3.11 returns normally here, swallowing the stop: polling then
    # never ended and a test's teardown hung for good.
    finished = asyncio.Event()
    waiting = asyncio.create_task(wait_briefly(finished))
    await asyncio.sleep(0)  # one turn of the loop: the task is now waiting on the event
    finished.set()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
