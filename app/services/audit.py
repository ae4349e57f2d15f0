"""The audit log: recorded in the same transaction as the change it describes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session, joinedload, with_expression

from app.models import AuditEvent, OutboxMessage, User, utcnow
from app.models.sql import Write

LABELS = {
    "approved": "approved a hand-in",
    "changes_requested": "asked for changes",
    "checked_in": "logged a check-in",
    "archived": "archived the recruit",
    "restored": "restored the recruit",
    "track_changed": "moved the recruit to another track",
    "settings_changed": "changed settings",
    "invite_regenerated": "made a new invite link",
    "adopted": "became the recruit's sponsor (adopted)",
    "nudged": "sent a nudge",
    "nudged_automatically": "a nudge went automatically",
}


def record(
    session: Session,
    actor: User,
    action: str,
    subject: User | None = None,
    detail: str = "",
    *,
    email_key: str | None = None,
) -> None:
    """Add an entry; the caller's commit makes it part of the same change (a plain
    INSERT: nothing reads the row back, so it needs no place in the unit of work)."""
    subject_id = subject.id if subject else None
    session.execute(ENTRY, values(actor, action, subject_id, detail, email_key=email_key))


# Built once: constructing an INSERT costs more than running it on a busy write.
ENTRY = insert(AuditEvent.__table__).values(
    actor_id=bindparam("audit_actor_id"),
    subject_id=bindparam("audit_subject_id"),
    action=bindparam("audit_action"),
    detail=bindparam("audit_detail"),
    created_at=bindparam("audit_created_at"),
    email_key=bindparam("audit_email_key"),
)


def entry(actor: User, action: str, subject: User | None = None, detail: str = "") -> Write:
    """The INSERT of an entry and its values, for a caller that sends it with others
    (models.sql.insert_together)."""
    return ENTRY, values(actor, action, subject.id if subject else None, detail)


def values(
    actor: User,
    action: str,
    subject_id: int | None,
    detail: str = "",
    at: datetime | None = None,
    email_key: str | None = None,
) -> dict:
    """One entry's values for ENTRY (a list of them records many in one statement)."""
    return {
        "audit_actor_id": actor.id,
        "audit_subject_id": subject_id,
        "audit_action": str(action),
        "audit_detail": detail[:2000],
        "audit_created_at": at or utcnow(),
        "audit_email_key": email_key,
    }


def trail(session: Session, subject: User, limit: int = 200) -> list[AuditEvent]:
    """What was done concerning this recruit, newest first; an entry about an email
    brings that email's outbox status along (same statement)."""
    email_status = (
        select(OutboxMessage.status)
        .where(OutboxMessage.dedupe_key == AuditEvent.email_key)
        .scalar_subquery()
    )
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_id == subject.id)
            .options(
                joinedload(AuditEvent.actor), with_expression(AuditEvent.email_status, email_status)
            )
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
