"""Command line: run the bot, migrate, manage schools and invitations, run the emulator."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cli_admin
from bot.logs import configure_logging
from bot.settings import Settings
from core.codes import parse_duration_seconds
from core.errors import DomainError
from core.roles import parse_role
from db.engine import build_engine, build_session_factory
from db.migrate import check, current_revision, upgrade
from ops.logs import configure_log_format

NO_TOKEN = (
    "BOT_TOKEN is not set: create a bot with @BotFather in Telegram (/newbot), then put "
    "BOT_TOKEN=<token> into the environment or into a .env file in the current directory; "
    "for MAX put MAX_TOKEN=<token> there (a bot made on business.max.ru; both tokens: one "
    "process serves both messengers) "
    "(to try Kurator without a token: python -m bot sandbox)."
)

EXIT_USAGE = 2


class CliError(Exception):
    """A failure to report on stderr with exit code 1."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Kurator Telegram bot")
    parser.add_argument(
        "--webhook", action="store_true", help="serve a webhook (WEBHOOK_URL) instead of polling"
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot by long polling (the default)")

    db = sub.add_parser("db", help="database migrations").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="migrate the database to the newest schema")
    db.add_parser("check", help="fail if the models and the migrations differ")
    db.add_parser("current", help="print the schema revision")
    db_backup = db.add_parser("backup", help="online backup of the SQLite database to PATH")
    db_backup.add_argument("path", type=Path)
    db_restore = db.add_parser("restore", help="replace the SQLite database by a backup")
    db_restore.add_argument("path", type=Path)

    school = sub.add_parser("school", help="manage schools").add_subparsers(
        dest="school_command", required=True
    )
    add = school.add_parser("add", help="add a school")
    add.add_argument("name")
    add.add_argument("--short", dest="short_name")
    add.add_argument("--municipality")
    add.add_argument("--timezone", help="IANA name, e.g. Asia/Yekaterinburg")
    school.add_parser("list", help="list schools")
    cli_admin.add_school_verbs(school)
    cli_admin.add_parsers(sub)
    status = sub.add_parser("status", help="the status counts table").add_subparsers(
        dest="status_command", required=True
    )
    status.add_parser("rebuild", help="recount every plan (after loading data by SQL)")
    status.add_parser("check", help="compare the counts with a full recount; 1 if they differ")

    invite = sub.add_parser("invite", help="create, list or revoke invitations")
    invite.add_argument("--school", help="school id, name or short name")
    invite.add_argument("--plan", help="a coordinator of this plan only (id or title)")
    invite.add_argument("--direction", help="with --plan: of this direction only (its code)")
    invite.add_argument("--role", default="curator", help="curator, coordinator, observer or admin")
    invite.add_argument(
        "--expires", default="14d", help="lifetime: 30m, 12h, 14d, 2w (default 14d)"
    )
    invite.add_argument(
        "--uses", type=int, default=1, help="how many people may use it (default 1)"
    )
    invite.add_argument("--list", action="store_true", help="list active invitations")
    invite.add_argument("--revoke", type=int, metavar="ID", help="revoke invitation ID")

    imp = sub.add_parser("import", help="import a plan (DOCX, XLSX, CSV or text)")
    imp.add_argument("file")
    imp.add_argument("--plan", help="plan title (default: from the document)")
    imp.add_argument("--year", help="academic year, e.g. 2020/2021 (default: from the document)")
    imp.add_argument("--timezone", help="IANA zone of the plan (default: DEFAULT_TIMEZONE)")
    imp.add_argument("--dry-run", action="store_true", help="show the preview, store nothing")
    imp.add_argument(
        "--yes", action="store_true", help="store even when rows are removed (no question)"
    )
    imp.add_argument(
        "--details", type=int, default=20, help="list at most N rows and schools of each change"
    )
    imp.add_argument("--json", action="store_true", help="print the preview as JSON")

    rem = sub.add_parser("reminders", help="reminders").add_subparsers(
        dest="rem_command", required=True
    )
    rem_plan = rem.add_parser("plan", help="list the reminders the database would send in a window")
    rem_plan.add_argument("--from", dest="since", required=True, help="YYYY-MM-DD (UTC midnight)")
    rem_plan.add_argument("--to", dest="until", required=True, help="YYYY-MM-DD (exclusive)")
    rem_plan.add_argument("--json", action="store_true")

    rep = sub.add_parser("report", help="write the XLSX or DOCX report of a plan")
    rep.add_argument("plan", help="plan id or part of its title")
    rep.add_argument("--out", required=True, help="where to write the .xlsx or .docx")
    rep.add_argument(
        "--format", choices=("xlsx", "docx"), help="default: from the --out suffix, else xlsx"
    )
    rep.add_argument("--school", help="DOCX: one school's own report (id, number or name)")
    rep.add_argument(
        "--aggregate", action="store_true", help="DOCX: one line per activity, all schools"
    )
    rep.add_argument("--template", help="DOCX: template file (default: REPORT_TEMPLATE)")

    evi = sub.add_parser("evidence", help="write the ZIP of a plan's accepted evidence")
    evi.add_argument("plan", help="plan id or part of its title")
    evi.add_argument("--out", required=True, help="where to write the .zip (parts: .partN.zip)")
    evi.add_argument("--school", help="one school (id, number or name)")
    evi.add_argument("--item", help="one item of the plan, by its number (e.g. 2.1)")
    evi.add_argument("--part-mb", type=float, default=None, help="largest part (default 49)")

    periods = sub.add_parser("periods", help="parse period phrases from stdin, one per line")
    periods.add_argument("--year", help="academic year of the plan, e.g. 2020/2021 or 2020")

    aud = sub.add_parser("audit", help="print or export the audit log")
    aud.add_argument("--plan", help="plan id or title")
    aud.add_argument("--user", help="the acting person's account: 123 (Telegram) or max:123")
    aud.add_argument("--since", help="YYYY-MM-DD or YYYY-MM-DDTHH:MM (default time zone)")
    aud.add_argument("--limit", type=int)
    aud.add_argument("--json", action="store_true", help="JSON instead of lines")
    box = sub.add_parser(
        "sandbox",
        help="try Kurator in the terminal, no token needed",
        description=(
            "The Telegram (or MAX) emulator, the bot and a seed plan in one process, with four "
            "people (a coordinator, two curators, an observer) chatting from this terminal. "
            "Nothing leaves the computer; no token is needed. See docs/sandbox.md."
        ),
        epilog=SANDBOX_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    box.add_argument("--plan", type=Path, help="plan file to import (default: seed plan 001)")
    box.add_argument("--db", type=Path, help="SQLite file to use (default: a new temporary one)")
    box.add_argument("--script", type=Path, help="read the lines from FILE, print the transcript")
    box.add_argument(
        "--messenger",
        default="telegram",
        help="where the four people chat: telegram (default), max (the MAX emulator), or both "
        "(coordinator and curator2 in Telegram, curator1 and observer in MAX)",
    )
    box.add_argument(
        "--start",
        help="sandbox clock at start, 'YYYY-MM-DD HH:MM' in the plan's zone (default: 09:00 on "
        "the first Monday of November of the plan's school year, 2020-11-02 for seed plan 001)",
    )
    emu = sub.add_parser("emulator", help="run the Telegram Bot API emulator")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8081)
    emu.add_argument(
        "--token", action="append", default=[], help="bot token to accept (repeatable)"
    )
    emu.add_argument("--username", default="kurator_test_bot")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m bot`; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level)
    configure_log_format(settings)  # LOG_FORMAT=json (ops/logs.py)
    command = args.command or "run"
    try:
        if command == "run":
            return run_bot(settings, webhook=args.webhook)
        if command == "periods":
            return _periods(args)
        if command == "emulator":
            return asyncio.run(_run_emulator(args))
        if command == "sandbox":
            return _sandbox(args)
        handler = _COMMANDS[command]
        settings = asyncio.run(_on_sandbox_clock(settings))
        return asyncio.run(handler(settings, args))
    except (CliError, DomainError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


SANDBOX_HELP = """in the chat (type them at the prompt):
  /as coordinator | curator1 | curator2 | observer   speak as someone else
  /clock +3d | +2h | +30m | 2020-11-09 09:00         move the clock; reminders fire on the way
  /file PATH ...   /photos PATH ...                  send files or photos
  2   ✅ Принять   /press 3.2                         press a button (3.2: message 3, button 2)
  /who   /help   /quit
anything else goes to the bot as the current person, as in the messenger.
examples:
  python -m bot sandbox
  python -m bot sandbox --messenger max
  python -m bot sandbox --messenger both   (Ольга, Борис in Telegram; Алиса, Иван in MAX)
  python -m bot sandbox --start "2020-11-09 08:55"
  python -m bot sandbox --script story.txt > transcript.txt"""


def _sandbox(args: argparse.Namespace) -> int:
    """The emulator, the bot and a seed plan in one process, chatted with from the terminal."""
    import tempfile

    from sandbox.cast import CHOICES, emulators_said, unknown_messenger

    messenger = args.messenger.strip().lower()  # "MAX" is meant as max
    if messenger not in CHOICES:
        print(unknown_messenger(args.messenger), file=sys.stderr)
        return EXIT_USAGE
    said = emulators_said(messenger)
    print(f"Запускаю песочницу… (бот, {said}, план — на этом компьютере)", flush=True)

    from sandbox.session import run_sandbox
    from sandbox.world import DEFAULT_PLAN, PLAN_ZONE, plan_start

    logging.getLogger().setLevel(logging.WARNING)  # the transcript is the output
    plan = args.plan or DEFAULT_PLAN
    if not plan.is_file():
        raise CliError(f"no plan file {plan}")
    if args.start is None:
        start = plan_start(plan)
    else:
        try:
            start = datetime.strptime(args.start, "%Y-%m-%d %H:%M").replace(
                tzinfo=ZoneInfo(PLAN_ZONE)
            )
        except ValueError:
            raise CliError(f"--start: expected YYYY-MM-DD HH:MM, got {args.start!r}") from None
    if args.script is not None and not args.script.is_file():
        raise CliError(f"no script file {args.script}")
    home = Path(tempfile.mkdtemp(prefix="kurator-sandbox-"))
    db_path = args.db or home / "sandbox.sqlite3"
    return asyncio.run(run_sandbox(plan, db_path, home / "files", start, args.script, messenger))


def run_bot(settings: Settings, *, webhook: bool = False) -> int:
    """Run by long polling (the default) or as a webhook server until interrupted."""
    if settings.bot_token is None and settings.max_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return EXIT_USAGE
    from bot.app import Application

    if not settings.webapp_url:
        logging.getLogger(__name__).warning(  # a log line: LOG_FORMAT=json keeps it JSON
            "dashboard off: set WEBAPP_URL (the public https address of this bot's web server, "
            "see docs/dashboard.md) to give coordinators the 📊 panel in Telegram"
        )
    if webhook or settings.webhook_url:
        if settings.bot_token is None:
            print("--webhook is Telegram's: MAX is served by long polling", file=sys.stderr)
            return EXIT_USAGE
        if not settings.webhook_url:
            print("--webhook needs WEBHOOK_URL, the public https URL of this bot", file=sys.stderr)
            return EXIT_USAGE
        asyncio.run(_serve_webhook(Application(settings)))
        return 0
    asyncio.run(Application(settings).run_polling())
    return 0


async def _serve_webhook(app: Any) -> None:
    """The webhook server until SIGTERM or SIGINT; then a graceful stop."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await app.run_webhook(stop)


async def _on_sandbox_clock(settings: Settings) -> Settings:
    """On a sandbox's database, the sandbox's clock (said once on stderr); else `settings`."""
    from core.clock import offset_of
    from core.instance import sandbox_clock

    engine = build_engine(settings.database_url)
    try:
        async with build_session_factory(engine)() as session:
            moment = await sandbox_clock(session)
    finally:
        await engine.dispose()
    if moment is None:
        return settings
    from bot.texts import zone_label
    from core.clock import ManualClock

    local = moment.astimezone(ZoneInfo(settings.default_timezone))
    print(
        f"База песочницы: время песочницы {local:%d.%m.%Y %H:%M}"
        f"{zone_label(settings.default_timezone)}.",
        file=sys.stderr,
    )
    return settings.model_copy(update={"clock_offset_seconds": offset_of(ManualClock(moment))})


async def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    """Migrate, run `work` in one transaction, dispose the engine."""
    engine = build_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with build_session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


async def _db(settings: Settings, args: argparse.Namespace) -> int:
    from db import backup

    if args.db_command in ("backup", "restore"):
        try:
            if args.db_command == "backup":
                pages = await asyncio.to_thread(backup.backup, settings.database_url, args.path)
                print(f"backup written to {args.path} ({pages} pages)")
                return 0
            await asyncio.to_thread(backup.restore, args.path, settings.database_url)
        except backup.BackupError as exc:
            raise CliError(str(exc)) from None
    engine = build_engine(settings.database_url)
    try:
        if args.db_command in ("upgrade", "restore"):
            await upgrade(engine)  # a backup from an older release is brought up to date
            print(f"database at revision {await current_revision(engine)}")
        elif args.db_command == "check":
            await upgrade(engine)
            await check(engine)
            print("models and migrations agree")
        else:
            print(await current_revision(engine) or "empty")
    finally:
        await engine.dispose()
    return 0


async def _school(settings: Settings, args: argparse.Namespace) -> int:
    from core.schools import add_school, list_schools

    clock = settings.clock()
    if args.school_command == "add":
        school = await _with_session(
            settings,
            lambda s: add_school(
                s,
                clock,
                name=args.name,
                short_name=args.short_name,
                municipality=args.municipality,
                timezone=args.timezone,
            ),
        )
        print(f"school {school.id}: {school.name}")
    elif args.school_command == "list":
        for school in await _with_session(settings, list_schools):
            print(f"{school.id}\t{school.name}\t{school.timezone or '-'}")
    else:
        print(
            await _with_session(
                settings, lambda s: cli_admin.school_verb(s, args, settings.clock())
            )
        )
    return 0


async def _people(settings: Settings, args: argparse.Namespace) -> int:
    print(await _with_session(settings, lambda s: cli_admin.people(s, args, settings.clock())))
    return 0


async def _plan(settings: Settings, args: argparse.Namespace) -> int:
    from core.settings import SettingError

    try:
        print(await _with_session(settings, lambda s: cli_admin.plans(s, args, settings.clock())))
    except SettingError as exc:
        raise CliError(f"bad value for {exc.key}: {args.value!r}") from None
    return 0


async def _invite(settings: Settings, args: argparse.Namespace) -> int:
    from core.invitations import (
        create_invitation,
        invitation_link,
        list_invitations,
        revoke_invitation,
    )
    from core.schools import find_school

    clock = settings.clock()
    if args.list:
        for inv in await _with_session(settings, lambda s: list_invitations(s, clock)):
            print(
                f"{inv.id}\t{inv.role.value}\t{inv.school_name or '-'}\t"
                f"{inv.uses}/{inv.max_uses}\texpires {inv.expires_at:%Y-%m-%d %H:%M} UTC"
            )
        return 0
    if args.revoke is not None:
        await _with_session(settings, lambda s: revoke_invitation(s, clock, args.revoke))
        print(f"invitation {args.revoke} revoked")
        return 0
    try:
        role = parse_role(args.role)
        ttl = timedelta(seconds=parse_duration_seconds(args.expires))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    usernames = await _bot_usernames(settings)

    async def create(session: AsyncSession) -> Any:
        from core.report_data import find_plan
        from db.models import Direction

        school_id = (await find_school(session, args.school)).id if args.school else None
        plan_id = direction_id = None
        if args.plan:
            plan_id = (await find_plan(session, args.plan)).id
            if args.direction:
                direction = await session.scalar(
                    select(Direction).where(
                        Direction.plan_id == plan_id, Direction.code == args.direction
                    )
                )
                if direction is None:
                    raise CliError(f"the plan has no direction {args.direction!r}")
                direction_id = direction.id
        elif args.direction:
            raise CliError("--direction needs --plan")
        return await create_invitation(
            session,
            clock,
            role=role,
            school_id=school_id,
            plan_id=plan_id,
            direction_id=direction_id,
            ttl=ttl,
            max_uses=args.uses,
        )

    created = await _with_session(settings, create)
    for messenger, name in usernames.items():  # the same code opens Kurator in each
        print(invitation_link(name, created.code, messenger))
    print(
        f"invitation {created.id}: {created.role.value}"
        f"{' of ' + created.school_name if created.school_name else ''}, "
        f"{created.max_uses} use(s), expires {created.expires_at:%Y-%m-%d %H:%M} UTC",
        file=sys.stderr,
    )
    return 0


async def _bot_usernames(settings: Settings) -> dict[str, str]:
    """The bot's name in each messenger it can be named in: Telegram's (BOT_USERNAME, else
    asked with getMe), then MAX's (MAX_BOT_USERNAME)."""
    from messengers import MAX, TELEGRAM

    names = {}
    if settings.bot_username:
        names[TELEGRAM] = settings.bot_username.lstrip("@")
    elif settings.bot_token is not None:
        from bot.app import build_bot

        bot = build_bot(settings)
        try:
            me = await bot.get_me()
        finally:
            await bot.session.close()
        if not me.username:
            raise CliError("the bot has no username")
        names[TELEGRAM] = me.username
    if settings.max_bot_username:
        names[MAX] = settings.max_bot_username.lstrip("@")
    if not names:
        raise CliError(
            "set BOT_USERNAME (or BOT_TOKEN) or MAX_BOT_USERNAME so the invitation link can "
            "name the bot"
        )
    return names


def _periods(args: argparse.Namespace) -> int:
    """One JSON object per input line: the parsed period plus the text."""
    import json

    from core.periods import PeriodContext, parse_academic_year, parse_period

    year = None
    if args.year:
        year = parse_academic_year(args.year)
        if year is None:
            raise CliError(f"bad --year {args.year!r}; use e.g. 2020/2021")
    context = PeriodContext(academic_year=year)
    for line in sys.stdin:
        text = line.rstrip("\n").replace("\\n", "\n")
        result = {"text": text, **parse_period(text, context).to_json()}
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


async def _run_emulator(args: argparse.Namespace) -> int:
    from emulator import Emulator, EmulatorServer

    emu = Emulator()
    for token in args.token or ["123456:TEST-token"]:
        emu.add_bot(token, args.username)
    async with EmulatorServer(emu, host=args.host, port=args.port) as server:
        print(f"Bot API emulator at {server.url} (TELEGRAM_API_URL={server.url})", flush=True)
        await asyncio.Event().wait()
    return 0


def _read_file(path: Path, limit: int, too_big: str) -> bytes:
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    if path.stat().st_size > limit:
        raise CliError(too_big)
    return path.read_bytes()


async def _reminders(settings: Settings, args: argparse.Namespace) -> int:
    """Preview reminders: recipient, kind, item, local and UTC send time."""
    import json
    from datetime import UTC, datetime

    from core.reminders import days_off, preview

    try:
        since = datetime.fromisoformat(args.since).replace(tzinfo=UTC)
        until = datetime.fromisoformat(args.until).replace(tzinfo=UTC)
    except ValueError:
        raise CliError("dates must look like 2020-11-01") from None
    if until <= since:
        raise CliError("--to must be after --from")

    async def load(session: AsyncSession) -> Any:
        found = await preview(session, since, until, settings.default_timezone)
        return found, await days_off(session, since.date(), until.date())

    reminders, skipped = await _with_session(settings, load)
    rows = [
        {
            "recipient_user_id": r.person.user_id,
            "kind": r.kind,
            "item": r.payload.get("title") or r.payload.get("topic") or r.payload.get("week"),
            "local": r.scheduled_at.astimezone(r.person.zone).isoformat(),
            "timezone": r.person.zone.key,
            "utc": r.scheduled_at.isoformat(),
            **({"for_user_id": r.payload["for_user_id"]} if r.payload.get("for_user_id") else {}),
            **(
                {"moved_from": r.payload["moved_from"], "why": r.payload.get("why")}
                if r.payload.get("moved_from")
                else {}
            ),
        }
        for r in reminders
    ]
    if args.json:
        # Days off ride along as rows of kind "day_off" (what moved or skipped, and why).
        days = [{"kind": "day_off", "item": d["why"], **d} for d in skipped]
        print(json.dumps(rows + days, ensure_ascii=False, indent=1))
    else:
        for row in rows:
            item, who = str(row["item"])[:70], f"user {row['recipient_user_id']}"
            moved = (
                f"  (moved from {row['moved_from']}: {row['why']})" if "moved_from" in row else ""
            )
            print(f"{row['utc']}  {row['local']}  {who:<11} {row['kind']:<12} {item}{moved}")
        print(f"{len(rows)} reminder(s)")
        if skipped:
            print("Days off in the window:")
            for d in skipped:
                where = f"  [{d['plan'][:40]}]" if d.get("plan") else ""
                print(f"  {d['days']:<22} {d['why'][:60]} -> {d['effect']}{where}")
    return 0


async def _report(settings: Settings, args: argparse.Namespace) -> int:
    """Write a plan's XLSX or DOCX report (streamed, a few schools at a time) and print its
    summary."""
    from core.report_data import PlanReport, find_plan
    from core.schools import find_school
    from reports.build import write_docx, write_xlsx

    out = Path(args.out)
    kind = args.format or ("docx" if out.suffix.lower() == ".docx" else "xlsx")
    if kind == "xlsx" and (args.school or args.aggregate or args.template):
        raise CliError("--school, --aggregate and --template are for --format docx")
    chosen = args.template or settings.report_template
    template = Path(chosen) if chosen else None
    if template is not None and not await asyncio.to_thread(template.is_file):
        raise CliError(f"report template not found: {template}")

    async def write(session: AsyncSession) -> PlanReport:
        plan = await find_plan(session, args.plan)
        now = settings.clock().now()
        if kind == "xlsx":
            return await write_xlsx(session, plan.id, now, settings.default_timezone, out)
        school_id = (await find_school(session, args.school)).id if args.school else None
        return await write_docx(
            session,
            plan.id,
            now,
            settings.default_timezone,
            out,
            template=template,
            aggregated=args.aggregate,
            school_id=school_id,
        )

    if kind == "xlsx":
        from reports import xlsx  # noqa: F401 (loaded before the freeze below)

    # What is loaded by now lives as long as this process: the garbage collector's full passes
    # need not walk it again while 200,000 rows come and go (8% of a region's report).
    gc.freeze()
    report = await _with_session(settings, write)
    counts = report.status.counts if report.status else None
    if counts:
        numbers = (
            f"total {counts.total}, accepted {counts.accepted}, submitted {counts.submitted}, "
            f"open {counts.open}, overdue {counts.overdue}"
        )
        print(f"{report.title}: {numbers}")
    size = (await asyncio.to_thread(out.stat)).st_size
    print(f"written {args.out} ({size} bytes)")
    return 0


async def _evidence(settings: Settings, args: argparse.Namespace) -> int:
    """Write the evidence archive (parts under the limit) and say what is missing."""
    from core.evidence_archive import evidence_entries
    from core.report_data import document_zone, find_plan
    from core.schools import find_school
    from reports.evidence_zip import write_archive

    async def entries(session: AsyncSession) -> tuple[Any, str, str]:
        plan = await find_plan(session, args.plan)
        school_id = (await find_school(session, args.school)).id if args.school else None
        found = await evidence_entries(session, None, plan.id, school_id, args.item)
        return found, plan.title, document_zone(plan.timezone, settings.default_timezone)

    found, title, zone = await _with_session(settings, entries)
    limit = int((args.part_mb or settings.evidence_part_mb) * 1000 * 1000)
    paths, plan = await write_archive(found, Path(args.out), zone, limit)
    print(f"{title}: {len(found)} files, {len(plan.missing)} missing (listed in the index)")
    for path in paths:
        size = (await asyncio.to_thread(path.stat)).st_size
        print(f"written {path} ({size} bytes)")
    return 0


async def _status(settings: Settings, args: argparse.Namespace) -> int:
    """`status rebuild` recounts the status counts table; `status check` compares it."""
    from core.status import Scope, scan_cells
    from core.status_counts import counted_cells
    from db.status_counts import rebuild

    if args.status_command == "rebuild":
        written = await _with_session(settings, lambda session: session.run_sync(rebuild))
        print(f"status counts rebuilt: {written} rows")
        return 0

    async def compare(session: AsyncSession) -> list[str]:
        now, zone, everything = settings.clock().now(), settings.default_timezone, Scope(True)
        kept = {
            (c.plan_id, c.direction_id, c.section, c.school_id): c.numbers
            for c in await counted_cells(session, everything, now, zone)
        }
        found = {
            (c.plan_id, c.direction_id, c.section, c.school_id): c.numbers
            for c in await scan_cells(session, everything, now, zone)
        }
        return [f"{key}: kept {kept.get(key)}, counted {found.get(key)}"
                for key in sorted(kept.keys() | found.keys(), key=str)
                if kept.get(key) != found.get(key)]  # fmt: skip

    wrong = await _with_session(settings, compare)
    for line in wrong[:50]:
        print(line)
    print("status counts agree with a full recount" if not wrong else f"{len(wrong)} differ")
    return 1 if wrong else 0


async def _audit(settings: Settings, args: argparse.Namespace) -> int:
    """Print or export the audit log, oldest first."""
    import json

    from core.audit import search
    from core.report_data import find_plan

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            raise CliError(f"--since: expected YYYY-MM-DD[THH:MM], got {args.since!r}") from None
        if since.tzinfo is None:
            since = since.replace(tzinfo=ZoneInfo(settings.default_timezone))

    async def load(session: AsyncSession) -> Any:
        plan_id = (await find_plan(session, args.plan)).id if args.plan else None
        from core.admin import by_account

        actor = await by_account(session, args.user) if args.user else None
        return await search(
            session, plan_id=plan_id, actor_user_id=actor, since=since, limit=args.limit
        )

    lines = await _with_session(settings, load)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "at": line.at.isoformat(),
                        "actor_user_id": line.actor_user_id,
                        "actor": line.actor_name,
                        "action": line.action,
                        "entity": f"{line.entity_type}:{line.entity_id}",
                        "before": line.before,
                        "after": line.after,
                    }
                    for line in lines
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    for line in lines:
        who = f"#{line.actor_user_id}" if line.actor_user_id else "system"
        change = json.dumps(line.after, ensure_ascii=False) if line.after else ""
        print(
            f"{line.at:%Y-%m-%d %H:%M:%S}  {who:>14}  {line.action:<22} "
            f"{line.entity_type}:{line.entity_id}  {change}"
        )
    print(f"{len(lines)} entries", file=sys.stderr)
    return 0


def _confirmed() -> bool:
    """Ask at a terminal; without one (a script) the answer is no: pass --yes."""
    if not sys.stdin.isatty():
        return False
    from bot import texts

    return input(texts.IMPORT_CLI_ASK).strip().casefold() in ("y", "yes", "д", "да")


async def _import(settings: Settings, args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from bot import preview, texts
    from core.import_diff import import_diff
    from core.periods import parse_academic_year
    from core.plan_import import file_digest, import_plan, plan_terms
    from importer.errors import FILE_ERRORS
    from importer.files import MAX_FILE_BYTES, ImportFileError, load_plan

    path = Path(args.file)
    year = None
    if args.year:
        year = parse_academic_year(args.year)
        if year is None:
            raise CliError(f"bad --year {args.year!r}; use e.g. 2020/2021")
    data = await asyncio.to_thread(_read_file, path, MAX_FILE_BYTES, FILE_ERRORS["too_big"])
    try:
        draft = load_plan(data, path.name, title=args.plan, academic_year=year)
        # A plan imported before may have its own term boundaries: read the file with them.
        terms = await _with_session(settings, lambda s: plan_terms(s, draft.title))
        if terms is not None:
            draft = load_plan(data, path.name, title=args.plan, academic_year=year, terms=terms)
    except ImportFileError as exc:
        raise CliError(
            f"{FILE_ERRORS[exc.code]} ({exc.detail})" if exc.detail else FILE_ERRORS[exc.code]
        ) from None
    timezone = args.timezone or settings.default_timezone
    diff = await _with_session(settings, lambda s: import_diff(s, draft))
    if args.json:
        document = draft.to_json()
        document["changes"] = dataclasses.asdict(diff)
    else:
        print(preview.text_preview(draft))
        if diff.exists:
            print(texts.import_diff(diff, limit=args.details, html=False))
    if not args.dry_run and diff.needs_confirmation and not args.yes and not _confirmed():
        print(texts.IMPORT_CLI_NOT_CONFIRMED, file=sys.stderr)
        return 2
    if not args.dry_run:
        report = await _with_session(
            settings,
            lambda s: import_plan(
                s,
                settings.clock(),
                draft,
                timezone=timezone,
                source_file=path.name,
                source_sha256=file_digest(data),
            ),
        )
        if args.json:
            document["import"] = preview.report_json(report)
        else:
            print(preview.report_text(report))
    if args.json:
        print(json.dumps(document, ensure_ascii=False, indent=1, default=str))
    return 0


_COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "db": _db,
    "school": _school,
    "invite": _invite,
    "import": _import,
    "reminders": _reminders,
    "report": _report,
    "evidence": _evidence,
    "status": _status,
    "audit": _audit,
    "people": _people,
    "plan": _plan,
}
