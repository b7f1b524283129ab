"""Which plans, directions and schools a person's status covers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from core.dto import UserContext
from core.roles import Role


@dataclass(frozen=True)
class Scope:
    """Which work a person may see: every plan, some plans (and directions), or some schools."""

    all_plans: bool = False
    plan_ids: frozenset[int] = frozenset()
    direction_ids: frozenset[int] = frozenset()  # restricts the plans above when set
    school_ids: frozenset[int] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.all_plans or self.plan_ids or self.school_ids)


def scope_of(user: UserContext) -> Scope:
    """Admins: everything; coordinators: their plans or directions; others: their schools."""
    plans: set[int] = set()
    directions: set[int] = set()
    schools: set[int] = set()
    for m in user.memberships:
        if m.role == Role.ADMIN or (m.role == Role.COORDINATOR and m.plan_id is None):
            return Scope(all_plans=True)
        if m.role == Role.COORDINATOR and m.plan_id is not None:
            plans.add(m.plan_id)
            if m.direction_id is not None:
                directions.add(m.direction_id)
        elif m.role in (Role.CURATOR, Role.OBSERVER) and m.school_id is not None:
            schools.add(m.school_id)
    return Scope(
        plan_ids=frozenset(plans),
        direction_ids=frozenset(directions),
        school_ids=frozenset(schools),
    )


def visible(scope: Scope, plan_id: Any, direction_id: Any, school_id: Any) -> ColumnElement[bool]:
    """SQL condition: a row of these plan, direction and school columns is in the scope."""
    if scope.all_plans:
        return literal(True)
    conditions: list[ColumnElement[bool]] = []
    if scope.plan_ids:
        by_plan: ColumnElement[bool] = plan_id.in_(scope.plan_ids)
        if scope.direction_ids:
            by_plan = and_(by_plan, direction_id.in_(scope.direction_ids))
        conditions.append(by_plan)
    if scope.school_ids:
        conditions.append(school_id.in_(scope.school_ids))
    return or_(*conditions) if conditions else literal(False)
