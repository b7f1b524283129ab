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
        people.add_parser(verb, help=f"{verb} a person").add_argument("telegram_id", type=int)
    role = people.add_parser("role", help="change (or with 'none' remove) a person's school roles")
    role.add_argument("telegram_id", type=int)
    role.add_argument("role")
    move = people.add_parser("move", help="move a person's school roles to another school")
    move.add_argument("telegram_id", type=int)
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
    attach = plan.add_parser("attach", help="make a school take part in a plan")
    attach.add_argument("plan")
    attach.add_argument("--school", required=True)
    attach.add_argument("--direction", help="only this direction (its code, e.g. 2)")


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
            lines.append(f"{p.telegram_id}\t{p.name}\t{roles or '-'}\t{state}")
        return "\n".join(lines) or "nobody"
    user_id = await admin.by_telegram_id(session, args.telegram_id)
    if args.people_command in ("activate", "deactivate"):
        await admin.set_active(
            session, clock, EVERYTHING, None, user_id, args.people_command == "activate"
        )
        return f"{args.telegram_id}: {args.people_command}d"
    if args.people_command == "role":
        role = None if args.role == "none" else parse_role(args.role)
        count = await admin.change_role(session, clock, EVERYTHING, None, user_id, role)
        return f"{args.telegram_id}: {count} roles changed"
    school = await find_school(session, args.school)
    count = await admin.move_to_school(session, clock, EVERYTHING, None, user_id, school.id)
    return f"{args.telegram_id}: {count} roles moved to school {school.id}"


async def plans(session: AsyncSession, args: argparse.Namespace, clock: Clock) -> str:
    from core.plan_import import attach_school
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
    school = await find_school(session, args.school)
    added = await attach_school(session, clock, plan.id, school.id, args.direction)
    return f"plan {plan.id}: school {school.id} takes part ({added} new items)"
