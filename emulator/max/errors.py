"""MAX Bot API errors: an HTTP status and a `{code, message}` body, as the schema's Error."""

from __future__ import annotations

from typing import Any


class MaxApiError(Exception):
    """An error the emulator answers with `{"code", "message"}` and an HTTP status."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


def bad_request(message: str, code: str = "proto.payload") -> MaxApiError:
    return MaxApiError(400, code, message)


def unauthorized(message: str = "Invalid access_token") -> MaxApiError:
    return MaxApiError(401, "verify.token", message)


def forbidden(message: str, code: str = "chat.denied") -> MaxApiError:
    return MaxApiError(403, code, message)


def not_found(message: str, code: str = "not.found") -> MaxApiError:
    return MaxApiError(404, code, message)


def too_many(retry_after: int) -> MaxApiError:
    return MaxApiError(
        429,
        "too.many.requests",
        f"Too many requests, retry in {retry_after} s",
        retry_after=retry_after,
    )


def not_ready() -> MaxApiError:
    # The code and message the documentation quotes for an attachment still being processed.
    return MaxApiError(
        400, "attachment.not.ready", "Key: errors.process.attachment.file.not.processed"
    )
