"""The dashboard's routes: the page, its JSON API and file links (thin: parse, call core, reply).

The page exchanges the Mini App's initData once (`POST api/session`, `Authorization: tma …`)
for a short session (web/auth.py); every other API request carries its token (`Authorization:
Bearer …`). The person is loaded exactly as for a chat update on every request and every read
or act goes through `core.dashboard` and `core.work`, i.e. the permission functions the
handlers use. One transaction per request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import texts
from bot.settings import Settings
from core import dashboard, matrix
from core.clock import Clock
from core.dto import UserContext
from core.filenames import content_disposition
from core.item_state import item_state
from core.reminder_policy import local_today, resolve_zone
from core.report_data import document_zone
from core.status import DEPARTMENT
from core.users import load_context, load_context_by_id
from core.when import local_moment, school_year_span
from core.work import WorkError, review
from messengers import MAX, TELEGRAM
from web import auth, links
from web.auth import NotAuthorized, from_header, telegram_user_id

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
# The web clients that may show the page in a frame: Telegram Web A/K (web.telegram.org) and
# MAX's web version; the phone and desktop apps open it in their own webview, not a frame.
FRAME_ANCESTORS = (
    "https://web.telegram.org",
    "https://*.telegram.org",
    "https://web.max.ru",
    "https://*.max.ru",
)
# Only the page's own files run; no address (with its signed data) leaks to another site, and
# no other site frames the page to click its buttons.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {' '.join(FRAME_ANCESTORS)}"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@dataclass
class WebDeps:
    """What the routes need from the running application."""

    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    clock: Clock
    bot: Bot
    kick_outbox: Callable[[], None]

    @property
    def secret(self) -> str:
        """The bot token (MAX's where only MAX is served): file links and feed addresses are
        signed with it."""
        token = self.settings.bot_token or self.settings.max_token
        return token.get_secret_value() if token else ""

    def launch_tokens(self) -> list[tuple[str, str]]:
        """(messenger, bot token) of each messenger whose launch data opens the dashboard:
        MAX signs it with the same scheme as Telegram, under its own bot token."""
        found = []
        for messenger, token in (
            (TELEGRAM, self.settings.bot_token),
            (MAX, self.settings.max_token),
        ):
            if token is not None:
                found.append((messenger, token.get_secret_value()))
        return found

    def today(self, now: datetime) -> date:
        """The date in the default zone (the day a deputy's roles are looked up for)."""
        return now.astimezone(resolve_zone(None, self.settings.default_timezone)).date()


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


Route = Callable[["_Request"], Awaitable[Any]]


@dataclass
class _Request:
    request: web.Request
    session: AsyncSession
    user: UserContext
    deps: WebDeps


def add_routes(app: web.Application, deps: WebDeps) -> None:
    """Mount the dashboard at the path of WEBAPP_URL (default /app/)."""
    base = deps.settings.webapp_path()
    page = _page(base)

    async def index(_: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", headers=PAGE_HEADERS)

    app.router.add_get(base, index)
    app.router.add_static(base + "static/", STATIC, append_version=False)
    app.router.add_post(base + "api/session", _exchange(deps))
    app.router.add_get(base + "api/plans", _api(deps, _plans))
    app.router.add_get(base + "api/matrix", _api(deps, _matrix))
    app.router.add_get(base + "api/card", _api(deps, _card))
    app.router.add_post(base + "api/review", _api(deps, _review))
    app.router.add_get(base + "files/{evidence_id}", _file_route(deps))


def _page(base: str) -> str:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    config = json.dumps({"base": base, "texts": texts.DASHBOARD_PAGE}, ensure_ascii=False)
    return html.replace("{{TITLE}}", texts.DASHBOARD_PAGE["title"]).replace(
        "{{CONFIG}}", config.replace("</", "<\\/")
    )


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


def _exchange(deps: WebDeps) -> Callable[[web.Request], Awaitable[web.Response]]:
    """POST api/session with `Authorization: tma <initData>`: a new session's token."""

    async def handle(request: web.Request) -> web.Response:
        now = deps.clock.now()
        found = _launched_by(deps, request.headers.get("Authorization"), now)
        if found is None:
            return _error(401, texts.DASHBOARD_ERRORS["unauthorized"])
        messenger, external_id = found
        async with deps.session_factory() as session, session.begin():
            user = await load_context(session, messenger, external_id, deps.today(now))
            if user is None or not user.is_active:
                return _error(403, texts.DASHBOARD_ERRORS["no_person"])
            token = await auth.open_session(session, user.user_id, now)
        return web.json_response(
            {"ok": True, "token": token}, headers={"Cache-Control": "no-store"}
        )

    return handle


def _launched_by(deps: WebDeps, header: str | None, now: datetime) -> tuple[str, int] | None:
    """(messenger, account id) of the person whose signed launch data this is, or None."""
    data = from_header(header)
    age = timedelta(seconds=deps.settings.webapp_auth_max_age_seconds)
    for messenger, token in deps.launch_tokens():
        try:
            return messenger, telegram_user_id(token, data, now, age)
        except NotAuthorized as why:
            log.info("dashboard exchange (%s) refused: %s", messenger, why)
    return None


def _api(deps: WebDeps, route: Route) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        now = deps.clock.now()
        token = auth.session_token(request.headers.get("Authorization"))
        if token is None:
            return _error(401, texts.DASHBOARD_ERRORS["unauthorized"])
        # Its own transaction: the use renews the session even when the request is refused.
        async with deps.session_factory() as session, session.begin():
            user_id = await auth.session_user(session, token, now)
        if user_id is None:
            return _error(401, texts.DASHBOARD_ERRORS["session_expired"])
        try:
            async with deps.session_factory() as session, session.begin():
                user = await load_context_by_id(session, user_id, deps.today(now))
                if user is None or not user.is_active:
                    raise _Refused(403, texts.DASHBOARD_ERRORS["no_person"])
                body = await route(_Request(request, session, user, deps))
        except _Refused as refused:
            return _error(refused.status, refused.message)
        except WorkError as exc:
            status = {"not_found": 404, "forbidden": 403}.get(exc.code, 409)
            return _error(status, texts.work_error_of(exc))
        if request.method == "POST":
            deps.kick_outbox()  # committed: the curator's notice, as after a decision in chat
        return web.json_response(body, dumps=_dumps, headers={"Cache-Control": "no-store"})

    return handle


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


# Ids are INTEGER columns: PostgreSQL's 32-bit int is the narrowest range either database
# holds, and a number beyond it overflows in the driver (a 500) instead of finding nothing.
DB_INT_MAX = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")  # ASCII only: int() also reads "+7", " 7", "1_0", "١"


def _number(raw: object, name: str, low: int) -> int:
    """A whole number from low to DB_INT_MAX (JSON int or ASCII digits); 400 naming it else."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value: int | None = raw
    elif isinstance(raw, str) and _DIGITS.fullmatch(raw):
        value = int(raw)
    else:
        value = None
    if value is None or not low <= value <= DB_INT_MAX:
        message = texts.DASHBOARD_ERRORS["bad_number"]
        raise _Refused(400, message.format(name=name, low=low, high=DB_INT_MAX))
    return value


def _int(request: web.Request, name: str, low: int, default: int | None = None) -> int:
    raw = request.query.get(name)
    if raw is None and default is not None:
        return default
    return _number(raw, name, low)


async def _plans(r: _Request) -> dict[str, Any]:
    found = await dashboard.plans(r.session, r.user)
    return {
        "ok": True,
        "plans": [
            {
                "id": p.id,
                "title": p.title,
                "directions": [
                    {"id": d.id, "code": d.code, "title": d.title} for d in p.directions
                ],
            }
            for p in found
        ],
    }


async def _matrix(r: _Request) -> dict[str, Any]:
    query = r.request.query
    status = query.get("status") or None
    if status is not None and status not in matrix.STATUS_FILTERS:
        raise _Refused(400, texts.DASHBOARD_ERRORS["bad_request"])
    direction = _int(r.request, "direction", 0, 0) or None  # 0: every direction
    filters = dashboard.MatrixFilters(
        plan_id=_int(r.request, "plan", 1),
        direction_id=direction,
        status=status,
        search=query.get("q", "")[:100],
        offset=_int(r.request, "offset", 0, 0),
        limit=_int(r.request, "limit", 1, dashboard.PAGE_ROWS),
    )
    page = await dashboard.plan_matrix(
        r.session, r.user, r.deps.clock.now(), r.deps.settings.default_timezone, filters
    )
    columns = page.columns
    return {
        "ok": True,
        "plan": {"id": page.plan.id, "title": page.plan.title},
        "view": page.view,
        "today": page.today,
        "schoolYear": school_year_span(page.today),  # dates inside it are shown without a year
        "columns": [
            {
                "id": c.activity_id,
                "number": c.number,
                "title": c.title,
                "short": texts.clip(c.title, COLUMN_NAME),  # the header's words on a phone
                "group": c.group,
                "due": c.due,
            }
            for c in columns
        ],
        "rows": [
            {
                "id": row.school_id,
                "name": row.name,
                "short": row.short,
                "cells": row.line,
                # A school's own date where it differs from the plan's (moved deadlines).
                "moved": {
                    str(i): due
                    for i, due in enumerate(row.dues)
                    if row.codes[i] != matrix.NOT_APPLICABLE and due != columns[i].due
                },
                "totals": row.totals.as_dict(),
            }
            for row in page.rows
        ],
        "columnTotals": page.column_totals,
        "totals": page.totals,
        "schools": page.schools,
        "offset": page.offset,
    }


COLUMN_NAME = 32  # characters of an activity's name in its column's (upright) header


async def _card(r: _Request) -> dict[str, Any]:
    found = await dashboard.cell_card(
        r.session,
        r.user,
        _int(r.request, "activity", 1),
        _int(r.request, "school", dashboard.DEPARTMENT_ID),  # 0: the department's own row
    )
    card = found.card
    # Times as the plan's documents show them (the XLSX, the evidence index), zone named.
    zone = document_zone(card.plan_zone, r.deps.settings.default_timezone)
    base = r.deps.settings.webapp_path()
    now = r.deps.clock.now()
    today = local_today(now, card.zone, r.deps.settings.default_timezone)
    state = item_state(card.status, card.due, card.handed_in, today)
    return {
        "ok": True,
        "title": card.title,
        "plan": card.plan,
        "direction": card.direction,
        "section": card.section,
        "school": card.school or DEPARTMENT,
        "status": card.status.value,
        "statusName": texts.STATUS_NAMES.get(card.status.value, card.status.value),
        "code": matrix.letter(state),  # the cell's letter, decided here as for the matrix
        "dueNote": texts.due_note(state) if card.due else "",  # "сдано в срок", "через 3 дня"
        "due": card.due,
        "planDue": card.plan_due,
        "dueTime": card.due_time,
        "period": card.period_text,
        "responsible": card.responsible,
        "expected": card.expected_result,
        "note": card.note,
        "comment": card.last_comment,
        "reviewComment": card.review_comment,
        "submittedBy": found.submitted_by,
        "submittedAt": (texts.named_time(found.submitted_at, zone) if found.submitted_at else None),
        "files": [
            {
                "name": f.name,
                "size": f.size,
                "missing": f.missing,
                "url": f"{base}files/{f.evidence_id}?"
                + links.file_query(r.deps.secret, f.evidence_id, r.user.user_id, now),
            }
            for f in found.files
        ],
        "history": [
            texts.history_line(line, zone, local_moment(now, zone).date())
            for line in found.history[-30:]
        ],
        "timesZone": texts.zone_label(zone).strip(),  # "по Екатеринбургу"
        "canReview": card.can_review and card.pending_submission_id is not None,
        "submission": card.pending_submission_id,
    }


async def _review(r: _Request) -> dict[str, Any]:
    try:
        body = await r.request.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        raise _Refused(400, texts.DASHBOARD_ERRORS["bad_request"]) from None
    if not isinstance(body, dict) or not isinstance(body.get("accept"), bool):
        raise _Refused(400, texts.DASHBOARD_ERRORS["bad_request"])
    submission_id = _number(body.get("submission"), "submission", 1)
    accept = body["accept"]
    raw_comment = body.get("comment")
    if raw_comment is not None and not isinstance(raw_comment, str):
        raise _Refused(400, texts.DASHBOARD_ERRORS["bad_request"])
    comment = (raw_comment or "").strip()[:1000] or None
    if not accept and comment is None:
        raise _Refused(400, texts.DASHBOARD_PAGE["return_needs_comment"])
    info = await review(r.session, r.deps.clock, r.user, submission_id, accept, comment)
    return {"ok": True, "assignment": info.assignment_id, "accepted": accept}


def _file_route(deps: WebDeps) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def serve(request: web.Request) -> web.StreamResponse:
        try:
            evidence_id = _number(request.match_info["evidence_id"], "evidence", 1)
        except _Refused as refused:
            return _error(refused.status, refused.message)
        now = deps.clock.now()
        user_id = links.check(deps.secret, evidence_id, dict(request.query), now)
        if user_id is None:
            return _error(401, texts.DASHBOARD_ERRORS["link_expired"])
        async with deps.session_factory() as session:
            user = await load_context_by_id(session, user_id, deps.today(now))
            if user is None:
                return _error(401, texts.DASHBOARD_ERRORS["unauthorized"])
            try:  # the permission is checked again: a role taken away closes the link
                copy = await dashboard.evidence_file(session, user, evidence_id)
            except WorkError as exc:
                return _error(403 if exc.code == "forbidden" else 404, texts.work_error_of(exc))
        disposition = content_disposition(copy.name)
        stored = Path(copy.stored_path) if copy.stored_path else None
        if stored is not None and await asyncio.to_thread(stored.is_file):
            return web.FileResponse(
                stored,
                headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"},
            )
        try:  # no copy yet: straight from Telegram
            buffer = await deps.bot.download(copy.telegram_file_id)
        except Exception:  # gone, too big or unreachable: say so rather than a broken download
            log.warning("evidence %s cannot be fetched for the dashboard", evidence_id)
            return _error(404, texts.DASHBOARD_ERRORS["file_gone"])
        assert buffer is not None
        return web.Response(
            body=buffer.read(),
            content_type=copy.mime_type or "application/octet-stream",
            headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"},
        )

    return serve
