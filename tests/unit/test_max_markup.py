"""MAX formatting in the emulator: HTML and Markdown to plain text and MarkupElements."""

from __future__ import annotations

import pytest

from emulator.max.markup import render


def test_html_tags_become_markup_and_unknown_tags_are_stripped() -> None:
    text, markup = render("<b>Срок</b> <i>до</i> <u>10.11</u><br><span>итог</span>", "html")
    assert text == "Срок до 10.11\nитог"
    assert [(m["type"], m["from"], m["length"]) for m in markup] == [
        ("strong", 0, 4),
        ("emphasized", 5, 2),
        ("underline", 8, 5),
    ]


def test_html_links_entities_nesting_and_unclosed_tags() -> None:
    text, markup = render('<a href="https://max.ru">M</a> &lt;&amp;&gt; <b>x<i>y', "html")
    assert text == "M <&> xy"
    assert markup[0] == {"type": "link", "from": 0, "length": 1, "url": "https://max.ru"}
    assert [(m["type"], m["from"], m["length"]) for m in markup[1:]] == [
        ("strong", 6, 2),
        ("emphasized", 7, 1),
    ]


def test_markdown_subset() -> None:
    source = "**Ж** __Ж__ *к* _к_ ~~з~~ ++п++ `м` ^^в^^ [ссылка](https://max.ru)\n# Итог"
    text, markup = render(source, "markdown")
    assert text == "Ж Ж к к з п м в ссылка\nИтог"
    assert [m["type"] for m in markup] == [
        "strong",
        "strong",
        "emphasized",
        "emphasized",
        "strikethrough",
        "underline",
        "monospaced",
        "highlighted",
        "link",
        "heading",
    ]


def test_markdown_leaves_words_and_unpaired_marks_alone() -> None:
    assert render("snake_case_name и 2*3", "markdown") == ("snake_case_name и 2*3", [])
    assert render(r"\*не курсив\*", "markdown") == ("*не курсив*", [])


def test_a_user_mention_link() -> None:
    _, markup = render("[Ольга](max://user/42)", "markdown")
    assert markup == [{"type": "user_mention", "from": 0, "length": 5, "user_id": 42}]


@pytest.mark.parametrize("fmt", [None, "html", "markdown"])
def test_offsets_count_utf16_units(fmt: str | None) -> None:
    source = {"html": "😀 <b>x</b>", "markdown": "😀 **x**", None: "😀 x"}[fmt]
    text, markup = render(source, fmt)
    assert text == "😀 x"
    if fmt is not None:
        assert markup[0]["from"] == 3  # the emoji is two UTF-16 units
