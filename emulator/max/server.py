"""aiohttp application speaking the MAX Bot API over HTTP, with uploads, files and control."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from emulator.max import control, spec
from emulator.max.errors import MaxApiError, bad_request, not_found, unauthorized
from emulator.max.openapi import Validator
from emulator.max.routes import NOT_IMPLEMENTED, REMOVED, ROUTES, Call, Route
from emulator.max.state import MaxBot, MaxEmulator, PendingUpload, RequestRecord
from emulator.max.webhook import MaxWebhooks

EMULATOR_KEY = web.AppKey("max_emulator", MaxEmulator)
WEBHOOKS_KEY = web.AppKey("max_webhooks", MaxWebhooks)
# `v` is the API version every request may carry (the description's "Versioning").
ALWAYS_ALLOWED = frozenset({"v"})
# Upload size limits by type, from the POST /uploads description.
UPLOAD_LIMITS = {
    "image": 50 * 1024 * 1024,
    "video": 250 * 1024 * 1024,
    "audio": 256 * 1024 * 1024,
    "file": 4 * 1024**3,
}
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")


@dataclass(frozen=True)
class _Operation:
    verb: str
    path: str
    pattern: re.Pattern[str]
    params: tuple[str, ...]


@cache
def _operations() -> list[_Operation]:
    found = []
    for verb, path in spec.operations():
        params = tuple(re.findall(r"{(\w+)}", path))
        regex = re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", path)
        found.append(_Operation(verb, path, re.compile(f"^{regex}$"), params))
    return found


@cache
def _validator() -> Validator:
    return Validator(spec.schema())


def _routes() -> dict[tuple[str, str], Route]:
    return {(r.verb, r.path): r for r in ROUTES}


def _typed(verb: str, path: str, name: str, raw: str, where: str) -> Any:
    """A parameter's text as the schema types it; 400 if it does not fit."""
    param = spec.parameters(verb, path, where)[name]
    schema = _validator().resolve(param.get("schema", {}))
    if schema.get("nullable") and raw in ("", "null"):
        return None
    kind = schema.get("type")
    value: Any = raw
    try:
        if kind == "integer":
            value = int(raw)
        elif kind == "boolean":
            if raw not in ("true", "false"):
                raise ValueError(raw)
            value = raw == "true"
        elif kind == "array":
            items = _validator().resolve(schema.get("items", {}))
            parts = [p for p in raw.split(",") if p]
            value = [int(p) for p in parts] if items.get("type") == "integer" else parts
    except ValueError:
        raise bad_request(f"Invalid {name}: {raw!r}") from None
    problems = _validator().problems(value, param.get("schema", {}), request=True)
    if problems and where == "query":
        raise bad_request(f"Invalid {name}: {problems[0]}")
    if problems:
        raise not_found(f"No such {name}: {raw}")
    return value


def _match(verb: str, path: str) -> tuple[_Operation, dict[str, Any]] | None:
    """The schema operation `verb path` names, preferring the one whose path params type."""
    other_verb = False
    for op in _operations():
        found = op.pattern.match(path)
        if found is None:
            continue
        try:
            params = {p: _typed(op.verb, op.path, p, unquote(found[p]), "path") for p in op.params}
        except MaxApiError:
            continue
        if op.verb == verb:
            return op, params
        other_verb = True
    if other_verb:
        raise MaxApiError(405, "method.not.allowed", f"Method {verb} is not allowed here")
    return None


def _bot(emu: MaxEmulator, request: web.Request) -> MaxBot:
    if "access_token" in request.query:
        raise unauthorized("The token in the query is no longer supported: use Authorization")
    token = request.headers.get("Authorization", "")
    bot = emu.bots.get(token)
    if bot is None:
        raise unauthorized()
    return bot


async def _body(request: web.Request, op: _Operation) -> Any:
    described = spec.request_body(op.verb, op.path)
    if described is None:
        return None
    schema, required = described
    raw = await request.read()
    if not raw:
        if required:
            raise bad_request("The request body is required")
        return None
    try:
        body = json.loads(raw)
    except ValueError:
        raise bad_request("The request body is not JSON") from None
    problems = _validator().problems(body, schema, request=True)
    if problems:
        raise bad_request("Invalid body: " + "; ".join(problems[:5]))
    return body


def _query(request: web.Request, op: _Operation, route: Route) -> dict[str, Any]:
    unknown = set(request.query) - route.query - ALWAYS_ALLOWED
    if unknown:
        raise bad_request(f"Unknown parameters: {', '.join(sorted(unknown))}")
    missing = [name for name in sorted(route.required) if not request.query.get(name)]
    if missing:
        raise bad_request(f"Missing required parameter: {missing[0]}")
    return {
        name: _typed(op.verb, op.path, name, value, "query")
        for name, value in request.query.items()
        if name in route.query
    }


async def bot_api(request: web.Request) -> web.StreamResponse:
    """Every Bot API request: auth, the bot's request budget, routing, checks, the handler."""
    emu = request.app[EMULATOR_KEY]
    verb, path = request.method, request.path
    try:
        bot = _bot(emu, request)
    except MaxApiError as exc:
        return _error(exc)
    record = RequestRecord(
        seq=0,
        verb=verb,
        path=path,
        route=None,
        query=dict(request.query),
        body=None,
        status=200,
        response=None,
        at_ms=emu.now_ms(),
    )
    try:
        emu.admit_request(bot)
        matched = _match(verb, path)
        if matched is None:
            raise not_found(f"Path {path} not found")
        op, path_params = matched
        record.route = f"{op.verb} {op.path}"
        emu.stats.requests[record.route] = emu.stats.requests.get(record.route, 0) + 1
        if (op.verb, op.path) in REMOVED:
            raise not_found(f"{op.verb} {op.path} is no longer supported")
        route = _routes().get((op.verb, op.path))
        if route is None or (op.verb, op.path) in NOT_IMPLEMENTED:
            raise MaxApiError(501, "emulator.not.implemented", f"{op.verb} {op.path}")
        query = _query(request, op, route)
        record.body = body = await _body(request, op)
        result = await route.handler(Call(emu, bot, query, path_params, body))
    except MaxApiError as exc:
        record.status, record.response = exc.status, exc.body()
        _remember(emu, bot, record)
        return _error(exc)
    record.response = result
    _remember(emu, bot, record)
    request.app[WEBHOOKS_KEY].ensure(bot)
    if emu.latency:
        await asyncio.sleep(emu.latency)
    return web.json_response(result)


def _remember(emu: MaxEmulator, bot: MaxBot, record: RequestRecord) -> None:
    record.seq = len(bot.requests) + 1
    bot.requests.append(record)


def _error(exc: MaxApiError) -> web.Response:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return web.json_response(exc.body(), status=exc.status, headers=headers)


async def upload(request: web.Request) -> web.StreamResponse:
    """POST to an upload URL: one file, multipart (any field) or the raw body."""
    emu = request.app[EMULATOR_KEY]
    pending = emu.pending_uploads.get(request.match_info["upload_id"])
    if pending is None:
        return _error(not_found("Unknown upload url"))
    if pending.used:
        return _error(bad_request("An upload url takes one file: ask POST /uploads again"))
    name, mime, data = "file", request.headers.get("Content-Type"), b""
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, BodyPartReader) and part.filename is not None:
                name = unquote(part.filename)
                mime = part.headers.get("Content-Type")
                data = bytes(await part.read(decode=False))
                break
    else:
        data = await request.read()
    problem = _upload_problem(pending, data)
    if problem:
        return _error(bad_request(problem))
    media = emu.finish_upload(pending, data, name, mime)
    if pending.kind == "image":
        return web.json_response({"photos": {str(media.photo_id): {"token": media.token}}})
    if pending.kind == "file":
        return web.json_response({"token": media.token})
    return web.Response(text="<retval>1</retval>", content_type="text/xml")


def _upload_problem(pending: PendingUpload, data: bytes) -> str | None:
    if not data:
        return "No file in the upload"
    if len(data) > UPLOAD_LIMITS[pending.kind]:
        return f"The {pending.kind} is larger than the limit"
    if pending.kind == "image" and not data.startswith(_IMAGE_MAGIC):
        return "Not an image of a supported format"
    return None


async def download(request: web.Request) -> web.StreamResponse:
    """GET a file's URL (as MAX's file hosts serve them: no token needed)."""
    emu = request.app[EMULATOR_KEY]
    media = emu.files.get(request.match_info["file_id"])
    if media is None:
        return _error(not_found("No such file"))
    return web.Response(
        body=media.data,
        content_type=media.mime or "application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(media.filename)}"},
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def build_app(emu: MaxEmulator) -> web.Application:
    """The emulator's application: Bot API, upload URLs, file URLs and the control API."""
    app = web.Application(client_max_size=300 * 1024 * 1024)
    app[EMULATOR_KEY] = emu
    app[WEBHOOKS_KEY] = MaxWebhooks(emu)
    app.router.add_post("/_upload/{upload_id}", upload)
    app.router.add_get("/_files/{file_id}", download)
    control.register(app)
    app.router.add_route("*", "/{tail:.*}", bot_api)  # after the routes above: they win

    async def close_webhooks(app: web.Application) -> None:
        await app[WEBHOOKS_KEY].close()

    app.on_cleanup.append(close_webhooks)
    return app


class MaxEmulatorServer:
    """Runs the emulator on a loopback port; `url` is the API base a MAX client points at."""

    def __init__(
        self, emu: MaxEmulator | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.emulator = emu or MaxEmulator()
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> MaxEmulatorServer:
        self._runner = web.AppRunner(
            build_app(self.emulator), handle_signals=False, shutdown_timeout=0.2, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.emulator.base_url = self.url
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> MaxEmulatorServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
