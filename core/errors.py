"""Domain errors: each carries a machine code that the presentation layer maps to a text."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of expected failures that a user or operator should be told about.

    The message is English, for logs; `key` (kept as `text_key`) and `params` let a reader say
    it in its own words (the CLI's bot/cli_texts.DOMAIN_ERRORS), as in
    NotFound(msg, "school_not_found", ref=x)."""

    code = "error"

    def __init__(self, message: str = "", key: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.text_key, self.params = key, params


class NotFound(DomainError):
    """A referenced object does not exist."""

    code = "not_found"


class InvalidInput(DomainError):
    """An argument is malformed."""

    code = "invalid_input"


class Refused(DomainError):
    """The person may not do this; `reason` says why, for the text they read."""

    code = "refused"

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason, reason)
        self.reason, self.detail = reason, detail


class InvitationError(DomainError):
    """An invitation cannot be redeemed; `code` says why."""


class InvitationUnknown(InvitationError):
    code = "invitation_unknown"


class InvitationExpired(InvitationError):
    code = "invitation_expired"


class InvitationRevoked(InvitationError):
    code = "invitation_revoked"


class InvitationUsedUp(InvitationError):
    code = "invitation_used_up"


class InvitationAlreadyUsed(InvitationError):
    """The person used this link before and no longer holds its role (removed, or forgotten)."""

    code = "invitation_already_used"


class AccessSwitchedOff(InvitationError):
    """The person was switched off by an administrator; no link lets them back in."""

    code = "access_switched_off"
