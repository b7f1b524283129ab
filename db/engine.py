"""Async engine and session factory built from a database URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db.status_counts import CountingSession


def is_sqlite(url: str) -> bool:
    """True for the embedded SQLite backend."""
    return make_url(url).get_backend_name() == "sqlite"


def build_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine with per-backend settings (SQLite: WAL, foreign keys, busy timeout)."""
    kwargs: dict[str, Any] = {"echo": echo}
    if not is_sqlite(url):
        # Kept: 10. At most 40: the updates in flight (setWebhook's max_connections, 40, each
        # holding one while it works) and the sender's lanes (2 x SEND_CONCURRENCY, each a few
        # milliseconds per message) meet in a burst; a wait for a connection past its timeout
        # would fail a send already accepted and repeat it.
        kwargs.update(pool_size=10, max_overflow=30, pool_pre_ping=True, pool_recycle=1800)
    elif ":memory:" not in url:
        # Enough kept connections for the updates handled at once (bot/polling.py), the
        # sender and the scheduler: an overflow connection is a new thread and four PRAGMAs,
        # made and thrown away for each update that needs it.
        kwargs.update(pool_size=24, max_overflow=10)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def build_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit and the status counts current."""
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=CountingSession)
