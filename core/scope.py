"""Which plans, directions and schools a person's work covers: the grants every surface reads.

A person's roles become three kinds of grant, each exact to the plan and direction it names:
reviewing (admins: everything; coordinators: a plan, or one direction of it), working on a
school's items (curators, and deputies standing in for them) and watching a school's statuses
(observers). Lists filter by `visible` in SQL, single objects ask `core.permissions`; both read
the same grants, so no surface can widen what another refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from core.dto import UserContext
from core.roles import Role

Review = tuple[int, int | None]  # (plan, direction; None: the whole plan)
SchoolGrant = tuple[int, int | None, int | None]  # (school, plan; None: any, direction; None: any)


@dataclass(frozen=True)
class Scope:
    """What a person may see: every plan, or reviewing grants, and school grants."""

    all_plans: bool = False
    reviews: frozenset[Review] = frozenset()
    works: frozenset[SchoolGrant] = frozenset()  # curators: items, their evidence, actions
    watches: frozenset[SchoolGrant] = frozenset()  # observers: statuses, never evidence

    @classmethod
    def of_plan(cls, plan_id: int, direction_id: int | None = None) -> Scope:
        """A whole plan, or one direction of it (reports, group chats)."""
        return cls(reviews=frozenset({(plan_id, direction_id)}))

    @property
    def empty(self) -> bool:
        return not (self.all_plans or self.reviews or self.works or self.watches)

    @property
    def plan_ids(self) -> frozenset[int]:
        """Plans the person reviews, wholly or by direction."""
        return frozenset(plan for plan, _ in self.reviews)

    @property
    def school_ids(self) -> frozenset[int]:
        """Schools the person works for or watches."""
        return frozenset(g[0] for g in self.works | self.watches)

    def whole_plan(self, plan_id: int) -> bool:
        """Reviews every direction of the plan (plan-wide settings, holidays, pauses)."""
        return self.all_plans or (plan_id, None) in self.reviews

    def covers(self, plan_id: int, direction_id: int | None) -> bool:
        """Reviews the plan's work of this direction (None: work outside any direction)."""
        return self.whole_plan(plan_id) or (
            direction_id is not None and (plan_id, direction_id) in self.reviews
        )

    def directions(self, plan_id: int) -> frozenset[int] | None:
        """The directions of the plan the person reviews; None: all of them."""
        if self.whole_plan(plan_id):
            return None
        return frozenset(d for p, d in self.reviews if p == plan_id and d is not None)

    def works_on(self, plan_id: int, direction_id: int | None, school_id: int | None) -> bool:
        """A school's curator (or their deputy) for this item."""
        return _granted(self.works, plan_id, direction_id, school_id)

    def watches_school(self, plan_id: int, direction_id: int | None, school_id: int | None) -> bool:
        return _granted(self.watches, plan_id, direction_id, school_id)

    def sees_item(self, plan_id: int, direction_id: int | None, school_id: int | None) -> bool:
        """An item's status: its reviewers, its school's curators and observers."""
        return (
            self.covers(plan_id, direction_id)
            or self.works_on(plan_id, direction_id, school_id)
            or self.watches_school(plan_id, direction_id, school_id)
        )

    def sees_evidence(self, plan_id: int, direction_id: int | None, school_id: int | None) -> bool:
        """A submission's comment and files: reviewers and the school's curators, not observers."""
        return self.covers(plan_id, direction_id) or self.works_on(plan_id, direction_id, school_id)

    def evidence_only(self) -> Scope:
        """The same person without the observer grants (what evidence lists may show)."""
        return Scope(self.all_plans, self.reviews, self.works)

    def within_plan(self, plan_id: int) -> Scope:
        """The grants that touch one plan (a plan's report, archive or matrix)."""
        if self.all_plans:
            return Scope.of_plan(plan_id)
        return Scope(
            reviews=frozenset(r for r in self.reviews if r[0] == plan_id),
            works=frozenset(g for g in self.works if g[1] in (None, plan_id)),
            watches=frozenset(g for g in self.watches if g[1] in (None, plan_id)),
        )


def _granted(
    grants: frozenset[SchoolGrant], plan_id: int, direction_id: int | None, school_id: int | None
) -> bool:
    return school_id is not None and any(
        s == school_id and p in (None, plan_id) and d in (None, direction_id) for s, p, d in grants
    )


def scope_of(user: UserContext) -> Scope:
    """Admins and coordinators of every plan: everything; coordinators: their plans or
    directions; curators and observers: their schools (for a plan, when the role names one)."""
    if not user.is_active:
        return Scope()
    everything = False
    reviews: set[Review] = set()
    works: set[SchoolGrant] = set()
    watches: set[SchoolGrant] = set()
    for m in user.memberships:
        if m.role == Role.ADMIN or (m.role == Role.COORDINATOR and m.plan_id is None):
            everything = True
        elif m.role == Role.COORDINATOR and m.plan_id is not None:
            reviews.add((m.plan_id, m.direction_id))
        elif m.role == Role.CURATOR and m.school_id is not None:
            works.add((m.school_id, m.plan_id, m.direction_id))
        elif m.role == Role.OBSERVER and m.school_id is not None:
            watches.add((m.school_id, m.plan_id, m.direction_id))
    # A whole-plan grant makes the plan's direction grants redundant: drop them, so SQL stays short.
    whole = {p for p, d in reviews if d is None}
    reviews = {(p, d) for p, d in reviews if d is None or p not in whole}
    return Scope(
        all_plans=everything,
        reviews=frozenset() if everything else frozenset(reviews),
        works=frozenset(works),  # kept for everyone: "my items" are a school's, not a plan's
        watches=frozenset(watches),
    )


def visible(scope: Scope, plan_id: Any, direction_id: Any, school_id: Any) -> ColumnElement[bool]:
    """SQL condition: a row of these plan, direction and school columns is in the scope."""
    if scope.all_plans:
        return literal(True)
    conditions: list[ColumnElement[bool]] = []
    whole = sorted(p for p, d in scope.reviews if d is None)
    if whole:
        conditions.append(plan_id.in_(whole))
    by_plan: dict[int, list[int]] = {}
    for p, d in scope.reviews:
        if d is not None:
            by_plan.setdefault(p, []).append(d)
    for p, ds in sorted(by_plan.items()):
        conditions.append(and_(plan_id == p, direction_id.in_(sorted(ds))))
    conditions.extend(
        _school_conditions(scope.works | scope.watches, plan_id, direction_id, school_id)
    )
    return or_(*conditions) if conditions else literal(False)


def school_visible(
    scope: Scope, plan_id: Any, direction_id: Any, school_id: Any
) -> ColumnElement[bool]:
    """SQL condition: the row is one of the person's schools' (as curator or observer);
    `direction_id` None where the rows have no direction (a plan's schools)."""
    conditions = _school_conditions(scope.works | scope.watches, plan_id, direction_id, school_id)
    return or_(*conditions) if conditions else literal(False)


def _school_conditions(
    grants: frozenset[SchoolGrant], plan_id: Any, direction_id: Any, school_id: Any
) -> list[ColumnElement[bool]]:
    """School grants as SQL: the plain ones (any plan, any direction) in one IN list."""
    plain = sorted({s for s, p, d in grants if p is None and d is None})
    out: list[ColumnElement[bool]] = [school_id.in_(plain)] if plain else []
    for s, p, d in sorted(
        (g for g in grants if g[1] is not None or g[2] is not None),
        key=lambda g: (g[0], g[1] or 0, g[2] or 0),
    ):
        if s in plain:
            continue
        parts: list[ColumnElement[bool]] = [school_id == s]
        if p is not None:
            parts.append(plan_id == p)
        if d is not None and direction_id is not None:
            parts.append(direction_id == d)
        out.append(and_(*parts))
    return out


def schools_visible(
    scope: Scope, school_id: Any, plan_schools: Any, direction_schools: Any
) -> ColumnElement[bool]:
    """SQL condition: the school is one the person may see listed: every school for admins and
    coordinators of every plan; else the schools taking part in the plans (directions) they
    review, and their own. `plan_schools` and `direction_schools` are the (plan, school) and
    (direction, school) tables."""
    if scope.all_plans:
        return literal(True)
    conditions: list[ColumnElement[bool]] = []
    whole = sorted(p for p, d in scope.reviews if d is None)
    if whole:
        conditions.append(
            school_id.in_(select(plan_schools.school_id).where(plan_schools.plan_id.in_(whole)))
        )
    directions = sorted(d for _, d in scope.reviews if d is not None)
    if directions:
        conditions.append(
            school_id.in_(
                select(direction_schools.school_id).where(
                    direction_schools.direction_id.in_(directions)
                )
            )
        )
    if scope.school_ids:
        conditions.append(school_id.in_(sorted(scope.school_ids)))
    return or_(*conditions) if conditions else literal(False)
