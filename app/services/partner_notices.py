"""The emails partners get, recorded in the outbox within the change that causes them.

Each function is called by services.partners inside its transaction, before the commit
(a rolled-back change leaves no email). Nothing goes to an archived person or to one who
turned that kind of email off (app.mail.unsubscribe.EmailKind). Which switch covers what:
requests, counter-proposals, changes, answers and endings: PARTNER_REQUEST; check-ins and
replies: PARTNER_CHECK_IN; renewal: PARTNER_RENEWAL (the scheduled reminders and renewal
requests are services.partner_reminders').
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.mail import messages, outbox
from app.mail.compose import absolute_url
from app.mail.unsubscribe import EmailKind
from app.models import (
    CHANNEL_LABELS,
    MessageKind,
    PartnerAgreement,
    PartnerCheckIn,
    PartnerReply,
    Partnership,
    PartnershipStatus,
    User,
)
from app.services.partner_schedule import Cadence, Schedule


def wants(user: User | None, kind: str) -> bool:
    """Whether this person may get this kind of email (an EmailKind)."""
    return (
        user is not None
        and user.archived_at is None
        and bool(getattr(user, EmailKind.PREFERENCE[kind]))
    )


def terms_of(agreement: PartnerAgreement) -> messages.PartnerTerms:
    schedule = Schedule(Cadence(agreement.cadence), agreement.weekday_set)
    return messages.PartnerTerms(
        schedule=schedule.describe(),
        channel=CHANNEL_LABELS.get(agreement.channel, agreement.channel),
        term_months=agreement.term_months,
        rules=agreement.rules,
        note=agreement.note,
    )


def page_url(partnership: Partnership) -> str:
    return absolute_url("partners.show", partnership_id=partnership.id)


def _notify(
    session: Session,
    recipient: User | None,
    kind: str,
    template: str,
    partnership: Partnership,
    **context: object,
) -> None:
    if not wants(recipient, kind):
        return
    message = messages.partner_notice(
        template, recipient, kind, page_url=page_url(partnership), **context
    )
    outbox.enqueue(session, message, kind=EmailKind.MESSAGES[kind][0], recipient=recipient)


def _by(partnership: Partnership, user_id: int) -> User:
    return partnership.asker if user_id == partnership.asker_id else partnership.asked  # type: ignore[return-value]


def requested(session: Session, partnership: Partnership, agreement: PartnerAgreement) -> None:
    """A new request: to the asked person, or an invitation to an address."""
    terms = terms_of(agreement)
    if partnership.asked_id is None:
        message = messages.partner_invitation(
            partnership.invite_email,  # type: ignore[arg-type]
            partnership.asker,
            terms,
            partnership.invite_token,  # type: ignore[arg-type]
        )
        outbox.enqueue(session, message, kind=MessageKind.PARTNER_INVITATION, recipient=None)
        return
    _notify(
        session,
        partnership.asked,
        EmailKind.PARTNER_REQUEST,
        "partner_request",
        partnership,
        asker=partnership.asker,
        terms=terms,
    )


def proposed(session: Session, partnership: Partnership, agreement: PartnerAgreement) -> None:
    """A counter-proposal or a change of terms: to the other partner."""
    proposer = _by(partnership, agreement.proposed_by_id)
    _notify(
        session,
        partnership.other(agreement.proposed_by_id),
        EmailKind.PARTNER_REQUEST,
        "partner_proposed",
        partnership,
        proposer=proposer,
        terms=terms_of(agreement),
        counter=partnership.status == PartnershipStatus.PROPOSED,
    )


def answered(
    session: Session, partnership: Partnership, agreement: PartnerAgreement, *, accepted: bool
) -> None:
    """A request or change accepted or declined: to whoever proposed it."""
    proposer = _by(partnership, agreement.proposed_by_id)
    _notify(
        session,
        proposer,
        EmailKind.PARTNER_REQUEST,
        "partner_answered",
        partnership,
        answerer=partnership.other(agreement.proposed_by_id),
        accepted=accepted,
        # The request itself (it started or closed the partnership just now), or a change.
        request=(
            partnership.answered_at == agreement.answered_at
            and agreement.effective_on == partnership.term_started_on
        )
        if accepted
        else partnership.status == PartnershipStatus.DECLINED,
        terms=terms_of(agreement),
        ends_on=partnership.ends_on,
    )


def checked_in(session: Session, partnership: Partnership, entry: PartnerCheckIn) -> None:
    """The partner's new check-in."""
    _notify(
        session,
        partnership.other(entry.author_id),
        EmailKind.PARTNER_CHECK_IN,
        "partner_check_in",
        partnership,
        author=_by(partnership, entry.author_id),
        entry=entry,
    )


def replied(
    session: Session, partnership: Partnership, entry: PartnerCheckIn, answer: PartnerReply
) -> None:
    """A reply under a check-in: to the other partner."""
    _notify(
        session,
        partnership.other(answer.author_id),
        EmailKind.PARTNER_CHECK_IN,
        "partner_reply",
        partnership,
        author=_by(partnership, answer.author_id),
        entry=entry,
        answer=answer,
        own_check_in=entry.author_id != answer.author_id,
    )


def renewal_answered(
    session: Session, partnership: Partnership, user: User, *, renew: bool, renewed: bool
) -> None:
    """One partner answered "renew?"."""
    _notify(
        session,
        partnership.other(user.id),
        EmailKind.PARTNER_RENEWAL,
        "partner_renewal_answered",
        partnership,
        author=user,
        renew=renew,
        renewed=renewed,
        ends_on=partnership.ends_on,
    )


def ended(session: Session, partnership: Partnership, user: User) -> None:
    """The partner ended the partnership, with their note."""
    _notify(
        session,
        partnership.other(user.id),
        EmailKind.PARTNER_REQUEST,
        "partner_ended",
        partnership,
        author=user,
        note=partnership.end_note,
    )
