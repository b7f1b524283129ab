"""PDF plans: a merged cell a page break cuts goes on in the next part, and a flagged row says
the page it was printed on (preview in chat and on the command line)."""

from __future__ import annotations

from pathlib import Path

from bot import texts
from bot.preview import text_preview
from importer.files import load_plan

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"


def test_a_merged_period_cut_by_a_page_break_dates_every_row_it_covers() -> None:
    draft = load_plan((PLANS / "merged_across_pages.pdf").read_bytes(), "merged_across_pages.pdf")
    found = {a.number: a.period_text for a in draft.activities}
    expected = {str(n): "до 15.09.2020" for n in range(1, 20)}
    expected |= {str(n): "октябрь 2020" for n in range(20, 51)}  # rows 20-50: one merged cell
    expected |= {str(n): "ноябрь 2020" for n in range(51, 60)}
    expected["60"] = ""
    assert found == expected
    pages = {a.number: a.page for a in draft.activities}
    assert pages["1"] == 1 and pages["60"] == 3


def test_a_flagged_row_of_a_pdf_says_its_page() -> None:
    draft = load_plan((PLANS / "merged_across_pages.pdf").read_bytes(), "merged_across_pages.pdf")
    (row,) = draft.flagged()
    assert (row["number"], row["page"]) == ("60", 3)
    assert "Мероприятие 60 — колонка «Сроки» пуста, стр. 3" in texts.import_preview(draft)
    assert "(стр. 3)" in text_preview(draft)


def test_other_files_name_no_page() -> None:
    draft = load_plan((PLANS / "roadmap_sections.docx").read_bytes(), "roadmap_sections.docx")
    assert all("page" not in row for row in draft.flagged())
    assert "стр." not in texts.import_preview(draft)
