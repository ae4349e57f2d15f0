"""Nudges (PRODUCT.md, "The whole team"): one gentle email, in the sponsor's name, to a
recruit who has been silent on an open step for the sponsor's number of days (default
3; a sponsor can turn them off), and "nudge now" from the recruit's page.

"Silent on an open step" is the standing's rule for `now` (standing.py): the recruit's
move, for at least `nudge_after_days`, and no check-in snoozing them (a pause is not
silence). Each nudge is an outbox message with a dedupe key, and the insert skips a key
that exists (outbox.enqueue_once): the automatic one is `nudge:<recruit>:<step>`, so at
most one per step however often `flask team nudge` runs and from however many machines;
"nudge now" is `nudge-now:<recruit>:<the sponsor's local date>`, so at most one a day
per recruit (two tabs at once: one wins). Each nudge recorded also gets an audit entry,
which the recruit's timeline shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from app.mail import messages, outbox
from app.models import AuditAction, DeliveryStatus, MessageKind, OutboxMessage, User
from app.services import audit
from app.services.errors import InvalidTransition
from app.services.people import get_own_recruit, zone_of
from app.services.standing import (
    Court,
    Sponsor,
    Standing,
    by_sponsor,
    sponsor_batches,
    standings,
)

BATCH_SIZE = 500
DEFAULT_WORDING = (
    "Just checking in: your next step is still open. No rush, and no pressure. When you "
    "have ten minutes, give it a go, and tell me if anything is in the way."
)
WORDING_MAX = 1000
AUTO_PREFIX = "nudge:"
_Recruit = aliased(User, name="nudged_recruit")
NOW_PREFIX = "nudge-now:"


def cancel_in_name_of(session: Session, sponsor: User) -> None:
    """The sponsor left: nudges in their name still waiting in the outbox are not sent."""
    waiting = select(_Recruit.id).where(_Recruit.sponsor_id == sponsor.id)
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind == MessageKind.NUDGE,
            OutboxMessage.status.in_([DeliveryStatus.PENDING, DeliveryStatus.FAILED]),
            OutboxMessage.recipient_id.in_(waiting),
        )
        .values(status=DeliveryStatus.CANCELLED, data=None)
        .execution_options(synchronize_session=False)
    )


def wording_of(sponsor: User) -> str:
    return sponsor.nudge_wording.strip() or DEFAULT_WORDING


def auto_key(recruit_id: int, assignment_id: int) -> str:
    return f"{AUTO_PREFIX}{recruit_id}:{assignment_id}"


def now_key(recruit_id: int, sponsor: User, now: datetime) -> str:
    return f"{NOW_PREFIX}{recruit_id}:{now.astimezone(zone_of(sponsor)).date().isoformat()}"


def is_silent(standing: Standing, days: int) -> bool:
    """On an open step, their move for at least `days`, not snoozed by a check-in."""
    return (
        standing.whose_move == Court.RECRUIT
        and standing.facts.current_assignment_id is not None
        and not standing.snoozed
        and (standing.idle_days or 0) >= days
    )


@dataclass
class NudgeReport:
    sponsors: int = 0  # with automatic nudges on, looked at
    nudged: int = 0  # newly recorded
    already: int = 0  # due, but recorded by an earlier (or a parallel) run

    def line(self) -> str:
        return f"sponsors: {self.sponsors}, nudges: {self.nudged}, already recorded: {self.already}"


def run_nudges(session: Session, now: datetime, batch_size: int = BATCH_SIZE) -> NudgeReport:
    """Record every automatic nudge due at `now` that is not recorded yet (the mail
    worker sends them), a batch of sponsors per transaction. Per batch: the sponsors,
    their recruits' standings (one statement), the keys already recorded, the recruits
    to nudge, one insert."""
    report = NudgeReport()
    nudging = (Sponsor.nudges_on.is_(True), Sponsor.archived_at.is_(None))
    for batch in sponsor_batches(session, batch_size, *nudging):
        report.sponsors += len(batch)
        by_id = {sponsor.id: sponsor for sponsor in batch}
        due = [
            standing
            for sponsor_id, items in by_sponsor(session, now, batch).items()
            for standing in items
            if is_silent(standing, by_id[sponsor_id].nudge_after_days)
        ]
        keys = {
            auto_key(s.recruit_id, s.facts.current_assignment_id): s  # type: ignore[arg-type]
            for s in due
        }
        recorded = outbox.recorded_keys(session, list(keys))
        fresh = {k: s for k, s in keys.items() if k not in recorded}
        recruits = {
            u.id: u
            for u in session.scalars(
                select(User).where(User.id.in_([s.recruit_id for s in fresh.values()]))
            )
        }
        rows = []
        subjects: dict[str, str] = {}
        for key, standing in fresh.items():
            recruit = recruits[standing.recruit_id]
            if not (recruit.email_nudges and recruit.archived_at is None):
                continue
            sponsor = by_id[standing.facts.sponsor_id]
            message = messages.nudge(
                sponsor, recruit, standing.facts.current_title or "", wording_of(sponsor)
            )
            subjects[key] = message.subject
            rows.append(
                outbox.columns(
                    message, kind=MessageKind.NUDGE, recipient_id=recruit.id, dedupe_key=key
                )
            )
        inserted = outbox.enqueue_once(session, rows)
        if inserted:  # the recruit's timeline and the audit log say so
            session.execute(
                audit.ENTRY,
                [
                    audit.values(
                        by_id[fresh[key].facts.sponsor_id],
                        AuditAction.NUDGED_AUTOMATICALLY,
                        fresh[key].recruit_id,
                        subjects[key],
                        email_key=key,
                    )
                    for key in inserted
                ],
            )
        session.commit()
        report.nudged += len(inserted)
        report.already += len(keys) - len(fresh) + len(rows) - len(inserted)
        session.expunge_all()
    return report


def nudge_now(session: Session, sponsor: User, recruit_id: int, now: datetime) -> User:
    """The sponsor's "nudge now" from the recruit's page: once a day per recruit (the
    sponsor's day), only while it is the recruit's move on an open step."""
    recruit = get_own_recruit(session, sponsor, recruit_id)
    (standing,) = standings(session, [sponsor.id], now, recruit.id)
    if sponsor.archived_at is not None:
        raise InvalidTransition("You left the business: nudges no longer go in your name.")
    if recruit.archived_at is not None:
        raise InvalidTransition(f"{recruit.name} left the business: no more email to them.")
    if standing.whose_move != Court.RECRUIT or standing.facts.current_assignment_id is None:
        raise InvalidTransition(
            f"Nothing to nudge: {recruit.name} has no open step that is theirs to do."
        )
    if not recruit.email_nudges:
        raise InvalidTransition(
            f"{recruit.name} turned nudge emails off: a call or a text may reach them."
        )
    message = messages.nudge(
        sponsor, recruit, standing.facts.current_title or "", wording_of(sponsor)
    )
    row = outbox.columns(
        message,
        kind=MessageKind.NUDGE,
        recipient_id=recruit.id,
        dedupe_key=now_key(recruit.id, sponsor, now),
    )
    if not outbox.enqueue_once(session, [row]):
        session.rollback()
        raise InvalidTransition(
            f"You nudged {recruit.name} today already: one a day at most. Try again tomorrow."
        )
    audit.record(
        session, sponsor, AuditAction.NUDGED, recruit, message.subject, email_key=row["dedupe_key"]
    )
    session.commit()
    return recruit
