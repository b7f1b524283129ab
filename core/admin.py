"""People administration: list and search, change or remove roles, move, (de)activate.

Admins (and coordinators without a plan restriction) manage everyone; a plan's coordinators
manage curators and observers of the schools taking part in their plans.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.absences import away_now
from core.clock import Clock
from core.errors import InvalidInput, NotFound
from core.outbox import cancel_pending_to
from core.permissions import SCHOOL_ROLES, may_act_on_person, may_manage_role
from core.roles import Role
from core.status import Scope
from db.models import Account, Membership, PlanSchool, School, User


@dataclass(frozen=True)
class RoleLine:
    membership_id: int
    role: Role
    school_id: int | None
    school: str | None


@dataclass(frozen=True)
class PersonLine:
    user_id: int
    accounts: str  # "tg:123, max:456": how the CLI names a person
    name: str
    username: str | None
    active: bool
    started: bool
    blocked: bool
    roles: tuple[RoleLine, ...]
    away_until: date | None = None  # away today, back after this day
    deputy: str | None = None


async def _school_ids(session: AsyncSession, scope: Scope) -> set[int] | None:
    """Schools a manager may act on; None: every school."""
    if scope.all_plans:
        return None
    return set(
        await session.scalars(
            select(PlanSchool.school_id).where(PlanSchool.plan_id.in_(scope.plan_ids))
        )
    )


def _may_manage(scope: Scope, schools: set[int] | None, role: RoleLine) -> bool:
    return may_manage_role(scope.all_plans, schools, role.role, role.school_id)


async def _people(session: AsyncSession, user_ids: list[int] | None) -> list[PersonLine]:
    query = (
        select(User, Membership, School.name)
        .outerjoin(Membership, (Membership.user_id == User.id) & Membership.revoked_at.is_(None))
        .outerjoin(School, School.id == Membership.school_id)
        .where(User.forgotten_at.is_(None))
        .order_by(User.full_name, User.id, Membership.id)
    )
    if user_ids is not None:
        query = query.where(User.id.in_(user_ids))
    people: dict[int, PersonLine] = {}
    roles: dict[int, list[RoleLine]] = {}
    labels: dict[int, str] = {}
    for owner, messenger, external_id in await session.execute(
        select(Account.user_id, Account.messenger, Account.external_id).order_by(Account.id)
    ):
        label = f"{ACCOUNT_PREFIX[messenger]}:{external_id}"
        labels[owner] = f"{labels[owner]}, {label}" if owner in labels else label
    for user, membership, school in await session.execute(query):
        people.setdefault(
            user.id,
            PersonLine(
                user.id,
                labels.get(user.id, "-"),
                user.full_name or "без имени",
                user.username,
                user.is_active,
                user.started_at is not None,
                user.blocked_at is not None,
                (),
            ),
        )
        if membership is not None:
            roles.setdefault(user.id, []).append(
                RoleLine(membership.id, membership.role, membership.school_id, school)
            )
    return [
        PersonLine(**{**p.__dict__, "roles": tuple(roles.get(p.user_id, []))})
        for p in people.values()
    ]


async def list_people(
    session: AsyncSession,
    scope: Scope,
    *,
    search: str | None = None,
    role: Role | None = None,
    school_id: int | None = None,
    today: date | None = None,
) -> list[PersonLine]:
    """People the manager may see, filtered by name, role and school; with `today`, who is
    away that day says so."""
    schools = await _school_ids(session, scope)
    found = []
    for person in await _people(session, None):
        visible = [r for r in person.roles if _may_manage(scope, schools, r)]
        if schools is not None and not visible:
            continue
        if search and search.casefold() not in f"{person.name} {person.username or ''}".casefold():
            continue
        if role is not None and not any(r.role == role for r in person.roles):
            continue
        if school_id is not None and not any(r.school_id == school_id for r in person.roles):
            continue
        found.append(person)
    if today is None:
        return found
    away = await away_now(session, {p.user_id for p in found}, today)
    return [
        replace(p, away_until=away[p.user_id].last, deputy=away[p.user_id].deputy)
        if p.user_id in away
        else p
        for p in found
    ]


ACCOUNT_PREFIX = {"telegram": "tg", "max": "max"}


def parse_account(text: str) -> tuple[str, int]:
    """ "123" or "tg:123" (Telegram), "max:123" (MAX) as (messenger, id); InvalidInput else."""
    prefix, _, number = text.strip().rpartition(":")
    messenger = {"": "telegram", "tg": "telegram", "telegram": "telegram", "max": "max"}.get(
        prefix.lower()
    )
    if messenger is None or not number.lstrip("-").isdigit():
        raise InvalidInput(
            f"не понимаю «{text}»: нужен номер в Telegram (123) или max:123",
            "account_format",
            text=text,
        )
    return messenger, int(number)


async def by_account(session: AsyncSession, account: str) -> int:
    """The person behind a messenger account written as `parse_account` reads it (the CLI)."""
    messenger, external_id = parse_account(account)
    user_id = await session.scalar(
        select(Account.user_id).where(
            Account.messenger == messenger, Account.external_id == external_id
        )
    )
    if user_id is None:
        raise NotFound(
            f"нет человека с учётной записью {account}", "account_unknown", account=account
        )
    return user_id


async def person(session: AsyncSession, scope: Scope, user_id: int) -> PersonLine:
    """One person, if the manager may see them."""
    schools = await _school_ids(session, scope)
    for found in await _people(session, [user_id]):
        if schools is None or any(_may_manage(scope, schools, r) for r in found.roles):
            return found
    raise NotFound(f"no person {user_id} in scope", "person_not_found", id=user_id)


async def _managed_roles(
    session: AsyncSession, scope: Scope, user_id: int
) -> tuple[PersonLine, list[RoleLine]]:
    """The person and their roles, for acting on them: every role must be the actor's."""
    found = await person(session, scope, user_id)
    schools = await _school_ids(session, scope)
    if not may_act_on_person(
        scope.all_plans, schools, [(r.role, r.school_id) for r in found.roles]
    ):
        raise NotFound(f"person {user_id} has roles beyond this scope")
    return found, list(found.roles)


async def set_active(
    session: AsyncSession,
    clock: Clock,
    scope: Scope,
    actor_user_id: int | None,
    user_id: int,
    active: bool,
) -> None:
    """Deactivate (no reminders, no access) or reactivate a person."""
    _, managed = await _managed_roles(session, scope, user_id)
    if not managed and not scope.all_plans:
        raise NotFound(f"no person {user_id} in scope", "person_not_found", id=user_id)
    if actor_user_id == user_id:
        raise InvalidInput("self")
    user = await session.get(User, user_id)
    assert user is not None
    if user.is_active == active:
        return
    user.is_active = active
    if not active:
        await cancel_pending_to(session, user_id)
    audit.record(
        session,
        clock,
        actor_user_id=actor_user_id,
        action="user.activate" if active else "user.deactivate",
        entity_type="user",
        entity_id=user_id,
    )


async def change_role(
    session: AsyncSession,
    clock: Clock,
    scope: Scope,
    actor_user_id: int | None,
    user_id: int,
    role: Role | None,
) -> int:
    """Give the person's school roles in scope a new role (None: remove them); returns how many."""
    if role is not None and role not in SCHOOL_ROLES and not scope.all_plans:
        raise NotFound("only admins grant coordinator and admin roles")
    _, managed = await _managed_roles(session, scope, user_id)
    now = clock.now()
    changed = 0
    for line in managed:
        if line.role == role:
            continue
        membership = await session.get(Membership, line.membership_id)
        assert membership is not None
        membership.revoked_at = now
        if role is not None:
            session.add(
                Membership(
                    user_id=user_id,
                    role=role,
                    school_id=membership.school_id,
                    plan_id=membership.plan_id,
                    direction_id=membership.direction_id,
                    created_at=now,
                )
            )
        audit.record(
            session,
            clock,
            actor_user_id=actor_user_id,
            action="membership.change" if role else "membership.revoke",
            entity_type="membership",
            entity_id=membership.id,
            before={"role": line.role.value, "school_id": line.school_id},
            after={"role": role.value} if role else None,
        )
        changed += 1
    await session.flush()
    return changed


async def move_to_school(
    session: AsyncSession,
    clock: Clock,
    scope: Scope,
    actor_user_id: int | None,
    user_id: int,
    school_id: int,
) -> int:
    """Move the person's school roles in scope to another school in scope."""
    schools = await _school_ids(session, scope)
    if (schools is not None and school_id not in schools) or await session.get(
        School, school_id
    ) is None:
        raise NotFound(f"no school {school_id} in scope")
    _, managed = await _managed_roles(session, scope, user_id)
    moved = 0
    for line in managed:
        if line.school_id is None or line.school_id == school_id:
            continue
        membership = await session.get(Membership, line.membership_id)
        assert membership is not None
        membership.school_id = school_id
        audit.record(
            session,
            clock,
            actor_user_id=actor_user_id,
            action="membership.move",
            entity_type="membership",
            entity_id=membership.id,
            before={"school_id": line.school_id},
            after={"school_id": school_id},
        )
        moved += 1
    await session.flush()
    return moved


async def schools_in_scope(session: AsyncSession, scope: Scope) -> list[tuple[int, str]]:
    """(id, name) of the schools a manager may move people to."""
    schools = await _school_ids(session, scope)
    query = select(School.id, School.name).order_by(School.name)
    if schools is not None:
        query = query.where(School.id.in_(schools))
    return [(i, n) for i, n in await session.execute(query)]


def invitable_roles(scope: Scope) -> tuple[Role, ...]:
    """Roles a manager may invite to: admins any, plan coordinators school roles only."""
    if scope.all_plans:
        return (Role.CURATOR, Role.OBSERVER, Role.COORDINATOR, Role.ADMIN)
    return SCHOOL_ROLES


async def check_invitation_scope(
    session: AsyncSession, scope: Scope, role: Role, school_id: int | None
) -> None:
    """Raise NotFound unless the manager may invite to this role and school."""
    if role not in invitable_roles(scope):
        raise NotFound(f"cannot invite to {role}")
    if role in SCHOOL_ROLES:
        allowed = await _school_ids(session, scope)
        if school_id is None or (allowed is not None and school_id not in allowed):
            raise NotFound(f"no school {school_id} in scope")


async def invitation_in_scope(session: AsyncSession, scope: Scope, school_id: int | None) -> bool:
    """True if a manager may see or revoke an invitation for this school."""
    allowed = await _school_ids(session, scope)
    return allowed is None or (school_id is not None and school_id in allowed)
