"""Progress chart for a phone screen: stacked bars per direction or per school (PNG, Agg)."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display anywhere this runs

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

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


def progress_png(title: str, bars: list[Bar]) -> bytes:
    """A horizontal stacked bar chart, large fonts, Cyrillic labels."""
    figure = build_figure(title, bars)
    try:
        out = io.BytesIO()
        # "tight" grows the picture to hold the wrapped title and the legend under the axis.
        figure.savefig(out, format="png", bbox_inches="tight", pad_inches=0.25)
        return out.getvalue()
    finally:
        plt.close(figure)


def build_figure(title: str, bars: list[Bar]) -> Figure:
    """The chart's figure (the caller closes it): title wrapped, legend below the axis label."""
    shown = limit_bars(bars)
    height = max(3.0, 0.45 * len(shown) + 1.8)
    figure, axis = plt.subplots(figsize=(8, height), dpi=110)
    # Shares, not counts: a school with 5 items and the summed rest stay comparable.
    totals = [max(b.accepted + b.submitted + b.open_in_time + b.overdue, 1) for b in shown][::-1]
    labels = [
        f"{b.label[:34]} ({b.accepted + b.submitted + b.open_in_time + b.overdue})" for b in shown
    ][::-1]

    def share(values: list[int]) -> list[float]:
        return [100 * v / t for v, t in zip(values[::-1], totals, strict=True)]

    parts = [
        ("accepted", share([b.accepted for b in shown])),
        ("submitted", share([b.submitted for b in shown])),
        ("open", share([b.open_in_time for b in shown])),
        ("overdue", share([b.overdue for b in shown])),
    ]
    left = [0.0] * len(shown)
    for key, values in parts:
        axis.barh(labels, values, left=left, color=COLOURS[key], label=LABELS[key])
        left = [a + b for a, b in zip(left, values, strict=True)]
    lines = textwrap.wrap(title, 55) or [""]
    if len(lines) > 3:
        lines = [*lines[:2], textwrap.shorten(" ".join(lines[2:]), 55, placeholder="…")]
    axis.set_title("\n".join(lines), fontsize=14, loc="left")
    axis.tick_params(labelsize=11)
    axis.set_xlim(0, 100)
    axis.set_xlabel("% пунктов", fontsize=11)
    figure.tight_layout()
    figure.canvas.draw()  # the axis label's place is known only once drawn
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    below = axis.xaxis.label.get_window_extent(renderer).transformed(axis.transAxes.inverted())
    axis.legend(
        fontsize=10,
        loc="upper center",
        bbox_to_anchor=(0.5, below.y0 - 0.02),
        ncol=2,
        frameon=False,
    )
    return figure
