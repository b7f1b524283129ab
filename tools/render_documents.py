"""Regenerate every picture of a document or screen in docs/screenshots/ from one month of work.

The sandbox plays tools/sandbox_month.txt (seed plan 001; work handed in and accepted; the clock
moved to 1 December 2020). From its database, on its clock, the command line writes the Word
reports (per school, summary, one school's) and the XLSX report; LibreOffice and poppler render
their first pages; the progress chart is drawn as the bot sends it; the dashboard's browser tests
take its screenshots. A developer's tool (LibreOffice is not needed in CI):

    sudo apt-get install libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils chromium
    python tools/render_documents.py            (from the repository's root, the venv active)
    python tools/render_documents.py FILE PNG   (the first page of any .docx or .xlsx)
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
# (file written by `python -m bot report`, its extra arguments, the picture in docs/screenshots)
DOCUMENTS = (
    ("report.docx", (), "report-docx-page1.png"),
    ("summary.docx", ("--aggregate",), "summary-docx-page1.png"),
    ("school.docx", ("--school", "1"), "school-docx-page1.png"),
    ("report.xlsx", (), "report-xlsx-page1.png"),
)
NEEDED = ("soffice", "pdftoppm")


def _run(args: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"Команда не удалась: {' '.join(args)}\n{done.stdout}{done.stderr}")
    return done.stdout


def first_page(document: Path, png: Path, work: Path) -> None:
    """The document's first page as a PNG, the way a director sees it printed."""
    profile = f"-env:UserInstallation=file://{work / 'profile'}"
    _run(["soffice", "--headless", "--norestore", profile, "--convert-to", "pdf",
          "--outdir", str(work), str(document)])  # fmt: skip
    pdf = work / f"{document.stem}.pdf"
    _run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf),
          str(png.with_suffix(""))])  # fmt: skip


async def draw_chart(database_url: str) -> bytes:
    """The progress chart of plan 1 as the bot sends it, on the sandbox's clock."""
    from core.instance import sandbox_clock
    from core.scope import Scope
    from core.status import chart_parts
    from db.engine import build_engine, build_session_factory
    from reports.chart import bars_of, progress_png

    engine = build_engine(database_url)
    try:
        async with build_session_factory(engine)() as session:
            now = await sandbox_clock(session)
            if now is None:
                sys.exit("Это не база песочницы: у неё нет своих часов.")
            chart = await chart_parts(session, Scope(all_plans=True), 1, now, "Europe/Moscow")
    finally:
        await engine.dispose()
    if chart is None:
        sys.exit("В базе песочницы нет плана 1.")
    return progress_png(chart.title, bars_of(chart.parts))


def main() -> None:
    missing = [name for name in NEEDED if shutil.which(name) is None]
    if missing:
        sys.exit(
            f"Нет программ: {', '.join(missing)}. Установите: sudo apt-get install "
            "libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils"
        )
    if len(sys.argv) == 3:
        with tempfile.TemporaryDirectory(prefix="kurator-render-") as folder:
            first_page(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve(), Path(folder))
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kurator-render-") as folder:
        work = Path(folder)
        database = work / "sandbox.sqlite3"
        _run([sys.executable, "-m", "bot", "sandbox", "--db", str(database),
              "--script", "tools/sandbox_month.txt"])  # fmt: skip
        url = f"sqlite+aiosqlite:///{database}"
        env = {**os.environ, "DATABASE_URL": url}
        for name, extra, picture in DOCUMENTS:
            out = work / name
            _run([sys.executable, "-m", "bot", "report", "1", "--out", str(out), *extra], env)
            first_page(out, SHOTS / picture, work)
            print(f"записано {SHOTS / picture}")
        (SHOTS / "chart.png").write_bytes(asyncio.run(draw_chart(url)))
        print(f"записано {SHOTS / 'chart.png'}")
    browser = {**os.environ, "KURATOR_SCREENSHOTS": str(SHOTS)}
    _run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0",
          "tests/browser/test_dashboard_page.py", "-k", "screenshots or curator_sees"],
         browser)  # fmt: skip
    print(f"записаны снимки панели в {SHOTS}")


if __name__ == "__main__":
    main()
