"""Sending what services recorded: notifications after their commit, and retries."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from app.email import send
from app.extensions import db
from app.mailbox.compose import notification_message
from app.models import DeliveryStatus, Notification, utcnow
from app.services import notifications


def deliver(notification_id: int, now: datetime | None = None) -> bool:
    """Send one recorded notification; a failure is logged and kept for the retry."""
    session = db.session
    now = now or utcnow()
    notification = notifications.claim(session, notification_id, now)
    if notification is None:
        return False
    try:
        send(notification_message(notification))
    except Exception as exc:  # noqa: BLE001 - never let mail undo or block the change
        current_app.logger.warning("notification %s not sent: %s", notification_id, exc)
        notifications.record(session, notification, now, f"{type(exc).__name__}: {exc}")
        return False
    notifications.record(session, notification, now, None)
    return True


def deliver_for_submission(submission_id: int) -> None:
    """After a hand-in or a decision commits: send what it recorded."""
    ids = db.session.scalars(
        select(Notification.id).where(
            Notification.submission_id == submission_id,
            Notification.status == DeliveryStatus.PENDING,
        )
    ).all()
    for notification_id in ids:
        deliver(notification_id)


def retry_notifications(now: datetime) -> tuple[int, int]:
    """Send every failed or abandoned notification again: (sent, failed)."""
    sent = failed = 0
    for notification_id in notifications.due_for_retry(db.session, now):
        if deliver(notification_id, now):
            sent += 1
        else:
            failed += 1
    return sent, failed
