"""Cutting user text for messages: at a word boundary, with "…", never over the limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.texts import clip


@given(st.text(max_size=500), st.integers(min_value=2, max_value=300))
def test_clip_never_exceeds_the_limit_and_marks_a_cut(text: str, limit: int) -> None:
    cut = clip(text, limit)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text
    else:
        assert cut.endswith("…") and text.startswith(cut[:-1])


def test_clip_cuts_at_a_word_boundary() -> None:
    assert clip("повышение качества образования в школах", 30) == "повышение качества…"
