"""Which update failures webhook mode leaves for Telegram to post again."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError

from bot.app import is_transient


def _chained(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as cause:
            raise outer from cause
    except BaseException as error:
        return error


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        OSError("Multiple exceptions: [Errno 111] Connect call failed"),
        TimeoutError(),
        OperationalError("SELECT 1", {}, Exception("server closed the connection")),
        asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
        RedisConnectionError("Error 111 connecting to 127.0.0.1:6379"),
        _chained(RuntimeError("handler failed"), ConnectionResetError()),
    ],
)
def test_an_unreachable_store_is_transient(error: BaseException) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad input"),
        KeyError("missing"),
        PermissionError(13, "Permission denied"),
        FileNotFoundError(2, "No such file"),
        _chained(RuntimeError("handler failed"), ZeroDivisionError()),
    ],
)
def test_a_bug_or_a_local_file_problem_is_not(error: BaseException) -> None:
    assert not is_transient(error)
