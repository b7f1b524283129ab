"""Invitations: create, list, revoke, and redeem by /start deep link."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from core import audit
from core.clock import Clock
from core.codes import hash_code, looks_like_payload, new_code
from core.dto import (
    CreatedInvitation,
    InvitationInfo,
    Profile,
    Redemption,
)
from core.errors import (
    AccessSwitchedOff,
    InvalidInput,
    InvitationAlreadyUsed,
    InvitationExpired,
    InvitationRevoked,
    InvitationUnknown,
    InvitationUsedUp,
    NotFound,
)
from core.membership_news import tell_joined
from core.pseudonyms import account_key, pseudonym
from core.roles import Role
from core.users import context_for, mark_started, upsert_user
from db.models import (
    ForgottenAccount,
    Invitation,
    InvitationRedemption,
    Membership,
    School,
    User,
)

DEFAULT_TTL = timedelta(days=14)


async def create_invitation(
    session: AsyncSession,
    clock: Clock,
    *,
    role: Role,
    school_id: int | None,
    plan_id: int | None = None,
    direction_id: int | None = None,
    ttl: timedelta = DEFAULT_TTL,
    max_uses: int = 1,
    created_by_id: int | None = None,
) -> CreatedInvitation:
    """A new invitation; the returned code is the only copy."""
    if max_uses < 1:
        raise InvalidInput("the use limit must be at least 1", "invitation_uses")
    if ttl <= timedelta(0):
        raise InvalidInput("the expiry must be in the future", "invitation_past")
    if role in (Role.CURATOR, Role.OBSERVER) and school_id is None:
        raise InvalidInput(
            f"a {role.value} invitation needs a school", "invitation_needs_school", role=role
        )
    school_name = None
    if school_id is not None:
        school = await session.get(School, school_id)
        if school is None:
            raise NotFound(f"no school with id {school_id}", "school_id_not_found", id=school_id)
        school_name = school.name
    code = new_code()
    now = clock.now()
    invitation = Invitation(
        code_hash=hash_code(code),
        role=role,
        school_id=school_id,
        plan_id=plan_id,
        direction_id=direction_id,
        max_uses=max_uses,
        uses=0,
        expires_at=now + ttl,
        created_by_id=created_by_id,
        created_at=now,
    )
    session.add(invitation)
    await session.flush()
    audit.record(
        session,
        clock,
        actor_user_id=created_by_id,
        action="invitation.create",
        entity_type="invitation",
        entity_id=invitation.id,
        after={"role": role.value, "school_id": school_id, "max_uses": max_uses},
    )
    return CreatedInvitation(
        id=invitation.id,
        code=code,
        role=role,
        school_name=school_name,
        expires_at=invitation.expires_at,
        max_uses=max_uses,
    )


async def list_invitations(
    session: AsyncSession, clock: Clock, *, include_inactive: bool = False
) -> list[InvitationInfo]:
    """Invitations, newest first; by default only those that can still be used."""
    query = (
        select(Invitation, School.name)
        .outerjoin(School, School.id == Invitation.school_id)
        .order_by(Invitation.id.desc())
    )
    if not include_inactive:
        query = query.where(
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > clock.now(),
            Invitation.uses < Invitation.max_uses,
        )
    rows = await session.execute(query)
    return [
        InvitationInfo(
            id=inv.id,
            role=inv.role,
            school_id=inv.school_id,
            school_name=school_name,
            uses=inv.uses,
            max_uses=inv.max_uses,
            expires_at=inv.expires_at,
            revoked=inv.revoked_at is not None,
        )
        for inv, school_name in rows
    ]


async def revoke_invitation(
    session: AsyncSession, clock: Clock, invitation_id: int, *, actor_user_id: int | None = None
) -> None:
    """Make an invitation unusable from now on."""
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound(
            f"no invitation with id {invitation_id}", "invitation_not_found", id=invitation_id
        )
    if invitation.revoked_at is None:
        invitation.revoked_at = clock.now()
        audit.record(
            session,
            clock,
            actor_user_id=actor_user_id,
            action="invitation.revoke",
            entity_type="invitation",
            entity_id=invitation.id,
        )
    await session.flush()


async def redeem_invitation(
    session: AsyncSession, clock: Clock, *, code: str, profile: Profile
) -> Redemption:
    """Bind the person to the invitation's school and role; raises an InvitationError."""
    if not looks_like_payload(code):
        raise InvitationUnknown()
    invitation = await session.scalar(
        select(Invitation).where(Invitation.code_hash == hash_code(code))
    )
    if invitation is None:
        raise InvitationUnknown()
    user = await upsert_user(session, clock, profile)
    await mark_started(session, clock, user)
    if not user.is_active:
        raise AccessSwitchedOff()
    redeemed_before = await session.scalar(
        select(InvitationRedemption.id).where(
            InvitationRedemption.invitation_id == invitation.id,
            or_(
                InvitationRedemption.user_id == user.id,
                # The same person after /forget (from any account they had): only a new
                # invitation lets them in again.
                InvitationRedemption.user_id.in_(
                    select(ForgottenAccount.user_id).where(
                        ForgottenAccount.key
                        == await pseudonym(
                            session, account_key(profile.messenger, profile.external_id)
                        )
                    )
                ),
            ),
        )
    )
    if redeemed_before is not None:
        # Opening one's own link again greets, never grants: a role an admin removed since
        # stays removed, and the link's limits are not bypassed.
        if await _holds(session, user.id, invitation):
            return await _redemption(session, user, invitation, already_member=True)
        raise InvitationAlreadyUsed()
    now = clock.now()
    if invitation.revoked_at is not None:
        raise InvitationRevoked()
    if invitation.expires_at <= now:
        raise InvitationExpired()
    # Conditional increment: two people racing for the last use cannot both win.
    claimed = await session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.uses < Invitation.max_uses,
            Invitation.revoked_at.is_(None),
        )
        .values(uses=Invitation.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvitationUsedUp()
    session.add(InvitationRedemption(invitation_id=invitation.id, user_id=user.id, redeemed_at=now))
    already_member = await _grant(session, clock, user.id, invitation)
    return await _redemption(session, user, invitation, already_member=already_member)


async def _redemption(
    session: AsyncSession, user: User, invitation: Invitation, *, already_member: bool
) -> Redemption:
    await session.flush()
    context = await context_for(session, user)
    membership = next(
        (
            m
            for m in context.memberships
            if m.role == invitation.role
            and m.school_id == invitation.school_id
            and m.plan_id == invitation.plan_id
            and m.direction_id == invitation.direction_id
        ),
        None,
    )
    if membership is None:  # cannot happen after _grant; never a bare StopIteration
        raise InvitationAlreadyUsed()
    return Redemption(membership=membership, already_member=already_member, context=context)


async def _holds(session: AsyncSession, user_id: int, inv: Invitation) -> bool:
    """Whether the person holds the invitation's role now (not revoked)."""
    current = await session.scalar(
        select(Membership.id).where(
            Membership.user_id == user_id,
            Membership.role == inv.role,
            _same(Membership.school_id, inv.school_id),
            _same(Membership.plan_id, inv.plan_id),
            _same(Membership.direction_id, inv.direction_id),
            Membership.revoked_at.is_(None),
        )
    )
    return current is not None


async def _grant(session: AsyncSession, clock: Clock, user_id: int, inv: Invitation) -> bool:
    """Add the invitation's membership unless the person already has it; True if they had."""
    if await _holds(session, user_id, inv):
        return True
    membership = Membership(
        user_id=user_id,
        role=inv.role,
        school_id=inv.school_id,
        plan_id=inv.plan_id,
        direction_id=inv.direction_id,
        invitation_id=inv.id,
        created_at=clock.now(),
    )
    session.add(membership)
    await session.flush()
    audit.record(
        session,
        clock,
        actor_user_id=user_id,
        action="membership.grant",
        entity_type="membership",
        entity_id=membership.id,
        after={"role": inv.role.value, "school_id": inv.school_id, "invitation_id": inv.id},
    )
    await tell_joined(session, clock, membership, inv)
    return False


def _same(column: InstrumentedAttribute[int | None], value: int | None) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def invitation_link(bot_username: str, code: str, messenger: str = "telegram") -> str:
    """The deep link a person opens to join, in Telegram or MAX (the same code works in both)."""
    host = "max.ru" if messenger == "max" else "t.me"
    return f"https://{host}/{bot_username}?start={code}"
