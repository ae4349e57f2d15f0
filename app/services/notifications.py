"""Notifications are recorded in the same transaction as the change that causes them,
then sent after the commit; a failed send is kept and retried, never undoing the change."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from app.models import DeliveryStatus, Notification, NotificationKind, Submission, User

CLAIM_LEASE = timedelta(minutes=30)
# A notification younger than this may still be in the hands of the request that made it.
RETRY_AFTER = timedelta(minutes=2)


def queue_hand_in(session: Session, submission: Submission, sponsor: User | None) -> None:
    """Tell the sponsor a hand-in waits for them (unless they turned it off)."""
    if sponsor is not None and sponsor.email_on_hand_in:
        session.add(
            Notification(
                kind=NotificationKind.HANDED_IN, recipient_id=sponsor.id, submission=submission
            )
        )


def queue_decision(session: Session, submission: Submission, recruit: User) -> None:
    """Tell the recruit their hand-in was approved or sent back (unless turned off)."""
    if recruit.email_on_decision:
        session.add(
            Notification(
                kind=NotificationKind.DECIDED, recipient_id=recruit.id, submission_id=submission.id
            )
        )


def claim(session: Session, notification_id: int, now: datetime) -> Notification | None:
    """Take one notification for sending; None if it is sent or another run has it."""
    taken = session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            or_(
                Notification.status.in_([DeliveryStatus.PENDING, DeliveryStatus.FAILED]),
                and_(
                    Notification.status == DeliveryStatus.SENDING,
                    Notification.claimed_at < now - CLAIM_LEASE,
                ),
            ),
        )
        .values(status=DeliveryStatus.SENDING, claimed_at=now, attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return session.get(Notification, notification_id) if taken.rowcount == 1 else None


def record(session: Session, notification: Notification, now: datetime, error: str | None) -> None:
    notification.status = DeliveryStatus.FAILED if error else DeliveryStatus.SENT
    notification.sent_at = None if error else now
    notification.last_error = (error or "")[:2000]
    session.commit()


def due_for_retry(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Failed, never tried, or abandoned notifications, oldest first."""
    return list(
        session.scalars(
            select(Notification.id)
            .where(
                or_(
                    Notification.status == DeliveryStatus.FAILED,
                    and_(
                        Notification.status == DeliveryStatus.PENDING,
                        Notification.created_at < now - RETRY_AFTER,
                    ),
                    and_(
                        Notification.status == DeliveryStatus.SENDING,
                        Notification.claimed_at < now - CLAIM_LEASE,
                    ),
                )
            )
            .order_by(Notification.created_at)
            .limit(limit)
        )
    )
