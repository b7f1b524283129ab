"""Telegram markup parsing: entities, offsets in UTF-16, and Telegram's refusals."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.markup import ParseError, parse, parse_html, parse_markdown_v2, utf16_len


def test_html_entities_have_utf16_offsets() -> None:
    text, entities = parse_html("😀 <b>жирный</b> <a href='https://x.ru/?a=1&amp;b=2'>ссылка</a>")
    assert text == "😀 жирный ссылка"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 6},
        {"type": "text_link", "offset": 10, "length": 6, "url": "https://x.ru/?a=1&b=2"},
    ]


def test_nested_tags_and_expandable_quote() -> None:
    text, entities = parse_html("<b>a<i>b</i></b><blockquote expandable>q</blockquote>")
    assert text == "abq"
    assert {"type": "italic", "offset": 1, "length": 1} in entities
    assert {"type": "expandable_blockquote", "offset": 2, "length": 1} in entities


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("<b>x", "Can't find end tag"),
        ("<b>x</i>", "Unmatched end tag"),
        ("x</b>", "Unexpected end tag"),
        ("<p>x</p>", "Unsupported start tag"),
        ("&nbsp;", "Unsupported HTML entity"),
        ("<a>x</a>", "href"),
        ("<span>x</span>", "tg-spoiler"),
        ("1 < 2", "Unexpected character"),
    ],
)
def test_html_refusals(source: str, fragment: str) -> None:
    with pytest.raises(ParseError, match=fragment):
        parse_html(source)


# Lone surrogates cannot travel in UTF-8 JSON, so no client can send them.
TEXT = st.text(alphabet=st.characters(codec="utf-8"))


@given(TEXT)
def test_escaped_text_round_trips(raw: str) -> None:
    text, entities = parse_html(html.escape(raw, quote=False))
    assert text == raw and entities == []


@given(
    st.text(alphabet=st.characters(blacklist_characters="<>&", codec="utf-8"), min_size=1),
    st.sampled_from(["b", "i", "u", "s", "code"]),
)
def test_a_wrapped_span_covers_the_whole_text(raw: str, tag: str) -> None:
    text, entities = parse_html(f"<{tag}>{raw}</{tag}>")
    assert text == raw
    assert entities[0]["offset"] == 0 and entities[0]["length"] == utf16_len(raw)


def test_markdown_v2() -> None:
    text, entities = parse_markdown_v2(r"*Срок* до 10\.11 _важно_ [ссылка](https://x.ru) `код`")
    assert text == "Срок до 10.11 важно ссылка код"
    assert [e["type"] for e in entities] == ["bold", "italic", "text_link", "code"]
    with pytest.raises(ParseError, match="reserved"):
        parse_markdown_v2("до 10.11")
    with pytest.raises(ParseError, match="Can't find end"):
        parse_markdown_v2("*открыт")


def test_plain_and_unknown_modes() -> None:
    assert parse("<b>", None) == ("<b>", [])
    assert parse("<b>x</b>", "html")[0] == "x"
    with pytest.raises(ParseError):
        parse("x", "bbcode")
