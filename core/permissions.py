"""Who may see or act on what: the one model every surface asks (chat, dashboard, documents,
calendar, CLI), built on the grants of `core.scope`.

Handlers, the CLI and web pages call the use cases in `core/`, and the use cases call these
before they read or change anything, so a forged button, a stale link or a switched-off
person meets the same rule as the ordinary path. The table of the rules, role by surface, is
in docs/administration.md. Pure: facts in, a yes or no out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from core.dto import MembershipInfo, UserContext
from core.roles import RANK, Role
from core.scope import scope_of

SCHOOL_ROLES = (Role.CURATOR, Role.OBSERVER)


def curator_schools(user: UserContext, plan_id: int | None = None) -> set[int]:
    """Schools where the person is an active curator (for the plan, when one is given)."""
    return {s for s, p, _ in scope_of(user).works if plan_id is None or p in (None, plan_id)}


def acting_for(user: UserContext, plan_id: int, school_id: int | None) -> MembershipInfo | None:
    """The deputy role through which the person works on a school's item, when they hold no
    curator role of their own there (the audit then names whom they act for)."""
    own = [
        m
        for m in user.memberships
        if m.role == Role.CURATOR and m.school_id == school_id and m.plan_id in (None, plan_id)
    ]
    if any(m.acting_for is None for m in own):
        return None
    return own[0] if own else None


def viewer_schools(user: UserContext) -> set[int]:
    """Schools the person follows as a curator or an observer."""
    return set(scope_of(user).school_ids)


def may_review(user: UserContext, plan_id: int, direction_id: int | None) -> bool:
    """Plan work: admins anywhere; coordinators of the plan (and of the direction, when set)."""
    return scope_of(user).covers(plan_id, direction_id)


def may_work_on_item(
    user: UserContext, plan_id: int, direction_id: int | None, school_id: int | None
) -> bool:
    """Mark done, postpone, ask: the school's curators (the department's items: reviewers)."""
    if school_id is None:
        return may_review(user, plan_id, direction_id)
    return scope_of(user).works_on(plan_id, direction_id, school_id)


def may_see_item(
    user: UserContext, plan_id: int, direction_id: int | None, school_id: int | None
) -> bool:
    """An item's card and status: who may work on it or review it, and the school's observers."""
    return scope_of(user).sees_item(plan_id, direction_id, school_id)


def may_see_submission(
    user: UserContext, plan_id: int, direction_id: int | None, school_id: int | None
) -> bool:
    """A submission with its comment and files: its reviewers and the school's curators (never
    observers: they see statuses, not evidence)."""
    scope = scope_of(user)
    return scope.sees_evidence(plan_id, direction_id, school_id) or (
        school_id is None and scope.covers(plan_id, direction_id)
    )


def may_review_submission(
    user: UserContext, submitter_id: int | None, plan_id: int, direction_id: int | None
) -> bool:
    """Accept or return: a reviewer of the item who did not hand it in (nobody reviews their
    own work, not even when they handed it in for an absent colleague)."""
    return submitter_id != user.user_id and may_review(user, plan_id, direction_id)


def may_report(
    user: UserContext, plan_id: int, school_id: int | None, school_in_plan: bool = True
) -> bool:
    """A plan's report: its coordinators (their directions) and admins; one school's report:
    also the school's curators and observers, when the school takes part in the plan."""
    scope = scope_of(user).within_plan(plan_id)
    if scope.reviews:
        return school_id is None or school_in_plan
    return (
        school_id is not None
        and school_in_plan
        and any(g[0] == school_id for g in scope.works | scope.watches)
    )


def may_withdraw(
    user: UserContext,
    submitter_id: int | None,
    plan_id: int,
    direction_id: int | None,
    school_id: int | None,
) -> bool:
    """Undo a submission: only its author, and only while they may still work on the item."""
    return submitter_id == user.user_id and may_work_on_item(user, plan_id, direction_id, school_id)


def may_answer_seminar(
    user: UserContext,
    seminar_schools: Iterable[int],
    plan_id: int | None,
    direction_id: int | None,
) -> bool:
    """Буду / Не смогу: people of the seminar's schools, and those who run its plan."""
    if not user.is_active:
        return False
    if set(seminar_schools) & viewer_schools(user):
        return True
    return plan_id is not None and may_review(user, plan_id, direction_id)


def may_manage_role(
    all_plans: bool, managed_schools: set[int] | None, role: Role, school_id: int | None
) -> bool:
    """One role of a person: everything for admins; school roles of their plans' schools else."""
    if all_plans or managed_schools is None:
        return True
    return role in SCHOOL_ROLES and school_id in managed_schools


def may_act_on_person(
    all_plans: bool,
    managed_schools: set[int] | None,
    roles: Iterable[tuple[Role, int | None]],
) -> bool:
    """Switch off, change or move a person: only when every role they hold is the actor's to
    manage (a plan coordinator cannot touch an admin who also curates one of their schools)."""
    return all(may_manage_role(all_plans, managed_schools, r, s) for r, s in roles)


def may_attach_schools(user: UserContext, plan_id: int, direction_id: int | None = None) -> bool:
    """Give a plan (or one direction of it) to schools, take it back, add a new school to it:
    admins and the plan's coordinators of that direction, by their own roles (a deputy's
    borrowed role never changes who takes part in a plan)."""
    own = replace(user, memberships=tuple(m for m in user.memberships if m.acting_for is None))
    return scope_of(own).covers(plan_id, direction_id)


def stand_in_roles(
    absent: Iterable[MembershipInfo],
    deputy: Iterable[MembershipInfo],
    plan_schools: dict[int, set[int]],
    direction_schools: dict[int, set[int]],
) -> list[MembershipInfo]:
    """The absent person's roles a deputy holds while standing in: each only where both share
    the plan (and direction), with a role of the deputy's own at least as high, and never more
    than the deputy's own role covers (a plan-1 coordinator never gains plan 2).

    `plan_schools` maps a plan to its schools, `direction_schools` a direction to its schools:
    a coordinator stands in for a curator only at a school of their plan (direction)."""
    own = [m for m in deputy if m.acting_for is None]
    out: list[MembershipInfo] = []
    for m in absent:
        if m.acting_for is not None or m.role not in (Role.CURATOR, Role.COORDINATOR):
            continue
        for mine in own:
            granted = _shared(m, mine, plan_schools, direction_schools)
            if granted is not None and granted not in out:
                out.append(granted)
    return out


def _shared(
    absent: MembershipInfo,
    mine: MembershipInfo,
    plan_schools: dict[int, set[int]],
    direction_schools: dict[int, set[int]],
) -> MembershipInfo | None:
    """The part of the absent person's role the deputy's own role `mine` also covers."""
    if RANK[mine.role] > RANK[absent.role]:  # a lesser role of one's own never stands in
        return None
    if mine.role == Role.ADMIN:
        return absent
    if absent.role == Role.COORDINATOR:  # mine: a coordinator too
        plan = _meet(absent.plan_id, mine.plan_id)
        direction = _meet(absent.direction_id, mine.direction_id)
        if plan is False or direction is False:
            return None
        return replace(absent, plan_id=plan, direction_id=direction)
    # The absent person is a school's curator.
    if mine.role == Role.CURATOR:
        if mine.school_id != absent.school_id:
            return None
        plan, direction = (
            _meet(absent.plan_id, mine.plan_id),
            _meet(absent.direction_id, mine.direction_id),
        )
        if plan is False or direction is False:
            return None
        return replace(absent, plan_id=plan, direction_id=direction)
    # A coordinator of one plan (direction) stands in for a curator at a school of it.
    if mine.plan_id is None:
        return absent
    plan = _meet(absent.plan_id, mine.plan_id)
    if plan is False or absent.school_id not in plan_schools.get(mine.plan_id, set()):
        return None
    direction = _meet(absent.direction_id, mine.direction_id)
    if direction is False:
        return None
    if mine.direction_id is not None and absent.school_id not in direction_schools.get(
        mine.direction_id, set()
    ):
        return None
    return replace(absent, plan_id=plan, direction_id=direction)


def _meet(a: int | None, b: int | None) -> int | bool | None:
    """The narrower of two limits (None: no limit); False when they exclude each other."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    return False
