"""Benchmark: the DOCX report on a region-sized plan (SQLite by default).

The data of bench/status_region.py (1,000 schools, 200 activities, 200,000 items). Runs
`python -m bot report` as a coordinator would, each in its own process (seconds and that
process's peak RSS): one school's DOCX, the region's DOCX per activity (`--aggregate`), the
region's DOCX per school (all 200,000 rows), and the XLSX report as the baseline of the same
run; then the region DOCX inside one event loop, to show how long the loop was held.

    python bench/docx_report.py [--schools 1000] [--activities 200] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select
from status_region import NOW, _loop_stall, region

from db.models import School
from reports.build import write_docx

ROOT = Path(__file__).resolve().parents[1]


# The child reports its own peak (VmHWM) when it exits, or its report processes' if larger (a
# region's report is read and written in processes of its own: reports/worker.py). ru_maxrss
# of a child starts at its parent's size (Linux keeps it across fork and exec): an upper bound.
_RUN = (
    "import atexit, resource, runpy, sys\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    own = int(status.split('VmHWM:')[1].split()[0])\n"
    "    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "    print('PEAK_KB', max(own, children), file=sys.stderr)\n"
    "atexit.register(peak)\n"
    "sys.argv = ['bot', *sys.argv[1:]]\n"
    "runpy.run_module('bot', run_name='__main__')\n"
)


def _child(url: str, *args: str) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one `python -m bot` process."""
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _RUN, *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bot {' '.join(args)} failed: {done.stderr}")
    peak = next(line for line in done.stderr.splitlines() if line.startswith("PEAK_KB"))
    return elapsed, int(peak.split()[1]) / 1024


async def main(schools: int, activities: int, as_json: bool) -> None:
    figures: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'region.sqlite3'}"
        engine, factory, plan_id = await region(url, schools, activities)
        async with factory() as session:
            school = await session.scalar(select(School.id).order_by(School.id))
        out = Path(folder)
        plan = str(plan_id)
        cases = {
            "xlsx_region": ("report", plan, "--out", str(out / "r.xlsx")),
            "docx_school": ("report", plan, "--school", str(school), "--out", str(out / "s.docx")),
            "docx_region_aggregated": ("report", plan, "--aggregate", "--out", str(out / "a.docx")),
            "docx_region_per_school": ("report", plan, "--out", str(out / "r.docx")),
        }
        for name, args in cases.items():
            seconds, rss = await asyncio.to_thread(_child, url, *args)
            figures[f"{name}_s"] = round(seconds, 2)
            figures[f"{name}_rss_mb"] = round(rss, 1)
        figures["docx_region_per_school_mb"] = round((out / "r.docx").stat().st_size / 2**20, 1)
        for name in ("docx_school", "docx_region_aggregated", "docx_region_per_school"):
            figures[f"{name}_x_xlsx"] = round(figures[f"{name}_s"] / figures["xlsx_region_s"], 2)
        async with factory() as session:
            started = time.perf_counter()
            _, stall = await _loop_stall(
                write_docx(session, plan_id, NOW, "Europe/Moscow", out / "in-loop.docx")
            )
            figures["docx_region_in_bot_s"] = round(time.perf_counter() - started, 2)
            figures["docx_region_loop_held_max_ms"] = round(stall * 1000, 1)
        await engine.dispose()
    figures.update(schools=schools, activities=activities, items=schools * activities)
    if as_json:
        print(json.dumps(figures))
        return
    print(f"DOCX report on {schools} schools × {activities} activities (SQLite)")
    for name, value in figures.items():
        print(f"  {name:34} {value}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--activities", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.schools, args.activities, args.json))
