"""Check-ins and leaving the business: the sponsor's personal follow-up."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.mail import outbox
from app.models import AuditAction, CheckIn, CheckInOutcome, User, utcnow
from app.services import audit, nudges
from app.services.errors import InvalidTransition
from app.services.people import get_own_recruit
from app.services.standing import default_snooze_until, recruit_facts

CLOCK_SKEW = timedelta(minutes=5)


def log_check_in(
    session: Session,
    sponsor: User,
    recruit_id: int,
    *,
    happened_at: datetime,
    channel: str,
    outcome: str,
    note: str = "",
    snooze_until: datetime | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """Record a check-in; it snoozes the stalled flag, and "left" archives the recruit."""
    now = now or utcnow()
    recruit = get_own_recruit(session, sponsor, recruit_id)
    if happened_at > now + CLOCK_SKEW:
        raise InvalidTransition("A check-in can't be in the future.", "happened_at")
    if outcome == CheckInOutcome.PAUSED and (snooze_until is None or snooze_until <= now):
        raise InvalidTransition("Pick the date the pause ends, in the future.", "snooze_until")
    if snooze_until is not None and snooze_until <= happened_at:
        raise InvalidTransition("The snooze must end after the check-in.", "snooze_until")
    if outcome == CheckInOutcome.LEFT:
        snooze_until = None
        _leaves(session, recruit, now)
    elif snooze_until is None:
        facts = recruit_facts(session, [sponsor.id], recruit.id)
        threshold = facts[0].threshold_days if facts else sponsor.stall_threshold_days
        snooze_until = default_snooze_until(happened_at, threshold)
    check_in = CheckIn(
        recruit_id=recruit.id,
        sponsor_id=sponsor.id,
        happened_at=happened_at,
        channel=channel,
        outcome=outcome,
        note=note.strip(),
        snooze_until=snooze_until,
        created_at=now,
    )
    session.add(check_in)
    audit.record(session, sponsor, AuditAction.CHECKED_IN, recruit, f"{channel}: {outcome}")
    if outcome == CheckInOutcome.LEFT:
        audit.record(session, sponsor, AuditAction.ARCHIVED, recruit, "left the business")
    session.commit()
    return check_in


def archive_recruit(
    session: Session, sponsor: User, recruit_id: int, now: datetime | None = None
) -> User:
    recruit = get_own_recruit(session, sponsor, recruit_id)
    if recruit.archived_at is None:
        _leaves(session, recruit, now or utcnow())
        audit.record(session, sponsor, AuditAction.ARCHIVED, recruit)
        session.commit()
    return recruit


def _leaves(session: Session, recruit: User, now: datetime) -> None:
    """Archived: out of every list, and no more email of any kind, to them or in their
    name (what still waits in the outbox is cancelled; outbox.enqueue records nothing
    new for them). Their own recruits now need a new sponsor (services.team)."""
    recruit.archived_at = now
    outbox.cancel(session, recruit.id, None)
    nudges.cancel_in_name_of(session, recruit)


def restore_recruit(session: Session, sponsor: User, recruit_id: int) -> User:
    """Bring an archived recruit back onto the dashboard and into stalled lists."""
    recruit = get_own_recruit(session, sponsor, recruit_id)
    if recruit.archived_at is not None:
        recruit.archived_at = None
        audit.record(session, sponsor, AuditAction.RESTORED, recruit)
        session.commit()
    return recruit
