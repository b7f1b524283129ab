"""aiohttp application speaking the Bot API over HTTP, plus the control API, on one port."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, NoReturn
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from emulator import control
from emulator.errors import ApiError, bad_request, too_many
from emulator.methods import METHODS, Method
from emulator.spec import method_fields, required_params
from emulator.state import AFTER_FAULTS, Emulator

log = logging.getLogger(__name__)

EMULATOR_KEY = web.AppKey("emulator", Emulator)
_SCALAR_TYPES = {"String", "Integer", "Boolean", "Float", "InputFile or String"}


async def _read_params(request: web.Request, spec_method: str) -> dict[str, Any]:
    """Query, JSON, urlencoded or multipart parameters; JSON-typed fields decoded."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except json.JSONDecodeError:
                raise bad_request("can't parse JSON") from None
            if isinstance(body, dict):
                params.update(body)
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    data = await part.read(decode=False)
                    params[part.name] = (
                        unquote(part.filename),
                        part.headers.get("Content-Type"),
                        bytes(data),
                    )
                else:
                    params[part.name] = await part.text()
        else:
            params.update(await request.post())
    for name, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[name] = params.get(value.removeprefix("attach://"), value)
    fields = method_fields(spec_method)
    for name, value in list(params.items()):
        field = fields.get(name)
        structured = field is not None and not set(field["types"]) <= _SCALAR_TYPES
        if structured and isinstance(value, str) and value[:1] in "[{":
            try:
                params[name] = json.loads(value)
            except json.JSONDecodeError:
                raise bad_request(f"can't parse {name} JSON object") from None
    return params


def _check_required(spec_method: str, params: dict[str, Any]) -> None:
    for name in required_params(spec_method):
        if params.get(name) in (None, ""):
            if name == "text":
                raise bad_request("message text is empty")
            raise bad_request(f"{name} is empty")


async def _inject_fault(emu: Emulator, request: web.Request, impl: Method) -> str | None:
    """Fail the request before it runs, or return a kind that spoils the answer after it ran."""
    plan = emu.faults
    if plan.rate <= 0 or (plan.methods is not None and impl.name not in plan.methods):
        return None
    if plan.over(emu.now()):
        return None
    if plan.methods is None and not impl.sends and not impl.name.startswith("edit"):
        return None
    rng = emu.fault_rng
    if rng.random() >= plan.rate:
        return None
    emu.stats.faults += 1
    if plan.left is not None:
        plan.left -= 1
    kind = rng.choice(plan.kinds)
    if kind in AFTER_FAULTS:
        return kind
    if kind == "429":
        raise too_many(plan.retry_after)
    if kind in ("500", "502"):
        raise ApiError(int(kind), "Internal Server Error" if kind == "500" else "Bad Gateway")
    if kind == "disconnect":
        _drop(request)
    await asyncio.sleep(plan.hang_seconds)  # "timeout": the client gives up first
    raise ApiError(504, "Gateway Timeout")


def _drop(request: web.Request) -> NoReturn:
    if request.transport is not None:
        request.transport.close()
    raise asyncio.CancelledError


async def _spoil_answer(emu: Emulator, request: web.Request, kind: str) -> None:
    """The method ran (a message was delivered); its answer is dropped or comes too late."""
    if kind == "accepted_disconnect":
        _drop(request)
    await asyncio.sleep(emu.faults.hang_seconds)  # "accepted_timeout": the client gave up


async def bot_api(request: web.Request) -> web.StreamResponse:
    """POST/GET /bot<token>/<method>."""
    emu = request.app[EMULATOR_KEY]
    token = request.match_info["token"]
    name = request.match_info["method"]
    bot = emu.bots.get(token)
    if bot is None:
        return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
    impl = METHODS.get(name.lower())
    if impl is None:
        return web.json_response(ApiError(404, "Not Found").body(), status=404)
    emu.stats.requests[impl.name] = emu.stats.requests.get(impl.name, 0) + 1
    try:
        params = await _read_params(request, impl.name)
        _check_required(impl.name, params)
        after = await _inject_fault(emu, request, impl)
        result = await impl.impl(emu, bot, params)
    except ApiError as exc:
        return web.json_response(exc.body(), status=exc.code)
    if after is not None:
        await _spoil_answer(emu, request, after)
    if emu.latency:
        await asyncio.sleep(emu.latency)
    return web.json_response({"ok": True, "result": result})


async def download(request: web.Request) -> web.StreamResponse:
    """GET /file/bot<token>/<path>."""
    emu = request.app[EMULATOR_KEY]
    if request.match_info["token"] not in emu.bots:
        return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
    stored = emu.files_by_path.get(request.match_info["path"])
    if stored is None:
        return web.json_response(ApiError(404, "Not Found").body(), status=404)
    return web.Response(
        body=stored.data, content_type=stored.mime_type or "application/octet-stream"
    )


def build_app(emu: Emulator) -> web.Application:
    """The emulator's web application (Bot API + file downloads + control API)."""
    app = web.Application(client_max_size=60 * 1024 * 1024)
    app[EMULATOR_KEY] = emu
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_get("/file/bot{token}/{path:.+}", download)
    control.register(app)
    return app


class EmulatorServer:
    """Runs the emulator on a loopback port; `url` is what TELEGRAM_API_URL should be."""

    def __init__(
        self, emu: Emulator | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.emulator = emu or Emulator()
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> EmulatorServer:
        self._runner = web.AppRunner(
            build_app(self.emulator), handle_signals=False, shutdown_timeout=0.2, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        await self.emulator.webhooks.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> EmulatorServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
