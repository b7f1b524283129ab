"""Turn an uploaded or local file into a RawDocument, refusing what is unsafe or unreadable."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from importer.draft import PlanDraft
from importer.errors import ImportFileError as ImportFileError
from importer.errors import check_rows
from importer.model import RawDocument
from importer.text_reader import read_text

Progress = Callable[[int, int], None]  # (pages read, pages in all), from the reading thread
MAX_FILE_BYTES = 20 * 1024 * 1024  # Telegram's getFile limit; also the CLI's
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_RATIO = 200  # uncompressed / compressed, per member
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Office files and encrypted OOXML
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_ARCHIVE_SUFFIXES = (".zip", ".docx", ".xlsx", ".rar", ".7z", ".gz", ".tar", ".jar")


def file_kind(name: str, data: bytes) -> str:
    """docx | xlsx | pdf | csv | text, from the extension, checked against the content."""
    suffix = PurePath(name).suffix.lower()
    is_zip = data[:4] == b"PK\x03\x04"
    if suffix == ".pdf" or data[:5] == b"%PDF-":
        if b"%PDF-" not in data[:1024]:
            raise ImportFileError("corrupt", f"{name} is not a valid PDF file")
        return "pdf"
    if data[:8] == _OLE_MAGIC:
        # A password-protected DOCX/XLSX is an OLE container holding an EncryptedPackage.
        if _ENCRYPTED in data:
            raise ImportFileError("protected", name)
        raise ImportFileError("old_format", name)
    if suffix in (".doc", ".xls", ".rtf"):
        raise ImportFileError("old_format", name)
    if suffix in (".docx", ".xlsx"):
        if not is_zip:
            raise ImportFileError("corrupt", f"{name} is not a valid {suffix} file")
        return suffix[1:]
    if suffix in (".csv",):
        return "csv"
    if suffix in (".txt", ".tsv", ".text", ""):
        if is_zip or b"\x00" in data[:4096]:
            raise ImportFileError("wrong_type", f"{name} is binary, not text")
        return "text"
    raise ImportFileError("wrong_type", f"unsupported file type {suffix or '(none)'}")


def check_zip(data: bytes) -> zipfile.ZipFile:
    """Open a ZIP only if it is intact, small when unpacked and holds no nested archives."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise ImportFileError("corrupt", str(exc)) from None
    if len(members) > MAX_MEMBERS:
        raise ImportFileError("zip_bomb", f"{len(members)} members")
    total = 0
    for member in members:
        total += member.file_size
        if member.filename.lower().endswith(_ARCHIVE_SUFFIXES):
            raise ImportFileError("nested_archive", member.filename)
        if (
            member.compress_size
            and member.file_size / member.compress_size > MAX_RATIO
            and member.file_size > 1_000_000
        ):
            raise ImportFileError("zip_bomb", f"{member.filename} expands {member.file_size} bytes")
    if total > MAX_UNPACKED_BYTES:
        raise ImportFileError("zip_bomb", f"{total} bytes unpacked")
    bad = archive.testzip()
    if bad is not None:
        raise ImportFileError("corrupt", f"damaged member {bad}")
    return archive


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1251, as Russian offices save files."""
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("wrong_type", "not a text file in UTF-8 or Windows-1251")


def load_plan(
    data: bytes, name: str, *, progress: Progress | None = None, **options: Any
) -> PlanDraft:
    """Read and interpret a file; a file without any activity or seminar is refused.
    `progress(done, total)` is told each PDF page read."""
    return plan_of(read_document(data, name, progress), name, **options)


def plan_of(document: RawDocument, name: str, **options: Any) -> PlanDraft:
    """Interpret a document read once (again with other options, say a plan's own terms)."""
    from importer.interpret import interpret

    draft = interpret(document, **options)
    if not draft.activities and not draft.seminars:
        raise ImportFileError("no_plan", name)
    return draft


def read_document(data: bytes, name: str, progress: Progress | None = None) -> RawDocument:
    """A RawDocument from file bytes; raises ImportFileError for anything unusable."""
    if not data:
        raise ImportFileError("empty", name)
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError("too_big", f"{len(data)} bytes")
    kind = file_kind(name, data)
    if kind == "pdf":
        from importer.pdf_reader import read_pdf

        try:
            return read_pdf(data, name, progress)
        except ImportFileError:
            raise
        except Exception as exc:  # pdfminer raises many types on damaged files
            raise ImportFileError("corrupt", f"{type(exc).__name__}: {exc}") from None
    if kind in ("docx", "xlsx"):
        check_zip(data)
        try:
            if kind == "docx":
                _count_docx_rows(data)
                from importer.docx_reader import read_docx

                return read_docx(data, name)
            from importer.xlsx_reader import read_xlsx

            return read_xlsx(data, name)
        except ImportFileError:
            raise
        except Exception as exc:  # python-docx/openpyxl raise many types on damaged files
            raise ImportFileError("corrupt", f"{type(exc).__name__}: {exc}") from None
    text = decode_text(data)
    if kind == "csv":
        from importer.csv_reader import read_csv

        return read_csv(text, name)
    return read_text(text, name)


def _count_docx_rows(data: bytes) -> None:
    """Count table rows in document.xml as a stream, before python-docx builds the whole tree."""
    check_rows(count_tags(data, "word/document.xml", (b"<w:tr>", b"<w:tr ")) - 2)


def count_tags(data: bytes, member_name: str, tags: tuple[bytes, ...]) -> int:
    """How many times the tags occur in one member of an OOXML package, read in chunks."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        member = archive.open(member_name)
    except KeyError:
        raise ImportFileError("corrupt", f"no {member_name}") from None
    count, tail = 0, b""
    longest = max(len(t) for t in tags)
    with member:
        while chunk := member.read(1 << 20):
            window = tail + chunk
            # A tag cut by the chunk border is found in the next window, not twice.
            cut = len(window) - longest + 1
            count += sum(window[:cut].count(t) + _straddling(window, cut, t) for t in tags)
            tail = window[cut:]
    return count + sum(tail.count(t) for t in tags)


def _straddling(window: bytes, cut: int, tag: bytes) -> int:
    """Occurrences that start before `cut` but end after it (counted in this window)."""
    return sum(1 for i in range(max(cut - len(tag) + 1, 0), cut) if window.startswith(tag, i))
