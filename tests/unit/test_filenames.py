"""One rule for file names on disk, in archives and in downloads: valid on Windows, macOS and
Linux for any text, cut by bytes, and a Content-Disposition header no name can break."""

from __future__ import annotations

import unicodedata

import pytest
from aiohttp.multipart import content_disposition_filename, parse_content_disposition
from hypothesis import given
from hypothesis import strategies as st

from core.filenames import NAME_MAX_BYTES, content_disposition, name_key, safe_name

# Written out here rather than imported: the test states the systems' rules on its own.
DEVICES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{port}{n}" for port in ("COM", "LPT") for n in "0123456789¹²³"
}
# Any text, surrogates, controls and separators included.
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=400) | st.text(
    st.sampled_from('CONULPTAUXcom1.. \t\r\n/\\:*?"<>|\x00\x7f\x85\u202e\u0301é'), max_size=40
)


def assert_valid_everywhere(name: str, max_bytes: int = NAME_MAX_BYTES) -> None:
    assert name and name not in (".", "..")
    assert not set(name) & set('<>:"/\\|?*')  # Windows' reserved characters, both separators
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in name)  # controls
    assert not name.endswith((".", " "))  # Windows drops them: two names would meet
    assert name.split(".")[0].rstrip(" ").upper() not in DEVICES  # CON.pdf, nul, COM1.txt
    assert len(name.encode("utf-8")) <= max_bytes  # Linux counts bytes
    assert len(name.encode("utf-16-le")) // 2 <= NAME_MAX_BYTES  # NTFS counts UTF-16 units
    assert unicodedata.is_normalized("NFC", name)  # macOS normalises: stored as it is read


@given(ANY_TEXT)
def test_any_text_gives_a_name_valid_on_every_system_and_stable(text: str) -> None:
    name = safe_name(text)
    assert_valid_everywhere(name)
    assert safe_name(name) == name  # idempotent: a cleaned name is left alone


@given(ANY_TEXT, st.integers(min_value=24, max_value=NAME_MAX_BYTES))
def test_any_budget_is_kept_in_bytes(text: str, budget: int) -> None:
    name = safe_name(text, max_bytes=budget)
    assert_valid_everywhere(name, budget)
    assert safe_name(name, max_bytes=budget) == name


@given(ANY_TEXT, st.integers(min_value=24, max_value=120))
def test_a_character_budget_counts_utf16_units(text: str, chars: int) -> None:
    name = safe_name(text, max_chars=chars)
    assert_valid_everywhere(name)
    assert len(name.encode("utf-16-le")) // 2 <= chars


@pytest.mark.parametrize(
    "name", ["CON.pdf", "nul", "aux.txt", "COM1.pdf", "lpt9.docx", "PRN", "Con", "NUL .txt"]
)
def test_windows_device_names_are_prefixed(name: str) -> None:
    assert safe_name(name) == "_" + name
    assert safe_name("CONSOLE.pdf") == "CONSOLE.pdf" and safe_name("COM10.txt") == "COM10.txt"


@pytest.mark.parametrize(
    ("text", "limit"), [("п" * 200, None), ("中" * 95, None), ("😀" * 70, None), ("ж" * 115, 230)]
)
def test_long_names_are_cut_by_bytes_between_characters_keeping_the_extension(
    text: str, limit: int | None
) -> None:
    name = safe_name(text + ".pdf")
    assert len(name.encode()) <= NAME_MAX_BYTES and name.endswith(".pdf")
    assert text.startswith(name[: -len(".pdf")])  # whole characters only
    if limit is not None:  # short enough: kept whole
        assert name == text + ".pdf" and len(text.encode()) == limit


def test_separators_controls_and_edges() -> None:
    assert safe_name("протокол/1.pdf") == "протокол_1.pdf"
    assert safe_name("..\\..\\etc\\passwd") == "_.._etc_passwd"
    assert safe_name("акт\r\n\x00 итог.pdf ..") == "акт_ итог.pdf"
    assert safe_name("evil\u202efdp.exe") == "evil_fdp.exe"  # no right-to-left disguise
    assert safe_name("..", "file") == safe_name("", "file") == "file"
    assert safe_name("e\u0301.pdf") == "é.pdf"  # NFC, as macOS compares


def test_names_equal_on_windows_and_macos_share_a_key() -> None:
    assert len({name_key(n) for n in ("same.pdf", "SAME.pdf", "Same.PDF")}) == 1
    assert name_key("Отчёт.pdf") == name_key("ОТЧЁТ.PDF") == name_key("Отче\u0308т.pdf")
    assert name_key("a.pdf") != name_key("b.pdf")


def _parsed(header: str) -> tuple[str, str | None]:
    """The name a client reads (aiohttp's RFC 6266 parser: filename* wins) and the fallback."""
    kind, params = parse_content_disposition(header)
    assert kind == "attachment"
    return content_disposition_filename(params, "filename") or "", params.get("filename")


@given(ANY_TEXT)
def test_content_disposition_is_one_printable_ascii_line_naming_the_safe_name(text: str) -> None:
    header = content_disposition(text)
    assert all(" " <= c <= "~" for c in header)  # no CR/LF, nothing outside ASCII
    assert header.startswith("attachment; filename=")
    name, fallback = _parsed(header)
    assert name == safe_name(text) and fallback and fallback.isascii()


def test_content_disposition_of_hostile_names() -> None:
    header = content_disposition('акт"\r\nSet-Cookie: x=1\\".pdf')
    assert "\r" not in header and "\n" not in header
    assert header == (
        'attachment; filename="__Set-Cookie_ x=1_.pdf"; '
        "filename*=UTF-8''%D0%B0%D0%BA%D1%82_Set-Cookie_%20x%3D1_.pdf"
    )
    assert _parsed(header)[0] == "акт_Set-Cookie_ x=1_.pdf"
    assert content_disposition("приказ.pdf").startswith('attachment; filename="file.pdf"; ')
    assert 'filename="cafe.pdf"' in content_disposition("café.pdf")


def test_document_names_read_as_russian_and_cut_at_a_word() -> None:
    from datetime import date

    from core.filenames import document_name, shorten

    title = (
        "ДОРОЖНАЯ КАРТА МАОУ «СОШ № 21 г. Челябинска» по участию в проекте «Модуль МСОКО как "
        "средство управления качеством образования»"
    )
    name = document_name("Отчёт по школам", "docx", title, day=date(2020, 12, 1))
    assert name == (
        "Отчёт по школам — ДОРОЖНАЯ КАРТА МАОУ «СОШ № 21 г. Челябинска» по участию в… — "
        "01.12.2020.docx"
    )
    other = document_name("Сводный отчёт по мероприятиям", "docx", title, day=date(2020, 12, 1))
    assert name_key(other) != name_key(name)
    assert document_name("Приглашение", "png", "куратор", None) == "Приглашение — куратор.png"
    assert document_name("Отчёт", "docx", 'План: "1/2"') == "Отчёт — План_ _1_2_.docx"
    assert shorten("Словосочетание" * 10, 20) == "СловосочетаниеСлово…"  # one long word
    assert shorten("коротко", 20) == "коротко"
