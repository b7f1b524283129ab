"""`python -m bot` as an operator runs it: no token, a run against the emulator, admin commands."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from bot import texts
from bot.settings import Settings
from core.clock import ManualClock
from emulator import EmulatorClient
from tests.harness import ROOT, TOKEN, cli_env, run_cli


async def test_no_token_exits_2_with_instructions(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'k.sqlite3'}"
    env["PYTHONPATH"] = str(ROOT)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await process.communicate()
    assert process.returncode == 2
    message = err.decode().strip()
    assert "BOT_TOKEN" in message and "@BotFather" in message and ".env" in message
    assert len(message.splitlines()) == 1


async def test_bot_process_serves_updates_from_the_emulator(
    settings: Settings, client: EmulatorClient, clock: ManualClock
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=ROOT,
        env=cli_env(settings, clock),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        person = await client.add_user("Алиса")
        person.timeout = 60  # includes interpreter start-up and migration
        await person.send("/start")
        reply = await person.expect_reply()
        assert "ссылку-приглашение" in reply.text
        assert await person.menu() == ["start", "help"]
    finally:
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert TOKEN not in err.decode()  # the token never reaches the logs


@pytest.mark.any_moment
async def test_db_commands(settings: Settings) -> None:
    from alembic.script import ScriptDirectory

    from db.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head and head in (await run_cli(settings, "db", "upgrade")).stdout
    checked = (await run_cli(settings, "db", "check")).stdout
    assert checked.strip() == "модели и миграции совпадают"  # no Alembic line in English
    assert (await run_cli(settings, "db", "current")).stdout.strip() == head


@pytest.mark.any_moment
async def test_school_and_invite_errors_are_clear(settings: Settings) -> None:
    await run_cli(
        settings,
        "school",
        "add",
        "МБОУ «НОШ № 95 г. Челябинска»",
        "--timezone",
        "Asia/Yekaterinburg",
    )
    await run_cli(settings, "school", "add", "Лицей № 3", "--timezone", "Омск")  # a city too
    listing = (await run_cli(settings, "school", "list")).stdout
    assert "НОШ № 95" in listing and "\tЕкатеринбург" in listing and "\tОмск" in listing
    assert "Asia/" not in listing

    cases = {
        ("school", "add", "Школа", "--timezone", "Mars/Olympus"): "не знаю часовой пояс",
        ("school", "add", "МБОУ «НОШ № 95 г. Челябинска»"): "уже есть",
        ("invite", "--school", "Лицей № 1"): "нет школы «Лицей № 1»",
        ("invite", "--role", "director"): "неизвестная роль",
        ("invite", "--school", "1", "--expires", "soon"): "неверный срок",
        ("invite", "--role", "curator"): "нужна школа",
        ("invite", "--revoke", "99"): "нет приглашения",
    }
    for args, fragment in cases.items():
        result = await run_cli(settings, *args, check=False)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.startswith("ошибка: ") and fragment in result.stderr, (args, result)


async def test_invite_list_shows_active_invitations(settings: Settings) -> None:
    await run_cli(settings, "school", "add", "Лицей № 82")
    await run_cli(settings, "invite", "--school", "Лицей № 82", "--uses", "5")
    listing = (await run_cli(settings, "invite", "--list")).stdout
    # The expiry on the one time rule: local time, its zone named as a city.
    assert "куратор\tЛицей № 82\t0/5\tдо " in listing, listing
    assert listing.rstrip().endswith(texts.zone_label(settings.default_timezone)), listing


@pytest.mark.any_moment
async def test_periods_command_prints_one_json_object_per_line(settings: Settings) -> None:
    import json

    result = await run_cli(
        settings,
        "periods",
        "--year",
        "2020/2021",
        stdin="до 31.11.2020\nНоябрь,\\nапрель\nпо графику\n",
    )
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["до 31.11.2020", "Ноябрь,\nапрель", "по графику"]
    assert rows[0]["due"] == "2020-11-30" and rows[0]["flags"] == ["clamped_day"]
    assert rows[1]["kind"] == "list" and len(rows[1]["parts"]) == 2
    assert rows[2]["kind"] == "relative" and "needs_date" in rows[2]["flags"]
    bad = await run_cli(settings, "periods", "--year", "2020/2023", check=False, stdin="")
    assert bad.returncode == 1 and "неверный --year" in bad.stderr
