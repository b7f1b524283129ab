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


KINDS = ["photo", "document", "video", "audio", "voice", "video_note", "animation"]


@given(st.lists(st.sampled_from(KINDS), max_size=40))
def test_every_file_goes_once_with_the_method_of_its_kind(kinds: list[str]) -> None:
    files = [FileInfo(kind, f"id{i}", f"u{i}") for i, kind in enumerate(kinds)]
    parts = media_parts(files)
    sent = sorted(str(file_id) for part in parts for file_id in part.file_ids)
    assert sent == sorted(f.file_id for f in files)
    by_id = {f.file_id: f.kind for f in files}
    for part in parts:
        assert 1 <= len(part.file_ids) <= 10
        if len(part.file_ids) > 1:  # an album holds one kind Telegram allows in albums
            assert part.kind in ("photo", "video", "document", "audio")
        # Sent with its own kind's method (Telegram refuses a file_id of another kind); a kind
        # without a method of its own here goes as a document.
        kinds_sent = {by_id[str(i)] for i in part.file_ids}
        expected = {kind if kind != "animation" else "document" for kind in kinds_sent}
        assert expected == {part.kind}
