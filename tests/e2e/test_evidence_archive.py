"""The evidence archive: the files curators sent, byte for byte, in folders by school and item,
an index naming every file (a lost copy included), and parts under the upload limit."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.clock import ManualClock
from core.filenames import name_key
from db.models import EvidenceFile, Plan, User
from tests.e2e.test_curator_flows import _setup, _setup_here, _start_done
from tests.harness import World
from tests.people import ON_BOTH, Person
from tests.unit.test_filenames import assert_valid_everywhere

FIRST = b"%PDF-1.4 prikaz " * 200  # 3,200 bytes
SECOND = b"%PDF-1.4 protokol " * 200
LOST = b"%PDF-1.4 lost " * 100


# An archive does not depend on the day: one fixed moment (not the CI's varied ones).
@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 30, 6, 0, tzinfo=UTC))


async def _hand_in(
    alice: Person,
    olga: Person,
    number: int,
    *files: tuple[str, bytes],
    comment: str | None = None,
) -> None:
    await _start_done(alice, number)
    if comment is not None:
        await alice.send(comment)
        await alice.expect_reply("комментарий есть")
    for name, data in files:
        await alice.upload((name, data))
        await alice.expect_reply("Файлов:")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    request = await olga.expect_reply("На проверку")
    for _ in files:
        await olga.expect_reply()  # the files follow the request
    await olga.press("✅ Принять", request)
    await alice.expect_reply("Принято")


async def _world(world: World) -> tuple[Person, Person, int]:
    alice, olga, _ = await _setup_here(world)
    await _hand_in(alice, olga, 2, ("приказ.pdf", FIRST), ("протокол/1.pdf", SECOND))
    await _hand_in(alice, olga, 3, ("утерян.pdf", LOST))
    await world.app.settled()  # the copies are made after each submission
    await world.app.evidence.sweep()
    async with world.app.session_factory() as session, session.begin():
        await session.execute(  # Telegram no longer gives this one and no copy was kept
            update(EvidenceFile)
            .where(EvidenceFile.file_name == "утерян.pdf")
            .values(stored_path=None, copy_missing_at=world.clock.now(), copy_error="file is gone")
        )
        plan_id = await session.scalar(select(Plan.id))
    assert plan_id is not None
    return alice, olga, plan_id


def _read(paths: list[Path]) -> tuple[dict[str, bytes], list[list[str]]]:
    files: dict[str, bytes] = {}
    index: list[list[str]] = []
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
            for name in archive.namelist():
                if name == "опись.csv":
                    text = archive.read(name).decode("utf-8-sig")
                    index = list(csv.reader(io.StringIO(text), delimiter=";"))
                else:
                    files[name] = archive.read(name)
    return files, index


async def test_archive_holds_what_curators_sent_and_lists_what_is_missing(
    world: World, tmp_path: Path
) -> None:
    _, _, plan_id = await _world(world)
    out = tmp_path / "materials.zip"
    result = await world.cli("evidence", str(plan_id), "--out", str(out))
    assert "файлов 3, не хватает 1" in result.stdout
    files, index = await asyncio.to_thread(_read, [out])
    assert sorted(files.values()) == sorted([FIRST, SECOND])
    folders = {name.rsplit("/", 1)[0] for name in files}
    assert len(folders) == 1 and folders.pop().startswith(
        "МАОУ «СОШ № 21 г. Челябинска»/1 Издание приказа"
    )
    assert any(name.endswith("/протокол_1.pdf") for name in files)  # no folder from a name
    head, *lines = index
    assert head[:4] == ["Школа", "№", "Мероприятие", "Файл"] and len(lines) == 3
    lost = next(line for line in lines if line[3] == "утерян.pdf")
    assert lost[-1].startswith("НЕТ В АРХИВЕ: копия не сохранена") and lost[4] == ""
    assert all(line[6] == "Алиса" and line[-1] == "в архиве" for line in lines if line is not lost)


async def test_a_large_archive_comes_in_parts(world: World, tmp_path: Path) -> None:
    _, _, plan_id = await _world(world)
    out = tmp_path / "materials.zip"
    # 6 KB parts: each file (3 KB) with the first part's index reserve forces a split.
    result = await world.cli("evidence", str(plan_id), "--out", str(out), "--part-mb", "0.006")
    paths = sorted(await asyncio.to_thread(lambda: list(tmp_path.glob("materials.part*.zip"))))
    assert len(paths) >= 2 and not out.exists()
    assert all(path.stat().st_size <= 6000 for path in paths), result.stdout
    files, index = await asyncio.to_thread(_read, paths)
    assert sorted(files.values()) == sorted([FIRST, SECOND])
    parts = {line[3]: line[4] for line in index[1:]}
    assert parts["утерян.pdf"] == "" and {parts["приказ.pdf"], parts["протокол_1.pdf"]} <= {
        str(n) for n in range(1, len(paths) + 1)
    }


async def test_archive_names_unpack_everywhere_and_the_index_holds_no_formulas(
    world: World, tmp_path: Path
) -> None:
    alice, olga, _ = await _setup(world)
    names = ["same.pdf", "SAME.pdf", "Same.PDF", "CON.pdf", "nul.txt", "lpt9.docx",
             "中" * 95 + ".pdf", "😀" * 70 + ".pdf", '=HYPERLINK("http://x").pdf']  # fmt: skip
    uploads = ((name, name.encode()) for name in names)
    await _hand_in(alice, olga, 3, *uploads, comment="-2+3 и всё")  # a spreadsheet computes it
    await world.app.settled()
    async with world.app.session_factory() as session, session.begin():
        await session.execute(update(User).values(full_name="=cmd|' /C calc'!A0"))
        plan_id = await session.scalar(select(Plan.id))
    out = tmp_path / "materials.zip"
    await world.cli("evidence", str(plan_id), "--out", str(out))
    files, index = await asyncio.to_thread(_read, [out])

    # Every file arrives, none overwrites another where case does not count (Windows, macOS),
    # and each part of each path is a name all three systems accept.
    assert sorted(files.values()) == sorted(name.encode() for name in names)
    assert len({name_key(path) for path in files}) == len(names)
    for path in files:
        for part in path.split("/"):
            assert_valid_everywhere(part)
    by_content = {data.decode(): path.rsplit("/", 1)[1] for path, data in files.items()}
    assert by_content["CON.pdf"] == "_CON.pdf" and by_content["nul.txt"] == "_nul.txt"
    assert by_content["中" * 95 + ".pdf"].endswith(".pdf")

    # The index: people's text never reaches a spreadsheet as a formula (OWASP's rule).
    lines = index[1:]
    formula = next(line for line in lines if "HYPERLINK" in line[3])
    assert formula[3] == "'=HYPERLINK(_http_x_).pdf" and formula[5].endswith(
        "/=HYPERLINK(_http_x_).pdf"
    )
    assert all(line[6] == "'=cmd|' /C calc'!A0" for line in lines)
    assert all(line[9] == "'-2+3 и всё" for line in lines)
    for line in lines:
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in line)


@ON_BOTH
async def test_evidence_in_chat_for_a_coordinator(world: World) -> None:
    alice, olga, _ = await _world(world)
    await olga.send("/evidence")
    document = await olga.expect_reply("Материалы")
    assert "Без копии: 1" in document.text
    with zipfile.ZipFile(io.BytesIO(await world.file_of(document))) as archive:
        assert sorted(archive.read(n) for n in archive.namelist() if n != "опись.csv") == sorted(
            [FIRST, SECOND]
        )
    await olga.send("/evidence Тайная школа")
    await olga.expect_reply("не найдена")
    await alice.send("/evidence")  # a curator has no archive of the plan
    assert "Материалы" not in (await alice.expect_reply()).text


async def test_a_photo_is_a_jpg_named_for_what_it_is_and_who_sent_it(
    world: World, tmp_path: Path
) -> None:
    """Telegram gives a photo no name: the archive calls it "Фото 1 — Алиса ….jpg" (Windows
    opens it), the Word report "Фото 1.jpg"; a named document keeps its own name."""
    alice, olga, _ = await _setup(world)
    await _start_done(alice, 2)
    for _ in range(2):
        await alice.upload(("x", b"\xff\xd8\xff\xe0 jpeg"), kind="photo")
        await alice.expect_reply("Файлов:")
    await alice.upload(("справка.pdf", FIRST))
    await alice.expect_reply("Файлов:")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    request = await olga.expect_reply("На проверку")
    await olga.press("✅ Принять", request)
    await alice.expect_reply("Принято")
    await world.app.settled()
    await world.app.evidence.sweep()
    async with world.app.session_factory() as session:
        plan_id = await session.scalar(select(Plan.id))
    out = tmp_path / "materials.zip"
    await world.cli("evidence", str(plan_id), "--out", str(out))
    files, index = await asyncio.to_thread(_read, [out])
    names = sorted(name.rsplit("/", 1)[1] for name in files)
    assert names == ["Фото 1 — Алиса.jpg", "Фото 2 — Алиса.jpg", "справка.pdf"], names
    assert sorted(line[3] for line in index[1:]) == names
    report = tmp_path / "report.docx"
    await world.cli("report", str(plan_id), "--out", str(report))
    from docx import Document

    cells = [c.text for row in Document(str(report)).tables[1].rows for c in row.cells]
    assert any(c.startswith("Фото 1.jpg, Фото 2.jpg, справка.pdf") for c in cells)
