"""Logging setup: the chosen level for Kurator, never personal data at any level.

Database drivers log statements with their parameters (names, comments, file names) at INFO
and DEBUG; they are capped at WARNING whatever LOG_LEVEL says. Kurator's own log lines carry
Telegram ids and counts, never names or message contents.
"""

from __future__ import annotations

import logging

# Loggers that would print statement parameters or message contents below WARNING.
QUIET = ("sqlalchemy", "aiosqlite", "asyncpg", "alembic", "aiohttp.access", "redis")


def configure_logging(level: str) -> None:
    """Root at `level`; the talkative third-party loggers capped at WARNING."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cap_quiet_loggers()


def cap_quiet_loggers() -> None:
    """Keep the driver loggers at WARNING or above (also for embedded use, e.g. the sandbox)."""
    for name in QUIET:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.level, logging.WARNING))
