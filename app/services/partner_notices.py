"""The emails partners get, recorded in the outbox within the change that causes them.

Each function is called by services.partners inside its transaction, before the commit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import PartnerAgreement, PartnerCheckIn, PartnerReply, Partnership, User


def requested(session: Session, partnership: Partnership, agreement: PartnerAgreement) -> None:
    """A new request: to the asked person, or an invitation to an address."""


def proposed(session: Session, partnership: Partnership, agreement: PartnerAgreement) -> None:
    """A counter-proposal or a change of terms: to the other partner."""


def answered(
    session: Session, partnership: Partnership, agreement: PartnerAgreement, *, accepted: bool
) -> None:
    """A request or change accepted or declined: to whoever proposed it."""


def checked_in(session: Session, partnership: Partnership, entry: PartnerCheckIn) -> None:
    """The partner's new check-in."""


def replied(
    session: Session, partnership: Partnership, entry: PartnerCheckIn, answer: PartnerReply
) -> None:
    """A reply under a check-in: to the other partner."""


def renewal_answered(
    session: Session, partnership: Partnership, user: User, *, renew: bool, renewed: bool
) -> None:
    """One partner answered "renew?"."""


def ended(session: Session, partnership: Partnership, user: User) -> None:
    """The partner ended the partnership, with their note."""
