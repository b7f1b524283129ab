"""A row's period comes from its period cell only, and says so; other cells never lend a date."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.periods import parse_period
from importer.columns import column_roles, is_column_numbers, is_header
from importer.interpret import interpret
from importer.model import RawDocument, RawTable

HEADER = ["№ п/п", "Наименование мероприятия", "Сроки", "Ответственные", "Результат", "Примечание"]
PERIODS = ["до 10.11.2020", "Ноябрь 2020", "", "по мере необходимости", "апрель", "3.2", "xx"]
# What other cells of real plans hold: item numbers, bare numbers, dates, months and words
# beginning like date words ("учитель" once became "the whole academic year").
OTHER = st.sampled_from(
    [
        "3.2",
        "1.5",
        "12",
        "2019",
        "15.03.2021",
        "до 01.12.2020",
        "ноябрь",
        "май – июнь 2021",
        "учитель",
        "участники",
        "учебный план",
        "уч. год",
        "в течение года",
        "1 раз в четверть",
        "ежемесячно",
        "II полугодие",
        "Иванова И.И.",
        "",
    ]
)


def _plan(rows: list[list[str]]) -> RawDocument:
    return RawDocument(
        preamble=["План мероприятий на 2020/2021 учебный год"],
        tables=[RawTable(rows=[HEADER, *rows])],
    )


@settings(max_examples=200, deadline=None)
@given(
    periods=st.lists(st.sampled_from(PERIODS), min_size=1, max_size=6),
    others=st.lists(st.tuples(OTHER, OTHER, OTHER, OTHER), min_size=6, max_size=6),
)
def test_other_cells_never_change_a_period(
    periods: list[str], others: list[tuple[str, str, str, str]]
) -> None:
    plain = [[str(i + 1), f"Проверка {i + 1}", p, "", "", ""] for i, p in enumerate(periods)]
    noisy = [
        [number or str(i + 1), f"Проверка {i + 1}", p, who, result, note]
        for i, (p, (number, who, result, note)) in enumerate(zip(periods, others, strict=False))
    ]
    expected = interpret(_plan(plain)).activities
    found = interpret(_plan(noisy)).activities
    assert [a.title for a in found] == [a.title for a in expected]
    assert [a.period for a in found] == [a.period for a in expected]
    for activity, text in zip(found, periods, strict=True):
        assert activity.period_text == text and activity.source_column == "Сроки"
        if not text:
            assert activity.needs_date and activity.period.kind == "unknown"


def test_an_empty_or_unreadable_period_cell_is_flagged_with_its_source() -> None:
    draft = interpret(
        _plan(
            [
                ["3.2", "Совещание", "", "учитель", "учебный план", "1.5"],
                ["4", "Отчёт", "когда-нибудь", "2019", "ноябрь 2020", ""],
            ]
        )
    )
    flagged = {row["title"]: row for row in draft.flagged()}
    assert flagged["Совещание"]["source"] == {"column": "Сроки", "text": ""}
    assert flagged["Отчёт"]["source"] == {"column": "Сроки", "text": "когда-нибудь"}
    assert all(row["reasons"] == ["needs_date"] for row in flagged.values())
    activity = draft.to_json()["activities"][0]
    assert activity["source"] == {"column": "Сроки", "text": ""}
    assert activity["period"]["kind"] == "unknown"


def test_a_table_without_a_period_column_flags_every_row() -> None:
    doc = RawDocument(
        preamble=["План на 2020/2021 учебный год"],
        tables=[
            RawTable(
                rows=[
                    ["№", "Мероприятие", "Ответственный", "Примечание"],
                    ["1", "Совещание", "Директор", "до 10.11.2020"],
                ]
            )
        ],
    )
    draft = interpret(doc)
    assert draft.activities[0].period.due is None
    assert draft.flagged()[0]["source"] == {"column": None, "text": ""}


def test_period_headers_are_matched_by_words() -> None:
    for header in (
        "Сроки",
        "Срок исполнения",
        "Срок реализации",
        "Дата проведения",
        "Сроки проведения мероприятия",
        "Дата",
        "Месяц",
        "Период",
        "Когда",
        "СРОКИ\nИСПОЛНЕНИЯ",
    ):
        assert column_roles(["№", "Наименование", header, "Ответственный"])["period"] == 2, header
    # "Информация" is not a form; the best of several period-like columns wins.
    roles = column_roles(["Периодичность", "Наименование", "Информация", "Срок"])
    assert roles["period"] == 3 and "form" not in roles
    assert is_header(["№ п/п", "Содержание работы", "Месяц", "Ответственные", "Примечание"])


def test_a_row_of_column_numbers_is_not_a_plan_row() -> None:
    assert is_column_numbers(["1", "2", "3", "4", "5", "6"])
    assert is_column_numbers(["1.", "2.", "3.", "4."])
    assert not is_column_numbers(["1", "Совещание", "2", "3"])
    assert not is_column_numbers(["5", "12", "2019"])
    draft = interpret(
        _plan([["1", "2", "3", "4", "5", "6"], ["1", "Совещание", "май 2021", "", "", ""]])
    )
    assert [a.title for a in draft.activities] == ["Совещание"]


def test_keywords_are_whole_words() -> None:
    for text in ("учитель", "участники", "учебный план", "годовой отчёт", "учебные сборы"):
        assert parse_period(text).kind == "unknown", text
    for text in ("уч. год", "уч.г.", "в течение учебного года", "В теч. уч. года"):
        assert parse_period(text).kind == "academic_year", text
