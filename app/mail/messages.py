"""What each email says: the digest, the notifications, the password reset.

Each function renders its templates and returns the Message to record in the outbox.
They take plain values computed by the use case (what an approval opened comes from
the gate, in services.review), so composing never asks a rule of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.mail.compose import (
    Message,
    RenderedEmail,
    absolute_url,
    build_message,
    mail_domain,
    render_email,
)
from app.mail.unsubscribe import EmailKind, invitation_opt_out_link, unsubscribe_link
from app.models import Submission, User


def hand_in_notice(sponsor: User, recruit: User, submission: Submission, title: str) -> Message:
    """To the sponsor: a recruit handed in, and a link to review it."""
    rendered = render_email(
        "handed_in",
        recruit=recruit,
        title=title,
        attempt=submission.attempt,
        review_url=absolute_url("review.review", submission_id=submission.id),
    )
    return build_message(
        sponsor.name,
        sponsor.email,
        rendered,
        unsubscribe_link=unsubscribe_link(sponsor.id, EmailKind.HAND_IN),
    )


def decision_notice(
    recruit: User, title: str, *, approved: bool, feedback: str, opened_title: str | None
) -> Message:
    """To the recruit: approved (and which step is open now) or sent back with feedback."""
    rendered = render_email(
        "approved" if approved else "changes_requested",
        recruit=recruit,
        title=title,
        feedback=feedback,
        opened_title=opened_title,
        homework_url=absolute_url("homework.track"),
    )
    return build_message(
        recruit.name,
        recruit.email,
        rendered,
        unsubscribe_link=unsubscribe_link(recruit.id, EmailKind.DECISION),
    )


def nudge(sponsor: User, recruit: User, title: str, wording: str) -> Message:
    """To a recruit quiet on an open step: a few words in their sponsor's name (From
    "Dana via Willing", Reply-To Dana), the step, and the way to it."""
    rendered = render_email(
        "nudge",
        sponsor=sponsor,
        recruit=recruit,
        title=title,
        wording=wording,
        homework_url=absolute_url("homework.track"),
    )
    return build_message(
        recruit.name,
        recruit.email,
        rendered,
        unsubscribe_link=unsubscribe_link(recruit.id, EmailKind.NUDGE),
        on_behalf_of=(sponsor.name, sponsor.email),
    )


def join_notice(sponsor: User, recruit: User, *, has_homework: bool) -> Message:
    """To the sponsor: someone joined through their invite link (and whether they have
    homework yet: without a default track with a step, the sponsor's move)."""
    rendered = render_email(
        "joined",
        recruit=recruit,
        has_homework=has_homework,
        recruit_url=absolute_url("dashboard.recruit", recruit_id=recruit.id),
        tracks_url=absolute_url("tracks.index"),
    )
    return build_message(
        sponsor.name,
        sponsor.email,
        rendered,
        unsubscribe_link=unsubscribe_link(sponsor.id, EmailKind.JOIN),
    )


@dataclass(frozen=True)
class PartnerTerms:
    """An agreement's terms as an email says them (worded by the caller)."""

    schedule: str  # "every Monday and Friday"
    channel: str  # "Text messages"
    term_months: int
    rules: str
    note: str = ""


def partner_notice(template: str, recipient: User, kind: str, **context: object) -> Message:
    """Any partner email to a partner on Willing: `template` with the recipient and the
    context, and the one-click unsubscribe of its kind (an EmailKind)."""
    rendered = render_email(template, recipient=recipient, **context)
    return build_message(
        recipient.name,
        recipient.email,
        rendered,
        unsubscribe_link=unsubscribe_link(recipient.id, kind),
    )


def partner_invitation(address: str, asker: User, terms: PartnerTerms, token: str) -> Message:
    """To an address not on Willing: who asks, on what terms, the link to answer, and a
    one-click "don't invite me again" (its List-Unsubscribe too)."""
    opt_out = invitation_opt_out_link(address)
    rendered = render_email(
        "partner_invitation",
        asker=asker,
        terms=terms,
        invitation_url=absolute_url("partners.invitation", token=token),
        opt_out_url=opt_out,
    )
    return build_message("", address, rendered, unsubscribe_link=opt_out)


def password_reset(user: User, token: str) -> Message:
    rendered = render_email(
        "reset_password", user=user, reset_url=absolute_url("auth.reset_password", token=token)
    )
    return build_message(user.name, user.email, rendered)


@dataclass(frozen=True)
class DigestLine:
    """One person in the digest: who, on which step, how long, and where to act."""

    name: str
    title: str
    detail: str
    link: str


@dataclass(frozen=True)
class PartnerDigestLine:
    """One partnership in the digest: the check-in days missed last week, each side."""

    partner_name: str
    mine: list[str]
    theirs: list[str]
    link: str


def digest_email(
    sponsor: User,
    week_start: date,
    stalled: list[DigestLine],
    waiting: list[DigestLine],
    *,
    stalled_total: int,
    waiting_total: int,
    partners: list[PartnerDigestLine] | None = None,
    coaching: list[DigestLine] | None = None,
    coaching_total: int = 0,
) -> RenderedEmail:
    """The digest; `stalled` and `waiting` may be the first lines of longer lists (the
    totals say how long), the rest is a link away."""
    partners = partners or []
    coaching = coaching or []
    return render_email(
        "digest",
        sponsor=sponsor,
        week=week_start,
        stalled=stalled,
        waiting=waiting,
        stalled_total=stalled_total,
        waiting_total=waiting_total,
        partners=partners,
        missed_total=sum(len(p.mine) + len(p.theirs) for p in partners),
        coaching=coaching,
        coaching_total=max(coaching_total, len(coaching)),
        dashboard_url=absolute_url("dashboard.team"),
        stalled_url=absolute_url("dashboard.team", status="stalled"),
        queue_url=absolute_url("review.queue"),
        settings_url=absolute_url("dashboard.settings"),
    )


def digest_message_id(sponsor_id: int, week_start: date) -> str:
    """The same id for a sponsor's week, so a rare resend can be dropped as a copy."""
    return f"<digest-{sponsor_id}-{week_start.isoformat()}@{mail_domain()}>"


def digest(sponsor: User, week_start: date, rendered: RenderedEmail) -> Message:
    return build_message(
        sponsor.name,
        sponsor.email,
        rendered,
        unsubscribe_link=unsubscribe_link(sponsor.id, EmailKind.DIGEST),
        message_id=digest_message_id(sponsor.id, week_start),
    )
