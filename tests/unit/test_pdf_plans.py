"""PDF plans (tests/data/plans/*.pdf, built by make_pdfs.py): every layout's twin reads row by
row as its DOCX/XLSX/CSV original, and unusable PDFs are refused quickly, each with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from importer.errors import MAX_PDF_PAGES
from importer.files import ImportFileError, load_plan, read_document
from importer.model import one_line
from tests.unit.test_plan_layouts import EXPECTED

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"

TWINS = {
    "roadmap_sections.pdf": "roadmap_sections.docx",  # a table continued on the next page
    "two_row_header.pdf": "two_row_header.docx",  # on a landscape page
    "monitoring.pdf": "monitoring.xlsx",
    "plan_cp1251.pdf": "plan_cp1251.csv",
    "cyclogram.pdf": "cyclogram.docx",
    "vpr_schedule.pdf": "vpr_schedule.docx",
    "owner_only.pdf": "roadmap_sections.docx",  # printing and copying restricted, no password
    "plan_unruled.pdf": "plan_cp1251.csv",  # a table without ruling lines
}


def _rows(name: str) -> list[tuple[str | None, str, str | None, str, str | None, str | None]]:
    draft = load_plan((PLANS / name).read_bytes(), name)
    return [
        (
            a.number,
            a.title,
            a.section,
            a.period.kind,
            a.period.start.isoformat() if a.period.start else None,
            a.period.due.isoformat() if a.period.due else None,
        )
        for a in draft.activities
    ]


@pytest.mark.parametrize("name", sorted(TWINS))
def test_a_pdf_twin_reads_row_by_row_as_its_original(name: str) -> None:
    assert _rows(name) == EXPECTED[TWINS[name]]


@pytest.mark.parametrize("name", sorted(TWINS))
def test_title_flags_and_cells_are_those_of_the_original(name: str) -> None:
    original = TWINS[name]
    pdf = load_plan((PLANS / name).read_bytes(), name)
    source = load_plan((PLANS / original).read_bytes(), original)
    assert (pdf.title, pdf.academic_year) == (source.title, source.academic_year)
    assert [r["reasons"] for r in pdf.flagged()] == [r["reasons"] for r in source.flagged()]
    for ours, theirs in zip(pdf.activities, source.activities, strict=True):
        assert (ours.responsible, ours.note, ours.period.time) == (
            theirs.responsible,
            theirs.note,
            theirs.period.time,
        )


def test_merged_cells_pass_their_value_down_as_in_word() -> None:
    roadmap = read_document((PLANS / "roadmap_sections.pdf").read_bytes(), "plan.pdf")
    rows = {row[0]: [one_line(c) for c in row] for table in roadmap.tables for row in table.rows}
    assert rows["1.2"][2] == rows["1.3"][2] == "октябрь 2020"  # merged down
    assert rows["1. Организационная работа"][1:] == ["", "", "", ""]  # merged across
    header = read_document((PLANS / "two_row_header.pdf").read_bytes(), "plan.pdf").tables[0]
    assert header.rows[0][3:5] == ["Ответственные", ""]
    assert [one_line(c) for c in header.rows[1]] == [
        "№",
        "Наименование мероприятия",
        "Сроки",
        "УО",
        "ОО",
        "Примечание",
    ]


def test_the_title_is_read_past_the_approval_block() -> None:
    document = read_document((PLANS / "roadmap_sections.pdf").read_bytes(), "plan.pdf")
    assert "УТВЕРЖДАЮ" in document.preamble[0]
    assert len(document.tables) == 2  # one part per page


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("locked.pdf", "pdf_protected"),
        ("scanned.pdf", "pdf_scanned"),
        ("cid_garbage.pdf", "pdf_garbage"),
        ("no_table.pdf", "no_plan"),
        ("bomb.pdf", "zip_bomb"),
        ("pages_2000.pdf", "too_many_pages"),
    ],
)
def test_unusable_pdfs_are_refused_with_their_reason(name: str, code: str) -> None:
    # How soon they are refused is a benchmark's question (bench/import_sizes.py), not a
    # timed test's: a loaded machine must not fail it.
    with pytest.raises(ImportFileError) as caught:
        load_plan((PLANS / name).read_bytes(), name)
    assert caught.value.code == code


def test_pages_are_counted_before_any_is_read() -> None:
    from importer import pdf_reader

    pages = []
    original = pdf_reader._Reader.page
    pdf_reader._Reader.page = lambda self, page: pages.append(page)  # type: ignore[method-assign]
    try:
        with pytest.raises(ImportFileError) as caught:
            read_document((PLANS / "pages_2000.pdf").read_bytes(), "plan.pdf")
    finally:
        pdf_reader._Reader.page = original  # type: ignore[method-assign]
    assert pages == [] and str(MAX_PDF_PAGES) in caught.value.detail


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + b"\x00" * 2000,  # no objects, no trailer
        (PLANS / "roadmap_sections.pdf").read_bytes()[:6000],  # cut short
        b"<html>not a pdf</html>",
    ],
)
def test_a_malformed_pdf_is_refused_as_damaged(data: bytes) -> None:
    with pytest.raises(ImportFileError) as caught:
        load_plan(data, "plan.pdf")
    assert caught.value.code in ("corrupt", "no_plan")


_PERIODS = ("сентябрь 2020", "до 15.10.2020", "II четверть", "с 1 по 15 марта 2021", "май 2021")
_LONG = (
    "с привлечением руководителей школьных методических объединений, педагогов-наставников "
    "и представителей родительской общественности по итогам первого полугодия"
)


def _long_rows() -> list[tuple[str, str, str, str]]:
    """The rows make_pdfs.long_plan writes: every sixth title runs over a page break."""
    rows = []
    for number in range(1, 25):
        title = f"Мероприятие {number}: совещание по плану работы"
        if number % 6 == 0:
            title = f"{title} {_LONG}, {_LONG}"
        rows.append((str(number), title, _PERIODS[number % 5], f"Ответственный {number}"))
    return rows


@pytest.mark.parametrize(
    "name",
    [
        "long_plan.pdf",  # the header repeated on every page
        "long_plan_bare.pdf",  # nothing repeated
        "long_plan_numbers.pdf",  # only the row of column numbers repeated
    ],
)
def test_a_table_across_pages_is_one_table_and_a_cut_row_one_activity(name: str) -> None:
    document = read_document((PLANS / name).read_bytes(), name)
    assert len(document.tables) >= 2
    # The first row under a part's repeated header (or at its top) is the rest of a cut row.
    tops = [next(r for r in t.rows if r[0] not in ("№", "1")) for t in document.tables[1:]]
    assert any(not row[0] and row[1] for row in tops)
    draft = load_plan((PLANS / name).read_bytes(), name)
    found = [(a.number, a.title, a.period_text, a.responsible) for a in draft.activities]
    assert found == _long_rows()
    assert draft.title == "План работы школы на 2020/2021 учебный год"
