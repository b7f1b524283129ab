"""The progress chart: the whole title is shown, and the legend sits below the axis label."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from reports.chart import Bar, build_figure, progress_png

LONG = (
    "ДОРОЖНАЯ КАРТА МАОУ «СОШ № 21 г. Челябинска» по участию в проекте «Модуль МСОКО как "
    "средство управления качеством образования» в статусе опорной площадки"
)


@pytest.mark.parametrize("count", [1, 3, 12, 40])
def test_title_whole_and_legend_clear_of_the_axis_label(count: int) -> None:
    bars = [Bar(f"МАОУ «СОШ № {i} г. Челябинска»", i, 1, 2, i % 3) for i in range(count)]
    figure = build_figure(LONG, bars)
    try:
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
        axis = figure.axes[0]
        assert " ".join(axis.get_title(loc="left").split()) == LONG  # wrapped, never cut
        label = axis.xaxis.label.get_window_extent(renderer)
        shown = axis.get_legend()
        assert shown is not None
        legend = shown.get_window_extent(renderer)
        assert legend.y1 <= label.y0  # below the label, not over it
        ticks = [t.get_window_extent(renderer) for t in axis.get_xticklabels() if t.get_text()]
        assert all(legend.y1 <= t.y0 for t in ticks)
    finally:
        plt.close(figure)


def test_a_very_long_title_is_shortened_with_an_ellipsis_on_three_lines() -> None:
    figure = build_figure(LONG * 3, [Bar("Школа", 1, 0, 0, 0)])
    try:
        title = figure.axes[0].get_title(loc="left")
        assert title.count("\n") == 2 and title.endswith("…")
    finally:
        plt.close(figure)
    assert progress_png(LONG, [Bar("Школа", 1, 0, 0, 0)]).startswith(b"\x89PNG")
