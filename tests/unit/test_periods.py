"""The period grammar: every phrase of the five seeds, the general rules, and properties."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.periods import KINDS, PeriodContext, Terms, parse_academic_year, parse_period

D = date.fromisoformat

# (phrase, academic year of its seed, kind, start, due, flags that must be present)
SEED_PHRASES = [
    # 000: network plan on 2018/2019, dates inside activity cells
    ("(08.10.2018 г.)", 2018, "date", "2018-10-08", "2018-10-08", ()),
    ("(22.10.2018 г.)", 2018, "date", "2018-10-22", "2018-10-22", ()),
    ("(12.11.2018 г.)", 2018, "date", "2018-11-12", "2018-11-12", ()),
    ("(26.11.2018 г.)", 2018, "date", "2018-11-26", "2018-11-26", ()),
    ("(10.12.2018 г.)", 2018, "date", "2018-12-10", "2018-12-10", ()),
    ("(24.12.2018 г.)", 2018, "date", "2018-12-24", "2018-12-24", ()),
    ("(14.01.2019 г.)", 2018, "date", "2019-01-14", "2019-01-14", ()),
    ("(28.01.2019 г.)", 2018, "date", "2019-01-28", "2019-01-28", ()),
    ("(октябрь)", 2018, "month", "2018-10-01", "2018-10-31", ("year_inferred",)),
    ("(ноябрь)", 2018, "month", "2018-11-01", "2018-11-30", ("year_inferred",)),
    ("(декабрь)", 2018, "month", "2018-12-01", "2018-12-31", ("year_inferred",)),
    ("(январь)", 2018, "month", "2019-01-01", "2019-01-31", ("year_inferred",)),
    ("(февраль)", 2018, "month", "2019-02-01", "2019-02-28", ("year_inferred",)),
    ("(март)", 2018, "month", "2019-03-01", "2019-03-31", ("year_inferred",)),
    ("(апрель)", 2018, "month", "2019-04-01", "2019-04-30", ("year_inferred",)),
    ("(февраль 2019 г.)", 2018, "month", "2019-02-01", "2019-02-28", ()),
    ("(март 2019 г.)", 2018, "month", "2019-03-01", "2019-03-31", ()),
    ("(август-сентябрь)", 2018, "range", "2018-08-01", "2018-09-30", ("year_inferred",)),
    ("(до 01.06.2018)", 2018, "deadline", None, "2018-06-01", ()),
    # 001: school roadmap on 2020/2021
    ("до 10.11.2020", 2020, "deadline", None, "2020-11-10", ()),
    ("до 31.11.2020", 2020, "deadline", None, "2020-11-30", ("clamped_day",)),
    ("Ноябрь 2020", 2020, "month", "2020-11-01", "2020-11-30", ()),
    ("в течение 2020/2021 учебного года", 2020, "academic_year", "2020-09-01", "2021-08-31", ()),
    ("октябрь - ноябрь", 2020, "range", "2020-10-01", "2020-11-30", ("year_inferred",)),
    ("ноябрь 2019 г.", 2020, "month", "2019-11-01", "2019-11-30", ()),
    ("в течение года", 2020, "academic_year", "2020-09-01", "2021-08-31", ("year_inferred",)),
    (
        "на классных родительских собраниях в течение года",
        2020,
        "academic_year",
        "2020-09-01",
        "2021-08-31",
        (),
    ),
    ("октябрь - апрель", 2020, "range", "2020-10-01", "2021-04-30", ("year_inferred",)),
    ("январь - май", 2020, "range", "2021-01-01", "2021-05-31", ("year_inferred",)),
    ("1-15 марта 2021 года", 2020, "range", "2021-03-01", "2021-03-15", ()),
    ("В течение учебного года", 2020, "academic_year", "2020-09-01", "2021-08-31", ()),
    ("апрель 2021", 2020, "month", "2021-04-01", "2021-04-30", ()),
    ("май - июнь", 2020, "range", "2021-05-01", "2021-06-30", ("year_inferred",)),
    ("июнь", 2020, "month", "2021-06-01", "2021-06-30", ("year_inferred",)),
    ("сентябрь 2020—ноябрь 2020", 2020, "range", "2020-09-01", "2020-11-30", ()),
    ("октябрь 2020-май 2021", 2020, "range", "2020-10-01", "2021-05-31", ()),
    ("май-июнь 2020 г.", 2020, "range", "2020-05-01", "2020-06-30", ()),
    # 002: plan for 2021-2023
    ("Сентябрь 2021г.", 2021, "month", "2021-09-01", "2021-09-30", ()),
    ("Май 2021г.", 2021, "month", "2021-05-01", "2021-05-31", ()),
    ("Апрель-\nАвгуст 2022", 2021, "range", "2022-04-01", "2022-08-31", ()),
    ("Сентябрь 2022-Декабрь20222", 2021, "range", "2022-09-01", "2022-12-31", ("typo_fixed",)),
    ("Март- Июнь 2023 г.", 2021, "range", "2023-03-01", "2023-06-30", ()),
    # 003: municipal plan, 2019/2020
    ("2019-2020 гг", 2019, "years", "2019-01-01", "2020-12-31", ()),
    ("2019-2020 гг.", 2019, "years", "2019-01-01", "2020-12-31", ()),
    ("2019-2020г.г.", 2019, "years", "2019-01-01", "2020-12-31", ()),
    ("2019-2020 г.г.", 2019, "years", "2019-01-01", "2020-12-31", ()),
    ("2019-2020гг.", 2019, "years", "2019-01-01", "2020-12-31", ()),
    ("2019-20120 гг.", 2019, "years", "2019-01-01", "2020-12-31", ("typo_fixed",)),
    ("2019- декабрь 2020гг.", 2019, "years", "2019-01-01", "2020-12-31", ()),
    ("Сентябрь 2019 г.", 2019, "month", "2019-09-01", "2019-09-30", ()),
    ("октябрь – ноябрь 2019г.", 2019, "range", "2019-10-01", "2019-11-30", ()),
    ("Август-октябрь 2019г.", 2019, "range", "2019-08-01", "2019-10-31", ()),
    ("Сентябрь-ноябрь 2019г.", 2019, "range", "2019-09-01", "2019-11-30", ()),
    ("Февраль 2020г.", 2019, "month", "2020-02-01", "2020-02-29", ()),
    ("Декабрь 2019г.", 2019, "month", "2019-12-01", "2019-12-31", ()),
    ("Ноябрь 2019 г.", 2019, "month", "2019-11-01", "2019-11-30", ()),
    ("Октябрь 2019 г.", 2019, "month", "2019-10-01", "2019-10-31", ()),
    ("В теч. учебного года", 2019, "academic_year", "2019-09-01", "2020-08-31", ()),
    ("До января 2019 г", 2019, "deadline", None, "2018-12-31", ("ambiguous",)),
    ("До января 2020 г.", 2019, "deadline", None, "2019-12-31", ("ambiguous",)),
    ("До 1 октября 2019г.", 2019, "deadline", None, "2019-10-01", ()),
    ("Сентябрь-октябрь - 2019г. 2019-2020 г.г.", 2019, "list", "2019-01-01", "2020-12-31", ()),
    # 004: district plan without a year in the document (--year 2020/2021)
    ("сентябрь", 2020, "month", "2020-09-01", "2020-09-30", ("year_inferred",)),
    ("В течение года", 2020, "academic_year", "2020-09-01", "2021-08-31", ()),
    ("Ноябрь,\nапрель", 2020, "list", "2020-11-01", "2021-04-30", ("year_inferred",)),
    ("Май ", 2020, "month", "2021-05-01", "2021-05-31", ("year_inferred",)),
    ("Август\nМай", 2020, "list", "2021-05-01", "2021-08-31", ("year_inferred",)),
    ("Октябрь ", 2020, "month", "2020-10-01", "2020-10-31", ("year_inferred",)),
    ("По окончании проведения процедуры ", 2020, "relative", None, None, ("needs_date",)),
    ("Ежегодно", 2021, "recurring", "2021-09-01", "2022-08-31", ()),
]


@pytest.mark.parametrize(("text", "year", "kind", "start", "due", "flags"), SEED_PHRASES)
def test_seed_phrase(
    text: str, year: int, kind: str, start: str | None, due: str | None, flags: tuple[str, ...]
) -> None:
    period = parse_period(text, PeriodContext(academic_year=year))
    assert period.kind == kind
    assert period.start == (D(start) if start else None)
    assert period.due == (D(due) if due else None)
    assert set(flags) <= set(period.flags)


def test_lists_keep_their_parts() -> None:
    period = parse_period("Ноябрь,\nапрель", PeriodContext(academic_year=2020))
    assert [(p.kind, p.start, p.due) for p in period.parts] == [
        ("month", D("2020-11-01"), D("2020-11-30")),
        ("month", D("2021-04-01"), D("2021-04-30")),
    ]


def test_a_month_without_any_year_needs_a_date() -> None:
    period = parse_period("ноябрь")
    assert period.kind == "month" and period.start is None and "needs_date" in period.flags


@pytest.mark.parametrize(
    ("text", "kind", "start", "due"),
    [
        ("I четверть", "term", "2020-09-01", "2020-10-31"),
        ("II четверть", "term", "2020-11-01", "2020-12-31"),
        ("в III четверти", "term", "2021-01-01", "2021-03-31"),
        ("IV четверть", "term", "2021-04-01", "2021-05-31"),
        ("I-II четверть", "term", "2020-09-01", "2020-12-31"),
        ("I полугодие", "term", "2020-09-01", "2020-12-31"),
        ("II полугодие", "term", "2021-01-01", "2021-05-31"),
        ("3 квартал 2021 г.", "term", "2021-07-01", "2021-09-30"),
        ("IV квартал", "term", "2020-10-01", "2020-12-31"),
        ("2021-2022 уч.г.", "academic_year", "2021-09-01", "2022-08-31"),
        ("2020/21 учебный год", "academic_year", "2020-09-01", "2021-08-31"),
        ("в течение 2021 года", "years", "2021-01-01", "2021-12-31"),
        ("2021 год", "years", "2021-01-01", "2021-12-31"),
        ("к 1 сентября", "deadline", None, "2020-09-01"),
        ("не позднее 15.05.2021", "deadline", None, "2021-05-15"),
        ("до конца ноября", "deadline", None, "2020-11-30"),
        ("1 марта - 15 апреля 2021", "range", "2021-03-01", "2021-04-15"),
        ("01.09.2020 - 30.09.2020", "range", "2020-09-01", "2020-09-30"),
        ("15.03", "date", "2021-03-15", "2021-03-15"),
        ("МАРТ  —  ИЮНЬ 2023 Г.", "range", "2023-03-01", "2023-06-30"),
        ("март, апрель 2021", "list", "2021-03-01", "2021-04-30"),
        ("сент. 2020", "month", "2020-09-01", "2020-09-30"),
    ],
)
def test_general_rules(text: str, kind: str, start: str | None, due: str | None) -> None:
    period = parse_period(text, PeriodContext(academic_year=2020))
    assert (period.kind, period.start, period.due) == (
        kind,
        D(start) if start else None,
        D(due) if due else None,
    )


@pytest.mark.parametrize(
    ("text", "every", "day"),
    [
        ("ежемесячно", "month", None),
        ("до 5 числа каждого месяца", "month", 5),
        ("еженедельно", "week", None),
        ("каждую пятницу", "week", 5),
        ("Ежегодно", "year", None),
    ],
)
def test_recurring_rules_are_bounded_by_the_plan(text: str, every: str, day: int | None) -> None:
    period = parse_period(text, PeriodContext(academic_year=2020))
    assert period.kind == "recurring"
    assert period.recurrence is not None
    assert (period.recurrence["every"], period.recurrence["day"]) == (every, day)
    assert (period.start, period.due) == (D("2020-09-01"), D("2021-08-31"))


# Categories seen in real plans (issue 12): (phrase, kind, start, due) in the 2020/2021 year.
REAL_PLAN_PHRASES = [
    # a valid period followed by a note: the period, the note kept
    ("ноябрь 2020 (по согласованию)", "month", "2020-11-01", "2020-11-30"),
    ("до 10.11.2020 – по итогам мониторинга", "deadline", None, "2020-11-10"),
    ("Декабрь 2020 (дистанционно)", "month", "2020-12-01", "2020-12-31"),
    # day ranges with the month written once; day.month ranges with the year at the end
    ("с 1 по 15 марта", "range", "2021-03-01", "2021-03-15"),
    ("1–15 марта 2021 г.", "range", "2021-03-01", "2021-03-15"),
    ("01.03-15.03 2021 г.", "range", "2021-03-01", "2021-03-15"),
    ("01.03 - 15.03.2021", "range", "2021-03-01", "2021-03-15"),
    # "с … по …" is always one range
    ("с 01.03 по 15.03 2021", "range", "2021-03-01", "2021-03-15"),
    ("с сентября по декабрь 2020", "range", "2020-09-01", "2020-12-31"),
    ("с 1 сентября 2020 г. по 31 мая 2021 г.", "range", "2020-09-01", "2021-05-31"),
    ("с 15.09.2020 до 15.10.2020", "range", "2020-09-15", "2020-10-15"),
    # a term of a named academic year
    ("II полугодие 2020/2021 уч. года", "term", "2021-01-01", "2021-05-31"),
    ("I полугодие 2021-2022 учебного года", "term", "2021-09-01", "2021-12-31"),
    ("3 четверть 2020/2021 уч.г.", "term", "2021-01-01", "2021-03-31"),
    ("IV четверть 2020-2021 учебного года", "term", "2021-04-01", "2021-05-31"),
    # a quarter with its year on the next line
    ("I квартал\n2021", "term", "2021-01-01", "2021-03-31"),
    ("IV квартал\n2020 г.", "term", "2020-10-01", "2020-12-31"),
]


@pytest.mark.parametrize(("text", "kind", "start", "due"), REAL_PLAN_PHRASES)
def test_real_plan_phrases(text: str, kind: str, start: str | None, due: str | None) -> None:
    period = parse_period(text, PeriodContext(academic_year=2020))
    assert (period.kind, period.start, period.due) == (
        kind,
        D(start) if start else None,
        D(due) if due else None,
    )
    assert "needs_date" not in period.flags


def test_notes_are_kept_beside_the_period() -> None:
    context = PeriodContext(academic_year=2020)
    assert parse_period("ноябрь 2020 (по согласованию)", context).note == "по согласованию"
    assert parse_period("до 10.11.2020 – по итогам", context).note == "по итогам"
    assert parse_period("ноябрь 2020", context).note is None
    # A dash between two dates is a range, not a note.
    assert parse_period("октябрь – ноябрь 2020", context).note is None


@pytest.mark.parametrize(
    ("text", "due", "time", "zone"),
    [
        ("до 15.03.2021 (до 18:00 мск)", "2021-03-15", "18:00", "Europe/Moscow"),
        ("15.03.2021 10:00 (мск)", "2021-03-15", "10:00", "Europe/Moscow"),
        ("до 01.12.2020 до 17:00 по московскому времени", "2020-12-01", "17:00", "Europe/Moscow"),
        ("20.11.2020 в 9:30", "2020-11-20", "09:30", None),
        ("до 05.10.2020 (12:00 по местному времени)", "2020-10-05", "12:00", None),
    ],
)
def test_a_clock_time_and_zone_after_a_date(
    text: str, due: str, time: str, zone: str | None
) -> None:
    period = parse_period(text, PeriodContext(academic_year=2020))
    assert (period.due, period.time, period.zone) == (D(due), time, zone)
    assert "needs_date" not in period.flags
    assert period.to_json()["time"] == time


@pytest.mark.parametrize(
    ("text", "every", "times", "occurrences"),
    [
        (
            "1 раз в четверть",
            "quarter",
            1,
            ["2020-10-31", "2020-12-31", "2021-03-31", "2021-05-31"],
        ),
        ("2 раза в полугодие", "half", 2, ["2020-12-31", "2021-05-31"]),
        ("по четвертям", "quarter", 1, ["2020-10-31", "2020-12-31", "2021-03-31", "2021-05-31"]),
        ("ежеквартально", "quarter", 1, ["2020-10-31", "2020-12-31", "2021-03-31", "2021-05-31"]),
        ("не реже одного раза в полугодие", "half", 1, ["2020-12-31", "2021-05-31"]),
        ("Ежегодно", "year", 1, ["2021-05-31"]),
    ],
)
def test_frequencies_recur_over_the_plan_terms(
    text: str, every: str, times: int, occurrences: list[str]
) -> None:
    period = parse_period(text, PeriodContext(academic_year=2020))
    assert period.kind == "recurring" and period.recurrence is not None
    rule = period.recurrence
    assert (rule["every"], rule["times"], rule["occurrences"]) == (every, times, occurrences)


def test_monthly_frequency_covers_the_school_months_only() -> None:
    period = parse_period("раз в месяц", PeriodContext(academic_year=2020))
    assert period.recurrence is not None
    months = [D(d).month for d in period.recurrence["occurrences"]]
    assert months == [9, 10, 11, 12, 1, 2, 3, 4, 5]


def test_several_dated_lines_keep_their_labels() -> None:
    period = parse_period(
        "математика – 15.03\nрусский язык – 12.04\nокружающий мир: 20.04",
        PeriodContext(academic_year=2020),
    )
    assert period.kind == "list"
    assert [(p.label, p.due) for p in period.parts] == [
        ("математика", D("2021-03-15")),
        ("русский язык", D("2021-04-12")),
        ("окружающий мир", D("2021-04-20")),
    ]
    assert period.to_json()["parts"][0]["label"] == "математика"


@pytest.mark.parametrize(
    "text",
    [
        "по графику",
        "по мере необходимости",
        "По окончании проведения процедуры",
        "постоянно",
        "по окончании процедуры",
    ],
)
def test_relative_phrases_need_a_date(text: str) -> None:
    period = parse_period(text, PeriodContext(academic_year=2020))
    assert (period.kind, period.start, period.due) == ("relative", None, None)
    assert "needs_date" in period.flags


@pytest.mark.parametrize("text", ["", "   ", "что-то непонятное", "32.13.2020", "до 45 мартобря"])
def test_unreadable_phrases_are_flagged_not_guessed(text: str) -> None:
    period = parse_period(text, PeriodContext(academic_year=2020))
    assert period.due is None and "needs_date" in period.flags


def test_plan_terms_are_configurable() -> None:
    trimesters = Terms(quarters=(((9, 1), (11, 30)), ((12, 1), (2, 28)), ((3, 1), (5, 31))))
    period = parse_period("II четверть", PeriodContext(academic_year=2020, terms=trimesters))
    assert (period.start, period.due) == (D("2020-12-01"), D("2021-02-28"))


@pytest.mark.parametrize(
    ("text", "year"),
    [("2020/2021", 2020), ("2020-21", 2020), ("2020", 2020), ("2020/2022", None), ("x", None)],
)
def test_academic_year_argument(text: str, year: int | None) -> None:
    assert parse_academic_year(text) == year


PHRASE_PIECES = st.sampled_from(
    [
        "до",
        "к",
        "в течение",
        "года",
        "учебного",
        "г.",
        "-",
        "—",
        ",",
        "\n",
        "ноябрь",
        "марта",
        "2020",
        "20222",
        "31.11.2020",
        "1",
        "15",
        "I",
        "четверть",
        "полугодие",
        "ежегодно",
        "(",
        ")",
        "каждого",
        "месяца",
        "числа",
        "/",
        "2021",
        "по",
        "окончании",
    ]
)


@settings(max_examples=400)
@given(
    st.one_of(st.text(), st.lists(PHRASE_PIECES, max_size=8).map(" ".join)),
    st.one_of(st.none(), st.integers(2000, 2030)),
)
def test_any_input_returns_a_sane_result(text: str, year: int | None) -> None:
    period = parse_period(text, PeriodContext(academic_year=year))
    assert period.kind in KINDS
    if period.start and period.due and "ambiguous" not in period.flags:
        assert period.start <= period.due
    if period.due is None and period.kind not in ("recurring",):
        assert "needs_date" in period.flags or period.kind == "list"
    json.dumps(period.to_json())  # always serialisable


@given(st.dates(date(2000, 1, 1), date(2099, 12, 31)))
def test_every_real_date_round_trips(day: date) -> None:
    period = parse_period(day.strftime("%d.%m.%Y"))
    assert (period.kind, period.start, period.due) == ("date", day, day)
    deadline = parse_period(f"до {day:%d.%m.%Y} г.")
    assert (deadline.kind, deadline.due) == ("deadline", day)
