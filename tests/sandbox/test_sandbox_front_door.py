"""The sandbox as the front door (issue 28): bad presses, the world an import builds, resumes."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from db.models import Activity, Assignment, School
from sandbox.session import Sandbox
from sandbox.world import DEFAULT_PLAN, PLAN_ZONE, SECOND_SCHOOL, SandboxWorld
from tests.harness import ROOT, run_cli
from tests.plan_files import seed_path

START = datetime(2020, 11, 2, 9, 0, tzinfo=ZoneInfo(PLAN_ZONE))


Item = tuple[str, str | None, str, str | None]  # row, school, status, due


async def items(factory: async_sessionmaker[AsyncSession]) -> list[Item]:
    """Every assignment by its row's stable key and its school's name."""
    async with factory() as session:
        rows = await session.execute(
            select(Activity.source_key, School.name, Assignment.status, Assignment.due_date)
            .join(Activity, Activity.id == Assignment.activity_id)
            .outerjoin(School, School.id == Assignment.school_id)
        )
        return sorted((k, s, st.value, str(d) if d else None) for k, s, st, d in rows)


def sandbox_run(tmp_path: Path, script: str, *args: str, code: int = 0) -> str:
    """`python -m bot sandbox --script` in a subprocess; its transcript."""
    path = tmp_path / "script.txt"
    path.write_text(script, encoding="utf-8")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "TELEGRAM_"))
    }
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--script", str(path), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == code and "Traceback" not in done.stderr + done.stdout, done.stderr
    return done.stdout


@asynccontextmanager
async def opened(
    tmp_path: Path, plan: Path = DEFAULT_PLAN, db: Path | None = None
) -> AsyncIterator[tuple[Sandbox, io.StringIO]]:
    """A started world with a terminal chat printing into a buffer."""
    world = SandboxWorld(plan, db or tmp_path / "sandbox.sqlite3", tmp_path / "files", START)
    await world.start()
    out = io.StringIO()
    sandbox = Sandbox(world, Console(file=out, width=400, highlight=False))
    try:
        await sandbox.drain_events(quiet=True)
        yield sandbox, out
    finally:
        await world.stop()


async def test_a_button_an_edit_removed_is_a_bad_press(tmp_path: Path) -> None:
    async with opened(tmp_path) as (sandbox, out):
        await sandbox.handle("/my")
        await sandbox.handle("/press 1.8")  # 📅 Неделя: the list is edited, the button goes
        assert "На этой неделе сроков нет" in out.getvalue()
        assert await sandbox.handle("/press 1.8")  # the session goes on
        said = out.getvalue()
        assert "кнопки «📅 Неделя» под сообщением [1] больше нет" in said
        await sandbox.handle("/my")  # and the bot still answers
        assert out.getvalue().count("Все открытые: 23") == 2


@pytest.mark.parametrize(
    ("seed", "then", "count"),
    [
        ("000", [], 205),  # a network plan: each direction to its own schools, not all four
        # A school's own plan: the sandbox's second school joins as `plan attach` makes it.
        (
            "001",
            [
                ["school", "add", SECOND_SCHOOL[0]],
                ["plan", "attach", "1", "--school", "2"],
            ],
            46,
        ),
    ],
)
async def test_the_sandbox_builds_its_world_as_an_import_does(
    tmp_path: Path,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    seed: str,
    then: list[list[str]],
    count: int,
) -> None:
    await run_cli(settings, "import", str(seed_path(seed)), "--timezone", PLAN_ZONE)
    for args in then:
        await run_cli(settings, *args)
    imported = await items(session_factory)
    async with opened(tmp_path, seed_path(seed)) as (sandbox, _):
        built = await items(sandbox.world.app.session_factory)
    assert len(built) == count
    assert built == imported


async def test_the_plan_is_imported_in_chat_and_its_flagged_rows_shown(tmp_path: Path) -> None:
    out = sandbox_run(tmp_path, "/as coordinator\n30.11.2020\n")
    opening = out[out.index("импортировала план в чате") : out.index("Готово. Попробуйте")]
    # The preview's list of rows that need a look, then the fix of each row, as in chat.
    assert "Требуют внимания: 2" in opening
    assert "«ноябрь 2019 г.»: дата вне периода плана" in opening
    assert "Осталось уточнить сроки: 2. Покажу их по одному." in opening
    assert "Строка 1 из 2: № 2 Диагностика педагогического коллектива" in opening
    assert "Срок сохранён: до 30.11.2020." in out
    assert "Строка 2 из 2: № 9 Организация и проведение обучения классных руководителей" in out


RESUMED = """\
# The coordinator fixes a flagged date (re-sending the file in chat); work is handed in and
# accepted. A second start on the same database must change none of it.
/as coordinator
Закончить
/file {plan}
✅ Импортировать
25.11.2020
/as curator1
/my
2
✅ Выполнено
/file {evidence}
Приказ подписан
✅ Отправить
/as coordinator
/review
1
✅ Принять
"""


def _assignments(db: Path) -> list[tuple[int, str, str | None, int]]:
    with sqlite3.connect(db) as connection:
        return list(
            connection.execute("SELECT id, status, due_date, version FROM assignments ORDER BY id")
        )


def test_a_resumed_database_keeps_everyones_items(tmp_path: Path) -> None:
    evidence = tmp_path / "приказ.txt"
    evidence.write_text("Приказ № 344", encoding="utf-8")
    db = tmp_path / "sandbox.sqlite3"
    script = RESUMED.format(plan=DEFAULT_PLAN, evidence=evidence)
    sandbox_run(tmp_path, script, "--db", str(db))
    before = _assignments(db)
    statuses = {status for _, status, _, _ in before}
    assert "accepted" in statuses and any(due == "2020-11-25" for _, _, due, _ in before)
    out = sandbox_run(tmp_path, "/my\n", "--db", str(db))
    assert _assignments(db) == before
    assert "План уже в базе" in out and "импортировала план" not in out
    assert "Все открытые: 22" in out  # the people are known again


def test_resumed_in_the_other_messenger_the_people_are_the_same_people(tmp_path: Path) -> None:
    evidence = tmp_path / "приказ.txt"
    evidence.write_text("Приказ № 344", encoding="utf-8")
    db = tmp_path / "sandbox.sqlite3"
    sandbox_run(tmp_path, RESUMED.format(plan=DEFAULT_PLAN, evidence=evidence), "--db", str(db))
    before = _assignments(db)
    out = sandbox_run(tmp_path, "/as curator1\n/my\n", "--db", str(db), "--messenger", "max")
    with sqlite3.connect(db) as connection:
        people = connection.execute("SELECT count(*) FROM users").fetchone()[0]
        accounts = sorted(connection.execute("SELECT messenger FROM accounts").fetchall())
    # Four people, each now with a MAX account joined to them: nobody twice, no lost work.
    assert people == 4, out
    assert accounts == [("max",)] * 4 + [("telegram",)] * 4
    assert _assignments(db) == before
    assert "Все открытые: 22" in out


def test_a_plan_file_the_bot_refuses_is_said_without_a_traceback(tmp_path: Path) -> None:
    plan = tmp_path / "заметки.txt"
    plan.write_text("Купить хлеб\n", encoding="utf-8")
    out = sandbox_run(tmp_path, "/my\n", "--plan", str(plan), code=1)
    assert "Файл плана заметки.txt не импортирован" in out


MONTH_001 = """\
# A month of seed plan 001: flagged dates, holidays, an absence, a return and a resubmission.
/as coordinator
30.11.2020
Пропустить
# The walk is over and its buttons gone: typed again, it is text to the bot.
Закончить
/plans
1
🏖 Каникулы
➕ Добавить каникулы
03.11–06.11 осенние
/as curator1
/away 16.11–17.11
Ольга Методистова
/clock 2020-11-09 09:00
✅ Выполнено
/file {evidence}
Приказ подписан
✅ Отправить
/as coordinator
/review
1
↩️ Вернуть
Нужна подпись директора
/as curator1
✅ Исправить и отправить
/file {evidence}
✅ Отправить
/as coordinator
/review
1
✅ Принять
/as curator2
/my
/clock 2020-11-20 09:00
/as observer
/status
/as coordinator
/status
/clock 2020-12-02 09:00
/as curator1
/my
"""

MONTH_000 = """\
# A month of the network plan 000 (2018/2019): the same loop for schools of a direction.
/as coordinator
Закончить
/plans
1
🏖 Каникулы
➕ Добавить каникулы
12.11–13.11 осенние
/as curator1
/away 19.11–20.11
Ольга Методистова
/my
1
✅ Выполнено
/file {evidence}
Проведено
✅ Отправить
/as coordinator
/review
1
↩️ Вернуть
Приложите протокол
/as curator1
✅ Исправить и отправить
/file {evidence}
✅ Отправить
/as coordinator
/review
1
✅ Принять
/as curator2
/my
/clock 2018-11-20 09:00
/as observer
/status
/as coordinator
/status
/clock 2018-12-05 09:00
/as curator1
/my
"""


@pytest.mark.parametrize(
    ("seed", "script", "marks"),
    [
        (
            "001",
            MONTH_001,
            ["Алиса 02.11.2020 09:00>", "Срок сохранён: до 30.11.2020.", "⏱ 02.12.2020 09:00"],
        ),
        # The clock starts in the plan's own school year (the first Monday of November).
        ("000", MONTH_000, ["Алиса 05.11.2018 09:00>", "Всего 205:", "⏱ 05.12.2018 09:00"]),
    ],
)
def test_a_month_in_the_sandbox(tmp_path: Path, seed: str, script: str, marks: list[str]) -> None:
    evidence = tmp_path / "протокол.txt"
    evidence.write_text("Протокол заседания рабочей группы", encoding="utf-8")
    plan = DEFAULT_PLAN if seed == "001" else seed_path(seed)
    out = sandbox_run(tmp_path, script.format(evidence=evidence), "--plan", str(plan))
    for mark in [*marks, "Каникулы «осенние»", "Замещает: Ольга Методистова", "✅ Принято: "]:
        assert mark in out, mark
    assert "нет кнопки" not in out and "больше нет" not in out  # every press found its button
