"""Build plan files for tests: the seeds as text, and the same content as DOCX, XLSX or CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import docx
import openpyxl

from importer.model import RawDocument
from importer.text_reader import read_text

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
LOCAL_SEEDS = Path(__file__).resolve().parent / "data" / "seeds"


def seed_path(prefix: str) -> Path:
    """A seed file by its number ("000".."004"), from shared/ or the copy in tests/data."""
    for folder in (SEEDS, LOCAL_SEEDS):
        found = sorted(folder.glob(f"{prefix}_*.txt")) if folder.is_dir() else []
        if found:
            return found[0]
    raise FileNotFoundError(f"seed {prefix} not found")


def seed_text(prefix: str) -> str:
    return seed_path(prefix).read_text(encoding="utf-8")


def docx_from_document(doc: RawDocument) -> bytes:
    """A Word file with the same paragraphs and tables; short rows are aligned right."""
    document = docx.Document()
    for paragraph in doc.preamble:
        for line in paragraph.split("\n"):
            document.add_paragraph(line)
        document.add_paragraph("")
    for raw in doc.tables:
        width = max(len(r) for r in raw.rows)
        table = document.add_table(rows=len(raw.rows), cols=width)
        for row_index, cells in enumerate(raw.rows):
            row = table.rows[row_index]
            span = width - len(cells)
            targets = [row.cells[span + i] for i in range(len(cells))]
            for cell, text in zip(targets, cells, strict=True):
                lines = text.split("\n")
                cell.paragraphs[0].text = lines[0]
                for line in lines[1:]:
                    cell.add_paragraph(line)
        document.add_paragraph("")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def seed_docx(prefix: str) -> bytes:
    return docx_from_document(read_text(seed_text(prefix)))


def xlsx_from_rows(title: str, rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([title])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_from_rows(title: str, rows: list[list[str]], delimiter: str = ";") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow([title])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")
