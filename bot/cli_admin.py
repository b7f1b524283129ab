"""CLI for administration: people and roles, schools (rename, time zone, merge), plans."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import cli_texts as words
from bot.settings import Settings
from core.clock import Clock
from core.roles import parse_role
from core.status import Scope

EVERYTHING = Scope(all_plans=True)  # the terminal is the administrator's
Session = Callable[[Settings, Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]]


ACCOUNT_HELP = "учётная запись: 123 (номер в Telegram) или max:123 (номер в MAX)"
COMMANDS = {"title": "команды", "metavar": "КОМАНДА"}


def add_parsers(sub: Any) -> None:
    """Register `people` and `plan` commands and the extra `school` verbs."""
    people = sub.add_parser("people", help="люди и роли").add_subparsers(
        dest="people_command", required=True, **COMMANDS
    )
    listing = people.add_parser("list", help="список людей")
    listing.add_argument("--search", help="часть имени")
    listing.add_argument("--role", help="curator, coordinator, observer или admin")
    listing.add_argument("--school", help=SCHOOL_HELP)
    for verb, said in (("activate", "включить"), ("deactivate", "отключить")):
        people.add_parser(verb, help=f"{said} человека").add_argument("account", help=ACCOUNT_HELP)
    role = people.add_parser("role", help="сменить роли человека в школе (none — снять)")
    role.add_argument("account", help=ACCOUNT_HELP)
    role.add_argument("role", help="curator, coordinator, observer, admin или none")
    move = people.add_parser("move", help="перенести роли человека в другую школу")
    move.add_argument("account", help=ACCOUNT_HELP)
    move.add_argument("--school", required=True, help=SCHOOL_HELP)

    plan = sub.add_parser("plan", help="планы: список, архив, настройки, школы").add_subparsers(
        dest="plan_command", required=True, **COMMANDS
    )
    plan.add_parser("list", help="список планов")
    archive = plan.add_parser("archive", help="убрать законченный план в архив (или --undo)")
    archive.add_argument("plan", help=PLAN_HELP)
    archive.add_argument("--undo", action="store_true", help="вернуть из архива")
    setting = plan.add_parser("set", help="настройка напоминаний: lead_days, hour, quiet, …")
    setting.add_argument("plan", help=PLAN_HELP)
    setting.add_argument("key", help="lead_days, hour, quiet, overdue_days, …")
    setting.add_argument("value", help="новое значение")
    for kind, end in (("holidays", "remove"), ("pause", "lift")):
        verb = plan.add_parser(
            kind,
            help=f"{'каникулы' if kind == 'holidays' else 'паузы'} плана: "
            f"add ДНИ НАЗВАНИЕ, list, {end} ID",
        )
        verb.add_argument("plan", help=PLAN_HELP)
        verb.add_argument("action", choices=("add", "list", end), help="что сделать")
        verb.add_argument("what", nargs="?", help=f"2020-10-26..2020-11-03 или номер для {end}")
        verb.add_argument(
            "title", nargs="?", default="", help="название (каникулы) или причина (пауза)"
        )
        verb.add_argument("--school", help="только эта школа плана")
    move = plan.add_parser("deadline", help="перенести срок пункта (всем школам или --school)")
    move.add_argument("plan", help=PLAN_HELP)
    move.add_argument("item", help="номер пункта в плане (например 2.3) или его id")
    move.add_argument("date", help="новый срок, например 2020-11-20")
    move.add_argument("--school", help="только эта школа")
    move.add_argument("--reason", help="причина")
    attach = plan.add_parser("attach", help="подключить школу к плану")
    attach.add_argument("plan", help=PLAN_HELP)
    attach.add_argument("--school", required=True, help=SCHOOL_HELP)
    attach.add_argument("--direction", help="только это направление (его код, например 2)")
    detach = plan.add_parser(
        "detach", help="отключить школу от плана (открытые пункты снимаются, работа остаётся)"
    )
    detach.add_argument("plan", help=PLAN_HELP)
    detach.add_argument("--school", required=True, help=SCHOOL_HELP)
    detach.add_argument("--direction", help="только это направление (его код, например 2)")
    detach.add_argument(
        "--yes", action="store_true", help="отключить (без него — только сказать, что будет)"
    )


SCHOOL_HELP = "школа: номер (id), название или краткое название"
PLAN_HELP = "номер плана или часть его названия"


def add_school_verbs(school: Any) -> None:
    """Register `school rename|timezone|merge`."""
    rename = school.add_parser("rename", help="переименовать школу")
    rename.add_argument("school", help=SCHOOL_HELP)
    rename.add_argument("name", help="новое название")
    zone = school.add_parser("timezone", help="задать часовой пояс школы")
    zone.add_argument("school", help=SCHOOL_HELP)
    zone.add_argument("timezone", help="город (Екатеринбург) или имя зоны")
    merge = school.add_parser("merge", help="слить школу-дубль с другой школой")
    merge.add_argument("duplicate", help="школа-дубль: " + SCHOOL_HELP)
    merge.add_argument("--into", required=True, help="с какой школой: " + SCHOOL_HELP)


async def school_verb(session: AsyncSession, args: argparse.Namespace, clock: Clock) -> str:
    from bot.texts import zone_city
    from core.schools import find_school, merge_schools, rename_school
    from core.settings import parse_zone

    school = await find_school(
        session, args.school if args.school_command != "merge" else args.duplicate
    )
    if args.school_command == "rename":
        renamed = await rename_school(session, clock, school.id, name=args.name, timezone=None)
        return words.SCHOOL_LINE.format(id=school.id, name=renamed.name)
    if args.school_command == "timezone":
        zone = parse_zone(args.timezone)
        changed = await rename_school(session, clock, school.id, name=None, timezone=zone)
        return words.SCHOOL_ZONE.format(id=school.id, city=zone_city(changed.timezone))
    target = await find_school(session, args.into)
    moved = await merge_schools(session, clock, school.id, target.id)
    return words.SCHOOL_MERGED.format(id=school.id, into=target.id, moved=moved)


async def people(session: AsyncSession, args: argparse.Namespace, clock: Clock) -> str:
    from bot.texts import ROLE_NAMES
    from core import admin
    from core.schools import find_school

    if args.people_command == "list":
        school_id = (await find_school(session, args.school)).id if args.school else None
        rows = await admin.list_people(
            session,
            EVERYTHING,
            search=args.search,
            role=parse_role(args.role) if args.role else None,
            school_id=school_id,
        )
        lines = []
        for p in rows:
            roles = ", ".join(
                ROLE_NAMES[r.role] + (f"@{r.school_id}" if r.school_id else "") for r in p.roles
            )
            state = (
                "inactive"
                if not p.active
                else "blocked"
                if p.blocked
                else "never_started"
                if not p.started
                else "ok"
            )
            lines.append(f"{p.accounts}\t{p.name}\t{roles or '-'}\t{words.PERSON_STATES[state]}")
        return "\n".join(lines) or words.NOBODY
    user_id = await admin.by_account(session, args.account)
    if args.people_command in ("activate", "deactivate"):
        await admin.set_active(
            session, clock, EVERYTHING, None, user_id, args.people_command == "activate"
        )
        return words.PERSON_ACTIVE[args.people_command == "activate"].format(account=args.account)
    if args.people_command == "role":
        role = None if args.role == "none" else parse_role(args.role)
        count = await admin.change_role(session, clock, EVERYTHING, None, user_id, role)
        return words.ROLES_CHANGED.format(account=args.account, count=count)
    school = await find_school(session, args.school)
    count = await admin.move_to_school(session, clock, EVERYTHING, None, user_id, school.id)
    return words.ROLES_MOVED.format(account=args.account, school=school.id, count=count)


async def plans(session: AsyncSession, args: argparse.Namespace, clock: Clock) -> str:
    from bot import texts
    from core.plan_import import attach_school, detach_school
    from core.report_data import find_plan
    from core.schools import find_school
    from core.settings import plans_in_scope, set_archived, set_plan_setting

    if args.plan_command == "list":
        rows = await plans_in_scope(session, EVERYTHING)
        return "\n".join(words.plan_line(p.plan_id, p.title, p.archived) for p in rows) or (
            words.NO_PLANS
        )
    plan = await find_plan(session, args.plan)
    if args.plan_command == "archive":
        await set_archived(
            session,
            clock,
            scope=EVERYTHING,
            actor_user_id=None,
            plan_id=plan.id,
            archived=not args.undo,
        )
        return words.PLAN_ARCHIVED[not args.undo].format(id=plan.id)
    if args.plan_command == "set":
        await set_plan_setting(
            session,
            clock,
            scope=EVERYTHING,
            actor_user_id=None,
            plan_id=plan.id,
            key=args.key,
            text=args.value,
        )
        return words.PLAN_SET.format(id=plan.id, key=args.key, value=args.value)
    if args.plan_command in ("holidays", "pause"):
        return await _time_off(session, args, clock, plan.id)
    if args.plan_command == "deadline":
        return await _move_deadline(session, args, clock, plan.id)
    school = await find_school(session, args.school)
    if args.plan_command == "detach":
        done = await detach_school(
            session, clock, plan.id, school.id, args.direction, dry_run=not args.yes
        )
        return texts.detach_result(school.name, done.cancelled, done.kept, done=args.yes)
    added = await attach_school(session, clock, plan.id, school.id, args.direction)
    return words.PLAN_ATTACHED.format(id=plan.id, school=school.id, added=added)


async def _time_off(
    session: AsyncSession, args: argparse.Namespace, clock: Clock, plan_id: int
) -> str:
    """`plan holidays|pause PLAN add|list|remove|lift`."""
    from core import timeoff
    from core.errors import InvalidInput
    from core.schools import find_school

    today = clock.now().date()
    if args.action == "list":
        rows = await timeoff.list_breaks(session, plan_id, today, args.plan_command, past_too=True)
        return "\n".join(
            f"{r.id}\t{r.first:%d.%m.%Y}–{r.last:%d.%m.%Y}\t{r.title}"
            + (f"\t{r.school}" if r.school else "")
            + (f"\t{words.BREAKS_PAST}" if r.last < today else "")
            for r in rows
        ) or (words.NO_HOLIDAYS if args.plan_command == "holidays" else words.NO_PAUSES)
    if args.action in ("remove", "lift"):
        if not (args.what or "").isdigit():
            raise InvalidInput(f"give the id to {args.action} (see: list)", "give_id")
        row = await timeoff.lift(session, clock, int(args.what), today, None)
        said = words.BREAK_KINDS.get(row.kind, row.kind)
        return f"{said} {row.id}: {words.BREAK_ENDED[args.action]}"
    if not args.what:
        raise InvalidInput("give the days, e.g. 2020-10-26..2020-11-03", "give_days")
    try:
        first, last, _ = timeoff.parse_span(args.what, today)
    except InvalidInput:
        raise InvalidInput(
            f"cannot read the days {args.what!r}; e.g. 2020-10-26..2020-11-03",
            "bad_days",
            value=args.what,
        ) from None
    school_id = (await find_school(session, args.school)).id if args.school else None
    row = await timeoff.add_break(
        session, clock, plan_id, args.plan_command, first, last, args.title, school_id=school_id
    )
    where = words.BREAK_SCHOOL.format(school=row.school_id) if row.school_id else ""
    return words.BREAK_ADDED.format(
        kind=words.BREAK_KINDS.get(row.kind, row.kind),
        id=row.id,
        first=row.first,
        last=row.last,
        title=row.title,
        where=where,
    )


async def _move_deadline(
    session: AsyncSession, args: argparse.Namespace, clock: Clock, plan_id: int
) -> str:
    """`plan deadline PLAN ITEM DATE [--school S] [--reason R]`."""
    from datetime import date

    from bot.texts import DEADLINE_ERRORS
    from core import deadlines
    from core.errors import InvalidInput, NotFound
    from core.schools import find_school

    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        raise InvalidInput(
            f"dates look like 2020-11-20, not {args.date!r}", "bad_date", value=args.date
        ) from None
    activity_id = await deadlines.find_activity(session, plan_id, args.item)
    school_id = (await find_school(session, args.school)).id if args.school else None
    try:
        change, count = await deadlines.move(
            session, clock, None, activity_id, day, school_id, args.reason
        )
    except deadlines.DeadlineError as exc:
        reason = DEADLINE_ERRORS.get(exc.code, exc.code).rstrip(".")
        raise NotFound(f"cannot move: {exc.code}", "deadline", reason=reason) from None
    where = words.DEADLINE_SCHOOL.format(school=school_id) if school_id else words.DEADLINE_ALL
    return words.DEADLINE_MOVED.format(
        id=activity_id, title=change.title[:60], day=day, where=where, count=count
    )
