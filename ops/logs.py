"""LOG_FORMAT=json: one JSON object per line for log shippers.

Fields: `time` (UTC, ISO 8601), `level`, `logger`, `message`, `process` (WORKER_ID) and,
while an update is handled, `update_id` and `user_id` (the person's internal id, never a
Telegram id, a name or a text they wrote), `exc` with a traceback when there is one.
Kurator's log lines carry ids and counts only (bot/logs.py keeps the drivers quiet).
"""

from __future__ import annotations

import json
import logging
import os
import socket
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings

# The handler data of the update being handled (set by ops.metrics.UpdateMetrics): the
# person's id is read lazily, once UserContextMiddleware has put it there.
UPDATE_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("kurator_update", default=None)


def update_fields() -> dict[str, Any]:
    """The update id and the person's internal id of the update being handled, if any."""
    data = UPDATE_CONTEXT.get()
    if data is None:
        return {}
    fields: dict[str, Any] = {}
    update = data.get("event_update")
    if update is not None:
        fields["update_id"] = update.update_id
    user_ctx = data.get("user_ctx")
    if user_ctx is not None:
        fields["user_id"] = user_ctx.user_id
    return fields


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON."""

    def __init__(self, process: str | None = None) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.process:
            entry["process"] = self.process
        entry.update(update_fields())
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def use_json(process: str | None = None) -> None:
    """Every handler of the root logger writes JSON lines from now on."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter(process))


def process_name(settings: Settings) -> str:
    """This process's name in logs and metrics: WORKER_ID, or host and pid."""
    return settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"


def configure_log_format(settings: Settings) -> None:
    """LOG_FORMAT=json: JSON lines from every logger (called once logging is set up)."""
    if settings.log_format == "json":
        use_json(process_name(settings))
