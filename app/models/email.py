"""What the app sent, or must still send: weekly digests and notifications."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.models.submission import Submission
from app.models.user import User


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # recorded, not tried yet
    SENDING = "sending"  # claimed by a run; if it stays so past the lease, the run died
    SENT = "sent"
    FAILED = "failed"


class DigestDelivery(Base):
    """One sponsor's weekly digest: the unique (sponsor, week) row is the claim."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        Unique("sponsor_id", "week_start"),
        CheckConstraint("status IN ('sending', 'sent', 'failed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sponsor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The Monday of the sponsor's week, in their own time zone.
    week_start: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    # Which run holds the claim: only that run may record the outcome.
    claim_token: Mapped[str] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_error: Mapped[str] = mapped_column(Text, default="")

    sponsor: Mapped[User] = relationship()


class NotificationKind(enum.StrEnum):
    HANDED_IN = "handed_in"  # to the sponsor
    DECIDED = "decided"  # to the recruit: approved or sent back


class Notification(Base):
    """A notification recorded with the change that causes it, sent after the commit."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_created_at", "status", "created_at"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status_known"),
        CheckConstraint("kind IN ('handed_in', 'decided')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    recipient: Mapped[User] = relationship()
    submission: Mapped[Submission] = relationship()
