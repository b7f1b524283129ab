"""Benchmark: the region XLSX report against the bare floor of each candidate writer (issue 32).

The region of bench/status_region.py (1,000 schools, 200 activities, 200,000 items). Each
writer's floor writes the cells the report writes for it (the matrix, a details row of school,
title, status and date per item, the overdue rows) with the same formats and nothing else,
each in its own process: XlsxWriter in constant-memory mode, XlsxWriter in memory,
rustpy-xlsxwriter (if installed: rows at once, fills only as conditional formats). Then the
report: its build from a process of its own (a region's is read in one more process, which
writes it with the Rust-backed writer, or feeds XlsxWriter in a third: reports/worker.py;
their CPU is summed), the reading alone (what any writer waits for), `python -m bot report` as
a coordinator runs it, and the build from inside an event loop (the loop's longest hold).
Prints the report's time as a ratio of the chosen writer's floor measured in the same run and
of the reading and the floor one after the other, peak RSS, and what the time depends on.

    python bench/xlsx_writers.py [--small] [--rounds 3] [--schools 1000] [--activities 200] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from status_region import NOW, _loop_stall, region

ROOT = Path(__file__).resolve().parents[1]
CONSTANT, RUST = "xlsxwriter_constant_memory", "rustpy_xlsxwriter"
WRITERS = (CONSTANT, "xlsxwriter_in_memory", RUST)
FILLS = {  # the report's fills (reports/xlsx.py), by the state's name in the matrix
    "открыто": "FFFFFF",
    "на проверке": "FFEB9C",
    "принято": "C6EFCE",
    "возвращено": "F8CBAD",
    "просрочено": "FFC7CE",
}
# The region's mix (bench/status_region.py): open 5, accepted 3, submitted 1, returned 1 of 10.
MIX = ["открыто"] * 5 + ["принято"] * 3 + ["на проверке", "возвращено"]
WORDS = {
    "открыто": "срок не наступил",
    "на проверке": "на проверке, сдано в срок",
    "принято": "принято, сдано в срок",
    "возвращено": "возвращено на доработку",
    "просрочено": "не выполнено, просрочено на {days} дн.",
}
TODAY = date(2020, 12, 1)


def _peak_mb() -> float:
    """This process's peak RSS (VmHWM) in MB."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def _items(schools: int, activities: int) -> Iterator[tuple[str, str, str, date, int]]:
    """School, activity title, state name, due date and days overdue of every item, school by
    school: the region's shape (names, titles, dates, the mix of states) without a database."""
    dues = [date(2020, 9, 1) + timedelta(days=a) for a in range(activities)]
    titles = [f"Мероприятие {a}" for a in range(activities)]
    for s in range(schools):
        school = f"ОО № {s}"
        for a in range(activities):
            state = MIX[(s * 7 + a * 3) % 10]
            days = (TODAY - dues[a]).days
            if state in ("открыто", "возвращено") and days > 0:
                state = "просрочено"
            yield school, titles[a], state, dues[a], days


def floor_xlsxwriter(out: Path, schools: int, activities: int, constant: bool) -> int:
    """The report's cells through XlsxWriter's write calls, nothing computed: cells written."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        str(out),
        {"constant_memory": constant, "tmpdir": tempfile.gettempdir(),
         "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )  # fmt: skip
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    head = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    top = book.add_format({"valign": "top"})
    day = book.add_format({"num_format": "dd.mm.yyyy", "valign": "top"})
    late_day = book.add_format(
        {"num_format": "dd.mm.yyyy", "bg_color": "#FFC7CE", "pattern": 1, "valign": "top"}
    )
    fills = {
        name: book.add_format({"bg_color": f"#{c}", "pattern": 1, "valign": "top"})
        for name, c in FILLS.items()
    }
    grid = book.add_worksheet("Матрица")
    details = book.add_worksheet("Подробно")
    late = book.add_worksheet("Просрочено")
    grid.write_row(0, 0, ["Школа", *(f"Мероприятие {a}" for a in range(activities))], head)
    details.write_row(0, 0, ["Школа", "№", "Мероприятие", "Статус", "Срок"], head)
    late.write_row(0, 0, ["Школа", "№", "Мероприятие", "Срок", "Дней просрочки"], head)
    cells, at, late_at = 0, 0, 0
    line, school_now = 0, ""
    for school, title, state, due, days in _items(schools, activities):
        if school != school_now:
            line, school_now, column = line + 1, school, 0
            grid.write_string(line, 0, school, wrap)
            cells += 1
        column += 1
        fill = fills[state]
        grid.write_string(line, column, state, fill)
        at += 1  # noqa: SIM113 (a counter beside the one of the matrix's lines)
        details.write_string(at, 0, school, wrap)
        details.write_string(at, 2, title, wrap)
        details.write_string(at, 3, WORDS[state].format(days=days), fill)
        details.write_datetime(at, 4, due, day)
        cells += 5
        if state == "просрочено":
            late_at += 1
            late.write_string(late_at, 0, school, wrap)
            late.write_string(late_at, 2, title, wrap)
            late.write_datetime(late_at, 3, due, late_day)
            late.write_number(late_at, 4, days, top)
            cells += 4
    for sheet in (grid, details, late):
        sheet.set_column(0, 0, 20)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0)
        sheet.set_footer("&CСтраница &P из &N")
    book.close()
    return cells


def floor_rustpy(out: Path, schools: int, activities: int) -> int:
    """The same cells through rustpy-xlsxwriter: every sheet's rows at once (it takes them as
    dicts keyed by header); a fill per state can only be a conditional format."""
    import rustpy_xlsxwriter as rx

    def fill(colour: str) -> Any:
        return rx.Format().set_background_color(f"#{colour}").set_pattern("solid")

    wrap = rx.Format().set_text_wrap()
    day = rx.Format().set_num_format("dd.mm.yyyy")
    heads = [f"Мероприятие {a}" for a in range(activities)]
    grid: list[dict[str, Any]] = []
    details: list[dict[str, Any]] = []
    late: list[dict[str, Any]] = []
    row: dict[str, Any] = {}
    school_now = ""
    for school, title, state, due, days in _items(schools, activities):
        if school != school_now:
            row = {"Школа": school}
            grid.append(row)
            school_now = school
        row[heads[len(row) - 1]] = state
        details.append({"Школа": school, "№": None, "Мероприятие": title,
                        "Статус": WORDS[state].format(days=days), "Срок": due})  # fmt: skip
        if state == "просрочено":
            late.append({"Школа": school, "№": None, "Мероприятие": title, "Срок": due,
                         "Дней просрочки": days})  # fmt: skip
    rules = [
        {"type": "text", "criteria": "contains", "value": name, "format": fill(c)}
        for name, c in FILLS.items()
    ]
    page = {"landscape": True, "fit_to_pages": (1, 0), "repeat_rows": 0,
            "footer": "&CСтраница &P из &N"}  # fmt: skip
    status_rules = [
        {"type": "text", "criteria": "contains", "value": WORDS[name].split(",")[0],
         "format": fill(c)}
        for name, c in FILLS.items()
    ]  # fmt: skip
    (
        rx.FastExcel(out)
        .format(bold_headers=True)
        .sheet("Матрица", grid, column_formats=[wrap], page_setup=page,
               conditional_formats=dict.fromkeys(heads, rules))
        .sheet("Подробно", details, column_formats=[wrap, wrap, wrap, rx.Format(), day],
               page_setup=page, conditional_formats={"Статус": status_rules})
        .sheet("Просрочено", late, column_formats=[wrap, wrap, wrap, day], page_setup=page)
        .save()
    )  # fmt: skip
    return (
        sum(len(r) for r in grid) + 4 * len(details) + 4 * len(late)  # the "№" cells are empty
    )


def _floor(writer: str, out: Path, schools: int, activities: int) -> int:
    if writer == "rustpy_xlsxwriter":
        return floor_rustpy(out, schools, activities)
    constant = writer == "xlsxwriter_constant_memory"
    return floor_xlsxwriter(out, schools, activities, constant)


def _floor_child(writer: str, schools: int, activities: int, in_thread: bool) -> None:
    """Run one floor in this process and print its figures as JSON; `in_thread`: in a worker
    thread beside an event loop, as the bot would, and how long the loop was held."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "floor.xlsx"
        started, cpu = time.perf_counter(), time.process_time()
        lag = None
        if in_thread:
            work = asyncio.to_thread(_floor, writer, out, schools, activities)
            cells, lag = asyncio.run(_loop_stall(work))
        else:
            cells = _floor(writer, out, schools, activities)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = out.stat().st_size
    figures = {"s": seconds, "cpu_s": cpu, "peak_mb": _peak_mb(), "cells": cells}
    if lag is not None:
        figures = {"loop_max_lag_ms": lag * 1000}
    print(json.dumps({**figures, "kib": size // 1024}))


def _report_child(url: str, plan_id: int, out: str) -> None:
    """Build the report from this process (no bot start-up; a region's is written in a process
    of its own, reports/worker.py) and print its figures as JSON: CPU and peak of both."""
    import resource

    from db.engine import build_engine, build_session_factory
    from reports.build import write_xlsx

    async def build() -> tuple[float, float]:
        engine = build_engine(url)
        factory = build_session_factory(engine)
        async with factory() as session:
            started, cpu = time.perf_counter(), time.process_time()
            await write_xlsx(session, plan_id, NOW, "Europe/Moscow", Path(out))
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        await engine.dispose()
        return seconds, cpu

    seconds, cpu = asyncio.run(build())
    # A region's report is read and written in processes of its own (the reader's and the
    # writer's CPU add up here; the peak is the largest of them).
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu, child_mb = children.ru_utime + children.ru_stime, children.ru_maxrss / 1024
    figures = {"s": seconds, "cpu_s": cpu + child_cpu, "cpu_here_s": cpu}
    figures.update(cpu_processes_s=child_cpu, peak_mb=max(_peak_mb(), child_mb))
    figures.update(peak_here_mb=_peak_mb(), peak_processes_mb=child_mb)
    print(json.dumps(figures))


def _reader_child(url: str, plan_id: int) -> None:
    """The report's reading alone, as its reader process does it (the head, the rows a chunk
    at a time), with no writer: what any writer waits for at least. Prints its figures as
    JSON."""
    from core.report_data import report_head, report_rows
    from db.engine import build_engine, build_session_factory

    async def read() -> tuple[float, float, int]:
        engine = build_engine(url)
        factory = build_session_factory(engine)
        rows = 0
        async with factory() as session:
            started, cpu = time.perf_counter(), time.process_time()
            report = await report_head(session, plan_id, NOW, "Europe/Moscow")
            async for chunk in report_rows(session, report, "Europe/Moscow"):
                rows += len(chunk)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        await engine.dispose()
        return seconds, cpu, rows

    seconds, cpu, rows = asyncio.run(read())
    print(json.dumps({"s": seconds, "cpu_s": cpu, "rows": rows, "peak_mb": _peak_mb()}))


def _run(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """One child of this script: its JSON line, and its wall time with the interpreter's start."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    return result


def _cli(url: str, plan_id: int, out: Path) -> float:
    """`python -m bot report` as a coordinator runs it: seconds with the interpreter's start."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "report", str(plan_id), "--out", str(out)],
        check=True, capture_output=True, cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
    )  # fmt: skip
    return time.perf_counter() - started


def _package(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def depends_on(schools: int, activities: int) -> dict[str, Any]:
    """What the time depends on: the interpreter, the writers, the machine, SQLite, the size."""
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "python": platform.python_version(),
        "xlsxwriter": _package("XlsxWriter"),
        "rustpy_xlsxwriter": _package("rustpy-xlsxwriter"),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "load_1m": round(os.getloadavg()[0], 2),
        "sqlite": sqlite3.sqlite_version,
        "rows": schools * activities,
    }


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of a few runs (the least disturbed), with the least CPU of them all."""
    best = dict(min(runs, key=lambda r: r["s"]))
    best["cpu_s"] = min(r["cpu_s"] for r in runs)
    best["rounds"] = len(runs)
    return best


async def main(schools: int, activities: int, as_json: bool, rounds: int = 1) -> None:
    from reports.build import write_xlsx

    figures: dict[str, Any] = {"depends_on": depends_on(schools, activities)}
    sizes = ["--schools", str(schools), "--activities", str(activities)]
    floors: dict[str, Any] = {}
    for writer in WRITERS:
        try:
            floors[writer] = _run("--floor", writer, *sizes)
            lag = _run("--floor", writer, "--in-thread", *sizes)["loop_max_lag_ms"]
            floors[writer]["loop_max_lag_ms"] = lag
        except RuntimeError as error:  # not installed, or failed: said, not hidden
            floors[writer] = {"error": str(error)}
    figures["floors"] = floors
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'region.sqlite3'}"
        engine, factory, plan_id = await region(url, schools, activities)
        await engine.dispose()
        out = Path(folder) / "report.xlsx"
        # The region's report is written by the Rust-backed writer (reports/xlsx_rust.py) where
        # it is installed and fits, else by XlsxWriter: the floor it is held to is that writer's.
        chosen = "rustpy_xlsxwriter" if "error" not in floors[RUST] else CONSTANT
        # The report and the chosen writer's floor alternate, so both meet the same weather.
        chosen_runs = [floors[chosen]]
        reports = [_run("--report", url, str(plan_id), str(out))]
        for _ in range(rounds - 1):
            chosen_runs.append(_run("--floor", chosen, *sizes))
            reports.append(_run("--report", url, str(plan_id), str(out)))
        lag = floors[chosen]["loop_max_lag_ms"]
        floors[chosen] = {**_best(chosen_runs), "loop_max_lag_ms": lag}
        figures["report"] = {**_best(reports), "kib": out.stat().st_size // 1024}
        # What any writer fed by the report's reader waits for: the ≤ 5 s goal needs this, a
        # writer's floor and the processes' start to fit in it.
        figures["reader"] = _best([_run("--reader", url, str(plan_id)) for _ in range(rounds)])
        figures["report_cli_s"] = _cli(url, plan_id, Path(folder) / "cli.xlsx")
        engine, factory = _factory(url)
        async with factory() as session:
            started = time.perf_counter()
            work = write_xlsx(session, plan_id, NOW, "Europe/Moscow", Path(folder) / "bot.xlsx")
            _, stall = await _loop_stall(work)
            figures["report_in_bot_s"] = time.perf_counter() - started
            figures["loop_max_lag_ms"] = stall * 1000
        await engine.dispose()
    figures["chosen_writer"] = chosen
    chosen_floor = floors[chosen]
    figures["depends_on"]["cells"] = chosen_floor.get("cells")
    figures["report_vs_floor"] = figures["report"]["s"] / chosen_floor["s"]
    # CPU seconds too: on a machine shared with other work the wall clock wanders.
    figures["report_vs_floor_cpu"] = figures["report"]["cpu_s"] / chosen_floor["cpu_s"]
    # With a writer faster than the reading, the report is the reading then the writing (it
    # takes its rows at once): how close it comes to the two measured alone.
    alone = figures["reader"]["s"] + chosen_floor["s"]
    figures["report_vs_reading_and_floor"] = figures["report"]["s"] / alone
    figures["goal_5_s_met"] = figures["report"]["s"] <= 5
    if as_json:
        print(json.dumps(_rounded(figures), ensure_ascii=False))
        return
    print(json.dumps(figures["depends_on"], ensure_ascii=False))
    for writer, f in floors.items():
        if "error" in f:
            print(f"floor {writer}: not measured ({f['error']})")
        else:
            print(
                f"floor {writer}: {f['s']:.2f} s, CPU {f['cpu_s']:.2f} s "
                f"({f['wall_s']:.2f} s with the interpreter), "
                f"peak RSS {f['peak_mb']:.0f} MB, {f['cells']} cells, {f['kib']} KiB; "
                f"in a thread beside an event loop, the loop held at most "
                f"{f['loop_max_lag_ms']:.0f} ms"
            )
    r = figures["report"]
    split = (
        f" (the caller {r['cpu_here_s']:.2f} s, peak {r['peak_here_mb']:.0f} MB; the report's "
        f"reader and writer processes {r['cpu_processes_s']:.2f} s, the larger's peak "
        f"{r['peak_processes_mb']:.0f} MB)"
        if r.get("cpu_processes_s")
        else ""
    )
    print(
        f"report: {r['s']:.2f} s, CPU {r['cpu_s']:.2f} s{split} ({r['wall_s']:.2f} s with the "
        f"interpreter), peak RSS {r['peak_mb']:.0f} MB, {r['kib']} KiB; "
        f"{figures['report_vs_floor']:.2f}x the chosen writer's ({chosen}) floor "
        f"(CPU {figures['report_vs_floor_cpu']:.2f}x; goal <= 1.2x, <= 200 MB, <= 5 s: "
        f"{'met' if figures['goal_5_s_met'] else 'not met'})"
    )
    reader = figures["reader"]
    print(
        f"the reading alone (the head and {reader['rows']} rows, no writer): "
        f"{reader['s']:.2f} s, CPU {reader['cpu_s']:.2f} s, "
        f"{reader['s'] / chosen_floor['s']:.2f}x the chosen writer's floor; the report is "
        f"{figures['report_vs_reading_and_floor']:.2f}x the reading and the floor one after "
        f"the other"
    )
    print(f"python -m bot report: {figures['report_cli_s']:.2f} s")
    print(
        f"in the bot: {figures['report_in_bot_s']:.2f} s, the event loop held at most "
        f"{figures['loop_max_lag_ms']:.0f} ms (a 5 ms heartbeat's lateness)"
    )


def _factory(url: str) -> tuple[Any, Any]:
    from db.engine import build_engine, build_session_factory

    engine = build_engine(url)
    return engine, build_session_factory(engine)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--activities", type=int, default=200)
    parser.add_argument("--small", action="store_true", help="100 schools x 50 activities")
    parser.add_argument("--json", action="store_true", help="print one JSON object of figures")
    parser.add_argument(
        "--rounds", type=int, default=1, help="report and floor alternated, the best of each"
    )
    parser.add_argument("--floor", choices=WRITERS, help=argparse.SUPPRESS)
    parser.add_argument("--in-thread", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--report", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--reader", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.small:
        args.schools, args.activities = 100, 50
    if args.floor:
        _floor_child(args.floor, args.schools, args.activities, args.in_thread)
    elif args.report:
        _report_child(args.report[0], int(args.report[1]), args.report[2])
    elif args.reader:
        _reader_child(args.reader[0], int(args.reader[1]))
    else:
        asyncio.run(main(args.schools, args.activities, args.json, args.rounds))
