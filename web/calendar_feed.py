"""The personal calendar feed: GET <WEBAPP_URL path>cal/<token>.ics (no login: the secret
address is the key; a renewed or switched-off address answers 404)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from core import calendar
from reports.calendar_ics import to_ics
from web.dashboard import WebDeps

# The shape core.calendar.feed_token makes (user id . version . signature): anything else,
# e.g. non-ASCII digits that int() would read, is not an address before any lookup.
TOKEN = re.compile(r"[0-9]{1,10}\.[0-9]{1,10}\.[0-9a-f]{32}")


def add_routes(app: web.Application, deps: WebDeps) -> None:
    app.router.add_get(deps.settings.webapp_path() + "cal/{token}.ics", _feed(deps))


def _feed(deps: WebDeps) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def serve(request: web.Request) -> web.Response:
        now = deps.clock.now()
        async with deps.session_factory() as session:
            token = request.match_info["token"]
            if not TOKEN.fullmatch(token):
                raise web.HTTPNotFound(text="Not found")
            user = await calendar.owner(session, deps.secret, token, deps.today(now))
            if user is None:
                raise web.HTTPNotFound(text="Not found")
            found = await calendar.events(session, user, now, deps.settings.default_timezone)
        body = to_ics(found, "Куратор: сроки и семинары", now)
        return web.Response(
            body=body,
            content_type="text/calendar",
            charset="utf-8",
            headers={"Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"},
        )

    return serve
