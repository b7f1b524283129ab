"""Splitting files into Telegram albums (2–10 items each, none left alone)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.submission_view import albums, media_parts
from core.work import FileInfo


@given(st.integers(min_value=0, max_value=100))
def test_albums_keep_every_file_in_order_and_within_telegrams_sizes(count: int) -> None:
    files = [FileInfo("document", f"id{i}", f"u{i}") for i in range(count)]
    chunks = albums(files)
    assert [f for chunk in chunks for f in chunk] == files
    assert all(len(chunk) <= 10 for chunk in chunks)
    if count >= 2:
        assert all(len(chunk) >= 2 for chunk in chunks)
    assert len(chunks) == -(-count // 10)


@given(st.lists(st.sampled_from(["photo", "document", "video", "audio"]), max_size=40))
def test_every_file_is_in_exactly_one_part_of_its_kind(kinds: list[str]) -> None:
    files = [FileInfo(kind, f"id{i}", f"u{i}") for i, kind in enumerate(kinds)]
    parts = media_parts(files)
    sent = sorted(file_id for part in parts for file_id in part.file_ids)
    assert sent == sorted(f.file_id for f in files)
    by_id = {f.file_id: f.kind for f in files}
    for part in parts:
        assert 1 <= len(part.file_ids) <= 10
        if part.kind == "photo":
            assert all(by_id[i] == "photo" for i in part.file_ids)
        else:
            assert all(by_id[i] != "photo" for i in part.file_ids)
            if len(part.file_ids) > 1:  # albums of documents hold documents only
                assert all(by_id[i] == "document" for i in part.file_ids)
