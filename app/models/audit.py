"""The audit log: who did what to whom, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.models.user import User


class AuditAction:
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    CHECKED_IN = "checked_in"
    ARCHIVED = "archived"
    RESTORED = "restored"
    TRACK_CHANGED = "track_changed"
    SETTINGS_CHANGED = "settings_changed"
    INVITE_REGENERATED = "invite_regenerated"
    ADOPTED = "adopted"
    NUDGED = "nudged"  # "nudge now"
    NUDGED_AUTOMATICALLY = "nudged_automatically"  # after the sponsor's silent days


class AuditEvent(Base):
    """Who did what to whom, and when. Append-only: the app never edits or deletes one."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject_id_created_at", "subject_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # The recruit the action concerns (None for the actor's own settings and links).
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The email the entry is about (a nudge), by its outbox key: whether it went or was
    # cancelled is read from the outbox, which the append-only entry can't say.
    email_key: Mapped[str | None] = mapped_column(String(120))
    # That email's outbox status, loaded by audit.trail (None when not asked, or no email).
    email_status: Mapped[str | None] = query_expression()

    actor: Mapped[User] = relationship(foreign_keys=[actor_id])
