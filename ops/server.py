"""The metrics server: GET /metrics (Prometheus text format) and GET /healthz (the database
reachable: 200, else 503), on its own port, so polling mode has a health check too.

Bound to METRICS_HOST (localhost by default); with METRICS_TOKEN every request must carry
`Authorization: Bearer <token>` (else 401). Off unless METRICS_ENABLED.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


class MetricsServer:
    def __init__(
        self,
        registry: CollectorRegistry,
        host: str,
        port: int,
        token: str | None = None,
        healthy: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.registry = registry
        self.healthy = healthy
        self.host, self.port, self.token = host, port, token
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        return app

    async def start(self) -> int:
        self._runner = web.AppRunner(self.app(), handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = int(self._runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _allowed(self, request: web.Request) -> bool:
        if self.token is None:
            return True
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    async def _metrics(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.Response(status=401, text="unauthorized")
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.Response(status=401, text="unauthorized")
        ok = await self.healthy() if self.healthy is not None else True
        return web.json_response({"ok": ok}, status=200 if ok else 503)
