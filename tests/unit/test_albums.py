"""Splitting files into Telegram albums (2–10 items each, none left alone)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.work import FileInfo
from handlers.done_flow import _albums


@given(st.integers(min_value=0, max_value=100))
def test_albums_keep_every_file_in_order_and_within_telegrams_sizes(count: int) -> None:
    files = [FileInfo("document", f"id{i}", f"u{i}") for i in range(count)]
    albums = _albums(files)
    assert [f for album in albums for f in album] == files
    assert all(len(album) <= 10 for album in albums)
    if count >= 2:
        assert all(len(album) >= 2 for album in albums)
    assert len(albums) == -(-count // 10)
