"""Plans in the layouts real authors use (tests/data/plans): every due date right or flagged."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest

from importer.errors import MAX_ROWS
from importer.files import ImportFileError, load_plan, read_document

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"

# (number, title, section, kind, start, due), row by row; kind "unknown"/"relative": flagged.
EXPECTED = {
    "roadmap_sections.docx": [
        (
            "1.1",
            "Издание приказа о подготовке к ВПР",
            "1. Организационная работа",
            "deadline",
            None,
            "2020-09-15",
        ),
        (
            "1.2",
            "Совещание с учителями",
            "1. Организационная работа",
            "month",
            "2020-10-01",
            "2020-10-31",
        ),
        (
            "1.3",
            "Информирование родителей",
            "1. Организационная работа",
            "month",
            "2020-10-01",
            "2020-10-31",
        ),
        (
            "1.4",
            "Анализ итогов ВПР прошлого года",
            "1. Организационная работа",
            "unknown",
            None,
            None,
        ),
        (
            "2.1",
            "Пробные работы по математике",
            "2. Методическая работа",
            "term",
            "2020-11-01",
            "2020-12-31",
        ),
        (
            "2.2",
            "Заседание ШМО по итогам пробных работ",
            "2. Методическая работа",
            "range",
            "2021-03-01",
            "2021-03-15",
        ),
        ("2.3", "Консультации для учащихся", "2. Методическая работа", "relative", None, None),
    ],
    "two_row_header.docx": [
        ("1", "Совещание руководителей ОО", None, "month", "2020-11-01", "2020-11-30"),
        ("2", "Мониторинг сайтов ОО", None, "unknown", None, None),
        ("3", "Семинар для заместителей директоров", None, "deadline", None, "2020-12-10"),
    ],
    "monitoring.xlsx": [
        ("1", "Мониторинг готовности ОО к учебному году", None, "date", "2020-09-25", "2020-09-25"),
        ("2", "Мониторинг объективности оценивания", None, "term", "2020-11-01", "2020-12-31"),
        ("3", "Мониторинг ведения электронных журналов", None, "term", "2020-11-01", "2020-12-31"),
        ("4", "Мониторинг посещаемости", None, "term", "2020-11-01", "2020-12-31"),
        ("5", "Сбор отчётов о ВПР", None, "unknown", None, None),
    ],
    "plan_cp1251.csv": [
        ("1", "Утверждение плана работы МО", None, "month", "2020-09-01", "2020-09-30"),
        ("3.2", "Анализ результатов ВПР", None, "unknown", None, None),
        ("4", "Педсовет по итогам полугодия", None, "range", "2021-01-01", "2021-01-15"),
        # "1 раз в четверть": one occurrence per term, due at its end (importer.occurrences)
        ("5", "Открытые уроки — I четверть", None, "term", "2020-09-01", "2020-10-31"),
        ("5", "Открытые уроки — II четверть", None, "term", "2020-11-01", "2020-12-31"),
        ("5", "Открытые уроки — III четверть", None, "term", "2021-01-01", "2021-03-31"),
        ("5", "Открытые уроки — IV четверть", None, "term", "2021-04-01", "2021-05-31"),
        ("6", "Отчёт о работе МО", None, "relative", None, None),
    ],
    "cyclogram.docx": [
        (
            None,
            "Совещание при директоре",
            "Работа с педагогами",
            "month",
            "2020-09-01",
            "2020-09-30",
        ),
        (
            None,
            "Утверждение рабочих программ",
            "Работа с педагогами",
            "month",
            "2020-09-01",
            "2020-09-30",
        ),
        (None, "Входная диагностика", "Работа с педагогами", "month", "2020-09-01", "2020-09-30"),
        ("1", "Заседание ШМО", "Работа с педагогами", "month", "2020-10-01", "2020-10-31"),
        (
            "2",
            "Контроль ведения журналов",
            "Работа с педагогами",
            "month",
            "2020-10-01",
            "2020-10-31",
        ),
        (
            None,
            "Родительское собрание по итогам I четверти",
            "Работа с родителями",
            "month",
            "2020-11-01",
            "2020-11-30",
        ),
        (
            None,
            "Анкетирование родителей",
            "Работа с родителями",
            "month",
            "2020-11-01",
            "2020-11-30",
        ),
    ],
    "vpr_schedule.docx": [
        ("1", "ВПР в 4 классах — математика", None, "date", "2021-03-15", "2021-03-15"),
        ("1", "ВПР в 4 классах — русский язык", None, "date", "2021-04-12", "2021-04-12"),
        ("1", "ВПР в 4 классах — окружающий мир", None, "date", "2021-04-20", "2021-04-20"),
        ("2", "Проверка работ", None, "relative", None, None),
        ("3", "Отчёт о результатах", None, "deadline", None, "2021-04-30"),
    ],
}


def _load(name: str):
    return load_plan((PLANS / name).read_bytes(), name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_row_is_read_right_or_flagged(name: str) -> None:
    draft = _load(name)
    found = [
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
    assert found == EXPECTED[name]
    flagged = {row["title"] for row in draft.flagged()}
    for activity in draft.activities:
        assert (activity.title in flagged) == (
            activity.period.due is None and activity.period.kind != "recurring"
        )


@pytest.mark.parametrize(
    ("name", "title"),
    [
        (
            "roadmap_sections.docx",
            "ДОРОЖНАЯ КАРТА по подготовке к всероссийским проверочным работам "
            "на 2020/2021 учебный год",
        ),
        (
            "monitoring.xlsx",
            "План муниципальных мониторинговых мероприятий на 2020/2021 учебный год",
        ),
        (
            "plan_cp1251.csv",
            "План работы методического объединения учителей начальных классов "
            "на 2020/2021 учебный год",
        ),
        (
            "two_row_header.docx",
            "План мероприятий по повышению качества образования на 2020/2021 учебный год",
        ),
    ],
)
def test_the_title_is_the_title_not_the_approval_block(name: str, title: str) -> None:
    draft = _load(name)
    assert draft.title == title and draft.academic_year == 2020


def test_merged_cells_pass_their_value_down() -> None:
    roadmap = {a.number: a for a in _load("roadmap_sections.docx").activities}
    assert roadmap["1.2"].period_text == roadmap["1.3"].period_text == "октябрь 2020"
    monitoring = {a.number: a for a in _load("monitoring.xlsx").activities}
    assert [monitoring[n].responsible for n in ("2", "3", "4")] == [
        "Кузнецов Г.Г.",
        "Кузнецов Г.Г.",
        "Орлова Д.Д.",
    ]


def test_two_row_header_joins_both_responsible_columns_and_keeps_the_clock_time() -> None:
    rows = _load("two_row_header.docx").activities
    assert rows[0].responsible == "Иванова А.А.; Руководители ОО"
    assert (rows[2].period.time, rows[2].period.zone) == ("15:00", "Europe/Moscow")


def test_dry_run_json_names_section_and_source() -> None:
    document = _load("roadmap_sections.docx").to_json()
    json.dumps(document)
    first = document["activities"][0]
    assert first["section"] == "1. Организационная работа"
    assert first["source"] == {"column": "Срок исполнения", "text": "до 15.09.2020"}
    flagged = [row for row in document["flagged"] if row["number"] == "1.4"]
    assert flagged[0]["source"] == {"column": "Срок исполнения", "text": ""}


def test_labelled_dates_are_reminded_each_on_its_own() -> None:
    rows = _load("vpr_schedule.docx").activities[:3]
    assert [(a.title.split(" — ")[1], a.period.due) for a in rows] == [
        ("математика", date(2021, 3, 15)),
        ("русский язык", date(2021, 4, 12)),
        ("окружающий мир", date(2021, 4, 20)),
    ]


def test_password_protected_and_old_office_files_say_so() -> None:
    with pytest.raises(ImportFileError) as caught:
        read_document((PLANS / "protected.docx").read_bytes(), "plan.docx")
    assert caught.value.code == "protected"
    # An old .doc is an OLE container too, without an encrypted package inside.
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "WordDocument".encode("utf-16-le")
    for name in ("plan.doc", "plan.docx"):
        with pytest.raises(ImportFileError) as caught:
            read_document(old, name)
        assert caught.value.code == "old_format"


def _xlsx_rows(count: int) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["№", "Наименование мероприятия", "Сроки"])
    for index in range(count):
        sheet.append([index + 1, f"Мероприятие {index + 1}", "май 2021"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _docx_rows(count: int) -> bytes:
    document = docx.Document()
    table = document.add_table(rows=count + 1, cols=3)
    for index, row in enumerate(table.rows):
        row.cells[1].text = "Наименование мероприятия" if index == 0 else f"Мероприятие {index}"
        row.cells[2].text = "Сроки" if index == 0 else "май 2021"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _csv_rows(count: int) -> bytes:
    lines = ["№;Наименование мероприятия;Сроки"]
    lines += [f"{i};Мероприятие {i};май 2021" for i in range(1, count + 1)]
    return "\n".join(lines).encode()


@pytest.mark.parametrize(
    ("build", "name"), [(_xlsx_rows, "big.xlsx"), (_docx_rows, "big.docx"), (_csv_rows, "big.csv")]
)
def test_more_rows_than_a_plan_may_have_are_refused(build, name: str) -> None:
    assert len(load_plan(build(MAX_ROWS), name).activities) == MAX_ROWS
    with pytest.raises(ImportFileError) as caught:
        load_plan(build(MAX_ROWS + 100), name)
    assert caught.value.code == "too_many_rows"
    assert caught.value.rows is not None and caught.value.rows > MAX_ROWS
