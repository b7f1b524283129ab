"""The command line speaks Russian: every subcommand's help and its usage errors, and what it
says about unknown schools, plans and bad dates (issue 32)."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli, cli_texts
from core.errors import InvalidInput, NotFound

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = (
    "usage:",
    "error:",
    "the following arguments are required",
    "invalid choice",
    "show this help message and exit",
    "positional arguments",
    "options:",
    "optional arguments",
    "unrecognized arguments",
    "expected one argument",
)
IANA = re.compile(r"\b(Europe|Asia|America|Africa|Australia|Pacific|Atlantic|Indian|Etc)/\w+")
CYRILLIC = re.compile(r"[а-яё]", re.I)


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """Every command path of the parser: (), ("db",), ("db", "upgrade"), ..."""
    yield path
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _commands(child, (*path, name))


def _parse(argv: list[str]) -> tuple[int, str]:
    """Exit code and everything printed when argparse stops on `argv`."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.raises(SystemExit) as stopped,
    ):
        cli._parser().parse_args(argv)
    return int(stopped.value.code or 0), out.getvalue() + err.getvalue()


def _russian(text: str) -> None:
    assert CYRILLIC.search(text), text
    for word in ENGLISH:
        assert word not in text, (word, text)
    assert not IANA.search(text), text


COMMANDS = sorted(_commands(cli._parser()))


def test_every_command_is_listed() -> None:
    assert ("invite",) in COMMANDS and ("plan", "holidays") in COMMANDS
    assert ("db", "check") in COMMANDS and len(COMMANDS) > 35


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "python -m bot")
def test_help_is_russian(command: tuple[str, ...]) -> None:
    code, text = _parse([*command, "--help"])
    assert code == 0
    assert text.startswith("использование: python -m bot"), text
    _russian(text)


BAD_USAGE = [
    ["nonsense"],  # unknown command
    ["db"],  # missing subcommand
    ["db", "nonsense"],
    ["report"],  # missing arguments
    ["report", "1", "--out", "x.pdf", "--format", "pdf"],  # bad choice
    ["plan", "holidays", "1", "nonsense"],
    ["invite", "--uses", "many"],  # not a number
    ["evidence", "1", "--out", "x.zip", "--part-mb", "big"],
    ["invite", "--list", "--nonsense"],  # unknown option
    ["invite", "--school"],  # an option without its value
    ["people", "role", "1"],
]


@pytest.mark.parametrize("argv", BAD_USAGE, ids=" ".join)
def test_usage_errors_are_russian_and_exit_2(argv: list[str]) -> None:
    code, text = _parse(argv)
    assert code == 2
    assert "использование: python -m bot" in text and ": ошибка: " in text, text
    _russian(text)


def test_argparse_templates_are_said_in_russian() -> None:
    said = cli_texts.argparse_ru("argument command: invalid choice: 'x' (choose from 'run', 'db')")
    assert said == "аргумент command: нет такого варианта: 'x' (можно: 'run', 'db')"
    assert cli_texts.argparse_ru("expected 2 arguments") == "нужно значений: 2"
    assert cli_texts.argparse_ru("something argparse never said") == (
        "something argparse never said"
    )


def test_core_errors_are_said_by_key_and_keep_english_for_logs() -> None:
    error = NotFound("no school matches 'x'", "school_not_found", ref="x")
    assert str(error) == "no school matches 'x'"
    assert cli_texts.domain_error(error) == "нет школы «x»"
    assert cli_texts.domain_error(InvalidInput("empty topic")) == "неверные данные"


def _run(db: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "MAX_"))}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{db}",
        PYTHONPATH=str(ROOT),
        BOT_USERNAME="kurator_test_bot",
        DEFAULT_TIMEZONE="Asia/Yekaterinburg",
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        cwd=db.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_what_the_commands_say_is_russian(tmp_path: Path) -> None:
    """One database, the commands a methodologist types, right and wrong."""
    db = tmp_path / "k.sqlite3"
    said = []
    for argv, code in [
        (("db", "check"), 0),
        (("school", "add", "Школа № 1", "--timezone", "Екатеринбург"), 0),
        (("school", "list"), 0),
        (("invite", "--school", "Школа № 1"), 0),
        (("invite", "--list"), 0),
        (("plan", "list"), 0),
        (("invite", "--school", "Лицей № 9"), 1),  # unknown school
        (("report", "Дорожная карта", "--out", str(tmp_path / "r.xlsx")), 1),  # unknown plan
        (("plan", "deadline", "7", "1.1", "20-11-2020"), 1),
        (("reminders", "plan", "--from", "завтра", "--to", "2020-11-01"), 1),  # bad date
        (("audit", "--since", "вчера"), 1),
        (("school", "timezone", "1", "Марс"), 1),
        (("invite", "--role", "директор"), 1),
        (("import", str(tmp_path / "нет.docx")), 1),
    ]:
        done = _run(db, *argv)
        assert done.returncode == code, (argv, done.stderr)
        said.append((argv, done.stdout + done.stderr))
    for argv, text in said:
        assert "Traceback" not in text, (argv, text)
        _russian(text)
    by = dict(said)
    assert "модели и миграции совпадают" in by[("db", "check")]
    assert "\tЕкатеринбург" in by[("school", "list")]
    assert re.search(
        r"\tдо \d\d\.\d\d\.\d{4} \d\d:\d\d по Екатеринбургу$", by[("invite", "--list")]
    )
    assert "нет школы «Лицей № 9»" in by[("invite", "--school", "Лицей № 9")]


def test_every_error_key_raised_has_its_russian() -> None:
    raised = set()
    for path in [*(ROOT / "core").glob("*.py"), ROOT / "bot" / "cli_admin.py"]:
        source = path.read_text(encoding="utf-8")
        raised |= set(
            re.findall(r"(?:NotFound|InvalidInput)\(\s*f?\"[^\"]*\",\s*\"(\w+)\"", source)
        )
    assert {"school_not_found", "plan_not_found", "unknown_zone"} <= raised
    assert raised <= set(cli_texts.DOMAIN_ERRORS), raised - set(cli_texts.DOMAIN_ERRORS)
