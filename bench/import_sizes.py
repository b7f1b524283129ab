"""Benchmark: plan import time and peak memory by size, and how fast an oversized file is refused.

For 100, 1,000 and 3,000 activity rows, as DOCX, XLSX and PDF, each case runs in a fresh process
(peak resident memory is per process): read and interpret the file (`importer.files.load_plan`).
The baseline, measured in the same run, is the bare library load of the same file (python-docx
`Document()` with its paragraphs and table cells read; openpyxl read-only rows iterated;
pdfplumber's own table extraction, `page.extract_tables()` on every page), so the figures say
what Kurator adds over the library it cannot avoid (goal for PDF: within 1.3 x). A 100,000-row
DOCX and XLSX is refused (too_many_rows); its refusal time is printed next to the 3,000-row
import (a PDF's refusals, by pages, are timed in tests/unit/test_pdf_plans.py). The PDFs are the
DOCX plans saved as PDF by LibreOffice (`soffice`, ruled table, header repeated on each page);
without `soffice` the PDF cases are left out.

    python bench/import_sizes.py [--json] [--only docx|xlsx|pdf ...]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZES = (100, 1000, 3000)
KINDS = ("docx", "xlsx", "pdf")
HUGE = 100_000
PERIODS = ("до 15.09.2020", "октябрь 2020", "II четверть", "с 1 по 15 марта 2021", "ежемесячно")


def _rows(count: int) -> list[list[str]]:
    return [
        [
            str(i),
            f"Мероприятие {i}: проведение мониторинга качества образования в ОО",
            PERIODS[i % len(PERIODS)],
            "Заместитель директора по УВР",
            "Аналитическая справка",
        ]
        for i in range(1, count + 1)
    ]


HEADER = ["№ п/п", "Наименование мероприятия", "Сроки", "Ответственные", "Результат"]
TITLE = "План мероприятий на 2020/2021 учебный год"


def build(kind: str, count: int) -> bytes:
    """A plan file of `count` activity rows."""
    if kind == "pdf":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "data" / "plans"))
        import make_pdfs  # type: ignore[import-not-found]  # the fixtures' own converter

        plan = make_pdfs.styled(build("docx", count), repeat={0: 1})
        return make_pdfs.to_pdf(plan, timeout=1800)  # type: ignore[no-any-return]
    out = io.BytesIO()
    if kind == "xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append([TITLE])
        sheet.append(HEADER)
        for row in _rows(count):
            sheet.append(row)
        book.save(out)
        return out.getvalue()
    import docx

    document = docx.Document()
    document.add_paragraph(TITLE)
    rows = [HEADER, *_rows(count)]
    table = document.add_table(rows=len(rows), cols=len(HEADER))
    for cells, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(cells.cells, values, strict=True):
            cell.text = value
    document.save(out)
    return out.getvalue()


def _library_load(kind: str, data: bytes) -> int:
    if kind == "pdf":
        import pdfplumber

        rows = 0
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                rows += sum(len(table) for table in page.extract_tables())
                page.close()
        return rows
    if kind == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        count = sum(1 for sheet in book.worksheets for _ in sheet.iter_rows(values_only=True))
        book.close()
        return count
    import docx

    document = docx.Document(io.BytesIO(data))
    return sum(len(cell.text) for t in document.tables for r in t.rows for cell in r.cells)


def _child(kind: str, path: str, mode: str) -> None:
    """One measured case in this process; prints seconds and peak RSS in MB."""
    from importer.files import ImportFileError, load_plan

    if mode.startswith("build"):
        Path(path).write_bytes(build(kind, int(mode.split(":")[1])))
        print("{}")
        return

    data = Path(path).read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    outcome = ""
    if mode == "library":
        _library_load(kind, data)
    else:
        try:
            outcome = f"{len(load_plan(data, f'plan.{kind}').activities)} activities"
        except ImportFileError as exc:
            outcome = exc.code
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak / 1024,
                "added_mb": (peak - before) / 1024,
                "outcome": outcome,
            }
        )
    )


def _measure(kind: str, path: Path, mode: str) -> dict[str, float | str]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path), mode],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="+", choices=KINDS, default=list(KINDS))
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    import tempfile

    figures: dict[str, dict[str, float | str]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.only:
            if kind == "pdf" and shutil.which("soffice") is None:
                print("soffice not found: the PDF cases are left out", file=sys.stderr)
                continue
            for count in (*SIZES, *((HUGE,) if kind != "pdf" else ())):
                path = Path(folder) / f"{kind}-{count}.{kind}"
                # Built in a child: Linux keeps a parent's peak RSS across fork and exec.
                _measure(kind, path, f"build:{count}")
                found = _measure(kind, path, "import")
                entry: dict[str, float | str] = {
                    "seconds": round(float(found["seconds"]), 3),
                    "peak_mb": round(float(found["peak_mb"]), 1),
                    "outcome": found["outcome"],
                }
                if count != HUGE:
                    base = _measure(kind, path, "library")
                    entry["library_seconds"] = round(float(base["seconds"]), 3)
                    entry["time_ratio"] = round(
                        float(found["seconds"]) / max(float(base["seconds"]), 1e-6), 2
                    )
                    entry["memory_ratio"] = round(
                        float(found["peak_mb"]) / max(float(base["peak_mb"]), 1e-6), 2
                    )
                figures[f"{kind}_{count}"] = entry
    if args.json:
        print(json.dumps(figures))
        return
    head = ("case", "outcome", "s", "peak MB", "× library time", "× library memory")
    print("{:>12} {:>18} {:>8} {:>8} {:>15} {:>17}".format(*head))
    for name, entry in figures.items():
        print(
            f"{name:>12} {entry['outcome']!s:>18} {entry['seconds']:>8} {entry['peak_mb']:>8} "
            f"{entry.get('time_ratio', '—')!s:>15} {entry.get('memory_ratio', '—')!s:>17}"
        )
    print(
        "Goals: an accepted DOCX/XLSX ≤ 10 s and ≤ 200 MB; a 100,000-row file refused far sooner;"
        " a PDF within 1.3 × pdfplumber's own table extraction."
    )


if __name__ == "__main__":
    main()
