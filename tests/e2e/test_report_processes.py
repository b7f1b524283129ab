"""Big reports are read and written in processes of their own (reports/worker.py): the same
document as from a thread, a failure said, nothing left when one fails or is given up.

The clock is pinned to a day of the plan: a report's making does not depend on the moment, so
CI's fixed moments need not run these again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from db.models import Activity
from emulator import FakeUser
from tests.e2e import test_curator_flows as curator
from tests.harness import World
from tests.xlsx_look import look


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))


async def _people(world: World) -> tuple[FakeUser, FakeUser]:
    alice, olga, _ = await curator._setup(world)  # a curator, a coordinator, seed 001
    return alice, olga


async def _document(world: World, person: FakeUser, button: str) -> bytes:
    await person.send("/report")
    await person.press(button, await person.expect_reply("в каком виде"))
    document = await person.expect_reply()
    while document.raw.get("document") is None:  # the progress first ("⏳ Готовлю отчёт…")
        assert "Готовлю" in document.text
        document = await person.expect_reply()
    file = await world.app.bot.get_file(document.raw["document"]["file_id"])
    assert file.file_path is not None
    data = await world.app.bot.download_file(file.file_path)
    assert data is not None
    return data.read()


def _cells(data: bytes) -> dict[str, Any]:
    """Every sheet's cells with their looks (a fill whether the cell's own or a conditional
    rule's), widths and page setup, as a reader sees them."""
    return look(data)


def _fills_by_rule(data: bytes) -> bool:
    """Whether the matrix is coloured by conditional rules (the Rust-backed writer's way)."""
    import io

    import openpyxl

    return bool(openpyxl.load_workbook(io.BytesIO(data))["Матрица"].conditional_formatting)


def _paragraphs(data: bytes) -> list[str]:
    import io

    import docx

    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return [p.text for p in document.paragraphs] + cells


async def test_a_big_report_is_written_in_a_process_of_its_own_and_reads_the_same(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reports import build, sinks

    _, olga = await _people(world)
    started: list[str] = []
    start = sinks.worker_process

    async def counted() -> Any:
        started.append("report")
        return await start()

    monkeypatch.setattr(build, "worker_process", counted)
    kinds = ("📊 Таблица XLSX", "📄 Word: по школам", "📄 Word: сводный по мероприятиям")
    in_thread = [await _document(world, olga, button) for button in kinds]
    assert started == []  # a small report: written in a thread, quicker than a process's start
    monkeypatch.setattr(build, "PROCESS_FROM_ROWS", 1)  # as big as a region's
    in_process = [await _document(world, olga, button) for button in kinds]
    # Each read in a process of its own (the XLSX written there by the Rust-backed writer, a Word
    # report in another process, but for the tally by activity): the bot's loop only waits.
    assert started == ["report"] * 3
    assert _fills_by_rule(in_process[0]) and not _fills_by_rule(in_thread[0])
    assert _cells(in_process[0]) == _cells(in_thread[0])
    assert len(_cells(in_thread[0])["Подробно"]["cells"]) > 20  # the details, cell by cell
    assert _paragraphs(in_process[1]) == _paragraphs(in_thread[1])
    assert _paragraphs(in_process[2]) == _paragraphs(in_thread[2])
    assert any("Приказ" in p or "№" in p for p in _paragraphs(in_thread[1]))


async def _plan_id(world: World) -> int:
    async with world.app.session_factory() as session:
        plan_id = await session.scalar(select(Activity.plan_id).limit(1))
    assert plan_id is not None
    return plan_id


@pytest.fixture
def processes(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> tuple[list[Any], Any]:
    """Every report made in processes of their own, the processes the bot started, and the
    system's temporary folder they all use (to see what is left in it)."""
    from reports import build, sinks

    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(build, "PROCESS_FROM_ROWS", 1)
    children: list[Any] = []
    start = sinks.worker_process

    async def kept() -> Any:
        children.append(await start())
        return children[-1]

    monkeypatch.setattr(build, "worker_process", kept)
    return children, folder


async def test_a_report_failing_in_its_process_says_why_and_leaves_nothing(
    world: World, processes: tuple[list[Any], Any], tmp_path: Any
) -> None:
    from reports.build import write_docx

    await _people(world)
    children, temp = processes
    out = tmp_path / "report.docx"
    async with world.app.session_factory() as session:
        with pytest.raises(RuntimeError, match="report not written"):  # the template is gone
            await write_docx(
                session, await _plan_id(world), world.clock.now(), "Europe/Moscow", out,
                template=tmp_path / "no-such-template.docx",
            )  # fmt: skip
    assert len(children) == 1 and children[0].returncode is not None
    assert not out.exists() and list(temp.iterdir()) == []


async def test_a_report_given_up_stops_its_processes_and_leaves_no_part_of_itself(
    world: World, processes: tuple[list[Any], Any], tmp_path: Any
) -> None:
    from reports.build import write_xlsx

    await _people(world)
    children, temp = processes
    out = tmp_path / "report.xlsx"
    begun = asyncio.Event()

    async def progress(done: int, total: int) -> None:
        begun.set()
        await asyncio.Event().wait()  # whoever waits gives up here

    async with world.app.session_factory() as session:
        plan_id = await _plan_id(world)
        work = asyncio.ensure_future(
            write_xlsx(session, plan_id, world.clock.now(), "Europe/Moscow", out, progress)
        )
        await begun.wait()
        work.cancel()
        with pytest.raises(asyncio.CancelledError):
            await work
    assert len(children) == 1 and children[0].returncode is not None
    assert list(temp.iterdir()) == []
    # A small plan may be finished before the stop arrives: then its file is whole, never half.
    if out.exists():
        assert _cells(out.read_bytes())


async def test_a_plan_gone_before_its_reader_starts_is_not_found_as_in_the_bot(
    world: World, processes: tuple[list[Any], Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.errors import NotFound
    from reports import build
    from reports.build import write_xlsx

    monkeypatch.setattr(build, "PROCESS_FROM_ROWS", 0)  # even an empty report goes to a reader
    children, temp = processes
    async with world.app.session_factory() as session:
        with pytest.raises(NotFound) as caught:  # the handler's "not in your scope" answer
            await write_xlsx(session, 424242, world.clock.now(), "UTC", tmp_path / "r.xlsx")
    assert caught.value.text_key == "plan_not_found" and len(children) == 1
    assert list(temp.iterdir()) == []


async def test_big_reports_beyond_the_limit_wait_their_turn_and_say_so(
    world: World, processes: tuple[list[Any], Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reports import build
    from reports.build import WAITING, write_xlsx

    monkeypatch.setattr(build, "BIG_AT_ONCE", 1)
    await _people(world)
    children, _ = processes
    plan_id = await _plan_id(world)
    first_running, let_go, second_waits = asyncio.Event(), asyncio.Event(), asyncio.Event()
    seen: list[int] = []

    async def first_progress(done: int, total: int) -> None:
        first_running.set()
        await let_go.wait()  # the first report holds the only turn until let go

    async def second_progress(done: int, total: int) -> None:
        seen.append(total)
        if total == WAITING:
            second_waits.set()

    async def report(name: str, progress: Any) -> None:
        async with world.app.session_factory() as session:
            await write_xlsx(
                session, plan_id, world.clock.now(), "Europe/Moscow", tmp_path / name, progress
            )

    first = asyncio.ensure_future(report("first.xlsx", first_progress))
    await first_running.wait()
    second = asyncio.ensure_future(report("second.xlsx", second_progress))
    await second_waits.wait()
    assert len(children) == 1  # the second report's processes are not started while it waits
    let_go.set()
    await asyncio.gather(first, second)
    assert len(children) == 2
    assert seen[0] == WAITING and seen[-1] > 0  # it was told it waits, then how far it got
    assert _cells((tmp_path / "second.xlsx").read_bytes()) == _cells(
        (tmp_path / "first.xlsx").read_bytes()
    )


async def test_the_chat_is_told_a_report_waits_then_sees_its_progress(world: World) -> None:
    from bot import texts
    from bot.progress import ChatProgress
    from reports.build import WAITING

    _, olga = await _people(world)
    ticks = iter([0.0, 5.0, 6.0, 7.0, 20.0])  # the moments the progress is called at
    progress = ChatProgress(
        world.app.bot,
        olga.id,
        lambda percent: texts.report_progress("таблица", percent),
        waiting=lambda: texts.report_waiting("таблица"),
        after=2.0,
        monotonic=lambda: next(ticks),
    )  # started at 0.0
    await progress(0, WAITING)  # 5 s in: still waiting, said once
    await progress(0, WAITING)  # 6 s: the same line, not repeated
    waiting = await olga.expect_reply("в очереди")
    await progress(10, 100)  # 7 s: the turn came, shown at once (not after `every`)
    assert (await olga.expect_edit()).text == texts.report_progress("таблица", 10)
    await progress(50, 100)  # 20 s
    assert (await olga.expect_edit()).text == texts.report_progress("таблица", 50)
    assert "таблица" in waiting.text
