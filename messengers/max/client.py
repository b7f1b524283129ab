"""A thin client of the MAX Bot API over aiohttp: the token in `Authorization`, JSON in and
out, errors as `MaxError` with MAX's `{code, message}` (a 429 as `MaxRateLimited`). Every
request passes the bot's pacer, if it has one: MAX limits every request, not only messages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from bot.pacing import RequestPacer

API = "https://platform-api2.max.ru"
NOT_READY = "attachment.not.ready"  # a file just uploaded is still being processed


class MaxError(Exception):
    """MAX answered with an error (`status`: HTTP code; `code`: MAX's, e.g. chat.not.found)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class MaxRateLimited(MaxError):
    """429: too many requests; wait `retry_after` seconds."""

    def __init__(self, code: str, message: str, retry_after: float) -> None:
        super().__init__(429, code, message)
        self.retry_after = retry_after


class MaxClient:
    """The requests Kurator makes; one aiohttp session, closed with `close()`."""

    def __init__(
        self,
        token: str,
        api: str = API,
        timeout: float = 60.0,
        pacer: RequestPacer | None = None,
    ) -> None:
        self.api = api.rstrip("/")
        self.pacer = pacer
        self._token = token
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"Authorization": self._token},
                timeout=aiohttp.ClientTimeout(total=self._timeout, sock_connect=10),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def call(
        self,
        verb: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        wait: float | None = None,
        *,
        chat: int | None = None,
    ) -> Any:
        """One request; the decoded JSON answer, or MaxError. `wait`: this request's own time
        limit in seconds (a long poll's); `chat`: the chat a new message goes to (its budget)."""
        return await self._paced(chat, lambda: self._call(verb, path, params, body, wait))

    async def _paced(self, chat: int | None, request: Callable[[], Awaitable[Any]]) -> Any:
        """`request` when the bot's budgets allow; a 429 blocks them (the session retries)."""
        if self.pacer is None:
            return await request()
        await self.pacer.wait(chat)
        try:
            return await request()
        except MaxRateLimited as error:
            await self.pacer.blocked(chat, error.retry_after)
            raise

    async def _call(
        self,
        verb: str,
        path: str,
        params: dict[str, Any] | None,
        body: dict[str, Any] | None,
        wait: float | None,
    ) -> Any:
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        kwargs: dict[str, Any] = {"params": query}
        if body is not None:
            kwargs["json"] = body
        if wait is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(total=wait, sock_connect=10)
        async with self._http().request(verb, self.api + path, **kwargs) as response:
            data = await response.json(content_type=None) if response.content_length != 0 else {}
            if response.status >= 400:
                raise _error(response.status, data, response.headers.get("Retry-After"))
            return data

    async def send(
        self, chat_id: int, body: dict[str, Any], *, attempts: int = 6, pause: float = 0.5
    ) -> dict[str, Any]:
        """POST /messages to a chat; a file still being processed is retried a few times."""
        for attempt in range(attempts):
            try:
                answer = await self.call(
                    "POST", "/messages", {"chat_id": chat_id}, body, chat=chat_id
                )
                return dict(answer["message"])
            except MaxError as error:
                if error.code != NOT_READY or attempt == attempts - 1:
                    raise
                await asyncio.sleep(pause * (attempt + 1))
        raise AssertionError("unreachable")

    async def upload(self, kind: str, data: bytes, filename: str) -> dict[str, Any]:
        """Upload a file (`kind`: file, image, video, audio); the attachment payload to send."""
        endpoint = await self.call("POST", "/uploads", {"type": kind})
        response, raw = await self._paced(
            None, partial(self._post_file, endpoint["url"], data, filename)
        )
        try:
            uploaded = json.loads(raw) if raw else None
        except ValueError:
            uploaded = None  # video and audio answer "<retval>1</retval>": the token came first
        if response.status >= 400:
            raise _error(response.status, uploaded, None)
        if kind == "image" and isinstance(uploaded, dict) and uploaded.get("photos"):
            return {"photos": uploaded["photos"]}
        token = (uploaded or {}).get("token") if isinstance(uploaded, dict) else None
        return {"token": token or endpoint.get("token")}

    async def _post_file(
        self, url: str, data: bytes, filename: str
    ) -> tuple[aiohttp.ClientResponse, bytes]:
        form = aiohttp.FormData()
        form.add_field("data", data, filename=filename)
        async with self._http().post(url, data=form) as response:
            return response, await response.read()

    async def download(self, url: str) -> bytes:
        async with self._http().get(url) as response:
            if response.status >= 400:
                raise MaxError(response.status, "download.failed", url)
            return await response.read()


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return value


def _error(status: int, data: Any, retry_after: str | None) -> MaxError:
    body = data if isinstance(data, dict) else {}
    code = str(body.get("code") or body.get("error") or status)
    message = str(body.get("message") or "")
    if status == 429:
        return MaxRateLimited(code, message, float(retry_after or 1))
    return MaxError(status, code, message)
