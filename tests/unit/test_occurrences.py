"""Several dated occurrences of one activity (importer.occurrences): month and term grids,
several dated lines in one cell, per-term recurrences; DOCX, XLSX and their PDF twins row by
row, and the pure rules by property."""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.periods import PeriodContext, parse_period
from importer.files import load_plan
from importer.interpret import interpret
from importer.model import RawDocument, RawTable
from importer.occurrences import Legend, Slot, grid_mark, grid_slots, read_legend, slot_of

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"
CONTEXT = PeriodContext(academic_year=2020)

# (number, title, occurrence, kind, start, due), row by row.
EXPECTED = {
    "grid_cyclogram.docx": [
        (
            "1",
            "Проверка классных журналов — сентябрь",
            "сентябрь",
            "month",
            "2020-09-01",
            "2020-09-30",
        ),
        ("1", "Проверка классных журналов — ноябрь", "ноябрь", "month", "2020-11-01", "2020-11-30"),
        ("1", "Проверка классных журналов — январь", "январь", "month", "2021-01-01", "2021-01-31"),
        ("1", "Проверка классных журналов — апрель", "апрель", "month", "2021-04-01", "2021-04-30"),
        (
            "2",
            "Проверка рабочих программ — сентябрь",
            "сентябрь",
            "date",
            "2020-09-15",
            "2020-09-15",
        ),
        ("2", "Проверка рабочих программ — январь", "январь", "date", "2021-01-20", "2021-01-20"),
        ("3", "Проверка дневников — октябрь", "октябрь", "range", "2020-10-08", "2020-10-14"),
        ("3", "Проверка дневников — март", "март", "range", "2021-03-15", "2021-03-21"),
        ("4", "Входная диагностика — сентябрь", "сентябрь", "month", "2020-09-01", "2020-09-30"),
        (
            "5",
            "Административные контрольные работы — декабрь",
            "декабрь",
            "month",
            "2020-12-01",
            "2020-12-31",
        ),
        (
            "5",
            "Административные контрольные работы — май",
            "май",
            "month",
            "2021-05-01",
            "2021-05-31",
        ),
        ("6", "Итоговая аттестация — июнь", "июнь", "month", "2021-06-01", "2021-06-30"),
        ("7", "Анализ работы за год", None, "unknown", None, None),
    ],
    "grid_cyclogram.xlsx": [
        ("1", "Мониторинг посещаемости — сентябрь", "сентябрь", "deadline", None, "2020-09-10"),
        ("1", "Мониторинг посещаемости — октябрь", "октябрь", "deadline", None, "2020-10-10"),
        ("1", "Мониторинг посещаемости — ноябрь", "ноябрь", "deadline", None, "2020-11-10"),
        ("1", "Мониторинг посещаемости — декабрь", "декабрь", "deadline", None, "2020-12-10"),
        ("1", "Мониторинг посещаемости — январь", "январь", "deadline", None, "2021-01-10"),
        ("1", "Мониторинг посещаемости — февраль", "февраль", "deadline", None, "2021-02-10"),
        ("1", "Мониторинг посещаемости — март", "март", "deadline", None, "2021-03-10"),
        ("1", "Мониторинг посещаемости — апрель", "апрель", "deadline", None, "2021-04-10"),
        ("1", "Мониторинг посещаемости — май", "май", "deadline", None, "2021-05-10"),
        ("2", "Отчёт по питанию — сентябрь", "сентябрь", "deadline", None, "2020-09-10"),
        ("2", "Отчёт по питанию — декабрь", "декабрь", "deadline", None, "2020-12-10"),
        ("2", "Отчёт по питанию — май", "май", "deadline", None, "2021-05-10"),
        ("3", "Мониторинг сайта — 5 октября", "5 октября", "date", "2020-10-05", "2020-10-05"),
        ("3", "Мониторинг сайта — 25 октября", "25 октября", "date", "2020-10-25", "2020-10-25"),
        ("4", "Сверка контингента — сентябрь", "сентябрь", "deadline", None, "2020-09-10"),
        ("4", "Сверка контингента — январь", "январь", "date", "2021-01-31", "2021-01-31"),
    ],
    "term_grid.docx": [
        ("1", "Анализ успеваемости — I четверть", "I четверть", "term", "2020-09-01", "2020-10-31"),
        (
            "1",
            "Анализ успеваемости — II четверть",
            "II четверть",
            "term",
            "2020-11-01",
            "2020-12-31",
        ),
        (
            "1",
            "Анализ успеваемости — III четверть",
            "III четверть",
            "term",
            "2021-01-01",
            "2021-03-31",
        ),
        (
            "1",
            "Анализ успеваемости — IV четверть",
            "IV четверть",
            "term",
            "2021-04-01",
            "2021-05-31",
        ),
        ("2", "Срезовые работы — I четверть", "I четверть", "date", "2020-10-25", "2020-10-25"),
        ("2", "Срезовые работы — III четверть", "III четверть", "deadline", None, "2021-03-15"),
        ("3", "Анкетирование — II четверть", "II четверть", "term", "2020-11-01", "2020-12-31"),
    ],
    "dated_lines.docx": [
        (
            "1",
            "Диагностика метапредметных результатов — входная диагностика",
            "входная диагностика",
            "deadline",
            None,
            "2020-09-20",
        ),
        (
            "1",
            "Диагностика метапредметных результатов — промежуточная",
            "промежуточная",
            "deadline",
            None,
            "2020-12-25",
        ),
        (
            "1",
            "Диагностика метапредметных результатов — итоговая",
            "итоговая",
            "deadline",
            None,
            "2021-05-20",
        ),
        ("2", "Отчёт об успеваемости — I четверть", "I четверть", "deadline", None, "2020-11-03"),
        ("2", "Отчёт об успеваемости — II четверть", "II четверть", "deadline", None, "2021-01-12"),
        (
            "2",
            "Отчёт об успеваемости — III четверть",
            "III четверть",
            "deadline",
            None,
            "2021-03-25",
        ),
        ("2", "Отчёт об успеваемости — IV четверть", "IV четверть", "deadline", None, "2021-05-31"),
        ("3", "Анализ результатов — I четверть", "I четверть", "term", "2020-09-01", "2020-10-31"),
        (
            "3",
            "Анализ результатов — II четверть",
            "II четверть",
            "term",
            "2020-11-01",
            "2020-12-31",
        ),
        (
            "3",
            "Анализ результатов — III четверть",
            "III четверть",
            "term",
            "2021-01-01",
            "2021-03-31",
        ),
        (
            "3",
            "Анализ результатов — IV четверть",
            "IV четверть",
            "term",
            "2021-04-01",
            "2021-05-31",
        ),
        ("4", "Контрольный срез", None, "term", "2020-11-01", "2020-12-31"),
        ("5", "Пробный ОГЭ", None, "deadline", None, "2021-03-15"),
        ("6", "Итоговое собеседование", None, "range", "2020-10-01", "2020-11-30"),
        ("7", "Родительские собрания — сентябрь", "сентябрь", "month", "2020-09-01", "2020-09-30"),
        ("7", "Родительские собрания — октябрь", "октябрь", "month", "2020-10-01", "2020-10-31"),
        (
            "8",
            "Отчёт по итогам полугодия — I полугодие",
            "I полугодие",
            "term",
            "2020-09-01",
            "2020-12-31",
        ),
        (
            "8",
            "Отчёт по итогам полугодия — II полугодие",
            "II полугодие",
            "term",
            "2021-01-01",
            "2021-05-31",
        ),
    ],
}
TWINS = {
    "grid_cyclogram.docx": "grid_cyclogram.pdf",
    "grid_cyclogram.xlsx": "grid_cyclogram_xlsx.pdf",
    "term_grid.docx": "term_grid.pdf",
    "dated_lines.docx": "dated_lines.pdf",
}
TITLES = {
    "grid_cyclogram.docx": "Циклограмма внутришкольного контроля на 2020/2021 учебный год",
    "grid_cyclogram.xlsx": "Циклограмма мониторинговых процедур на 2020/2021 учебный год",
    "term_grid.docx": "План мониторинга качества образования на 2020/2021 учебный год",
    "dated_lines.docx": "План работы по повышению качества образования на 2020/2021 учебный год",
}


def _rows(name: str) -> list[tuple[str | None, ...]]:
    draft = load_plan((PLANS / name).read_bytes(), name)
    assert draft.title == TITLES[name if name in TITLES else _original(name)]
    return [
        (
            a.number,
            a.title,
            a.occurrence,
            a.period.kind,
            a.period.start.isoformat() if a.period.start else None,
            a.period.due.isoformat() if a.period.due else None,
        )
        for a in draft.activities
    ]


def _original(pdf: str) -> str:
    return next(source for source, twin in TWINS.items() if twin == pdf)


@pytest.mark.parametrize("name", sorted([*EXPECTED, *TWINS.values()]))
def test_every_occurrence_is_read_row_by_row(name: str) -> None:
    assert _rows(name) == EXPECTED[name if name in EXPECTED else _original(name)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_occurrences_share_their_row_and_only_undecidable_ones_are_flagged(name: str) -> None:
    draft = load_plan((PLANS / name).read_bytes(), name)
    for activity in draft.activities:
        if activity.occurrence is not None:
            assert activity.series is not None
            assert activity.title == f"{activity.series} — {activity.occurrence}"
    flagged = {(row["title"], tuple(row["reasons"])) for row in draft.flagged()}
    expected = {
        "grid_cyclogram.docx": {
            # "по графику" in June: in June, the day unknown: flagged, never a silent date
            ("Итоговая аттестация — июнь", ("ambiguous",)),
            ("Анализ работы за год", ("needs_date",)),  # no mark at all
        },
    }.get(name, set())
    assert flagged == expected


def test_a_grid_flag_says_which_month_column_and_what_it_held() -> None:
    draft = load_plan((PLANS / "grid_cyclogram.docx").read_bytes(), "grid_cyclogram.docx")
    row = next(r for r in draft.flagged() if r["title"] == "Итоговая аттестация — июнь")
    assert row["source"] == {"column": "Сроки проведения Июнь", "text": "июнь: по графику"}


def test_the_month_row_is_a_header_never_an_activity() -> None:
    for name in EXPECTED:
        draft = load_plan((PLANS / name).read_bytes(), name)
        for activity in draft.activities:
            assert not grid_slots(activity.row_text.split(" | ")), activity.row_text


def test_a_legend_or_notes_never_give_the_title() -> None:
    doc = RawDocument(
        preamble=["Условные обозначения:\n+ – План проводится в течение месяца"],
        tables=[
            RawTable(
                [
                    ["Мероприятие", "Сентябрь", "Октябрь", "Ноябрь"],
                    ["Проверка журналов", "+", "", "+"],
                ]
            )
        ],
        source_name="циклограмма.docx",
        notes=["План-график: пояснения"],
    )
    draft = interpret(doc, academic_year=2020)
    assert draft.title == "циклограмма.docx"
    assert [a.period.due for a in draft.activities] == [date(2020, 9, 30), date(2020, 11, 30)]


def test_the_months_repeated_on_the_next_page_are_skipped() -> None:
    months = ["Мероприятие", "Сентябрь", "Октябрь", "Ноябрь"]
    doc = RawDocument(
        tables=[
            RawTable([months, ["Проверка журналов", "+", "", ""]]),
            RawTable([["", "Сентябрь", "Октябрь", "Ноябрь"], ["Совещание", "", "х", "15"]]),
        ]
    )
    draft = interpret(doc, academic_year=2020)
    assert [(a.title, a.period.due) for a in draft.activities] == [
        ("Проверка журналов — сентябрь", date(2020, 9, 30)),
        ("Совещание — октябрь", date(2020, 10, 31)),
        ("Совещание — ноябрь", date(2020, 11, 15)),
    ]


@pytest.mark.parametrize(
    ("header", "label"),
    [
        ("Сентябрь", "сентябрь"),
        ("сент.", "сентябрь"),
        ("Сроки проведения май", "май"),
        ("I четверть", "I четверть"),
        ("1 четверть", "I четверть"),
        ("2-е полугодие", "II полугодие"),
        ("III триместр", "III триместр"),
        ("Ответственный", None),
        ("V четверть", None),
        ("Январь 2021", "январь"),
        ("февр.", "февраль"),
        ("Четверти II", "II четверть"),
        ("Сентябрь 2", "сентябрь, 2 неделя"),
    ],
)
def test_grid_column_headers(header: str, label: str | None) -> None:
    slot = slot_of(header)
    assert (slot.label if slot else None) == label


MONTHS = [9, 10, 11, 12, 1, 2, 3, 4, 5, 6]


def _slot(month: int) -> Slot:
    names = ["", "январь", "февраль", "март", "апрель", "май", "июнь", "", "", "сентябрь",
             "октябрь", "ноябрь", "декабрь"]  # fmt: skip
    slot = slot_of(names[month])
    assert slot is not None
    return slot


def _year(month: int) -> int:
    return 2020 if month >= 9 else 2021


@given(st.sampled_from(MONTHS), st.sampled_from(["+", "х", "x", "V", "v", "✓", "✔", "Х"]))
def test_a_bare_mark_is_due_by_the_months_end(month: int, mark: str) -> None:
    (period,) = grid_mark(mark, _slot(month), CONTEXT, Legend({}), "")
    last = calendar.monthrange(_year(month), month)[1]
    assert period.due == date(_year(month), month, last) and not period.flags


@given(st.sampled_from(MONTHS), st.integers(1, 31))
def test_a_day_is_that_day_of_the_month_or_flagged(month: int, day: int) -> None:
    (period,) = grid_mark(str(day), _slot(month), CONTEXT, Legend({}), "")
    last = calendar.monthrange(_year(month), month)[1]
    assert period.due == date(_year(month), month, min(day, last))
    assert ("clamped_day" in period.flags) == (day > last)


@given(
    st.sampled_from(MONTHS),
    st.integers(1, 5),
    st.sampled_from(["{} нед.", "{} неделя", "{}-я неделя"]),
)
def test_a_week_is_the_end_of_that_week_in_the_month(month: int, week: int, form: str) -> None:
    (period,) = grid_mark(form.format(week), _slot(month), CONTEXT, Legend({}), "")
    last = calendar.monthrange(_year(month), month)[1]
    assert period.due == date(_year(month), month, min(7 * week, last))
    assert period.start is not None and period.start.month == month


@given(st.sampled_from(MONTHS), st.text(alphabet="бвгежзклн ", min_size=1, max_size=12))
def test_words_in_a_grid_cell_are_that_month_flagged(month: int, words: str) -> None:
    for period in grid_mark(words, _slot(month), CONTEXT, Legend({}), ""):
        last = calendar.monthrange(_year(month), month)[1]
        assert period.due == date(_year(month), month, last) and "ambiguous" in period.flags
        assert period.note == " ".join(words.split())


@pytest.mark.parametrize(
    ("cell", "kind", "start", "due"),
    [
        ("1-15", "range", date(2020, 10, 1), date(2020, 10, 15)),
        ("с 5 по 9", "range", date(2020, 10, 5), date(2020, 10, 9)),
        ("до 20", "deadline", None, date(2020, 10, 20)),
        ("до 20 числа", "deadline", None, date(2020, 10, 20)),
        ("последняя неделя", "deadline", None, date(2020, 10, 31)),
        ("25.10", "date", date(2020, 10, 25), date(2020, 10, 25)),
    ],
)
def test_days_and_deadlines_in_a_month_column(
    cell: str, kind: str, start: date | None, due: date
) -> None:
    (period,) = grid_mark(cell, _slot(10), CONTEXT, Legend({}), "")
    assert (period.kind, period.start, period.due) == (kind, start, due)
    assert not set(period.flags) - {"year_inferred"}


def test_months_over_week_numbers_and_terms_over_roman_numbers() -> None:
    top = ["№", "Мероприятие", "Сентябрь", "", "", "", "Октябрь", "", "", "", "Ноябрь", "", "", ""]
    weeks = ["№", "Мероприятие", *["1", "2", "3", "4"] * 3]
    row = ["1", "Совещание", "+", "", "", "", "", "", "+", "", "", "", "", "+"]
    draft = interpret(RawDocument(tables=[RawTable([top, weeks, row])]), academic_year=2020)
    assert [(a.title, a.period.start, a.period.due) for a in draft.activities] == [
        ("Совещание — сентябрь, 1 неделя", date(2020, 9, 1), date(2020, 9, 7)),
        ("Совещание — октябрь, 3 неделя", date(2020, 10, 15), date(2020, 10, 21)),
        ("Совещание — ноябрь, 4 неделя", date(2020, 11, 22), date(2020, 11, 30)),  # the last
    ]
    top = ["№", "Мероприятие", "Четверти", "", "", ""]
    terms = ["", "", "I", "II", "III", "IV"]  # not the directions I..IV of a network plan
    row = ["1", "Срез", "+", "", "+", ""]
    draft = interpret(RawDocument(tables=[RawTable([top, terms, row])]), academic_year=2020)
    assert [(a.title, a.period.due) for a in draft.activities] == [
        ("Срез — I четверть", date(2020, 10, 31)),
        ("Срез — III четверть", date(2021, 3, 31)),
    ]


def test_a_month_column_naming_its_year_and_the_summer_months() -> None:
    row = ["Мероприятие", "Август 2020", "Сентябрь 2020", "Январь", "Июль"]
    draft = interpret(
        RawDocument(tables=[RawTable([row, ["Сверка", "+", "+", "+", "+"]])]), academic_year=2020
    )
    assert [a.period.due for a in draft.activities] == [
        date(2020, 8, 31), date(2020, 9, 30), date(2021, 1, 31), date(2021, 7, 31)
    ]  # fmt: skip


def test_the_legend_decides_what_a_mark_means() -> None:
    by_tenth = read_legend(["✓ – сдать до 10 числа месяца"])
    (period,) = grid_mark("✓", _slot(11), CONTEXT, by_tenth, "")
    assert period.due == date(2020, 11, 10)
    unclear = read_legend(["+ – мероприятие для 9-х классов"])
    (period,) = grid_mark("+", _slot(11), CONTEXT, unclear, "")
    assert "ambiguous" in period.flags  # the legend says something the reader cannot date


@pytest.mark.parametrize(
    ("text", "labels", "dues"),
    [
        (
            "1) до 20.09 – входная диагностика\n2) до 25.12 – промежуточная\n"
            "3) до 20.05 – итоговая",
            ["входная диагностика", "промежуточная", "итоговая"],
            [date(2020, 9, 20), date(2020, 12, 25), date(2021, 5, 20)],
        ),
        (
            "до 3.11 (I четв.)\nдо 12.01 (II четв.)\n…",
            ["I четверть", "II четверть"],
            [date(2020, 11, 3), date(2021, 1, 12)],
        ),
        ("1) 20.09\n2) 25.12", [None, None], [date(2020, 9, 20), date(2020, 12, 25)]),
        ("сентябрь,октябрь", [None, None], [date(2020, 9, 30), date(2020, 10, 31)]),
    ],
)
def test_several_dated_lines_in_one_cell(
    text: str, labels: list[str | None], dues: list[date]
) -> None:
    period = parse_period(text, CONTEXT)
    assert [p.label for p in period.parts] == labels
    assert [p.due for p in period.parts] == dues


@pytest.mark.parametrize(
    ("text", "kind", "due"),
    [
        ("IIчетверть", "term", date(2020, 12, 31)),
        ("до15.03", "deadline", date(2021, 3, 15)),
        ("октябрь -ноябрь", "range", date(2020, 11, 30)),
        ("по итогам четвертей", "recurring", date(2021, 8, 31)),
        ("по окончании каждой четверти", "recurring", date(2021, 8, 31)),
        ("по итогам I четверти", "deadline", date(2020, 10, 31)),
    ],
)
def test_spacing_slips_and_per_term_phrases(text: str, kind: str, due: date) -> None:
    period = parse_period(text, CONTEXT)
    assert (period.kind, period.due) == (kind, due)
    if kind == "recurring":
        assert (period.recurrence or {}).get("occurrences") == [
            "2020-10-31", "2020-12-31", "2021-03-31", "2021-05-31"
        ]  # fmt: skip


def test_each_term_in_the_singular_is_a_recurrence_said_to_be_a_reading() -> None:
    period = parse_period("по итогам четверти", CONTEXT)
    assert period.kind == "recurring" and "ambiguous" in period.flags


def test_every_activity_a_grid_row_lists_takes_every_mark() -> None:
    header = ["Мероприятия", "Сентябрь", "Октябрь", "Ноябрь"]
    row = ["- Проверка журналов\n- Проверка дневников", "+", "", "15"]
    draft = interpret(RawDocument(tables=[RawTable([header, row])]), academic_year=2020)
    assert [(a.title, a.series, a.period.due) for a in draft.activities] == [
        ("Проверка журналов — сентябрь", "Проверка журналов", date(2020, 9, 30)),
        ("Проверка журналов — ноябрь", "Проверка журналов", date(2020, 11, 15)),
        ("Проверка дневников — сентябрь", "Проверка дневников", date(2020, 9, 30)),
        ("Проверка дневников — ноябрь", "Проверка дневников", date(2020, 11, 15)),
    ]


def test_a_legend_row_inside_the_table_is_no_activity() -> None:
    header = ["Мероприятия", "Ответственный", "Сентябрь", "Октябрь", "Ноябрь"]
    rows = [
        header,
        ["Проверка журналов", "Завуч", "+", "", ""],
        ["+ – мероприятие проводится в течение месяца", "", "", "", ""],
        ["Условные обозначения: ✓ – до 10 числа", "", "", "", ""],
    ]
    draft = interpret(RawDocument(tables=[RawTable(rows)]), academic_year=2020)
    assert [a.title for a in draft.activities] == ["Проверка журналов — сентябрь"]
    legend = read_legend(["Условные обозначения: ✓ – до 10 числа; + – в течение месяца"])
    assert legend.meanings == {"✓": "до 10 числа", "+": "в течение месяца"}


LABELS = ["входная диагностика", "промежуточная", "итоговая", "математика", "русский язык"]


@given(
    st.lists(
        st.tuples(st.dates(date(2020, 9, 1), date(2021, 5, 31)), st.sampled_from(LABELS)),
        min_size=2,
        max_size=4,
    ),
    st.sampled_from(["{n}) до {d} – {label}", "{label} – {d}", "{n}. {d} — {label}"]),
    st.sampled_from(["%d.%m", "%d.%m.%Y"]),
)
def test_each_dated_line_is_one_occurrence_with_its_label(
    lines: list[tuple[date, str]], form: str, written: str
) -> None:
    text = "\n".join(
        form.format(n=n, d=day.strftime(written), label=label)
        for n, (day, label) in enumerate(lines, start=1)
    )
    period = parse_period(text, CONTEXT)
    assert [(p.due, p.label) for p in period.parts] == lines
