"""Invitation codes, durations, roles and the manual clock."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import core
from bot.settings import Settings
from core.clock import ManualClock, ShiftedClock, SystemClock, clock_with_offset, offset_of
from core.codes import hash_code, looks_like_payload, new_code, parse_duration_seconds
from core.roles import Role, parse_role


def test_codes_are_long_urlsafe_and_unique() -> None:
    codes = {new_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(c) == 43 and looks_like_payload(c) for c in codes)


def test_only_the_hash_is_kept() -> None:
    code = new_code()
    assert hash_code(code) != code and len(hash_code(code)) == 64
    assert hash_code(code) == hash_code(code)


@given(st.text())
def test_payload_check_never_raises(text: str) -> None:
    assert looks_like_payload(text) in (True, False)
    hash_code(text)


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("12h", 43200), ("14d", 1209600), ("2W", 1209600)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "0d", "-1d", "5y", "d", "1.5d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration_seconds(text)


def test_roles_parse_case_insensitively() -> None:
    assert parse_role(" Curator ") is Role.CURATOR
    with pytest.raises(ValueError, match="choose one of"):
        parse_role("director")


async def test_manual_clock_moves_forward_only() -> None:
    clock = ManualClock(datetime(2020, 11, 9, 9, 0, tzinfo=UTC))
    clock.advance(timedelta(days=1))
    assert clock.now() == datetime(2020, 11, 10, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="backwards"):
        clock.set(datetime(2020, 1, 1, tzinfo=UTC))


def test_pure_domain_modules_import_neither_aiogram_nor_sqlalchemy() -> None:
    pure = ["core.clock", "core.codes", "core.roles", "core.states", "core.errors", "core.dto",
            "core.filenames", "core.plain_text"]  # fmt: skip
    for name in pure:
        module = importlib.import_module(name)
        source = Path(module.__file__ or "").read_text(encoding="utf-8")
        assert "aiogram" not in source and "sqlalchemy" not in source, name
    assert {m.name for m in pkgutil.iter_modules(core.__path__)} >= {n.split(".")[1] for n in pure}
    assert "core" in sys.modules


def test_a_shifted_clock_reads_the_chosen_moment_and_runs_on() -> None:
    moment = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # a Monday morning
    clock = ShiftedClock.at(moment)
    first = clock.now()
    assert abs((first - moment).total_seconds()) < 5
    assert clock.now() >= first  # runs at real speed, never backwards
    child = clock_with_offset(offset_of(clock))  # what a child process given the offset reads
    assert abs((child.now() - clock.now()).total_seconds()) < 5


def test_the_system_clock_unless_a_test_asks_for_another() -> None:
    assert isinstance(Settings(_env_file=None).clock(), SystemClock)
    shifted = Settings(clock_offset_seconds=-86400.0, _env_file=None).clock()
    assert isinstance(shifted, ShiftedClock) and shifted.offset == timedelta(days=-1)
