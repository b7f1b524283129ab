"""Who may see or act on what: one function per kind of object, used by every surface.

Handlers, the CLI and web pages call the use cases in `core/`, and the use cases call these
before they read or change anything, so a forged button, a stale link or a switched-off
person meets the same rule as the ordinary path. Reading an object needs the same right as
acting on it, unless the function says otherwise. Pure: facts in, a yes or no out.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.dto import MembershipInfo, UserContext
from core.roles import Role

SCHOOL_ROLES = (Role.CURATOR, Role.OBSERVER)


def curator_schools(user: UserContext, plan_id: int | None = None) -> set[int]:
    """Schools where the person is an active curator (for the plan, when one is given)."""
    if not user.is_active:
        return set()
    return {
        m.school_id
        for m in user.memberships
        if m.role == Role.CURATOR
        and m.school_id is not None
        and (plan_id is None or m.plan_id in (None, plan_id))
    }


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
    if not user.is_active:
        return set()
    return {m.school_id for m in user.memberships if m.role in SCHOOL_ROLES and m.school_id}


def may_review(user: UserContext, plan_id: int, direction_id: int | None) -> bool:
    """Plan work: admins anywhere; coordinators of the plan (and of the direction, when set)."""
    if not user.is_active:
        return False
    for m in user.memberships:
        if m.role == Role.ADMIN:
            return True
        if (
            m.role == Role.COORDINATOR
            and m.plan_id in (None, plan_id)
            and m.direction_id in (None, direction_id)
        ):
            return True
    return False


def may_work_on_item(
    user: UserContext, plan_id: int, direction_id: int | None, school_id: int | None
) -> bool:
    """Mark done, postpone, ask: the school's curators (the department's items: reviewers)."""
    if school_id is None:
        return may_review(user, plan_id, direction_id)
    return school_id in curator_schools(user, plan_id)


def may_see_item(
    user: UserContext, plan_id: int, direction_id: int | None, school_id: int | None
) -> bool:
    """An item card: who may work on it or review it, and the school's observers."""
    return (
        may_work_on_item(user, plan_id, direction_id, school_id)
        or may_review(user, plan_id, direction_id)
        or (school_id is not None and school_id in viewer_schools(user))
    )


def may_report(user: UserContext, plan_id: int, school_id: int | None) -> bool:
    """A plan's report: its coordinators and admins; one school's report: also the school's
    curators and observers."""
    if not user.is_active:
        return False
    if any(
        m.role == Role.ADMIN or (m.role == Role.COORDINATOR and m.plan_id in (None, plan_id))
        for m in user.memberships
    ):
        return True
    return school_id is not None and school_id in viewer_schools(user)


def may_see_submission(
    user: UserContext, plan_id: int, direction_id: int | None, school_id: int | None
) -> bool:
    """A submission with its comment and files: its reviewers and the school's curators."""
    return may_review(user, plan_id, direction_id) or may_work_on_item(
        user, plan_id, direction_id, school_id
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
