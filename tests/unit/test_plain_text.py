"""People's text in documents: no control character XML or Word refuses, no CSV formula."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from core.plain_text import one_line, printable, spreadsheet_text

ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=200)


@given(ANY_TEXT)
def test_printable_text_is_valid_xml_and_stable(text: str) -> None:
    clean = printable(text)
    etree.Element("t").text = clean  # lxml refuses what XML 1.0 forbids
    assert printable(clean) == clean
    assert all(c in clean for c in text if c.isprintable() and c not in "\ufffe\uffff")


def test_printable_keeps_tabs_and_lines() -> None:
    assert printable("План\x01 на\x0bгод\r\nII\tэтап\x85\x9f") == "План на\nгод\nII\tэтап\n"
    assert one_line(" СОШ\x0b№ 21\r\n г.\x00 Челябинска ") == "СОШ № 21 г. Челябинска"


@pytest.mark.parametrize("cell", ["=1+1", "+7 900", "-2+3", "@SUM(A1)", "\tx", "\rx", "\nx"])
def test_a_would_be_formula_is_shown_as_typed(cell: str) -> None:
    assert spreadsheet_text(cell) == "'" + cell


@given(ANY_TEXT)
def test_no_cell_starts_a_formula(text: str) -> None:
    cell = spreadsheet_text(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n"))
    assert cell in (text, "'" + text)
