"""Progress chart for a phone screen: stacked bars per direction or per school (PNG, Agg)."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # no display anywhere this runs

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from core.status import Counts

MAX_BARS = 25
COLOURS = {"accepted": "#2e7d32", "submitted": "#f9a825", "open": "#90a4ae", "overdue": "#c62828"}
LABELS = {
    "accepted": "Принято",
    "submitted": "На проверке",
    "open": "Открыто в срок",
    "overdue": "Просрочено",
}


@dataclass(frozen=True)
class Bar:
    label: str
    accepted: int
    submitted: int
    open_in_time: int
    overdue: int


def bars_of(parts: list[tuple[str, Counts]]) -> list[Bar]:
    """A bar per (label, counts): accepted, on review, open in time, overdue."""
    return [
        Bar(label, c.accepted, c.submitted, c.open - c.overdue, c.overdue) for label, c in parts
    ]


def limit_bars(bars: list[Bar], limit: int = MAX_BARS) -> list[Bar]:
    """At most `limit` bars: the rest are summed into one "остальные (N)" bar."""
    if len(bars) <= limit:
        return bars
    head, tail = bars[: limit - 1], bars[limit - 1 :]
    rest = Bar(
        f"остальные ({len(tail)})",
        sum(b.accepted for b in tail),
        sum(b.submitted for b in tail),
        sum(b.open_in_time for b in tail),
        sum(b.overdue for b in tail),
    )
    return [*head, rest]


WIDTH = 6.4  # inches: about a phone screen's proportions at the dpi below
DPI = 150
UNIT = 0.3  # inches per unit of the bars' axis
LINE, BAR, GAP = 0.75, 1.0, 0.6  # units: a label line, a bar, the space before the next label
LABEL_CHARS = 58  # a label line at 11 points across the picture
TITLE_CHARS = 54  # a title line at 14 points
TOP_LINE = 0.3  # inches per title line
BOTTOM = 1.25  # inches: the ticks, the axis label and a two-row legend
MARGIN = 0.2  # inches either side of the plot


def wrap_label(text: str, width: int = LABEL_CHARS, lines: int = 2, tail: str = "") -> list[str]:
    """`text` and its `tail` (a count, never cut off) wrapped at word boundaries into at most
    `lines` lines; where they do not fit, the text is shortened at a word with "…" (a word is
    cut only when it alone is wider than a line)."""
    whole = f"{text}{tail}"
    found = textwrap.wrap(whole, width) or [""]
    if len(found) <= lines:
        return found
    head = textwrap.wrap(text, width)[: lines - 1]
    rest = text[len(" ".join(head)) :].strip() if head else text
    room = width - len(tail)
    last = textwrap.shorten(rest, room, placeholder="…")
    if last == "…":  # one word longer than the line: cut it, marked
        last = rest[: room - 1] + "…"
    return [*head, last + tail]


def progress_png(title: str, bars: list[Bar]) -> bytes:
    """A horizontal stacked bar chart, large fonts, Cyrillic labels."""
    figure = build_figure(title, bars)
    try:
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(figure)


def build_figure(title: str, bars: list[Bar]) -> Figure:
    """The chart's figure (the caller closes it): the title centred over the picture, each bar
    under its label across the whole width (a phone's screen has no room for labels beside the
    bars), the legend at the bottom; the figure is as tall as its rows."""
    shown = limit_bars(bars)
    heads = wrap_label(title, TITLE_CHARS, 4)
    labels = [
        wrap_label(b.label, tail=f" ({b.accepted + b.submitted + b.open_in_time + b.overdue})")
        for b in shown
    ]
    places, at = [], 0.0
    for lines in labels:
        places.append(at)
        at += LINE * len(lines) + BAR + GAP
    span = at - GAP
    top = TOP_LINE * len(heads) + 0.25
    height = top + span * UNIT + BOTTOM
    figure, axis = plt.subplots(figsize=(WIDTH, height), dpi=DPI)
    figure.subplots_adjust(
        left=MARGIN / WIDTH,
        right=1 - MARGIN / WIDTH,
        top=1 - top / height,
        bottom=BOTTOM / height,
    )
    figure.suptitle("\n".join(heads), fontsize=14, x=0.5, y=1 - 0.12 / height, va="top")
    centres = []
    for lines, place in zip(labels, places, strict=True):
        axis.text(0, place, "\n".join(lines), fontsize=11, va="top", ha="left")
        centres.append(place + LINE * len(lines) + BAR / 2)
    # Shares, not counts: a school with 5 items and the summed rest stay comparable.
    totals = [max(b.accepted + b.submitted + b.open_in_time + b.overdue, 1) for b in shown]
    left = [0.0] * len(shown)
    parts = [
        ("accepted", [b.accepted for b in shown]),
        ("submitted", [b.submitted for b in shown]),
        ("open", [b.open_in_time for b in shown]),
        ("overdue", [b.overdue for b in shown]),
    ]
    for key, counts in parts:
        values = [100 * v / t for v, t in zip(counts, totals, strict=True)]
        axis.barh(centres, values, height=BAR, left=left, color=COLOURS[key], label=LABELS[key])
        left = [a + b for a, b in zip(left, values, strict=True)]
    axis.set_ylim(span, 0)  # the first bar at the top
    axis.set_yticks([])
    axis.set_xlim(0, 100)
    axis.tick_params(labelsize=11)
    axis.set_xlabel("% пунктов", fontsize=11)
    for side in ("left", "right", "top"):
        axis.spines[side].set_visible(False)
    axis.legend(
        fontsize=10,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.05 / height),
        bbox_transform=figure.transFigure,
        ncol=2,
        frameon=False,
    )
    return figure
