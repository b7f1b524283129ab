"""Text broken by conversion (importer.mend): dates and words cut at a line end are rejoined in
DOCX, XLSX and PDF alike; what really is two stays two."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.periods import PeriodContext, parse_period
from importer.files import load_plan
from importer.mend import mend, period_phrase
from importer.model import WRAP

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"
BREAKS = st.sampled_from(["\n", WRAP, " \n", "\n "])


@pytest.mark.parametrize(
    ("broken", "whole"),
    [
        ("до 15.\n03.2024", "до 15.03.2024"),
        ("до 15.03.\n2024", "до 15.03.2024"),
        ("до 15\n.03.2024", "до 15.03.2024"),
        ("15.03.202\n4", "15.03.2024"),
        ("сен-\nтябрь", "сентябрь"),
        ("Сен-\nтябрь 2020", "Сентябрь 2020"),
        ("ежемесяч-\nно", "ежемесячно"),
        ("по графи-\nку", "по графику"),
        ("до 5 чис-\nла каждого меся-\nца", "до 5 числа каждого месяца"),
        ("ок-\nтябрь-\nноябрь", "октябрь-ноябрь"),
        ("сентябрь-\nдекабрь", "сентябрь-декабрь"),  # a range stays a range
        ("педагогов-\nнаставников", "педагогов-наставников"),  # a compound keeps its hyphen
        ("15.03.2024\n20.04.2024", "15.03.2024\n20.04.2024"),  # two dates stay two
        ("15.\n20.04.2024", "15.\n20.04.2024"),  # no month 20: left for the grammar to flag
        ("15.\n03.04.2024", "15.\n03.04.2024"),  # a whole date below: not a month
        ("15.03.21\n24", "15.03.21\n24"),  # 2124 is no year of a plan
    ],
)
def test_breaks_are_mended_only_when_the_halves_make_one(broken: str, whole: str) -> None:
    assert mend(broken) == whole


def test_a_word_the_document_writes_whole_is_rejoined() -> None:
    assert mend("Информиро-\nвание родителей") == "Информиро-вание родителей"
    assert mend("Информиро-\nвание", frozenset({"информирование"})) == "Информирование"


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from(["day", "month", "dot", "year1", "year2", "year3"]),
    BREAKS,
)
def test_a_date_cut_anywhere_a_line_can_end_is_one_date_again(
    day: date, cut: str, line_end: str
) -> None:
    text = day.strftime("%d.%m.%Y")
    at = {"day": 3, "month": 6, "dot": 5, "year1": 7, "year2": 8, "year3": 9}[cut]
    assert mend(f"до {text[:at]}{line_end}{text[at:]}") == f"до {text}"
    context = PeriodContext(academic_year=day.year if day.month >= 9 else day.year - 1)
    assert parse_period(mend(f"до {text[:at]}{line_end}{text[at:]}"), context).due == day


_WORDS = [
    "сентябрь",
    "октября",
    "ноябре",
    "декабрь",
    "января",
    "февраль",
    "марта",
    "апреле",
    "июнь",
    "ежемесячно",
    "ежеквартально",
    "еженедельно",
    "графику",
    "четверти",
    "полугодие",
    "окончании",
    "течение",
]


@given(st.sampled_from(_WORDS), st.integers(min_value=2, max_value=6), BREAKS)
def test_a_period_word_hyphenated_at_a_line_end_is_one_word(
    word: str, at: int, line_end: str
) -> None:
    at = min(at, len(word) - 2)
    assert mend(f"{word[:at]}-{line_end}{word[at:]}") == word


_MONTHS = ["сентябрь", "октябрь", "ноябрь", "декабрь", "январь", "март", "май", "июнь"]


@given(st.sampled_from(_MONTHS), st.sampled_from(_MONTHS), BREAKS)
def test_two_months_across_a_line_end_stay_a_range(first: str, second: str, line_end: str) -> None:
    assert mend(f"{first}-{line_end}{second}") == f"{first}-{second}"


@given(
    st.lists(
        st.dates(min_value=date(2020, 9, 1), max_value=date(2021, 8, 31)),
        min_size=2,
        max_size=4,
        unique=True,
    )
)
def test_dates_on_lines_of_their_own_stay_apart(days: list[date]) -> None:
    text = "\n".join(d.strftime("%d.%m.%Y") for d in days)
    assert mend(text) == text
    wrapped = WRAP.join(d.strftime("%d.%m.%Y") for d in days)
    period = parse_period(period_phrase(wrapped, PeriodContext(academic_year=2020)))
    assert [p.due for p in period.parts] == days


# (number, kind, start, due) of converted.docx / .xlsx / .pdf, row by row.
CONVERTED = [
    ("1", "deadline", None, "2021-03-15"),
    ("2", "month", "2020-09-01", "2020-09-30"),
    # "ежемесячно": one occurrence per school month (importer.occurrences)
    *(
        ("3", "month", f"{y}-{m:02d}-01", f"{y}-{m:02d}-{d}")
        for y, m, d in (
            (2020, 9, 30),
            (2020, 10, 31),
            (2020, 11, 30),
            (2020, 12, 31),
            (2021, 1, 31),
            (2021, 2, 28),
            (2021, 3, 31),
            (2021, 4, 30),
            (2021, 5, 31),
        )
    ),
    ("4", "relative", None, None),
    ("5", "range", "2020-09-01", "2020-12-31"),
    ("6", "date", "2021-03-15", "2021-03-15"),  # two dates: two occurrences
    ("6", "date", "2021-04-20", "2021-04-20"),
    ("7", "deadline", None, "2021-01-15"),  # "до 15." on one page, "01.2021" on the next
    ("8", "deadline", None, "2021-04-30"),
]


@pytest.mark.parametrize("name", ["converted.docx", "converted.xlsx", "converted.pdf"])
def test_a_plan_converted_from_pdf_reads_the_same_in_every_format(name: str) -> None:
    draft = load_plan((PLANS / name).read_bytes(), name)
    assert [
        (
            a.number,
            a.period.kind,
            a.period.start.isoformat() if a.period.start else None,
            a.period.due.isoformat() if a.period.due else None,
        )
        for a in draft.activities
    ] == CONVERTED
    seventh = next(a for a in draft.activities if a.number == "7")
    assert seventh.title == "Заседание педагогического совета по итогам полугодия"
    assert seventh.period_text == "до 15.01.2021"
    flagged = [row["number"] for row in draft.flagged()]
    assert flagged == ["4"]  # "по графику": a duty without a date, flagged, never guessed
