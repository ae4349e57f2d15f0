"""Recording a message: part of the use case's own transaction, never a send."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.mail.compose import Message
from app.models import DeliveryStatus, OutboxMessage, User


def enqueue(
    session: Session,
    message: Message,
    *,
    kind: str,
    recipient: User | None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """Add the message to the outbox; the caller's commit records it with the change
    that caused it (and a rollback drops it with the change). A worker sends it."""
    row = OutboxMessage(
        kind=kind,
        recipient_id=recipient.id if recipient is not None else None,
        to_address=message.recipient,
        subject=message.subject,
        data=message.data,
        dedupe_key=dedupe_key,
    )
    session.add(row)
    return row


def columns(message: Message, *, kind: str, recipient_id: int | None, dedupe_key: str) -> dict:
    """The same record as a row for a batch insert (lease.claim_new)."""
    return {
        "kind": kind,
        "recipient_id": recipient_id,
        "to_address": message.recipient,
        "subject": message.subject,
        "data": message.data,
        "dedupe_key": dedupe_key,
    }


def counts(session: Session) -> list[tuple[str, str, int, datetime | None]]:
    """(kind, status, how many, the oldest's creation unless sent) for `flask mail status`."""
    unsent = OutboxMessage.status != DeliveryStatus.SENT
    return [
        tuple(row)  # type: ignore[misc]
        for row in session.execute(
            select(
                OutboxMessage.kind,
                OutboxMessage.status,
                func.count(),
                func.min(case((unsent, OutboxMessage.created_at))),
            )
            .group_by(OutboxMessage.kind, OutboxMessage.status)
            .order_by(OutboxMessage.kind, OutboxMessage.status)
        )
    ]
