"""A workbook as a reader sees it, to compare two writers' files: every written cell's value and
look (its fill whether set on the cell or by a conditional rule), widths, heights, merged
cells, frozen panes and page setup."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import range_boundaries

SEARCH = re.compile(r'SEARCH\("(?P<text>[^"]*)"')


def _colour(fill: Any, rule: bool = False) -> str | None:
    """A fill's colour: a cell's solid pattern's, a conditional rule's background (its pattern
    left out means solid there)."""
    if fill is None or (fill.fill_type is None and not rule):
        return None
    for colour in (fill.fgColor, fill.bgColor):
        if colour is not None and colour.type == "rgb" and colour.rgb not in ("00000000",):
            return str(colour.rgb)[-6:].upper()
    return None


def _rules(sheet: Any) -> list[tuple[tuple[int, int, int, int], str | None, str | None]]:
    """(range, text, fill) of each rule, in priority order: "contains" this text, or (None) any
    positive number (a date)."""
    found = []
    for ranges, rules in sheet.conditional_formatting._cf_rules.items():
        for rule in rules:
            text = rule.text
            if rule.type == "cellIs":
                assert (rule.operator, rule.formula) == ("greaterThan", ["0"]), rule.formula
            elif text is None and rule.formula:
                match = SEARCH.search(rule.formula[0])
                text = match.group("text") if match else None
                assert rule.type == "containsText" and text is not None, rule.type
            for cells in str(ranges.sqref).split():
                found.append((rule.priority, range_boundaries(cells), text,
                              _colour(rule.dxf.fill if rule.dxf else None, rule=True)))  # fmt: skip
    return [(bounds, text, fill) for _, bounds, text, fill in sorted(found, key=lambda r: r[0])]


def fill_of(
    cell: Any, rules: list[tuple[tuple[int, int, int, int], str | None, str | None]]
) -> Any:
    """The fill a reader sees: the cell's own, else the first conditional rule that holds."""
    own = _colour(cell.fill)
    if own is not None:
        return own
    value = cell.value
    for (left, top, right, bottom), text, fill in rules:
        if not (left <= cell.column <= right and top <= cell.row <= bottom):
            continue
        if text is None:
            holds = isinstance(value, datetime | int | float) and not isinstance(value, bool)
        else:
            holds = isinstance(value, str) and text.casefold() in value.casefold()
        if holds:
            return fill
    return None


def look(source: Path | bytes) -> dict[str, Any]:
    """Everything about a workbook (its file, or the file's bytes) a reader or a printer meets."""
    book = openpyxl.load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source)
    sheets: dict[str, Any] = {}
    for sheet in book.worksheets:
        rules = _rules(sheet)
        cells = {}
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                white = fill_of(cell, rules)
                value = cell.value
                if isinstance(value, float) and value.is_integer():
                    value = int(value)  # a count is a number either way
                cells[cell.coordinate] = (
                    value, cell.number_format, bool(cell.font.b), cell.font.sz,
                    bool(cell.alignment.wrap_text), cell.alignment.vertical,
                    cell.alignment.horizontal, None if white == "FFFFFF" else white,
                )  # fmt: skip
        setup = sheet.page_setup
        sheets[sheet.title] = {
            "cells": cells,
            "widths": {k: round(v.width, 1) for k, v in sheet.column_dimensions.items() if v.width},
            # A column's own fill shows on its empty cells too (none is meant to have one).
            "column_fills": {
                k: _colour(v.fill) for k, v in sheet.column_dimensions.items() if _colour(v.fill)
            },
            "heights": {k: v.height for k, v in sheet.row_dimensions.items() if v.height},
            "merged": sorted(str(r) for r in sheet.merged_cells.ranges),
            "frozen": sheet.freeze_panes,
            "titles": sheet.print_title_rows,
            "page": (
                setup.orientation,
                str(setup.paperSize),
                setup.fitToWidth,
                setup.fitToHeight,
                sheet.sheet_properties.pageSetUpPr.fitToPage,
            ),
            "margins": tuple(
                round(getattr(sheet.page_margins, side), 2)
                for side in ("left", "right", "top", "bottom")
            ),
            "footer": sheet.oddFooter.center.text,
        }
    return sheets
