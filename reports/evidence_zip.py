"""The evidence archive: ZIP files under a size limit (Telegram's 50 MB for a bot's upload),
folders by school and item, an index of who sent what and when, missing copies listed.

Each part is a complete ZIP of its own (no multi-volume archive: any unzip tool opens it).
Files are stored as they are (documents and photos are compressed already), so a part's size
is known before it is written and the split is planned exactly; the index goes in the first
part and says which part holds each file."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.texts import document_time, zoned
from core.evidence_archive import EvidenceEntry
from core.plain_text import spreadsheet_text

TELEGRAM_UPLOAD_LIMIT = 50 * 1000 * 1000  # a bot may send documents up to 50 MB
INDEX_NAME = "опись.csv"
INDEX_HEAD = ["Школа", "№", "Мероприятие", "Файл", "Часть архива", "Где в архиве",
              "Отправил(а)", "Отправлено", "Принято", "Комментарий", "Состояние"]  # fmt: skip
_ENTRY_OVERHEAD = 200  # local header, central directory, zip64 extras: bytes beyond the name


@dataclass
class Part:
    number: int
    files: list[tuple[EvidenceEntry, Path, int]] = field(default_factory=list)  # entry, copy, size
    size: int = 0


@dataclass
class Plan:
    parts: list[Part]
    missing: dict[int, str]  # index in entries -> why the file is not in the archive
    entries: list[EvidenceEntry]


def plan_parts(entries: list[EvidenceEntry], limit: int, zone: str = "UTC") -> Plan:
    """Which file goes into which part (reads only the copies' sizes)."""
    missing: dict[int, str] = {}
    # The index goes in the first part: reserve the most it can take, stored uncompressed
    # (every file in part 999, a copy missing on disk said in 40 more bytes).
    widest = Plan(
        [Part(999, [(e, Path(), 0) for e in entries if not e.missing_reason])],
        {i: e.missing_reason for i, e in enumerate(entries) if e.missing_reason},
        entries,
    )
    reserve = len(index_csv(widest, zone)) + 40 * len(entries) + _ENTRY_OVERHEAD + 64
    parts = [Part(1, size=reserve)]
    for index, entry in enumerate(entries):
        if entry.missing_reason:
            missing[index] = entry.missing_reason
            continue
        path = Path(entry.stored_path or "")
        if not path.is_file():
            missing[index] = "файл копии не найден на диске"
            continue
        size = path.stat().st_size
        cost = size + _ENTRY_OVERHEAD + 2 * len(entry.archive_path.encode())
        if parts[-1].files and parts[-1].size + cost > limit:
            parts.append(Part(len(parts) + 1))
        parts[-1].files.append((entry, path, size))
        parts[-1].size += cost
    return Plan(parts, missing, entries)


def index_head(zone: str) -> list[str]:
    """The index's head, its times' zone named (the plan's, as in the XLSX report)."""
    return [zoned(word, zone) if word in ("Отправлено", "Принято") else word for word in INDEX_HEAD]


def index_csv(plan: Plan, zone: str) -> bytes:
    """The index: one line per file, in the archive or not (and why not); Excel-friendly, and
    no cell of people's text opens as a formula."""
    where = {id(entry): part.number for part in plan.parts for entry, _, _ in part.files}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(index_head(zone))
    for index, entry in enumerate(plan.entries):
        part = where.get(id(entry))
        cells = [
            entry.school,
            entry.number or "",
            entry.activity,
            entry.file_name,
            part or "",
            entry.archive_path if part else "",
            entry.submitted_by or "",
            document_time(entry.submitted_at, zone),
            document_time(entry.accepted_at, zone) if entry.accepted_at else "",
            entry.comment or "",
            "в архиве" if part else f"НЕТ В АРХИВЕ: {plan.missing.get(index, '')}",
        ]
        writer.writerow([spreadsheet_text(str(cell)) for cell in cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def part_paths(base: Path, count: int) -> list[Path]:
    """`base` itself for one part; `name.part1.zip`, `name.part2.zip` … for several."""
    if count == 1:
        return [base]
    stem = base.name[: -len(base.suffix)] if base.suffix else base.name
    return [base.with_name(f"{stem}.part{n}{base.suffix or '.zip'}") for n in range(1, count + 1)]


def write_part(plan: Plan, part: Part, path: Path, index: bytes) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        if part.number == 1:
            archive.writestr(INDEX_NAME, index, compress_type=zipfile.ZIP_DEFLATED)
        for entry, copy, _ in part.files:
            archive.write(copy, entry.archive_path)


Progress = Callable[[int, int], Awaitable[None]]


async def write_archive(
    entries: list[EvidenceEntry],
    base: Path,
    zone: str,
    limit: int = TELEGRAM_UPLOAD_LIMIT,
    progress: Progress | None = None,
) -> tuple[list[Path], Plan]:
    """Write the parts off the event loop; returns their paths (in order) and the plan."""
    plan = await asyncio.to_thread(plan_parts, entries, limit, zone)
    index = index_csv(plan, zone)
    paths = part_paths(base, len(plan.parts))
    total = sum(part.size for part in plan.parts) or 1
    done = 0
    for part, path in zip(plan.parts, paths, strict=True):
        await asyncio.to_thread(write_part, plan, part, path, index)
        done += part.size
        if progress is not None:
            await progress(done, total)
    return paths, plan
