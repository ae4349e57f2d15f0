"""Domain exceptions raised by services; views turn them into responses."""


class DomainError(Exception):
    """Base class: the message is written for the user who caused it."""


class NotFound(DomainError):
    """The object does not exist for this user (other people's objects look absent)."""


class InvalidTransition(DomainError):
    """The action does not fit the object's current state."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field  # the form field the message belongs beside, if any


class AlreadyDecided(InvalidTransition):
    """Somebody (maybe another tab) decided this submission first."""


class EmailTaken(DomainError):
    """An account already uses this email address."""


class InviteInvalid(DomainError):
    """The invite link is unknown, was replaced by a newer one, or belongs to someone who
    left the business (`left`: the page says so, and whom to ask instead)."""

    def __init__(self, message: str, *, left: bool = False) -> None:
        super().__init__(message)
        self.left = left


class InvalidResetLink(DomainError):
    """A password reset link that expired, was used, was tampered with or lost its account."""
