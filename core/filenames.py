"""One rule for every file name Kurator writes: copies on disk, archive entries, download names.

A name that passes is valid on Windows, macOS and Linux alike: no separators, control or
reserved characters, no trailing dot or space, no device name (CON, NUL, COM1 …), Unicode in
NFC, at most NAME_MAX_BYTES bytes of UTF-8 (ext4's limit; NTFS and APFS count 255 UTF-16 units
or UTF-8 bytes, never more than the UTF-8 bytes), cut between characters, extension kept.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from urllib.parse import quote

NAME_MAX_BYTES = 255  # one path component on ext4, APFS and (in UTF-16 units) NTFS
MIN_BUDGET = 24  # room for the longest extension kept and a character before it
_EXTENSION_BYTES = 16
# Windows refuses these whatever the case and extension ("con.pdf", "Nul", "COM¹.txt").
_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in [*"0123456789", "¹", "²", "³"]]
)
# Separators, Windows' reserved characters, C0/C1 controls, bidirectional overrides (they make
# "exe.pdf" look like "fdp.exe"), surrogates and the non-characters XML refuses.
_UNSAFE = re.compile(
    '[<>:"/\\\\|?*\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069'
    "\ud800-\udfff\ufffe\uffff]+"
)
_EDGES = re.compile(r"^[\s.]+|[\s.]+$")  # Windows drops trailing dots and spaces; "." and ".."
_EXTENSION = re.compile(r"\.[^.\s]+")


def safe_name(
    text: str | None,
    fallback: str = "file",
    *,
    max_bytes: int = NAME_MAX_BYTES,
    max_chars: int | None = None,
) -> str:
    """`text` as a file name every system accepts, at most `max_bytes` of UTF-8 (and
    `max_chars` UTF-16 units, what Windows counts in a path); `fallback` if nothing is left."""
    if max_bytes < MIN_BUDGET or (max_chars is not None and max_chars < MIN_BUDGET):
        raise ValueError(f"a name needs a budget of at least {MIN_BUDGET}")
    name = _clean(text or "") or _clean(fallback) or "_"
    name = _fit(name, max_bytes, max_chars)
    if _is_device(name):
        name = _fit("_" + name, max_bytes, max_chars)
    return name


TITLE_CHARS = 60  # a plan's title in a file name: enough to tell plans apart in a folder


def document_name(what: str, extension: str, *parts: str | None, day: date | None = None) -> str:
    """The name of a file Kurator sends: what it is, then what it is of (a plan's title cut at
    a word with "…", a school), then the day it was made ("Отчёт по школам — Дорожная карта
    МАОУ «СОШ № 21» … — 01.12.2020.docx"); safe on every system (`safe_name`)."""
    pieces = [what, *(shorten(p, TITLE_CHARS) for p in parts if p and p.strip())]
    if day is not None:
        pieces.append(f"{day:%d.%m.%Y}")
    return safe_name(" — ".join(pieces) + "." + extension.lstrip("."), f"file.{extension}")


# A file Telegram gives without a name (a photo, a voice message): what it is, and the extension
# its content has, so Windows and macOS open it.
_NAMELESS = {
    "photo": ("Фото", "jpg"),
    "video": ("Видео", "mp4"),
    "video_note": ("Видеосообщение", "mp4"),
    "voice": ("Голосовое сообщение", "ogg"),
    "audio": ("Аудио", "mp3"),
    "animation": ("Анимация", "mp4"),
    "document": ("Файл", "bin"),
}


def evidence_name(name: str | None, kind: str, number: int, person: str | None = None) -> str:
    """A piece of evidence's file name: its own when it has one, else what it is, its number
    in the submission and who sent it ("Фото 1 — Алиса Кураторова.jpg")."""
    if name and name.strip():
        return safe_name(name, f"{kind}_{number}")
    word, extension = _NAMELESS.get(kind, ("Файл", "bin"))
    return document_name(f"{word} {number}", extension, person)


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut at the last word boundary within `limit` characters with "…"
    (mid-word only when one word is longer than the limit)."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(' ,.;:—–-«("') + "…"


def name_key(name: str) -> str:
    """What Windows and macOS compare: names equal here overwrite each other when unpacked."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


def content_disposition(name: str, kind: str = "attachment") -> str:
    """A Content-Disposition value for any name (RFC 6266): an ASCII fallback and the UTF-8
    name percent-encoded (RFC 5987), neither able to break the header."""
    safe = safe_name(name)
    return f"{kind}; filename=\"{_ascii(safe)}\"; filename*=UTF-8''{quote(safe, safe='')}"


def _clean(text: str) -> str:
    text = _UNSAFE.sub("_", unicodedata.normalize("NFC", text))
    return _EDGES.sub("", text)


def _is_device(name: str) -> bool:
    # Windows looks at the part before the first dot, trailing spaces ignored ("NUL .txt").
    return name.split(".", 1)[0].rstrip(" ").upper() in _DEVICES


def _fits(text: str, max_bytes: int, max_chars: int | None) -> bool:
    if len(text.encode("utf-8")) > max_bytes:
        return False
    return max_chars is None or len(text.encode("utf-16-le")) // 2 <= max_chars


def _fit(name: str, max_bytes: int, max_chars: int | None) -> str:
    """Cut the name's stem between characters until the name fits; the extension stays."""
    if _fits(name, max_bytes, max_chars):
        return name
    stem, extension = name, ""
    dot = name.rfind(".")
    tail = name[dot:]
    if dot > 0 and _EXTENSION.fullmatch(tail) and len(tail.encode()) <= _EXTENSION_BYTES:
        stem, extension = name[:dot], tail
    byte_room = max_bytes - len(extension.encode("utf-8"))
    unit_room = None if max_chars is None else max_chars - len(extension.encode("utf-16-le")) // 2
    kept, size, units = 0, 0, 0
    for char in stem:
        size += len(char.encode("utf-8"))
        units += 2 if ord(char) > 0xFFFF else 1
        if size > byte_room or (unit_room is not None and units > unit_room):
            break
        kept += 1
    return _EDGES.sub("", stem[:kept]) + extension


def _ascii(name: str) -> str:
    """The name in printable ASCII for old clients: accents dropped, other letters "_", and
    nothing a naive header parser splits on (";", ",") or decodes ("%")."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    plain = safe_name(re.sub(r"(?:[^\x20-\x7e]|[%;,])+", "_", plain))
    stem, dot, extension = plain.rpartition(".")
    if not re.search(r"[A-Za-z0-9]", stem if dot else plain):
        return f"file.{extension}" if dot and extension else "file"
    return plain
