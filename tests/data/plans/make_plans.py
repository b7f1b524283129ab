"""Build the plan documents in this folder: layouts real plans use, written as their authors do.

Run `python tests/data/plans/make_plans.py` to rebuild them; the tests read the files committed
beside it (protected.docx was encrypted once with msoffcrypto-tool, password "secret").
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import docx
import openpyxl
from docx.table import Table

HERE = Path(__file__).resolve().parent


def _fill(table: Table, rows: list[list[str]]) -> None:
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value:
                table.cell(r, c).text = value


def _merge(table: Table, top: tuple[int, int], bottom: tuple[int, int], text: str) -> None:
    cell = table.cell(*top).merge(table.cell(*bottom))
    cell.text = text


def roadmap_sections() -> bytes:
    """Road map: approval block, column numbers, merged section rows, a table split in two."""
    document = docx.Document()
    for line in (
        "УТВЕРЖДАЮ",
        "Директор МАОУ «СОШ № 5»",
        "________ И.И. Иванова",
        "«01» сентября 2020 г.",
    ):
        document.add_paragraph(line)
    document.add_paragraph("")
    document.add_paragraph("ДОРОЖНАЯ КАРТА")
    document.add_paragraph("по подготовке к всероссийским проверочным работам")
    document.add_paragraph("на 2020/2021 учебный год")
    header = ["№ п/п", "Мероприятие", "Срок исполнения", "Ответственный", "Результат"]
    first = document.add_table(rows=9, cols=5)
    _fill(
        first,
        [
            header,
            ["1", "2", "3", "4", "5"],
            [],
            [
                "1.1",
                "Издание приказа о подготовке к ВПР",
                "до 15.09.2020",
                "Директор",
                "Приказ 3.2",
            ],
            ["1.2", "Совещание с учителями", "", "Завуч", "Протокол"],
            ["1.3", "Информирование родителей", "", "Классные руководители", "Протоколы 1.5"],
            ["1.4", "Анализ итогов ВПР прошлого года", "", "учитель", "учебный план 2019"],
            [],
            ["2.1", "Пробные работы по математике", "II четверть", "Учителя математики", "Анализ"],
        ],
    )
    _merge(first, (2, 0), (2, 4), "1. Организационная работа")
    _merge(first, (4, 2), (5, 2), "октябрь 2020")  # one period for two rows
    _merge(first, (7, 0), (7, 4), "2. Методическая работа")
    document.add_paragraph("")
    second = document.add_table(rows=3, cols=5)  # the table continues on the next page
    _fill(
        second,
        [
            header,
            [
                "2.2",
                "Заседание ШМО по итогам пробных работ",
                "с 1 по 15 марта 2021",
                "Руководители ШМО",
                "Протокол",
            ],
            ["2.3", "Консультации для учащихся", "по графику", "Учителя", "Журнал"],
        ],
    )
    return _save(document)


def two_row_header() -> bytes:
    """A header of two rows (Ответственные over УО and ОО) and a note column holding dates."""
    document = docx.Document()
    document.add_paragraph(
        "Приложение № 1 к приказу УО от 01.09.2020 № 123 «Об утверждении плана мероприятий»"
    )
    approval = document.add_table(rows=1, cols=2)  # the approval block as a small table
    approval.cell(0, 1).text = "УТВЕРЖДАЮ\nНачальник управления образования\n______ /Иванова А.А./"
    document.add_paragraph("")
    document.add_paragraph(
        "План мероприятий по повышению качества образования на 2020/2021 учебный год"
    )
    table = document.add_table(rows=5, cols=6)
    _fill(
        table,
        [
            ["№", "Наименование мероприятия", "Сроки", "Ответственные", "", "Примечание"],
            ["", "", "", "УО", "ОО", ""],
            [
                "1",
                "Совещание руководителей ОО",
                "ноябрь 2020",
                "Иванова А.А.",
                "Руководители ОО",
                "перенос с 15.10.2020",
            ],
            ["2", "Мониторинг сайтов ОО", "", "Петрова Б.Б.", "", "до 01.12.2020 по согласованию"],
            [
                "3",
                "Семинар для заместителей директоров",
                "до 10.12.2020 (до 15:00 мск)",
                "",
                "Заместители",
                "онлайн",
            ],
        ],
    )
    for column in (0, 1, 2, 5):
        top = table.cell(0, column).text
        _merge(table, (0, column), (1, column), top)
    _merge(table, (0, 3), (0, 4), "Ответственные")
    return _save(document)


def monitoring_xlsx() -> bytes:
    """Blank top rows, a merged title, merged period and responsible cells, real Excel dates."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A3"] = "План муниципальных мониторинговых мероприятий"
    sheet.merge_cells("A3:E3")
    sheet["A4"] = "на 2020/2021 учебный год"
    sheet.merge_cells("A4:E4")
    sheet.append([])
    sheet.append(
        ["№ п/п", "Наименование мероприятия", "Дата проведения", "Ответственные", "Примечание"]
    )
    sheet.append(
        [
            1,
            "Мониторинг готовности ОО к учебному году",
            datetime(2020, 9, 25),
            "Сидорова В.В.",
            "3.2",
        ]
    )
    sheet.append([2, "Мониторинг объективности оценивания", "II четверть", "Кузнецов Г.Г.", ""])
    sheet.append([3, "Мониторинг ведения электронных журналов", None, None, "учебный план"])
    sheet.append([4, "Мониторинг посещаемости", None, "Орлова Д.Д.", ""])
    sheet.append([5, "Сбор отчётов о ВПР", "", "", "1.5"])
    sheet.merge_cells("C8:C10")  # "II четверть" for rows 2-4
    sheet.merge_cells("D8:D9")  # Кузнецов for rows 2-3
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def cp1251_csv() -> bytes:
    """A CSV saved by Excel in Russia: Windows-1251 and ';'."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "План работы методического объединения учителей начальных классов "
            "на 2020/2021 учебный год"
        ]
    )
    writer.writerow(["№", "Содержание работы", "Сроки", "Ответственный", "Примечание"])
    writer.writerow(["1", "Утверждение плана работы МО", "сентябрь", "Руководитель МО", ""])
    writer.writerow(["3.2", "Анализ результатов ВПР", "", "учитель", "1.5"])
    writer.writerow(
        ["4", "Педсовет по итогам полугодия", "с 1 по 15 января 2021", "Директор", "уч. год"]
    )
    writer.writerow(["5", "Открытые уроки", "1 раз в четверть", "Учителя", ""])
    writer.writerow(["6", "Отчёт о работе МО", "постоянно", "Руководитель МО", "май 2021"])
    return out.getvalue().encode("cp1251")


def cyclogram() -> bytes:
    """A циклограмма: a Месяц column, sections, several activities per cell."""
    document = docx.Document()
    document.add_paragraph(
        "Циклограмма работы заместителя директора по УВР на 2020/2021 учебный год"
    )
    table = document.add_table(rows=6, cols=3)
    _fill(
        table,
        [
            ["Месяц", "Мероприятия", "Ответственные"],
            [],
            [
                "Сентябрь",
                "- Совещание при директоре\n- Утверждение рабочих программ\n- Входная диагностика",
                "Заместитель директора",
            ],
            ["Октябрь", "1) Заседание ШМО\n2) Контроль ведения журналов", "Руководители ШМО"],
            [],
            [
                "Ноябрь",
                "• Родительское собрание\nпо итогам I четверти\n• Анкетирование родителей",
                "Классные руководители",
            ],
        ],
    )
    _merge(table, (1, 0), (1, 2), "Работа с педагогами")
    _merge(table, (4, 0), (4, 2), "Работа с родителями")
    return _save(document)


def vpr_schedule() -> bytes:
    """Several dated lines in one period cell, a clock time, a duty without a date."""
    document = docx.Document()
    document.add_paragraph(
        "График проведения всероссийских проверочных работ в 2020/2021 учебном году"
    )
    table = document.add_table(rows=4, cols=4)
    _fill(
        table,
        [
            ["№", "Мероприятие", "Сроки проведения", "Ответственные"],
            [
                "1",
                "ВПР в 4 классах",
                "математика – 15.03.2021\nрусский язык – 12.04.2021\nокружающий мир – 20.04.2021",
                "Учителя 4 классов",
            ],
            ["2", "Проверка работ", "в течение 3 дней после проведения", "Эксперты"],
            ["3", "Отчёт о результатах", "до 30.04.2021 (до 18:00 мск)", "Заместитель директора"],
        ],
    )
    return _save(document)


CONVERTED_HEADER = ["№", "Мероприятие", "Сроки", "Ответственный"]
CONVERTED_ROWS = [
    ["1", "Совещание при директоре", "до 15.\n03.2021", "Директор"],
    ["2", "Мониторинг сайтов", "сен-\nтябрь", "Завуч"],
    ["3", "Отчёт о посещаемости", "ежемесяч-\nно", "Классные руководители"],
    ["4", "Консультации для учащихся", "по графи-\nку", "Учителя"],
    ["5", "Подготовка к ГИА", "сентябрь-\nдекабрь", "Учителя"],
    ["6", "Пробные экзамены", "15.03.2021\n20.04.2021", "Завуч"],
    ["7", "Заседание педагогического совета по итогам полугодия", "до 15.", "Директор"],
]
CONVERTED_NEXT_PAGE = [
    ["", "", "01.2021", ""],  # the rest of row 7, cut by the page break
    ["8", "Анализ результатов ВПР", "до 30.04.202\n1", "Руководители ШМО"],
]


def converted_docx() -> bytes:
    """A plan converted from PDF to Word: lines broken where the PDF's ended, a table per page."""
    document = docx.Document()
    document.add_paragraph("План работы школы на 2020/2021 учебный год")
    first = document.add_table(rows=len(CONVERTED_ROWS) + 1, cols=4)
    _fill(first, [CONVERTED_HEADER, *CONVERTED_ROWS])
    document.add_paragraph("")
    second = document.add_table(rows=len(CONVERTED_NEXT_PAGE) + 1, cols=4)
    _fill(second, [CONVERTED_HEADER, *CONVERTED_NEXT_PAGE])
    return _save(document)


def converted_xlsx() -> bytes:
    """The same plan converted to Excel: one sheet, the cut row's rest on the row below."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["План работы школы на 2020/2021 учебный год"])
    for row in [CONVERTED_HEADER, *CONVERTED_ROWS, *CONVERTED_NEXT_PAGE]:
        sheet.append([value or None for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


MONTHS = ["Сентябрь", "Октябрь", "Ноябрь", "Декабрь", "Январь", "Февраль", "Март", "Апрель", "Май"]


def _grid(marks: dict[int, str], width: int = 9) -> list[str]:
    return [marks.get(i, "") for i in range(width)]


def grid_cyclogram() -> bytes:
    """A month-grid циклограмма: months under one merged "Сроки проведения", marks of every
    kind (+, х, V, ✓, a day, a week), sections across the row, a legend under the table."""
    document = docx.Document()
    for line in ("УТВЕРЖДАЮ", "Директор МБОУ СОШ № 7", "________ О.П. Петрова"):
        document.add_paragraph(line)
    document.add_paragraph("")
    document.add_paragraph("Циклограмма внутришкольного контроля")
    document.add_paragraph("на 2020/2021 учебный год")
    months = [*MONTHS, "Июнь"]
    rows = [
        ["№", "Мероприятие", "Ответственный", "Сроки проведения", *[""] * 9],
        ["", "", "", *months],
        [],
        [
            "1",
            "Проверка классных журналов",
            "Заместитель директора",
            *_grid({0: "+", 2: "+", 4: "+", 7: "+"}, 10),
        ],
        ["2", "Проверка рабочих программ", "Заместитель директора", *_grid({0: "15", 4: "20"}, 10)],
        [
            "3",
            "Проверка дневников",
            "Классные руководители",
            *_grid({1: "2 нед.", 6: "3 нед."}, 10),
        ],
        [],
        ["4", "Входная диагностика", "Учителя-предметники", *_grid({0: "х"}, 10)],
        [
            "5",
            "Административные контрольные работы",
            "Заместитель директора",
            *_grid({3: "V", 8: "V"}, 10),
        ],
        ["6", "Итоговая аттестация", "Директор", *_grid({9: "по графику"}, 10)],
        ["7", "Анализ работы за год", "Директор", *_grid({}, 10)],
    ]
    table = document.add_table(rows=len(rows), cols=13)
    _fill(table, rows)
    for column in range(3):
        _merge(table, (0, column), (1, column), rows[0][column])
    _merge(table, (0, 3), (0, 12), "Сроки проведения")
    _merge(table, (2, 0), (2, 12), "Контроль за ведением документации")
    _merge(table, (6, 0), (6, 12), "Контроль за качеством обучения")
    document.add_paragraph("")
    document.add_paragraph("Условные обозначения:")
    document.add_paragraph("+ – мероприятие проводится в течение месяца")
    return _save(document)


GRID_XLSX_TITLE = "Циклограмма мониторинговых процедур на 2020/2021 учебный год"
GRID_XLSX_ROWS = [
    ["№", "Мероприятие", "Ответственный", *MONTHS],
    ["1", "Мониторинг посещаемости", "Социальный педагог", *["✓"] * 9],
    ["2", "Отчёт по питанию", "Ответственный за питание", *_grid({0: "✓", 3: "✓", 8: "✓"})],
    ["3", "Мониторинг сайта", "Администратор сайта", *_grid({1: "5, 25"})],
    ["4", "Сверка контингента", "Секретарь", *_grid({0: "до 10.09", 4: "31"})],
]
GRID_XLSX_LEGEND = [
    ["План-график мониторинга: пояснения к обозначениям"],
    ["✓", "сдать до 10 числа месяца"],
]


def grid_cyclogram_xlsx() -> bytes:
    """A month grid in Excel: the months on the header row, ✓ marks, and a legend sheet that
    says a mark is due by the 10th (and whose text must not become the plan's title)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Циклограмма"
    sheet.append([GRID_XLSX_TITLE])
    sheet.append([])
    for row in GRID_XLSX_ROWS:
        sheet.append([value or None for value in row])
    legend = workbook.create_sheet("Условные обозначения")
    for row in GRID_XLSX_LEGEND:
        legend.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def term_grid() -> bytes:
    """A grid of quarters (I-IV четверть as columns): marks, a date, a deadline."""
    document = docx.Document()
    document.add_paragraph("План мониторинга качества образования на 2020/2021 учебный год")
    rows = [
        [
            "№",
            "Мероприятие",
            "I четверть",
            "II четверть",
            "III четверть",
            "IV четверть",
            "Ответственный",
        ],
        ["1", "Анализ успеваемости", "+", "+", "+", "+", "Заместитель директора"],
        ["2", "Срезовые работы", "25.10", "", "до 15.03", "", "Руководители ШМО"],
        ["3", "Анкетирование", "", "х", "", "", "Педагог-психолог"],
    ]
    table = document.add_table(rows=len(rows), cols=7)
    _fill(table, rows)
    return _save(document)


def dated_lines() -> bytes:
    """Several dated lines in one cell, labels after the date and in brackets, spacing slips,
    recurrences per term."""
    document = docx.Document()
    document.add_paragraph("План работы по повышению качества образования")
    document.add_paragraph("на 2020/2021 учебный год")
    rows = [
        ["№", "Мероприятие", "Сроки", "Ответственный"],
        [
            "1",
            "Диагностика метапредметных результатов",
            "1) до 20.09 – входная диагностика\n2) до 25.12 – промежуточная\n"
            "3) до 20.05 – итоговая",
            "Заместитель директора",
        ],
        [
            "2",
            "Отчёт об успеваемости",
            "до 3.11 (I четв.)\nдо 12.01 (II четв.)\nдо 25.03 (III четв.)\nдо 31.05 (IV четв.)",
            "Классные руководители",
        ],
        ["3", "Анализ результатов", "по итогам четвертей", "Руководители ШМО"],
        ["4", "Контрольный срез", "IIчетверть", "Учителя"],
        ["5", "Пробный ОГЭ", "до15.03", "Заместитель директора"],
        ["6", "Итоговое собеседование", "октябрь -ноябрь", "Учителя русского языка"],
        ["7", "Родительские собрания", "сентябрь,октябрь", "Классные руководители"],
        ["8", "Отчёт по итогам полугодия", "по окончании каждого полугодия", "Директор"],
    ]
    table = document.add_table(rows=len(rows), cols=4)
    _fill(table, rows)
    return _save(document)


def _save(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


FILES = {
    "roadmap_sections.docx": roadmap_sections,
    "two_row_header.docx": two_row_header,
    "monitoring.xlsx": monitoring_xlsx,
    "plan_cp1251.csv": cp1251_csv,
    "cyclogram.docx": cyclogram,
    "vpr_schedule.docx": vpr_schedule,
    "converted.docx": converted_docx,
    "converted.xlsx": converted_xlsx,
    "grid_cyclogram.docx": grid_cyclogram,
    "grid_cyclogram.xlsx": grid_cyclogram_xlsx,
    "term_grid.docx": term_grid,
    "dated_lines.docx": dated_lines,
}

if __name__ == "__main__":
    import sys

    for name, build in FILES.items():
        if sys.argv[1:] and name not in sys.argv[1:]:
            continue
        (HERE / name).write_bytes(build())
        print(name)
