"""The XLSX report as a printer and a reader meet it: columns as wide as what they hold, headers
wrapped at words and as tall as their lines, landscape pages as wide as the sheet (issue 32)."""

from __future__ import annotations

import asyncio
import errno
import os
import tempfile
import zipfile
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from core.item_state import ItemState, State
from core.report_data import PlanReport, ReportRow
from core.states import AssignmentStatus
from core.status import Counts, PlanStatus, SectionStatus
from reports import build, sinks
from reports.docx_report import DocxReport
from reports.sheet_columns import LINE, units, wrapped
from reports.xlsx import XlsxReport
from reports.xlsx_rust import RustXlsxReport

LONG = (
    "Организация и проведение диагностических работ по функциональной грамотности обучающихся "
    "5-9 классов с анализом результатов на заседаниях методических объединений учителей"
)
SCHOOL = "Муниципальное автономное общеобразовательное учреждение «СОШ № 21 г. Челябинска»"


def _sample() -> tuple[PlanReport, list[ReportRow]]:
    counts = Counts(total=3, accepted=1, submitted=1, open=1, overdue=1)
    report = PlanReport(
        plan_id=1,
        title="Дорожная карта по участию в проекте «Модуль МСОКО как средство управления "
        "качеством образования»",
        generated=datetime(2026, 11, 30, 6, 0, tzinfo=UTC),
        status=PlanStatus(1, "План", counts, sections=[SectionStatus("1. Раздел", counts)]),
        activities=[(1, "1.1", LONG), (2, "1.2", "Совещание"), (3, None, "Отчёт")],
        zone="Asia/Yekaterinburg",
    )
    due = date(2026, 11, 20)
    rows = [
        ReportRow(SCHOOL, 1, "1.1", LONG, AssignmentStatus.ACCEPTED, due,
                  datetime(2026, 11, 19, 4, 0, tzinfo=UTC), "Готово, протокол приложен",
                  ("Протокол заседания.pdf",), ItemState(State.ACCEPTED_ON_TIME)),
        ReportRow(SCHOOL, 2, "1.2", "Совещание", AssignmentStatus.OPEN, due, None, None, (),
                  ItemState(State.OVERDUE, 10)),
        ReportRow("Школа № 3", 3, None, "Отчёт", AssignmentStatus.SUBMITTED, due,
                  datetime(2026, 11, 20, 4, 0, tzinfo=UTC), None, (),
                  ItemState(State.SUBMITTED_ON_TIME)),
    ]  # fmt: skip
    return report, rows


def _report(tmp_path: Path, writer_of: Any = XlsxReport) -> Path:
    report, rows = _sample()
    out = tmp_path / "report.xlsx"
    writer = writer_of(report, out)
    writer.add(rows)
    writer.save()
    return out


# The same workbook from either writer: XlsxWriter's (a thread of the bot, or the fallback) and
# the Rust-backed one (a big report's own process).
XLSX_WRITERS = [XlsxReport, RustXlsxReport]


@pytest.fixture(params=XLSX_WRITERS, ids=["xlsxwriter", "rust"])
def book(tmp_path: Path, request: pytest.FixtureRequest) -> openpyxl.Workbook:
    return openpyxl.load_workbook(_report(tmp_path, request.param))


def _width(sheet: object, column: int) -> float:
    """A column's width as written (openpyxl keeps equal neighbours as one range)."""
    dims = sheet.column_dimensions.values()  # type: ignore[attr-defined]
    return next(float(d.width) for d in dims if d.min <= column <= d.max)


def test_every_column_holds_its_words_and_short_texts_whole(book: openpyxl.Workbook) -> None:
    for sheet in book.worksheets[1:]:
        for column in range(1, sheet.max_column + 1):
            width = _width(sheet, column)
            cells = [c for (c,) in sheet.iter_rows(min_col=column, max_col=column)]
            header, rest = cells[0], cells[1:]
            assert all(units(w, bold=True) <= width for w in str(header.value).split())
            for cell in rest:
                if isinstance(cell.value, str):
                    # A long text wraps inside its cell; a short one fits on its line.
                    assert cell.alignment.wrap_text or units(cell.value) <= width, (
                        sheet.title, cell.coordinate, cell.value, width)  # fmt: skip
                    assert all(units(w) <= width for w in cell.value.split())


def test_headers_wrap_at_words_and_the_header_row_holds_them(book: openpyxl.Workbook) -> None:
    grid = book["Матрица"]
    head = [c.value for c in grid[1]]
    assert head[1] == f"1.1 {LONG}"[:119].rsplit(" ", 1)[0] + "…"  # shortened at a word
    assert head[2:] == ["1.2 Совещание", "Отчёт"]
    for sheet in book.worksheets[1:]:
        height = sheet.row_dimensions[1].height
        for column, cell in enumerate(sheet[1], 1):
            assert cell.alignment.wrap_text
            lines = wrapped(str(cell.value), _width(sheet, column), bold=True)
            assert LINE * len(lines) <= height, (sheet.title, cell.value, height)


def test_pages_are_landscape_as_wide_as_the_sheet_with_the_header_repeated(
    book: openpyxl.Workbook,
) -> None:
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.paperSize == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        # One page wide (1 is the default, left out of the file), as many pages tall as needed.
        assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
        assert "&P" in sheet.oddFooter.center.text
        if sheet.title != "Сводка":
            assert sheet.print_title_rows == "$1:$1"


def test_the_summary_title_spans_the_table_and_its_row_holds_it(book: openpyxl.Workbook) -> None:
    summary = book["Сводка"]
    assert "A1:G1" in {str(r) for r in summary.merged_cells.ranges}
    assert summary["A1"].alignment.wrap_text and summary.row_dimensions[1].height >= 2 * LINE
    head = [c.value for c in summary[4]]
    assert head[3] == "На проверке" and _width(summary, 4) >= units("На проверке", bold=True)
    assert [c.value for c in summary[6]][:2] == ["Итого", 3]
    # The header in bold, centred over its columns; the total in bold; the share a percent.
    assert all(c.font.b and c.alignment.horizontal == "center" for c in summary[4])
    assert all(c.font.b for c in summary[6][:6])
    share = summary[6][6]
    assert "%" in share.number_format and 0 <= share.value <= 1


@pytest.fixture
def system_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder, for this test alone (to see what is left in it)."""
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))  # a report's own process finds it too
    return folder


# Both kinds of report are made in the system's temporary folder and moved into place whole.
WRITERS = pytest.mark.parametrize(
    ("writer_of", "suffix"), [(XlsxReport, ".xlsx"), (DocxReport, ".docx")], ids=["xlsx", "docx"]
)


@pytest.mark.parametrize(
    ("writer_of", "suffix"),
    [(XlsxReport, ".xlsx"), (RustXlsxReport, ".xlsx"), (DocxReport, ".docx")],
    ids=["xlsx", "rust-xlsx", "docx"],
)
def test_a_report_leaves_only_itself_in_its_folder_and_nothing_in_temp(
    tmp_path: Path, system_temp: Path, writer_of: Any, suffix: str
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    report, rows = _sample()
    writer = writer_of(report, folder / f"report{suffix}")
    # While it is written, its temporary files are in the system's folder, not beside it.
    writer.add(rows)
    assert list(folder.iterdir()) == [] and list(system_temp.iterdir())
    writer.save()
    assert [p.name for p in folder.iterdir()] == [f"report{suffix}"]
    assert list(system_temp.iterdir()) == []
    if suffix == ".xlsx":
        assert openpyxl.load_workbook(folder / "report.xlsx").sheetnames[0] == "Сводка"
    else:
        assert zipfile.ZipFile(folder / "report.docx").testzip() is None


@WRITERS
@pytest.mark.parametrize("sink", [sinks.ThreadSink, sinks.ProcessSink], ids=["thread", "process"])
def test_a_failed_report_leaves_nothing_half_written(
    tmp_path: Path,
    system_temp: Path,
    monkeypatch: pytest.MonkeyPatch,
    writer_of: Any,
    suffix: str,
    sink: Any,
) -> None:
    report, rows = _sample()

    async def failing(*_: object) -> AsyncIterator[list[ReportRow]]:
        yield rows[:2]
        raise RuntimeError("the database went away")

    monkeypatch.setattr(build, "report_rows", failing)
    out = tmp_path / f"report{suffix}"
    out.write_bytes(b"yesterday's report")  # kept whole: never replaced by a half file

    async def run() -> None:
        writer = await sink.start(suffix[1:], (report, out))
        await build._stream(None, report, writer, "UTC", None)  # type: ignore[arg-type]

    with pytest.raises(RuntimeError, match="database went away"):
        asyncio.run(run())
    assert out.read_bytes() == b"yesterday's report"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"report{suffix}", "system-temp"]
    assert list(system_temp.iterdir()) == []


@WRITERS
def test_a_writer_stopped_by_a_signal_leaves_nothing(
    tmp_path: Path, system_temp: Path, writer_of: Any, suffix: str
) -> None:
    """A service's stop signals every process of its group: the writer's still cleans up."""
    import signal

    report, rows = _sample()
    out = tmp_path / f"report{suffix}"

    async def run() -> int:
        sink = await sinks.ProcessSink.start(suffix[1:], (report, out))
        assert sink.child.stdin is not None
        # Sent whole only once the child has read most of it (far more than a pipe holds): by
        # then it has made its writer, whose temporary files exist.
        sink.child.stdin.transport.set_write_buffer_limits(0)
        many = [replace(r, comment=f"Комментарий {i:06} " * 8) for i, r in enumerate(rows * 2000)]
        await sink.add(many)
        sink.child.send_signal(signal.SIGTERM)
        return await sink.child.wait()

    assert asyncio.run(run()) == 128 + signal.SIGTERM
    assert not out.exists() and list(system_temp.iterdir()) == []


def test_across_file_systems_the_report_is_copied_then_renamed_into_place(
    tmp_path: Path, system_temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    replace = os.replace

    def across(source: str | Path, target: str | Path) -> None:
        if Path(source).parent == system_temp:  # the temp folder is on another disk
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        replace(source, target)

    monkeypatch.setattr(os, "replace", across)
    _report(folder)
    assert [p.name for p in folder.iterdir()] == ["report.xlsx"]
    assert list(system_temp.iterdir()) == []
    assert openpyxl.load_workbook(folder / "report.xlsx")["Подробно"]["A2"].value == SCHOOL


def test_dates_are_date_cells_shown_as_days(book: openpyxl.Workbook) -> None:
    # Written as the day's number with the date format (faster than a datetime per cell).
    for sheet, column in (("Подробно", "E"), ("Просрочено", "D")):
        cell = book[sheet][f"{column}2"]
        assert cell.value == datetime(2026, 11, 20) and cell.number_format == "dd.mm.yyyy"


def test_rows_cross_to_a_report_process_whole() -> None:
    import pickle

    from reports.frames import frame, read_frame

    report, rows = _sample()
    import io

    back = read_frame(io.BytesIO(frame(("add", rows))))
    assert back == ("add", rows) and pickle.loads(pickle.dumps(report)).title == report.title


def test_a_cancel_during_the_save_waits_for_the_write_before_discarding() -> None:
    """A thread cannot be stopped: given up while saving, the sink lets the write end before it
    discards (else the write would put back what was discarded)."""
    import threading

    order: list[str] = []
    saving, release = threading.Event(), threading.Event()

    class SlowWriter:
        def add(self, rows: list[ReportRow]) -> None:
            order.append("added")

        def save(self) -> None:
            saving.set()
            release.wait(60)
            order.append("saved")

        def discard(self) -> None:
            order.append("discarded")

    async def run() -> None:
        sink = sinks.ThreadSink(SlowWriter())
        saved = asyncio.ensure_future(sink.save())
        await asyncio.to_thread(saving.wait, 60)
        saved.cancel()
        discarding = asyncio.ensure_future(sink.discard())
        for _ in range(5):  # turns of the loop, not time: the discard goes as far as it can
            await asyncio.sleep(0)
        assert order == []
        release.set()
        await discarding
        with pytest.raises(asyncio.CancelledError):
            await saved

    asyncio.run(run())
    assert order == ["saved", "discarded"]
