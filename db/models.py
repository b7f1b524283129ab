"""SQLAlchemy models for the whole product: organisations, plans, work, people, delivery, audit."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.roles import Role
from core.states import AssignmentStatus, Level, OutboxStatus, RsvpAnswer, SubmissionStatus
from db.base import Base
from db.types import UTCDateTime


def _enum(cls: type[StrEnum]) -> Enum:
    # Plain VARCHAR + CHECK on every backend: no PostgreSQL enum types to migrate.
    return Enum(
        cls,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        name=cls.__name__.lower(),
    )


class School(Base):
    """An educational organisation (ОО) or another participating organisation."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(500), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(200), index=True)
    number: Mapped[str | None] = mapped_column(String(20), index=True)
    municipality: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Plan(Base):
    """An imported plan (план-график, дорожная карта, план мероприятий)."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    academic_year: Mapped[int | None] = mapped_column(Integer)  # Y of "Y/Y+1"
    year_from: Mapped[int | None] = mapped_column(Integer)
    year_to: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str | None] = mapped_column(String(500))
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    directions: Mapped[list[Direction]] = relationship(back_populates="plan")


class PlanSchool(Base):
    """A school taking part in a plan."""

    __tablename__ = "plan_schools"

    plan_id: Mapped[int] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True, index=True)


class Direction(Base):
    """A direction (направление I..IV) of a plan with its theme."""

    __tablename__ = "directions"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    coordinators_text: Mapped[str | None] = mapped_column(Text)
    curator_text: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)

    plan: Mapped[Plan] = relationship(back_populates="directions")


class DirectionSchool(Base):
    """A pilot school (опорная площадка) of a direction."""

    __tablename__ = "direction_schools"

    direction_id: Mapped[int] = mapped_column(
        ForeignKey("directions.id", ondelete="CASCADE"), primary_key=True
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True, index=True)


class Stage(Base):
    """A stage (этап) of a plan with its own period."""

    __tablename__ = "stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(Text)
    period_text: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Activity(Base):
    """One row of a plan (мероприятие) with its period as written and as understood."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_plan_due", "plan_id", "due_date"),
        Index("ix_activities_plan_series", "plan_id", "series_key"),
        UniqueConstraint("plan_id", "source_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    direction_id: Mapped[int | None] = mapped_column(
        ForeignKey("directions.id", ondelete="SET NULL"), index=True
    )
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id", ondelete="SET NULL"))
    source_key: Mapped[str] = mapped_column(String(64))  # stable match key for re-import
    # One occurrence of an activity with several dates (importer.occurrences): the occurrences
    # of one row share the series key; `occurrence` is this one's label ("I четверть").
    series_key: Mapped[str | None] = mapped_column(String(40))
    occurrence: Mapped[str | None] = mapped_column(Text)
    number: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    period_text: Mapped[str | None] = mapped_column(Text)
    period_kind: Mapped[str | None] = mapped_column(String(20))
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    recurrence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    period_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_time: Mapped[str | None] = mapped_column(String(5))  # "18:00" when the plan names it
    due_zone: Mapped[str | None] = mapped_column(String(64))  # its zone ("мск"), else the plan's
    period_note: Mapped[str | None] = mapped_column(Text)  # "(по согласованию)" beside the period
    responsible_text: Mapped[str | None] = mapped_column(Text)
    expected_result: Mapped[str | None] = mapped_column(Text)
    result_form: Mapped[str | None] = mapped_column(Text)
    participants: Mapped[str | None] = mapped_column(Text)
    indicators: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)  # the plan's "Примечание" column
    level: Mapped[Level | None] = mapped_column(_enum(Level))
    section: Mapped[str | None] = mapped_column(Text)  # activity kind or task the row sits under
    position: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Assignment(Base):
    """One school's (or the department's, school NULL) work on one activity."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("activity_id", "school_id"),
        Index("ix_assignments_school_status", "school_id", "status"),
        Index("ix_assignments_status_due", "status", "due_date"),
        # The dashboard's totals per activity read this index alone (core/dashboard.py).
        Index("ix_assignments_activity_cells", "activity_id", "status", "due_date", "school_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    # active_history: a merge moving work between schools recounts the school it left too.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), active_history=True)
    status: Mapped[AssignmentStatus] = mapped_column(
        _enum(AssignmentStatus), default=AssignmentStatus.OPEN
    )
    # Copied from the activity (or set by a coordinator) so reminder scans need no join.
    due_date: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumps on every change
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StatusCount(Base):
    """Counts of one plan's work per direction, section, stage and school, kept by
    db.status_counts.

    NULL direction, section, stage and school are stored as 0, '' 0 and 0 so that a key is plain
    equality. `overdue` counts open work due before `fresh_on`; it holds for any later day up
    to `stale_after` (the earliest open due date on or after `fresh_on`).
    """

    __tablename__ = "status_counts"
    __table_args__ = (Index("ix_status_counts_plan_school", "plan_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    direction_id: Mapped[int] = mapped_column(Integer, default=0)
    section: Mapped[str] = mapped_column(Text, default="")
    stage_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    school_id: Mapped[int] = mapped_column(Integer, default=0, index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    submitted: Mapped[int] = mapped_column(Integer, default=0)
    open: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    fresh_on: Mapped[date | None] = mapped_column(Date)
    stale_after: Mapped[date | None] = mapped_column(Date)


class User(Base):
    """A person, whichever messenger they write from (their accounts: `Account`)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Where reminders and notices go (one of the person's accounts, messengers.TELEGRAM/MAX);
    # started_at/blocked_at below are about that messenger.
    messenger: Mapped[str] = mapped_column(String(16), default="telegram")
    username: Mapped[str | None] = mapped_column(String(64))
    full_name: Mapped[str | None] = mapped_column(String(300))
    language_code: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    forgotten_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Account(Base):
    """A person's account in one messenger: who writes (the messenger's user id) and the chat
    the bot writes to (Telegram: the same number; MAX: the dialog's chat id)."""

    __tablename__ = "accounts"
    # One account per messenger and person: a reminder reaches them once.
    __table_args__ = (
        UniqueConstraint("messenger", "external_id"),
        UniqueConstraint("user_id", "messenger"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    messenger: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Lets a person and their account be added in one flush (never loaded: lazy="raise").
    user: Mapped[User] = relationship(lazy="raise")


class AccountLink(Base):
    """A one-time code from one messenger that links the person's account in another (only
    the code's hash is kept)."""

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DashboardSession(Base):
    """A dashboard page's session: its initData exchanged once for a token (only the token's
    hash is kept), renewed while the page is used (web/auth.py: idle limit and hard cap)."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Membership(Base):
    """A role held by a user in a school, a plan or a plan's direction."""

    __tablename__ = "memberships"
    __table_args__ = (
        Index("ix_memberships_school_role", "school_id", "role"),
        Index("ix_memberships_direction_role", "direction_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    direction_id: Mapped[int | None] = mapped_column(
        ForeignKey("directions.id", ondelete="CASCADE")
    )
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Invitation(Base):
    """A deep-link invitation; only the hash of its code is kept."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    direction_id: Mapped[int | None] = mapped_column(
        ForeignKey("directions.id", ondelete="CASCADE")
    )
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InvitationRedemption(Base):
    """Who used an invitation and when; one row per person per invitation."""

    __tablename__ = "invitation_redemptions"
    __table_args__ = (UniqueConstraint("invitation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    redeemed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ForgottenAccount(Base):
    """A keyed hash of one account of a forgotten person (core.pseudonyms), one per account in
    every messenger: their links do not let them in again, and nothing readable is kept."""

    __tablename__ = "forgotten_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), index=True)


class Submission(Base):
    """A curator's report that an assignment is done, with comment and files."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[SubmissionStatus] = mapped_column(
        _enum(SubmissionStatus), default=SubmissionStatus.PENDING
    )
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EvidenceFile(Base):
    """A file attached to a submission, by Telegram id and as a stored copy."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # document, photo, voice, video_note, video
    telegram_file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    media_group_id: Mapped[str | None] = mapped_column(String(64))
    stored_path: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The copy sweeper's bookkeeping: tries so far, when to try next, and, once Telegram says
    # the file cannot be fetched, when and why the copy was given up (shown and reported).
    copy_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    copy_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    copy_missing_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    copy_error: Mapped[str | None] = mapped_column(String(300))


class Seminar(Base):
    """A seminar or other dated event of a plan."""

    __tablename__ = "seminars"
    __table_args__ = (Index("ix_seminars_starts_at", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    direction_id: Mapped[int | None] = mapped_column(
        ForeignKey("directions.id", ondelete="SET NULL")
    )
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL")
    )
    topic: Mapped[str] = mapped_column(Text)
    date_text: Mapped[str | None] = mapped_column(Text)
    starts_on: Mapped[date | None] = mapped_column(Date)  # known day; the time may still be unset
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    place: Mapped[str | None] = mapped_column(Text)
    audience_text: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Reminded even during school holidays (the coordinator marked it so).
    in_holidays: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class SeminarSchool(Base):
    """A school invited to a seminar (besides the seminar's direction)."""

    __tablename__ = "seminar_schools"

    seminar_id: Mapped[int] = mapped_column(
        ForeignKey("seminars.id", ondelete="CASCADE"), primary_key=True
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)


class Attendance(Base):
    """A person's RSVP to a seminar."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("seminar_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(ForeignKey("seminars.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    answer: Mapped[RsvpAnswer] = mapped_column(_enum(RsvpAnswer))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChatLink(Base):
    """A group chat linked to a plan direction for announcements and status."""

    __tablename__ = "chat_links"
    __table_args__ = (UniqueConstraint("messenger", "chat_id", "direction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    messenger: Mapped[str] = mapped_column(String(16), default="telegram")
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    title: Mapped[str | None] = mapped_column(String(255))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    direction_id: Mapped[int | None] = mapped_column(
        ForeignKey("directions.id", ondelete="CASCADE")
    )
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """One message the bot owes someone; the database, not the scheduler, is the truth."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_scheduled", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(Integer)
    recipient_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    messenger: Mapped[str] = mapped_column(String(16), default="telegram")
    chat_id: Mapped[int] = mapped_column(BigInteger)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeliveryAttempt(Base):
    """Every try to send an outbox message, successful or not."""

    __tablename__ = "delivery_attempts"
    # /health counts the last day's failures and retries by result (core/ops.py).
    __table_args__ = (Index("ix_delivery_attempts_result_attempted", "result", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    result: Mapped[str] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    """Append-only record of who changed what, with before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class TimeOff(Base):
    """School holidays or a pause of a plan (of one school when set): reminders wait."""

    __tablename__ = "time_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # holidays | pause
    title: Mapped[str] = mapped_column(Text)  # the holidays' name or the pause's reason
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # inclusive
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Absence(Base):
    """Someone away from one day to another, and who stands in for them."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    deputy_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # inclusive; "Я вернулся" moves it earlier
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeadlineChange(Base):
    """A request for more time, or a coordinator's move, of an item's due date (one school or
    all of them)."""

    __tablename__ = "deadline_changes"
    __table_args__ = (Index("ix_deadline_changes_activity", "activity_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    all_schools: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # requested | approved | declined | moved
    old_due: Mapped[date | None] = mapped_column(Date)
    wanted_due: Mapped[date] = mapped_column(Date)
    new_due: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HandledUpdate(Base):
    """A Telegram update whose effects are committed; a redelivered copy is skipped."""

    __tablename__ = "handled_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class InboxUpdate(Base):
    """An update taken from Telegram and not yet known to be finished: stored before Telegram
    is told it was received, so a process killed mid-burst loses none of it."""

    __tablename__ = "inbox_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MaxId(Base):
    """An integer for one of MAX's string ids (a message's `mid` in its chat, or an update's
    key in chat 0): aiogram's conversations speak Telegram's integer ids, and they must stay
    the same across restarts and processes."""

    __tablename__ = "max_ids"
    __table_args__ = (UniqueConstraint("chat_id", "ref"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    ref: Mapped[str] = mapped_column(String(200))


class MaxMarker(Base):
    """MAX's polling marker that confirms every update up to one of our update ids."""

    __tablename__ = "max_markers"

    after: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    marker: Mapped[int] = mapped_column(BigInteger)
    kept_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class InstanceSecret(Base):
    """Random secrets of this installation, made by the migrations (e.g. the pseudonym key)."""

    __tablename__ = "instance_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
