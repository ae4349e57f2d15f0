"""Check-ins: the sponsor's record of reaching out to a recruit."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.models.user import User


class CheckInChannel(enum.StrEnum):
    CALL = "call"
    TEXT = "text"
    EMAIL = "email"
    IN_PERSON = "in_person"
    OTHER = "other"


class CheckInOutcome(enum.StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    PAUSED = "paused"
    LEFT = "left"


class CheckIn(Base):
    __tablename__ = "check_ins"
    __table_args__ = (
        # The latest check-in of a recruit: the dashboard looks it up per row.
        Index("ix_check_ins_recruit_id_happened_at", "recruit_id", "happened_at"),
        CheckConstraint(
            "channel IN ('call', 'text', 'email', 'in_person', 'other')", name="channel_known"
        ),
        CheckConstraint(
            "outcome IN ('reached', 'no_answer', 'paused', 'left')", name="outcome_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recruit_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    sponsor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    # The stalled flag stays off until then (None: the recruit left the business).
    snooze_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    recruit: Mapped[User] = relationship(foreign_keys=[recruit_id])
    sponsor: Mapped[User] = relationship(foreign_keys=[sponsor_id])
