"""Recording a message: part of the use case's own transaction, never a send."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.mail.compose import Message
from app.models import DeliveryStatus, OutboxMessage, User, utcnow
from app.models.sql import Write


def enqueue(
    session: Session,
    message: Message,
    *,
    kind: str,
    recipient: User | None,
    dedupe_key: str | None = None,
) -> None:
    """Add the message to the outbox; the caller's commit records it with the change
    that caused it (and a rollback drops it with the change). A worker sends it.
    Someone who left the business (archived) gets nothing: the message is not recorded."""
    if recipient is not None and recipient.archived_at is not None:
        return
    session.execute(*entry(message, kind=kind, recipient=recipient, dedupe_key=dedupe_key))


# Built once, as audit's entry: every hand-in and decision runs it.
_ENTRY = insert(OutboxMessage.__table__).values(
    kind=bindparam("outbox_kind"),
    recipient_id=bindparam("outbox_recipient_id"),
    to_address=bindparam("outbox_to_address"),
    subject=bindparam("outbox_subject"),
    data=bindparam("outbox_data"),
    dedupe_key=bindparam("outbox_dedupe_key"),
    status=DeliveryStatus.PENDING,
    attempts=0,
    due_at=bindparam("outbox_due_at"),
    created_at=bindparam("outbox_created_at"),
    last_error="",
)


def entry(
    message: Message, *, kind: str, recipient: User | None, dedupe_key: str | None = None
) -> Write:
    """The INSERT that enqueues and its values, for a caller that sends it with others
    (models.sql.insert_together)."""
    now = utcnow()
    row = columns(
        message,
        kind=str(kind),
        recipient_id=recipient.id if recipient is not None else None,
        dedupe_key=dedupe_key,
    )
    values = {f"outbox_{name}": value for name, value in row.items()}
    return _ENTRY, {**values, "outbox_due_at": now, "outbox_created_at": now}


def columns(
    message: Message, *, kind: str, recipient_id: int | None, dedupe_key: str | None
) -> dict:
    """The same record as a row for a batch insert (lease.claim_new)."""
    return {
        "kind": kind,
        "recipient_id": recipient_id,
        "to_address": message.recipient,
        "subject": message.subject,
        "data": message.data,
        "dedupe_key": dedupe_key,
    }


def enqueue_once(session: Session, rows: list[dict]) -> list[str]:
    """Add these messages (rows of `columns`, each with a dedupe_key) unless one with the
    same key is there already: INSERT ... ON CONFLICT (dedupe_key) DO NOTHING, so runs at
    the same moment on two machines record each message once. Part of the caller's
    transaction; returns the keys of those that were new."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    statement = (
        dialect_insert(OutboxMessage.__table__)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.__table__.c.dedupe_key)
    )
    values = [
        {
            **row,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "due_at": now,
            "created_at": now,
            "last_error": "",
        }
        for row in rows
    ]
    return list(session.scalars(statement, values))


def recorded_keys(session: Session, keys: list[str], chunk: int = 5000) -> set[str]:
    """Which of these dedupe keys the outbox has (by its unique index; one statement per
    `chunk` keys), so a run composes only the messages that are new."""
    found: set[str] = set()
    for start in range(0, len(keys), chunk):
        found.update(
            session.scalars(
                select(OutboxMessage.dedupe_key).where(
                    OutboxMessage.dedupe_key.in_(keys[start : start + chunk])
                )
            )
        )
    return found


def cancel(session: Session, recipient_id: int, kinds: tuple[str, ...] | None) -> int:
    """The recipient turned these kinds of email off (None: every kind, they left the
    business): what still waits is not sent (one a sender holds right now goes; it is in
    flight). Part of the caller's transaction."""
    conditions = [
        OutboxMessage.recipient_id == recipient_id,
        OutboxMessage.status.in_([DeliveryStatus.PENDING, DeliveryStatus.FAILED]),
    ]
    if kinds is not None:
        conditions.append(OutboxMessage.kind.in_(kinds))
    result = session.execute(
        update(OutboxMessage)
        .where(*conditions)
        .values(status=DeliveryStatus.CANCELLED, data=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def recently_sent(session: Session, recipient_id: int, kind: str, within: timedelta) -> bool:
    """Whether a message of this kind was recorded for this recipient that recently."""
    since = utcnow() - within
    return bool(
        session.scalar(
            select(func.count()).where(
                OutboxMessage.recipient_id == recipient_id,
                OutboxMessage.kind == kind,
                OutboxMessage.created_at > since,
            )
        )
    )


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
