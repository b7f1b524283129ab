"""Roles a person can hold in a school, plan or direction."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Membership role; the order of `RANK` decides which menu a person sees first."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    CURATOR = "curator"
    OBSERVER = "observer"


RANK: dict[Role, int] = {Role.ADMIN: 0, Role.COORDINATOR: 1, Role.CURATOR: 2, Role.OBSERVER: 3}


def parse_role(text: str) -> Role:
    """Role from its English name, case-insensitive; raises ValueError with the choices."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {text!r}; choose one of: {choices}") from None
