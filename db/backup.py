"""Online backup and restore of the embedded SQLite database (PostgreSQL: use pg_dump)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine.url import make_url

from db.engine import is_sqlite


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do (English,
    for logs); `key` and `params` let the CLI say it in Russian (bot/cli_texts.BACKUP_ERRORS)."""

    def __init__(self, message: str, key: str, **params: object) -> None:
        super().__init__(message)
        self.key, self.params = key, params


def sqlite_path(url: str) -> Path:
    """The file behind a SQLite URL; other backends are refused with advice."""
    if not is_sqlite(url):
        raise BackupError(
            "db backup/restore handle the SQLite default; for PostgreSQL use "
            "pg_dump -Fc and pg_restore (see docs/deploy.md)",
            "postgres",
        )
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up", "memory")
    return Path(database)


def backup(url: str, target: Path) -> int:
    """Copy the live database to `target` page by page while the bot runs; returns its pages."""
    source = sqlite_path(url)
    if not source.exists():
        raise BackupError(f"no database file {source}", "no_database", path=source)
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file", "exists", path=target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)  # consistent snapshot even with concurrent writers (WAL)
        pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
    _check(target)
    return pages


def restore(source: Path, url: str) -> None:
    """Replace the database with a backup (stop the bot first); the backup is checked before."""
    if not source.exists():
        raise BackupError(f"no backup file {source}", "no_backup", path=source)
    _check(source)
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)  # one transaction on the destination: all or nothing


def _check(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(
                    f"{path} is damaged (integrity check failed)", "damaged", path=path
                )
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            f"{path} is not a SQLite database: {exc}", "not_sqlite", path=path
        ) from None
    if "alembic_version" not in tables:
        raise BackupError(
            f"{path} is not a Kurator database (no schema version)", "not_kurator", path=path
        )
