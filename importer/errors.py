"""Why a file cannot be imported, and the row limit every reader enforces while it reads (the
words people read are bot/texts.IMPORT_FILE_ERRORS, in the chat and the CLI alike)."""

from __future__ import annotations

MAX_ROWS = 3000  # activity rows of one plan; more is a region's database, not a plan
MAX_PDF_PAGES = 600  # a 3,000-row plan prints on about 400 pages; counted before parsing
_HEADER_ROWS = 20  # headers, repeated headers, section rows and the title are not activities


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
