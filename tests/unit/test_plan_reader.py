"""Every seed is read, as its text and as a DOCX built from it, with exact counts."""

from __future__ import annotations

from datetime import date

import pytest

from importer.files import ImportFileError, load_plan, read_document
from importer.interpret import interpret
from importer.text_reader import read_text
from tests.plan_files import csv_from_rows, seed_docx, seed_text, xlsx_from_rows

# seed: (directions, stages, activities, seminars, schools, flagged)
COUNTS = {
    "000": (4, 0, 19, 14, 35, 5),
    "001": (0, 3, 23, 0, 1, 2),
    "002": (0, 0, 10, 0, 0, 3),
    "003": (0, 0, 28, 0, 0, 3),
    "004": (0, 0, 16, 0, 0, 16),
}


def _counts(draft) -> tuple[int, ...]:
    return (
        len(draft.directions),
        len(draft.stages),
        len(draft.activities),
        len(draft.seminars),
        len(draft.schools),
        len(draft.flagged()),
    )


@pytest.mark.parametrize("seed", sorted(COUNTS))
def test_seed_text_counts(seed: str) -> None:
    assert _counts(interpret(read_text(seed_text(seed)))) == COUNTS[seed]


@pytest.mark.parametrize("seed", sorted(COUNTS))
def test_seed_as_docx_reads_the_same(seed: str) -> None:
    from_text = interpret(read_text(seed_text(seed)))
    from_docx = load_plan(seed_docx(seed), f"{seed}.docx")
    assert _counts(from_docx) == COUNTS[seed]
    assert [a.title for a in from_docx.activities] == [a.title for a in from_text.activities]
    assert [a.period for a in from_docx.activities] == [a.period for a in from_text.activities]


def test_seed_000_directions_pilot_schools_and_seminars() -> None:
    draft = interpret(read_text(seed_text("000")))
    assert draft.academic_year == 2018
    assert [d.code for d in draft.directions] == ["I", "II", "III", "IV"]
    assert [len(d.school_keys) for d in draft.directions] == [15, 13, 11, 3]
    first = draft.directions[0]
    assert first.school_keys[:3] == ["ОО-6", "ОО-21", "ОО-23"]
    assert {"ОО-97", "ОО-98", "ОЦ-1", "ОЦ-2", "С(К)ОШИ-12"} <= set(first.school_keys)
    assert draft.directions[3].school_keys == ["ОО-104", "ОО-116", "С(К)ОШ-119"]
    assert "Запорожан О.А." in first.coordinators and "Степаненко О.В." in first.coordinators
    assert "МСОКО" in first.title
    names = {s.key: s.name for s in draft.schools}
    assert names["ОО-95"] == "МБОУ «НОШ № 95 г. Челябинска»"  # the curator's school, full name
    dated = [(s.direction, s.period.start) for s in draft.seminars if s.period.kind == "date"]
    assert dated[:4] == [
        ("I", date(2018, 10, 8)),
        ("II", date(2018, 10, 22)),
        ("III", date(2018, 11, 12)),
        ("IV", date(2018, 11, 26)),
    ]
    assert len(dated) == 10
    assert draft.seminars[0].topic.startswith("Ревизия нормативной локальной базы")
    assert draft.seminars[0].audience and draft.seminars[0].audience.startswith("педагогов")
    # A cell cut by a page break is joined with its continuation on the next page.
    assert draft.seminars[1].topic.endswith("систему оценивания: первые шаги")


def test_seed_001_stages_single_school_and_flags() -> None:
    draft = interpret(read_text(seed_text("001")))
    assert [s.title for s in draft.stages] == [
        "I этап. Организационно-подготовительный",
        "II этап. Деятельностный",
        "III этап. Рефлексивный",
    ]
    assert draft.stages[0].period and draft.stages[0].period.start == date(2020, 9, 1)
    assert (
        draft.single_school == "ОО-21" and draft.schools[0].name == "МАОУ «СОШ № 21 г. Челябинска»"
    )
    seventh = next(a for a in draft.activities if a.number == "7")
    assert seventh.title.endswith("в электронном журнале") is False
    assert (
        "«Результаты контрольных работ»" in seventh.title or "формирования отчета" in seventh.title
    )
    assert seventh.stage == "II этап. Деятельностный"
    flagged = {row["number"]: row["reasons"] for row in draft.flagged()}
    assert flagged == {"2": ["clamped_day"], "9": ["outside_plan"]}


def test_seed_002_plan_span_and_recurring_item() -> None:
    draft = interpret(read_text(seed_text("002")))
    assert (draft.academic_year, draft.year_from, draft.year_to) == (2021, 2021, 2023)
    # "ежегодно" over 2021-2023: one occurrence per school year, due at its end.
    yearly = [a for a in draft.activities if a.number == "7"]
    assert [a.period.due for a in yearly] == [date(y, 5, 31) for y in (2021, 2022, 2023)]
    assert {a.series for a in yearly} == {yearly[0].title.split(" — ")[0]}
    assert [a.occurrence for a in yearly] == [
        "2020/2021 уч. год",
        "2021/2022 уч. год",
        "2022/2023 уч. год",
    ]
    second = next(a for a in draft.activities if a.number == "2")
    assert second.responsible and "Масленникова Е.Л." in second.responsible
    assert second.participants and "Родительская общественность" in second.participants


def test_seed_003_levels_and_split_items() -> None:
    draft = interpret(read_text(seed_text("003")))
    levels = [a.level for a in draft.activities]
    assert levels.count("municipal") == 14 and levels.count("school") == 14
    first, second = draft.activities[:2]
    assert (first.period.start, first.period.due) == (date(2019, 9, 1), date(2019, 10, 31))
    assert (second.period.start, second.period.due) == (date(2019, 1, 1), date(2020, 12, 31))
    assert second.title.endswith("региональных, муниципальных процедур оценки качества")


def test_seed_004_needs_a_year_and_maps_responsible() -> None:
    without = interpret(read_text(seed_text("004")))
    assert all("needs_date" in row["reasons"] for row in without.flagged())
    draft = interpret(read_text(seed_text("004")), academic_year=2020)
    assert len(draft.flagged()) == 1  # only "По окончании проведения процедуры"
    assert [a.responsible for a in draft.activities[:3]] == ["УО", "УО, ОУ", "УО"]


def test_xlsx_and_csv_plans() -> None:
    rows = [
        ["№", "Наименование мероприятия", "Сроки", "Ответственные", "Ожидаемый результат"],
        ["1", "Издание приказа", "до 10.11.2020", "УО", "Приказ"],
        ["2", "Семинар для кураторов", "Ноябрь 2020", "ОО", "Протокол"],
    ]
    for data, name in (
        (xlsx_from_rows("План мероприятий на 2020/2021 учебный год", rows), "plan.xlsx"),
        (csv_from_rows("План мероприятий на 2020/2021 учебный год", rows), "plan.csv"),
    ):
        draft = load_plan(data, name)
        assert draft.academic_year == 2020
        assert [(a.number, a.title, a.period.due) for a in draft.activities] == [
            ("1", "Издание приказа", date(2020, 11, 10)),
            ("2", "Семинар для кураторов", date(2020, 11, 30)),
        ]


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "plan.docx", "empty"),
        (b"PK\x03\x04broken", "plan.docx", "corrupt"),
        (b"%PDF-1.4", "plan.pdf", "corrupt"),  # a PDF cut short
        (b"%PDF-1.4", "plan.odt", "corrupt"),
        (b"just text", "plan.docx", "corrupt"),
        (b"x" * (20 * 1024 * 1024 + 1), "plan.txt", "too_big"),
        (b"\x00\x01\x02", "plan.txt", "wrong_type"),
    ],
)
def test_unusable_files_are_refused(data: bytes, name: str, code: str) -> None:
    with pytest.raises(ImportFileError) as caught:
        read_document(data, name)
    assert caught.value.code == code


def test_truncated_docx_and_nested_archive_and_bomb() -> None:
    import io
    import zipfile

    whole = seed_docx("001")
    with pytest.raises(ImportFileError) as caught:
        read_document(whole[: len(whole) // 2], "plan.docx")
    assert caught.value.code == "corrupt"

    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")
        archive.writestr("word/embeddings/inner.zip", b"PK")
    with pytest.raises(ImportFileError) as caught:
        read_document(nested.getvalue(), "plan.docx")
    assert caught.value.code == "nested_archive"

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"0" * (150 * 1024 * 1024))
    with pytest.raises(ImportFileError) as caught:
        read_document(bomb.getvalue(), "plan.docx")
    assert caught.value.code == "zip_bomb"


def test_a_file_without_a_plan_is_refused() -> None:
    with pytest.raises(ImportFileError) as caught:
        load_plan("Просто письмо\nбез таблицы".encode(), "letter.txt")
    assert caught.value.code == "no_plan"
