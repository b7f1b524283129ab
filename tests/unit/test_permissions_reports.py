"""Who may have a plan's report, a school's report, the evidence and the calendar's plan
deadlines: pure facts in, yes or no out (core/permissions.py)."""

from __future__ import annotations

import pytest

from core.dto import MembershipInfo, UserContext
from core.permissions import may_report
from core.roles import Role

PLAN, OTHER_PLAN, SCHOOL, OTHER_SCHOOL = 1, 2, 10, 11


def _user(*roles: tuple[Role, int | None, int | None], active: bool = True) -> UserContext:
    memberships = tuple(
        MembershipInfo(role, school, None, plan, None, None, None) for role, school, plan in roles
    )
    return UserContext(1, "Имя", active, memberships)


@pytest.mark.parametrize(
    ("user", "school", "allowed"),
    [
        (_user((Role.ADMIN, None, None)), None, True),
        (_user((Role.COORDINATOR, None, PLAN)), None, True),
        (_user((Role.COORDINATOR, None, None)), None, True),  # every plan
        (_user((Role.COORDINATOR, None, OTHER_PLAN)), None, False),
        (_user((Role.COORDINATOR, None, OTHER_PLAN)), SCHOOL, False),
        (_user((Role.CURATOR, SCHOOL, None)), None, False),  # not the whole plan
        (_user((Role.CURATOR, SCHOOL, None)), SCHOOL, True),
        (_user((Role.OBSERVER, SCHOOL, None)), SCHOOL, True),
        (_user((Role.CURATOR, SCHOOL, None)), OTHER_SCHOOL, False),
        (_user((Role.ADMIN, None, None), active=False), None, False),
        (_user((Role.CURATOR, SCHOOL, None), active=False), SCHOOL, False),
    ],
)
def test_may_report(user: UserContext, school: int | None, allowed: bool) -> None:
    assert may_report(user, PLAN, school) is allowed
