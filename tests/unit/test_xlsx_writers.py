"""The two XLSX writers make one workbook: XlsxWriter's (a thread of the bot, and the fallback)
and the Rust-backed one a big report's process uses, compared as a reader sees them, cell by
cell, with every fill (a cell's own or a conditional rule's) (issue 32)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.texts import LETTER_NAMES, state_words
from core import matrix
from core.item_state import ItemState, State
from core.report_data import PlanReport, ReportRow
from core.states import AssignmentStatus
from core.status import Counts, DirectionStatus, PlanStatus
from reports import sinks, xlsx_rust
from reports.xlsx import FILLS, XlsxReport
from reports.xlsx_rust import RustXlsxReport, fill_rules, fits
from tests.xlsx_look import look

GENERATED = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
STATUS = {  # a row's status of record by its state
    State.NOT_DUE: AssignmentStatus.OPEN, State.OPEN: AssignmentStatus.OPEN,
    State.OVERDUE: AssignmentStatus.OPEN, State.RETURNED: AssignmentStatus.RETURNED,
    State.RETURNED_OVERDUE: AssignmentStatus.RETURNED,
    State.SUBMITTED_ON_TIME: AssignmentStatus.SUBMITTED,
    State.SUBMITTED_LATE: AssignmentStatus.SUBMITTED,
    State.ACCEPTED_ON_TIME: AssignmentStatus.ACCEPTED,
    State.ACCEPTED_LATE: AssignmentStatus.ACCEPTED, State.CANCELLED: AssignmentStatus.CANCELLED,
}  # fmt: skip


def _plan(activities: int, status: PlanStatus | None) -> PlanReport:
    return PlanReport(
        plan_id=1,
        title="Дорожная карта «Функциональная грамотность» на 2026/2027 учебный год",
        generated=GENERATED,
        status=status,
        activities=[
            (
                a,
                f"{a // 3 + 1}.{a % 3 + 1}" if a % 4 else None,
                f"Мероприятие {a}: " + "очень длинное название " * (a % 5),
            )
            for a in range(1, activities + 1)
        ],
        zone="Asia/Yekaterinburg",
    )


def _every_state() -> tuple[PlanReport, list[ReportRow]]:
    """Every state at several days, schools missing some activities, people's odd texts."""
    counts = Counts(total=30, accepted=6, submitted=6, open=12, overdue=6)
    status = PlanStatus(1, "План", counts, directions=[
        DirectionStatus(1, "I", "Организационное направление", counts),
        DirectionStatus(2, "", "Без кода", Counts(total=0)),
    ])  # fmt: skip
    report = _plan(len(State) * 2, status)
    rows: list[ReportRow] = []
    texts = ["=СУММ(A1)", "+7 900 123-45-67", "http://school.example/отчёт", "Готово", None]
    for s in range(5):
        school = f"МАОУ «СОШ № {s + 1}» г. Екатеринбурга" + " с углублённым изучением" * (s % 2)
        for index, (a_id, number, title) in enumerate(report.activities):
            if (index + s) % 7 == 3:
                continue  # not this school's: an empty matrix cell
            state = list(State)[index % len(State)]
            days = (index * 3 + s) % 40
            due = date(2026, 11, 1) + timedelta(days=index) if index % 9 else None
            handed = state in (State.SUBMITTED_ON_TIME, State.SUBMITTED_LATE,
                               State.ACCEPTED_ON_TIME, State.ACCEPTED_LATE)  # fmt: skip
            rows.append(ReportRow(
                school, a_id, number, title, STATUS[state], due,
                GENERATED - timedelta(days=days, minutes=s) if handed else None,
                texts[(index + s) % len(texts)] if handed else None,
                ("Протокол.pdf", "Фото 1.jpg ⚠")[: (index + s) % 3] if handed else (),
                ItemState(state, days),
                plan_due=due - timedelta(days=2) if due and index % 4 == 1 else None,
            ))  # fmt: skip
    return report, rows


def _nothing_late() -> tuple[PlanReport, list[ReportRow]]:
    report, rows = _every_state()
    return report, [r for r in rows if not r.overdue]


def _empty() -> tuple[PlanReport, list[ReportRow]]:
    return _plan(3, None), []


def _written(writer_of: Any, report: PlanReport, rows: list[ReportRow], out: Path) -> Path:
    writer = writer_of(report, out)
    # Rows come a few schools at a time.
    for start in range(0, len(rows), 37):
        writer.add(rows[start : start + 37])
    writer.save()
    return out


@pytest.mark.parametrize("sample", [_every_state, _nothing_late, _empty])
def test_both_writers_make_the_same_workbook(tmp_path: Path, sample: Any) -> None:
    report, rows = sample()
    assert fits(report)
    first = look(_written(XlsxReport, report, rows, tmp_path / "xlsxwriter.xlsx"))
    second = look(_written(RustXlsxReport, report, rows, tmp_path / "rust.xlsx"))
    assert list(second) == list(first) == ["Сводка", "Матрица", "Подробно", "Просрочено"]
    for name, sheet in first.items():
        for key, value in sheet.items():
            assert second[name][key] == value, (name, key)
    cells = first["Подробно"]["cells"]
    if rows:  # the sample shows what it is meant to: every fill, and text kept as typed
        fills = {cell[-1] for cell in first["Матрица"]["cells"].values()}
        # Every state's colour there is (open's is white).
        assert fills - {None} == {FILLS[matrix.letter(r.state)] for r in rows} - {"FFFFFF"}
        assert {"=СУММ(A1)", "+7 900 123-45-67"} <= {c[0] for c in cells.values()}


STATES = st.builds(ItemState, st.sampled_from(list(State)), st.integers(0, 3_000))


@given(STATES)
def test_the_rust_writers_rules_fill_every_state_as_its_letter(state: ItemState) -> None:
    rules = xlsx_rust.STATUS_RULES
    assert rules is not None
    words = state_words(state)
    first = next(letter for text, letter in rules if text.casefold() in words.casefold())
    assert first == matrix.letter(state)


def test_the_matrix_names_each_find_their_own_fill() -> None:
    rules = xlsx_rust.MATRIX_RULES
    assert rules is not None
    for letter, name in LETTER_NAMES.items():
        assert next(r for text, r in rules if text in name) == letter


@pytest.mark.parametrize(
    "samples",
    [
        [("принято", "a"), ("принято", "s")],  # one text, two fills
        # Open's rule ("ок") is shorter than the words it holds of another's: no order helps.
        [("ок 1, всё хорошо", "a"), ("ок 2, всё хорошо", "a"), ("всё хорошо", "n")],
        [("на проверке?", "s"), ("открыто", "n")],  # a pattern's character
    ],
)
def test_rules_that_cannot_tell_the_texts_apart_are_refused(
    samples: list[tuple[str, str]],
) -> None:
    assert fill_rules(samples) is None


def test_a_report_the_rust_writer_cannot_make_falls_back_to_xlsxwriter(tmp_path: Path) -> None:
    report, _ = _every_state()
    alike = replace(report, activities=[(1, "1", "Совещание"), (2, "1", "Совещание")])
    assert not fits(alike)
    out = tmp_path / "report.xlsx"
    assert isinstance(sinks.writer_of("xlsx", (alike, out), own_process=True), XlsxReport)
    assert isinstance(sinks.writer_of("xlsx", (report, out), own_process=True), RustXlsxReport)
    # In a thread of the bot, never the writer that holds the interpreter lock while it writes.
    assert isinstance(sinks.writer_of("xlsx", (report, out)), XlsxReport)
