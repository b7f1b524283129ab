"""Why a file cannot be imported, and the row limit every reader enforces while it reads."""

from __future__ import annotations

MAX_ROWS = 3000  # activity rows of one plan; more is a region's database, not a plan
MAX_PDF_PAGES = 600  # a 3,000-row plan prints on about 400 pages; counted before parsing
_HEADER_ROWS = 20  # headers, repeated headers, section rows and the title are not activities

FILE_ERRORS = {
    "empty": "the file is empty",
    "too_big": "the file is larger than 20 MB",
    "corrupt": "the file is damaged or is not a real DOCX/XLSX/PDF",
    "wrong_type": "unsupported file type: use DOCX, XLSX, PDF, CSV or TXT",
    "zip_bomb": "the file unpacks to too much data",
    "nested_archive": "the file contains an embedded archive",
    "no_plan": "no plan table was found in the file",
    "too_many_rows": f"the file has more table rows than a plan may have ({MAX_ROWS})",
    "protected": "the file is protected with a password: save it without one",
    "old_format": "an old .doc/.xls file: save it as DOCX or XLSX",
    "too_many_pages": f"the PDF has more pages than a plan may have ({MAX_PDF_PAGES})",
    "pdf_protected": "the PDF needs a password to open: send it without one, or as DOCX/XLSX",
    "pdf_scanned": "the PDF is a scan without a text layer: send the DOCX/XLSX it was made from",
    "pdf_garbage": "the PDF's text cannot be read (fonts without a character map): send DOCX/XLSX",
}


class ImportFileError(Exception):
    """A file that cannot be imported; `code` picks the message shown to people."""

    def __init__(self, code: str, detail: str = "", rows: int | None = None) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.rows = rows  # for too_many_rows: the rows found (at least)


def check_rows(count: int) -> None:
    """Refuse a plan with more than MAX_ROWS table rows; readers call it as they go."""
    if count > MAX_ROWS + _HEADER_ROWS:
        raise ImportFileError("too_many_rows", f"{count} rows, limit {MAX_ROWS}", rows=count)
