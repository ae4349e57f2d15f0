"""What each email says: the digest, the two notifications, the password reset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from app.email import (
    EmailKind,
    OutgoingEmail,
    RenderedEmail,
    absolute_url,
    build_message,
    render_email,
)
from app.models import Notification, NotificationKind, SubmissionStatus, User
from app.services.digest import Digest, sponsor_zone
from app.templating import duration_since


def _local(user: User, value: datetime | None, fmt: str = "%a %d %b %Y") -> str:
    return value.astimezone(sponsor_zone(user)).strftime(fmt) if value else ""


@dataclass(frozen=True)
class DigestLine:
    name: str
    title: str
    detail: str
    link: str


def digest_email(digest: Digest) -> RenderedEmail:
    sponsor = digest.sponsor
    stalled = [
        DigestLine(
            s.name,
            s.facts.current_title or "",
            f"idle {int(s.idle_days or 0)} days · last check-in: "
            + (_local(sponsor, s.facts.last_check_in_at) or "never"),
            absolute_url("dashboard.recruit", recruit_id=s.recruit_id) + "#check-in",
        )
        for s in digest.stalled
    ]
    waiting = [
        DigestLine(
            s.recruit.name,
            s.assignment.title,
            f"waiting {duration_since(s.submitted_at, digest.now)}",
            absolute_url("review.review", submission_id=s.id),
        )
        for s in digest.waiting
    ]
    return render_email(
        "digest",
        sponsor=sponsor,
        week=digest.week_start,
        stalled=stalled,
        waiting=waiting,
        dashboard_url=absolute_url("dashboard.home"),
        settings_url=absolute_url("dashboard.settings"),
    )


def digest_message(digest: Digest) -> OutgoingEmail:
    domain = current_app.config["BASE_URL"].split("//")[-1].split("/")[0].split(":")[0]
    return build_message(
        digest.sponsor,
        digest_email(digest),
        unsubscribe_kind=EmailKind.DIGEST,
        # The same id for a week's digest, so a rare resend after a crash can be deduplicated.
        message_id=f"<digest-{digest.sponsor.id}-{digest.week_start.isoformat()}@{domain}>",
    )


def notification_message(notification: Notification) -> OutgoingEmail:
    submission = notification.submission
    recruit = submission.recruit
    if notification.kind == NotificationKind.HANDED_IN:
        rendered = render_email(
            "handed_in",
            recruit=recruit,
            submission=submission,
            review_url=absolute_url("review.review", submission_id=submission.id),
        )
        kind = EmailKind.HAND_IN
    else:
        from app.extensions import db
        from app.services.review import next_assignment_title

        rendered = render_email(
            "approved" if submission.status == SubmissionStatus.APPROVED else "changes_requested",
            recruit=recruit,
            submission=submission,
            unlocked_title=next_assignment_title(db.session, submission),
            homework_url=absolute_url("homework.track"),
        )
        kind = EmailKind.DECISION
    return build_message(notification.recipient, rendered, unsubscribe_kind=kind)


def reset_message(user: User, token: str) -> OutgoingEmail:
    rendered = render_email(
        "reset_password", user=user, reset_url=absolute_url("auth.reset_password", token=token)
    )
    return build_message(user, rendered)
