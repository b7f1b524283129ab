"""Lifecycle states of domain objects, shared by the database, services and texts."""

from __future__ import annotations

from enum import StrEnum


class AssignmentStatus(StrEnum):
    """Where one school's work on one activity stands."""

    OPEN = "open"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class SubmissionStatus(StrEnum):
    """Review state of one submission of evidence."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


class OutboxStatus(StrEnum):
    """Delivery state of one outgoing reminder or announcement."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"


class RsvpAnswer(StrEnum):
    """A participant's answer to a seminar invitation."""

    YES = "yes"
    NO = "no"


class Level(StrEnum):
    """Level of an activity in a municipal plan."""

    MUNICIPAL = "municipal"
    SCHOOL = "school"
