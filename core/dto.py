"""Plain data returned by services, so callers never hold ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core.roles import Role


@dataclass(frozen=True, slots=True)
class Profile:
    """What a messenger tells us about a person writing from one of its accounts."""

    messenger: str
    external_id: int
    chat_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True, slots=True)
class SchoolInfo:
    id: int
    name: str
    short_name: str | None
    municipality: str | None
    timezone: str | None


@dataclass(frozen=True, slots=True)
class MembershipInfo:
    """One role of a person, with readable names of where it applies."""

    role: Role
    school_id: int | None
    school_name: str | None
    plan_id: int | None
    plan_title: str | None
    direction_id: int | None
    direction_title: str | None
    acting_for: int | None = None  # held for someone away, as their deputy
    acting_for_name: str | None = None
    acting_until: date | None = None


@dataclass(frozen=True, slots=True)
class UserContext:
    """Who is acting: the user row id and every active role."""

    user_id: int
    full_name: str | None
    is_active: bool
    memberships: tuple[MembershipInfo, ...]
    messenger: str = "telegram"  # the one this update came through (where reminders go, else)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(m.role for m in self.memberships)


@dataclass(frozen=True, slots=True)
class CreatedInvitation:
    """A new invitation; `code` is shown once and never stored."""

    id: int
    code: str
    role: Role
    school_name: str | None
    expires_at: datetime
    max_uses: int


@dataclass(frozen=True, slots=True)
class InvitationInfo:
    id: int
    role: Role
    school_id: int | None
    school_name: str | None
    uses: int
    max_uses: int
    expires_at: datetime
    revoked: bool


@dataclass(frozen=True, slots=True)
class Redemption:
    """Result of a successful /start with a code."""

    membership: MembershipInfo
    already_member: bool
    context: UserContext
