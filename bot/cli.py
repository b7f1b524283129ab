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

from bot import cli_admin, cli_texts
from bot.cli_texts import RussianParser
from bot.logs import configure_logging
from bot.settings import Settings
from core.codes import parse_duration_seconds
from core.errors import DomainError
from core.roles import parse_role
from db.engine import build_engine, build_session_factory
from db.migrate import check, current_revision, upgrade
from ops.logs import configure_log_format

NO_TOKEN = cli_texts.NO_TOKEN

EXIT_USAGE = 2


class CliError(Exception):
    """A failure to report on stderr with exit code 1."""


def _parser() -> argparse.ArgumentParser:
    parser = RussianParser(prog=cli_texts.PROG, description="Куратор: бот для Telegram и MAX")
    parser.add_argument(
        "--webhook", action="store_true", help="принимать обновления по вебхуку (WEBHOOK_URL)"
    )
    sub = parser.add_subparsers(dest="command", title="команды", metavar="КОМАНДА")
    sub.add_parser("run", help="запустить бота (опрос long polling; по умолчанию)")

    db = sub.add_parser("db", help="база данных и её миграции").add_subparsers(
        dest="db_command", required=True, title="команды", metavar="КОМАНДА"
    )
    db.add_parser("upgrade", help="обновить схему базы до новейшей")
    db.add_parser("check", help="проверить, что модели и миграции совпадают")
    db.add_parser("current", help="показать версию схемы")
    db_backup = db.add_parser("backup", help="копия базы SQLite в ПУТЬ без остановки бота")
    db_backup.add_argument("path", type=Path, help="куда записать копию")
    db_restore = db.add_parser("restore", help="заменить базу SQLite копией")
    db_restore.add_argument("path", type=Path, help="файл копии")

    school = sub.add_parser("school", help="школы").add_subparsers(
        dest="school_command", required=True, title="команды", metavar="КОМАНДА"
    )
    add = school.add_parser("add", help="добавить школу")
    add.add_argument("name", help="полное название школы")
    add.add_argument("--short", dest="short_name", help="краткое название")
    add.add_argument("--municipality", help="муниципалитет")
    add.add_argument("--timezone", help=ZONE_HELP)
    school.add_parser("list", help="список школ")
    cli_admin.add_school_verbs(school)
    cli_admin.add_parsers(sub)
    status = sub.add_parser("status", help="таблица счётчиков состояния").add_subparsers(
        dest="status_command", required=True, title="команды", metavar="КОМАНДА"
    )
    status.add_parser("rebuild", help="пересчитать все планы (после загрузки данных SQL)")
    status.add_parser("check", help="сравнить счётчики с полным пересчётом; 1, если расходятся")

    invite = sub.add_parser("invite", help="создать, показать или отозвать приглашения")
    invite.add_argument("--school", help="школа: номер (id), название или краткое название")
    invite.add_argument("--plan", help="координатор только этого плана (номер или название)")
    invite.add_argument("--direction", help="вместе с --plan: только этого направления (код)")
    invite.add_argument(
        "--role", default="curator", help="curator, coordinator, observer или admin"
    )
    invite.add_argument(
        "--expires", default="14d", help="срок действия: 30m, 12h, 14d, 2w (по умолчанию 14d)"
    )
    invite.add_argument(
        "--uses", type=int, default=1, help="сколько человек может войти (по умолчанию 1)"
    )
    invite.add_argument("--list", action="store_true", help="список действующих приглашений")
    invite.add_argument("--revoke", type=int, metavar="ID", help="отозвать приглашение ID")

    imp = sub.add_parser("import", help="импортировать план (DOCX, XLSX, PDF, CSV или текст)")
    imp.add_argument("file", help="файл плана")
    imp.add_argument("--plan", help="название плана (по умолчанию — из документа)")
    imp.add_argument("--year", help="учебный год, например 2020/2021 (по умолчанию — из документа)")
    imp.add_argument("--timezone", help=ZONE_HELP + " (по умолчанию — DEFAULT_TIMEZONE)")
    imp.add_argument("--dry-run", action="store_true", help="показать разбор, ничего не сохранять")
    imp.add_argument(
        "--yes", action="store_true", help="сохранить, даже если пункты исключаются (не спрашивать)"
    )
    imp.add_argument(
        "--details",
        type=int,
        default=20,
        help="показать не больше N строк и школ каждого изменения",
    )
    imp.add_argument("--json", action="store_true", help="разбор в JSON")

    rem = sub.add_parser("reminders", help="напоминания").add_subparsers(
        dest="rem_command", required=True, title="команды", metavar="КОМАНДА"
    )
    rem_plan = rem.add_parser("plan", help="какие напоминания база отправит в окне дат")
    rem_plan.add_argument("--from", dest="since", required=True, help="ГГГГ-ММ-ДД (с полуночи UTC)")
    rem_plan.add_argument("--to", dest="until", required=True, help="ГГГГ-ММ-ДД (не включая)")
    rem_plan.add_argument("--json", action="store_true", help="JSON вместо строк")

    rep = sub.add_parser("report", help="записать отчёт по плану в XLSX или DOCX")
    rep.add_argument("plan", help="номер плана или часть его названия")
    rep.add_argument("--out", required=True, help="куда записать .xlsx или .docx")
    rep.add_argument(
        "--format",
        choices=("xlsx", "docx"),
        help="по умолчанию — по расширению --out, иначе xlsx",
    )
    rep.add_argument("--school", help="DOCX: отчёт одной школы (номер, id или название)")
    rep.add_argument(
        "--aggregate", action="store_true", help="DOCX: одна строка на мероприятие, все школы"
    )
    rep.add_argument("--template", help="DOCX: файл шаблона (по умолчанию — REPORT_TEMPLATE)")

    evi = sub.add_parser("evidence", help="записать ZIP с принятыми материалами плана")
    evi.add_argument("plan", help="номер плана или часть его названия")
    evi.add_argument("--out", required=True, help="куда записать .zip (части: .partN.zip)")
    evi.add_argument("--school", help="одна школа (номер, id или название)")
    evi.add_argument("--item", help="один пункт плана, по номеру (например 2.1)")
    evi.add_argument(
        "--part-mb", type=float, default=None, help="наибольшая часть, МБ (по умолчанию 49)"
    )

    periods = sub.add_parser("periods", help="разобрать сроки со стандартного ввода, по строке")
    periods.add_argument("--year", help="учебный год плана, например 2020/2021 или 2020")

    aud = sub.add_parser("audit", help="показать или выгрузить журнал действий")
    aud.add_argument("--plan", help="номер или название плана")
    aud.add_argument("--user", help="кто действовал: 123 (Telegram) или max:123")
    aud.add_argument("--since", help="ГГГГ-ММ-ДД или ГГГГ-ММ-ДДTЧЧ:ММ (часовой пояс по умолчанию)")
    aud.add_argument("--limit", type=int, help="не больше N записей")
    aud.add_argument("--json", action="store_true", help="JSON вместо строк")
    box = sub.add_parser(
        "sandbox",
        help="попробовать Куратора в терминале, без токена",
        description=(
            "Эмулятор Telegram (или MAX), бот и пробный план в одном процессе; четыре человека "
            "(координатор, два куратора, наблюдатель) переписываются с ботом из этого терминала. "
            "Ничего не уходит с компьютера, токен не нужен. См. docs/sandbox.md."
        ),
        epilog=SANDBOX_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    box.add_argument(
        "--plan", type=Path, help="файл плана для импорта (по умолчанию — пробный план 001)"
    )
    box.add_argument("--db", type=Path, help="файл SQLite (по умолчанию — новый временный)")
    box.add_argument("--script", type=Path, help="читать строки из ФАЙЛА и напечатать переписку")
    box.add_argument(
        "--messenger",
        default="telegram",
        help="где переписываются четверо: telegram (по умолчанию), max (эмулятор MAX) или both "
        "(координатор и curator2 в Telegram, curator1 и наблюдатель в MAX)",
    )
    box.add_argument(
        "--start",
        help="часы песочницы при запуске, 'ГГГГ-ММ-ДД ЧЧ:ММ' по времени плана (по умолчанию "
        "09:00 первого понедельника ноября учебного года плана; для плана 001 — 2020-11-02)",
    )
    emu = sub.add_parser("emulator", help="запустить эмулятор Telegram Bot API")
    emu.add_argument("--host", default="127.0.0.1", help="адрес (по умолчанию 127.0.0.1)")
    emu.add_argument("--port", type=int, default=8081, help="порт (по умолчанию 8081)")
    emu.add_argument(
        "--token", action="append", default=[], help="токен бота, который принимать (можно не раз)"
    )
    emu.add_argument("--username", default="kurator_test_bot", help="имя бота")
    return parser


ZONE_HELP = "часовой пояс: город (Екатеринбург) или имя зоны"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m bot`; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        fields = [".".join(str(p) for p in e["loc"]).upper() for e in exc.errors()]
        print(cli_texts.config_error(fields), file=sys.stderr)
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
    except CliError as exc:
        print(cli_texts.error_line(str(exc)), file=sys.stderr)
        return 1
    except DomainError as exc:
        print(cli_texts.error_line(cli_texts.domain_error(exc)), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


SANDBOX_HELP = """в чате (пишутся в строке ввода):
  /as coordinator | curator1 | curator2 | observer   говорить от имени другого
  /clock +3d | +2h | +30m | 2020-11-09 09:00         перевести часы; напоминания приходят по пути
  /file ПУТЬ ...   /photos ПУТЬ ...                  отправить файлы или фото
  2   ✅ Принять   /press 3.2                         нажать кнопку (3.2: сообщение 3, кнопка 2)
  /who   /help   /quit
всё остальное уходит боту от текущего человека, как в мессенджере.
примеры:
  python -m bot sandbox
  python -m bot sandbox --messenger max
  python -m bot sandbox --messenger both   (Ольга, Борис в Telegram; Алиса, Иван в MAX)
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
        raise CliError(cli_texts.NO_PLAN_FILE.format(path=plan))
    if args.start is None:
        start = plan_start(plan)
    else:
        try:
            start = datetime.strptime(args.start, "%Y-%m-%d %H:%M").replace(
                tzinfo=ZoneInfo(PLAN_ZONE)
            )
        except ValueError:
            raise CliError(cli_texts.BAD_START.format(value=args.start)) from None
    if args.script is not None and not args.script.is_file():
        raise CliError(cli_texts.NO_SCRIPT_FILE.format(path=args.script))
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
            print(cli_texts.WEBHOOK_TELEGRAM_ONLY, file=sys.stderr)
            return EXIT_USAGE
        if not settings.webhook_url:
            print(cli_texts.WEBHOOK_NEEDS_URL, file=sys.stderr)
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
    from core.clock import ManualClock

    local = moment.astimezone(ZoneInfo(settings.default_timezone))
    print(cli_texts.sandbox_db(local, settings.default_timezone), file=sys.stderr)
    return settings.model_copy(update={"clock_offset_seconds": offset_of(ManualClock(moment))})


def _zone(text: str | None) -> str | None:
    """The zone a person typed: a city ("Екатеринбург") or an IANA name; None for none."""
    from core.settings import parse_zone

    return parse_zone(text) if text else None


async def _with_session(
    settings: Settings, work: Callable[[AsyncSession], Awaitable[Any]], commits: bool = False
) -> Any:
    """Migrate, run `work` in one transaction (`commits`: `work` may commit on its way, as a
    big report does after its head), dispose the engine."""
    engine = build_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with build_session_factory(engine)() as session:
            if commits:
                done = await work(session)
                await session.commit()
                return done
            async with session.begin():
                return await work(session)
    finally:
        await engine.dispose()


async def _db(settings: Settings, args: argparse.Namespace) -> int:
    from db import backup

    if args.db_command in ("backup", "restore"):
        try:
            if args.db_command == "backup":
                pages = await asyncio.to_thread(backup.backup, settings.database_url, args.path)
                print(cli_texts.BACKUP_WRITTEN.format(path=args.path, pages=pages))
                return 0
            await asyncio.to_thread(backup.restore, args.path, settings.database_url)
        except backup.BackupError as exc:
            raise CliError(cli_texts.BACKUP_ERRORS[exc.key].format(**exc.params)) from None
    engine = build_engine(settings.database_url)
    try:
        if args.db_command in ("upgrade", "restore"):
            await upgrade(engine)  # a backup from an older release is brought up to date
            print(cli_texts.DB_REVISION.format(revision=await current_revision(engine)))
        elif args.db_command == "check":
            from alembic.util import AutogenerateDiffsDetected

            await upgrade(engine)
            try:
                await check(engine)
            except AutogenerateDiffsDetected as exc:
                raise CliError(cli_texts.DB_DIFFER.format(diffs=exc.diffs)) from None
            print(cli_texts.DB_AGREE)
        else:
            print(await current_revision(engine) or cli_texts.DB_EMPTY)
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
                timezone=_zone(args.timezone),
            ),
        )
        print(cli_texts.SCHOOL_LINE.format(id=school.id, name=school.name))
    elif args.school_command == "list":
        from bot.texts import zone_city

        for school in await _with_session(settings, list_schools):
            print(f"{school.id}\t{school.name}\t{zone_city(school.timezone) or '-'}")
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
    from core.settings import PLAN_KEYS, TERM_KEYS, SettingError

    try:
        print(await _with_session(settings, lambda s: cli_admin.plans(s, args, settings.clock())))
    except SettingError as exc:
        if exc.key not in PLAN_KEYS + TERM_KEYS:
            keys = ", ".join(PLAN_KEYS + TERM_KEYS)
            raise CliError(cli_texts.NO_SETTING.format(key=exc.key, keys=keys)) from None
        raise CliError(cli_texts.BAD_SETTING.format(key=exc.key, value=args.value)) from None
    return 0


async def _invite(settings: Settings, args: argparse.Namespace) -> int:
    from bot.texts import ROLE_NAMES
    from core.invitations import (
        create_invitation,
        invitation_link,
        list_invitations,
        revoke_invitation,
    )
    from core.schools import find_school

    clock = settings.clock()
    zone = settings.default_timezone
    if args.list:
        for inv in await _with_session(settings, lambda s: list_invitations(s, clock)):
            print(
                cli_texts.INVITE_LINE.format(
                    id=inv.id,
                    role=ROLE_NAMES[inv.role],
                    school=inv.school_name or "-",
                    used=inv.uses,
                    uses=inv.max_uses,
                    until=cli_texts.until(inv.expires_at, zone),
                )
            )
        return 0
    if args.revoke is not None:
        await _with_session(settings, lambda s: revoke_invitation(s, clock, args.revoke))
        print(cli_texts.INVITE_REVOKED.format(id=args.revoke))
        return 0
    try:
        role = parse_role(args.role)
    except ValueError:
        raise CliError(cli_texts.BAD_ROLE.format(value=args.role)) from None
    try:
        ttl = timedelta(seconds=parse_duration_seconds(args.expires))
    except ValueError:
        raise CliError(cli_texts.BAD_DURATION.format(value=args.expires)) from None
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
                    raise CliError(cli_texts.NO_DIRECTION.format(code=args.direction))
                direction_id = direction.id
        elif args.direction:
            raise CliError(cli_texts.DIRECTION_NEEDS_PLAN)
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
        cli_texts.INVITE_CREATED.format(
            id=created.id,
            role=ROLE_NAMES[created.role],
            school=f", {created.school_name}" if created.school_name else "",
            uses=created.max_uses,
            until=cli_texts.until(created.expires_at, zone),
        ),
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
            raise CliError(cli_texts.NO_USERNAME)
        names[TELEGRAM] = me.username
    if settings.max_bot_username:
        names[MAX] = settings.max_bot_username.lstrip("@")
    if not names:
        raise CliError(cli_texts.NEEDS_USERNAME)
    return names


def _periods(args: argparse.Namespace) -> int:
    """One JSON object per input line: the parsed period plus the text."""
    import json

    from core.periods import PeriodContext, parse_academic_year, parse_period

    year = None
    if args.year:
        year = parse_academic_year(args.year)
        if year is None:
            raise CliError(cli_texts.BAD_YEAR.format(value=args.year))
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
        print(cli_texts.EMULATOR_AT.format(url=server.url), flush=True)
        await asyncio.Event().wait()
    return 0


def _read_file(path: Path, limit: int, too_big: str) -> bytes:
    if not path.is_file():
        raise CliError(cli_texts.NO_FILE.format(path=path))
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
        raise CliError(cli_texts.BAD_DATES) from None
    if until <= since:
        raise CliError(cli_texts.BAD_WINDOW)

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
            item = str(row["item"])[:70]
            who = cli_texts.REMINDER_WHO.format(user_id=row["recipient_user_id"])
            moved = (
                cli_texts.REMINDERS_MOVED.format(moved_from=row["moved_from"], why=row["why"])
                if "moved_from" in row
                else ""
            )
            kind = cli_texts.REMINDER_KINDS.get(str(row["kind"]), str(row["kind"]))
            when = cli_texts.reminder_time(
                datetime.fromisoformat(str(row["utc"])), str(row["timezone"])
            )
            print(f"{when:<36} {who:<11} {kind:<14} {item}{moved}")
        print(cli_texts.REMINDERS_COUNT.format(count=len(rows)))
        if skipped:
            print(cli_texts.REMINDERS_DAYS_OFF)
            for d in skipped:
                where = f"  [{d['plan'][:40]}]" if d.get("plan") else ""
                effect = cli_texts.day_off_effect(d["effect"])
                print(f"  {d['days']:<22} {d['why'][:60]} -> {effect}{where}")
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
        raise CliError(cli_texts.DOCX_ONLY)
    chosen = args.template or settings.report_template
    template = Path(chosen) if chosen else None
    if template is not None and not await asyncio.to_thread(template.is_file):
        raise CliError(cli_texts.NO_TEMPLATE.format(path=template))

    async def write(session: AsyncSession) -> PlanReport:
        plan = await find_plan(session, args.plan)
        now = settings.clock().now()
        if kind == "xlsx":
            return await write_xlsx(
                session, plan.id, now, settings.default_timezone, out, alone=True
            )
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
            alone=True,
        )

    if kind == "xlsx":
        from reports import xlsx  # noqa: F401 (loaded before the freeze below)

    # What is loaded by now lives as long as this process: the garbage collector's full passes
    # need not walk it again while 200,000 rows come and go, or are kept until the save (a
    # fifth of a region's report), as in a report's own process (reports/worker.py).
    gc.freeze()
    gc.set_threshold(50_000, 50, 50)
    report = await _with_session(settings, write, commits=True)
    counts = report.status.counts if report.status else None
    if counts:
        print(
            cli_texts.REPORT_NUMBERS.format(
                title=report.title,
                total=counts.total,
                accepted=counts.accepted,
                submitted=counts.submitted,
                open=counts.open,
                overdue=counts.overdue,
            )
        )
    size = (await asyncio.to_thread(out.stat)).st_size
    print(cli_texts.WRITTEN.format(path=args.out, size=size))
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
    print(
        cli_texts.EVIDENCE_NUMBERS.format(title=title, files=len(found), missing=len(plan.missing))
    )
    for path in paths:
        size = (await asyncio.to_thread(path.stat)).st_size
        print(cli_texts.WRITTEN.format(path=path, size=size))
    return 0


async def _status(settings: Settings, args: argparse.Namespace) -> int:
    """`status rebuild` recounts the status counts table; `status check` compares it."""
    from core.status import Scope, scan_cells
    from core.status_counts import counted_cells
    from db.status_counts import rebuild

    if args.status_command == "rebuild":
        written = await _with_session(settings, lambda session: session.run_sync(rebuild))
        print(cli_texts.STATUS_REBUILT.format(rows=written))
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
        return [cli_texts.STATUS_ROW.format(key=key, kept=kept.get(key), counted=found.get(key))
                for key in sorted(kept.keys() | found.keys(), key=str)
                if kept.get(key) != found.get(key)]  # fmt: skip

    wrong = await _with_session(settings, compare)
    for line in wrong[:50]:
        print(line)
    print(cli_texts.STATUS_DIFFER.format(count=len(wrong)) if wrong else cli_texts.STATUS_AGREE)
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
            raise CliError(cli_texts.BAD_SINCE.format(value=args.since)) from None
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
    from bot.texts import document_time, zone_label

    zone = settings.default_timezone  # the one time rule: local time, the zone named once
    for line in lines:
        who = f"#{line.actor_user_id}" if line.actor_user_id else cli_texts.AUDIT_SYSTEM
        change = json.dumps(line.after, ensure_ascii=False) if line.after else ""
        print(
            f"{document_time(line.at, zone)}  {who:>14}  {line.action:<22} "
            f"{line.entity_type}:{line.entity_id}  {change}"
        )
    said = cli_texts.AUDIT_COUNT.format(count=len(lines))
    print(f"{said} (время{zone_label(zone)})" if lines else said, file=sys.stderr)
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
    from importer.files import MAX_FILE_BYTES, ImportFileError, load_plan

    path = Path(args.file)
    year = None
    if args.year:
        year = parse_academic_year(args.year)
        if year is None:
            raise CliError(cli_texts.BAD_YEAR.format(value=args.year))
    too_big = texts.import_file_error("too_big")
    data = await asyncio.to_thread(_read_file, path, MAX_FILE_BYTES, too_big)
    try:
        draft = load_plan(data, path.name, title=args.plan, academic_year=year)
        # A plan imported before may have its own term boundaries: read the file with them.
        terms = await _with_session(settings, lambda s: plan_terms(s, draft.title))
        if terms is not None:
            draft = load_plan(data, path.name, title=args.plan, academic_year=year, terms=terms)
    except ImportFileError as exc:
        raise CliError(texts.import_file_error(exc.code, exc.rows)) from None
    timezone = _zone(args.timezone) or settings.default_timezone
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
