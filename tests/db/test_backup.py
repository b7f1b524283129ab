"""`python -m bot db backup` / `db restore`: a round trip with a row in every table."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    Integer,
    String,
    Text,
    delete,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import db.models  # noqa: F401  (registers every table on Base.metadata)
from db.backup import BackupError, backup
from db.base import Base
from db.types import UTCDateTime
from tests.harness import ROOT


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Backups are of the embedded SQLite database, whatever the suite runs on."""
    return f"sqlite+aiosqlite:///{tmp_path / 'kurator.sqlite3'}"


def _value(column: Any) -> Any:
    if column.foreign_keys or column.name == "id":
        return 1  # every table gets its row 1; parents come first in sorted_tables
    kind = column.type
    if isinstance(kind, Enum) and kind.enum_class is not None:
        return next(iter(kind.enum_class))
    if isinstance(kind, Enum):
        return kind.enums[0]
    if isinstance(kind, UTCDateTime):
        return datetime(2020, 11, 2, 4, 0, tzinfo=UTC)
    if isinstance(kind, Date):
        return date(2020, 11, 10)
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, BigInteger | Integer):
        return 7
    if isinstance(kind, JSON):
        return {"k": "значение"}
    if isinstance(kind, String | Text):
        return f"{column.table.name}.{column.name} — текст"
    raise AssertionError(f"no sample value for {column.table.name}.{column.name}: {kind!r}")


async def _fill(factory: async_sessionmaker[AsyncSession]) -> None:
    async with factory() as session, session.begin():
        for table in Base.metadata.sorted_tables:
            row = {c.name: _value(c) for c in table.columns}
            await session.execute(insert(table).values(row))


async def _dump(factory: async_sessionmaker[AsyncSession]) -> dict[str, list[tuple[Any, ...]]]:
    async with factory() as session:
        return {
            t.name: [tuple(r) for r in (await session.execute(select(t))).all()]
            for t in Base.metadata.sorted_tables
        }


def _cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    env["DATABASE_URL"] = db_url
    return subprocess.run(
        [sys.executable, "-m", "bot", "db", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_round_trip_with_a_row_in_every_table(
    session_factory: async_sessionmaker[AsyncSession], db_url: str, tmp_path: Path
) -> None:
    await _fill(session_factory)
    before = await _dump(session_factory)
    assert all(rows for rows in before.values()), before  # migrations may add rows too
    assert len(before) == len(Base.metadata.tables)

    saved = tmp_path / "backups" / "kurator-2020-11-02.sqlite3"
    done = _cli(db_url, "backup", str(saved))
    assert done.returncode == 0, done.stderr
    assert "копия записана" in done.stdout
    again = _cli(db_url, "backup", str(saved))
    assert again.returncode == 1 and "уже есть" in again.stderr  # never overwrites a backup

    async with session_factory() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(delete(table))
    assert not any((await _dump(session_factory)).values())

    done = _cli(db_url, "restore", str(saved))
    assert done.returncode == 0, done.stderr
    assert await _dump(session_factory) == before


def test_refusals_are_clear(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = _cli(f"sqlite+aiosqlite:///{tmp_path / 'k.sqlite3'}", "restore", str(junk))
    assert result.returncode == 1 and "не база SQLite" in result.stderr
    with pytest.raises(BackupError, match="pg_dump"):
        backup("postgresql+asyncpg://u@localhost/kurator", tmp_path / "x")
