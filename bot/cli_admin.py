"""CLI for administration: people and roles, schools (rename, time zone, merge), plans."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.clock import Clock
from core.roles import parse_role
from core.status import Scope

EVERYTHING = Scope(all_plans=True)  # the terminal is the administrator's
Session = Callable[[Settings, Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]]


ACCOUNT_HELP = "the account: 123 (Telegram id) or max:123 (MAX user id)"


def add_parsers(sub: Any) -> None:
    """Register `people` and `plan` commands and the extra `school` verbs."""
    people = sub.add_parser("people", help="people and roles").add_subparsers(
        dest="people_command", required=True
    )
    listing = people.add_parser("list", help="list people")
    listing.add_argument("--search")
    listing.add_argument("--role")
    listing.add_argument("--school", help="school id, name or short name")
    for verb in ("activate", "deactivate"):
        people.add_parser(verb, help=f"{verb} a person").add_argument("account", help=ACCOUNT_HELP)
    role = people.add_parser("role", help="change (or with 'none' remove) a person's school roles")
    role.add_argument("account", help=ACCOUNT_HELP)
    role.add_argument("role")
    move = people.add_parser("move", help="move a person's school roles to another school")
    move.add_argument("account", help=ACCOUNT_HELP)
    move.add_argument("--school", required=True)

    plan = sub.add_parser("plan", help="plans: list, archive, settings, schools").add_subparsers(
        dest="plan_command", required=True
    )
    plan.add_parser("list", help="list plans")
    archive = plan.add_parser("archive", help="archive a finished plan (or --undo)")
    archive.add_argument("plan")
    archive.add_argument("--undo", action="store_true")
    setting = plan.add_parser("set", help="set a reminder setting: lead_days, hour, quiet, ...")
    setting.add_argument("plan")
    setting.add_argument("key")
    setting.add_argument("value")
    for kind, end in (("holidays", "remove"), ("pause", "lift")):
        verb = plan.add_parser(
            kind,
            help=f"{'school holidays' if kind == 'holidays' else 'pauses'} of a plan: "
            f"add SPAN TITLE, list, {end} ID",
        )
        verb.add_argument("plan")
        verb.add_argument("action", choices=("add", "list", end))
        verb.add_argument("what", nargs="?", help="2020-10-26..2020-11-03, or the id to " + end)
        verb.add_argument("title", nargs="?", default="", help="name (holidays) or reason (pause)")
        verb.add_argument("--school", help="only this school of the plan")
    move = plan.add_parser("deadline", help="move an item's due date (all schools, or --school)")
    move.add_argument("plan")
    move.add_argument("item", help="the item's number in the plan (e.g. 2.3) or its id")
    move.add_argument("date", help="the new due date, e.g. 2020-11-20")
    move.add_argument("--school", help="only this school")
    move.add_argument("--reason")
    attach = plan.add_parser("attach", help="make a school take part in a plan")
    attach.add_argument("plan")
    attach.add_argument("--school", required=True)
    attach.add_argument("--direction", help="only this direction (its code, e.g. 2)")
    detach = plan.add_parser(
        "detach", help="a school no longer takes part (open items cancelled, work kept)"
    )
    detach.add_argument("plan")
    detach.add_argument("--school", required=True)
    detach.add_argument("--direction", help="only this direction (its code, e.g. 2)")
    detach.add_argument("--yes", action="store_true", help="do it (else: only say what it does)")


def add_school_verbs(school: Any) -> None:
    rename = school.add_parser("rename", help="rename a school")
    rename.add_argument("school")
    rename.add_argument("name")
    zone = school.add_parser("timezone", help="set a school's time zone")
    zone.add_argument("school")
    zone.add_argument("timezone")
    merge = school.add_parser("merge", help="fold a duplicate school into another")
    merge.add_argument("duplicate")
    merge.add_argument("--into", required=True)


async def school_verb(session: AsyncSession, args: argparse.Namespace, clock: Clock) -> str:
    from core.schools import find_school, merge_schools, rename_school

    school = await find_school(
        session, args.school if args.school_command != "merge" else args.duplicate
    )
    if args.school_command == "rename":
        renamed = await rename_school(session, clock, school.id, name=args.name, timezone=None)
        return f"school {school.id}: {renamed.name}"
    if args.school_command == "timezone":
        changed = await rename_school(session, clock, school.id, name=None, timezone=args.timezone)
        return f"school {school.id}: {changed.timezone}"
    target = await find_school(session, args.into)
    moved = await merge_schools(session, clock, school.id, target.id)
    return f"school {school.id} merged into {target.id}: {moved} assignments moved"


async def people(session: AsyncSession, args: argparse.Namespace, clock: Clock) -> str:
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
                r.role.value + (f"@{r.school_id}" if r.school_id else "") for r in p.roles
            )
            state = (
                "inactive"
                if not p.active
                else "blocked"
                if p.blocked
                else "never started"
                if not p.started
                else "ok"
            )
            lines.append(f"{p.accounts}\t{p.name}\t{roles or '-'}\t{state}")
        return "\n".join(lines) or "nobody"
    user_id = await admin.by_account(session, args.account)
    if args.people_command in ("activate", "deactivate"):
        await admin.set_active(
            session, clock, EVERYTHING, None, user_id, args.people_command == "activate"
        )
        return f"{args.account}: {args.people_command}d"
    if args.people_command == "role":
        role = None if args.role == "none" else parse_role(args.role)
        count = await admin.change_role(session, clock, EVERYTHING, None, user_id, role)
        return f"{args.account}: {count} roles changed"
    school = await find_school(session, args.school)
    count = await admin.move_to_school(session, clock, EVERYTHING, None, user_id, school.id)
    return f"{args.account}: {count} roles moved to school {school.id}"


async def plans(session: AsyncSession, args: argparse.Namespace, clock: Clock) -> str:
    from bot import texts
    from core.plan_import import attach_school, detach_school
    from core.report_data import find_plan
    from core.schools import find_school
    from core.settings import plans_in_scope, set_archived, set_plan_setting

    if args.plan_command == "list":
        rows = await plans_in_scope(session, EVERYTHING)
        return (
            "\n".join(
                f"{p.plan_id}\t{p.title[:100]}" + ("\t(archived)" if p.archived else "")
                for p in rows
            )
            or "no plans"
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
        return f"plan {plan.id}: {'back from the archive' if args.undo else 'archived'}"
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
        return f"plan {plan.id}: {args.key} = {args.value}"
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
    return f"plan {plan.id}: school {school.id} takes part ({added} new items)"


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
            + ("\t(прошли)" if r.last < today else "")
            for r in rows
        ) or ("каникул нет" if args.plan_command == "holidays" else "пауз нет")
    if args.action in ("remove", "lift"):
        if not (args.what or "").isdigit():
            raise InvalidInput(f"give the id to {args.action} (see: list)")
        row = await timeoff.lift(session, clock, int(args.what), today, None)
        return f"{row.kind} {row.id}: " + ("removed" if args.action == "remove" else "lifted")
    if not args.what:
        raise InvalidInput("give the days, e.g. 2020-10-26..2020-11-03")
    try:
        first, last, _ = timeoff.parse_span(args.what, today)
    except InvalidInput:
        raise InvalidInput(
            f"cannot read the days {args.what!r}; e.g. 2020-10-26..2020-11-03"
        ) from None
    school_id = (await find_school(session, args.school)).id if args.school else None
    row = await timeoff.add_break(
        session, clock, plan_id, args.plan_command, first, last, args.title, school_id=school_id
    )
    where = f", school {row.school_id}" if row.school_id else ""
    return f"{row.kind} {row.id}: {row.first}..{row.last} {row.title}{where}"


async def _move_deadline(
    session: AsyncSession, args: argparse.Namespace, clock: Clock, plan_id: int
) -> str:
    """`plan deadline PLAN ITEM DATE [--school S] [--reason R]`."""
    from datetime import date

    from core import deadlines
    from core.errors import InvalidInput, NotFound
    from core.schools import find_school

    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        raise InvalidInput(f"dates look like 2020-11-20, not {args.date!r}") from None
    activity_id = await deadlines.find_activity(session, plan_id, args.item)
    school_id = (await find_school(session, args.school)).id if args.school else None
    try:
        change, count = await deadlines.move(
            session, clock, None, activity_id, day, school_id, args.reason
        )
    except deadlines.DeadlineError as exc:
        raise NotFound(f"cannot move: {exc.code}") from None
    where = f"school {school_id}" if school_id else "all schools"
    return f"item {activity_id} ({change.title[:60]}): due {day} for {where}; {count} item(s) moved"
