"""The progress chart: the whole title centred, labels wrapped at words or shortened with "…"
(never cut mid-word), the plot across the picture, the legend below the axis label."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from reports.chart import Bar, build_figure, progress_png, wrap_label

LONG = (
    "ДОРОЖНАЯ КАРТА МАОУ «СОШ № 21 г. Челябинска» по участию в проекте «Модуль МСОКО как "
    "средство управления качеством образования» в статусе опорной площадки"
)
DIRECTION = "II. Средневзвешенный балл как принцип оценки качества образования в школах региона"


def _title(figure: Figure) -> str:
    title = figure._suptitle  # type: ignore[attr-defined]
    assert title is not None
    return str(title.get_text())


@pytest.mark.parametrize("count", [1, 3, 12, 40])
def test_title_labels_plot_and_legend_fit_the_picture(count: int) -> None:
    bars = [Bar(f"{DIRECTION} № {i}", i, 1, 2, i % 3) for i in range(count)]
    figure = build_figure(LONG, bars)
    try:
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
        whole = figure.bbox
        axis = figure.axes[0]
        assert " ".join(_title(figure).split()) == LONG  # wrapped, never cut
        title = figure._suptitle.get_window_extent(renderer)  # type: ignore[attr-defined]
        assert abs((title.x0 + title.x1) / 2 - whole.width / 2) < 2  # centred on the picture
        plot = axis.get_window_extent(renderer)
        assert plot.width >= 0.9 * whole.width  # the bars run across the picture
        texts = [t for t in axis.texts if t.get_text()]
        assert len(texts) == min(count, 25)
        for text in texts:
            box = text.get_window_extent(renderer)
            assert whole.x0 <= box.x0 and box.x1 <= whole.x1  # inside the picture
            assert box.y0 >= plot.y0 and box.y1 <= title.y0
        label = axis.xaxis.label.get_window_extent(renderer)
        shown = axis.get_legend()
        assert shown is not None
        legend = shown.get_window_extent(renderer)
        assert legend.y1 <= label.y0 and legend.y0 >= whole.y0  # below the label, inside
        ticks = [t.get_window_extent(renderer) for t in axis.get_xticklabels() if t.get_text()]
        assert all(legend.y1 <= t.y0 for t in ticks)
        # Nothing left empty: the first label comes within half an inch under the title.
        highest = max(t.get_window_extent(renderer).y1 for t in texts)
        assert title.y0 - highest <= 0.5 * figure.dpi
    finally:
        plt.close(figure)


@pytest.mark.parametrize(
    "text", [DIRECTION, DIRECTION * 3, "Короткое", "Сверхдлинноесловобезпробелов" * 4]
)
def test_labels_wrap_at_words_or_end_with_an_ellipsis_and_keep_the_count(text: str) -> None:
    lines = wrap_label(text, 40, 2, tail=" (12)")
    assert 1 <= len(lines) <= 2 and all(len(line) <= 40 for line in lines)
    assert lines[-1].endswith(" (12)")
    shown = " ".join(lines).removesuffix(" (12)")
    words = text.split()
    if any(len(word) > 40 for word in words):  # only a word wider than a line is cut
        assert shown.endswith("…")
    elif shown.endswith("…"):
        body = shown[:-1].split()
        assert body == words[: len(body)]  # whole words of the text, in order
    else:
        assert shown == text


def test_a_very_long_title_is_shortened_with_an_ellipsis_on_four_lines() -> None:
    figure = build_figure(LONG * 3, [Bar("Школа", 1, 0, 0, 0)])
    try:
        title = _title(figure)
        assert title.count("\n") == 3 and title.endswith("…")
    finally:
        plt.close(figure)
    assert progress_png(LONG, [Bar("Школа", 1, 0, 0, 0)]).startswith(b"\x89PNG")
