"""Accountability partners: two people, a versioned agreement, check-ins, replies and
renewals (PRODUCT.md, "Accountability partners"). Both partners see the same record.

Nothing about a day's standing (due, missed, late) is stored: the schedule service
derives it from the agreement, the check-ins and `now`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.models.user import User

MAX_ACTIVE_PARTNERSHIPS = 3
MAX_RULES_CHARS = 2000
MAX_HANDLE_CHARS = 100
MAX_CHECK_IN_CHARS = 1000
MAX_NOTE_CHARS = 2000


class PartnershipStatus(enum.StrEnum):
    PROPOSED = "proposed"  # asked, not yet accepted
    ACTIVE = "active"  # agreed; running until its term ends (unless renewed)
    DECLINED = "declined"  # the asked person said no
    WITHDRAWN = "withdrawn"  # the asker took the request back
    ENDED = "ended"  # one of them ended it with a note


class AgreementStatus(enum.StrEnum):
    PROPOSED = "proposed"  # waiting for the other partner
    ACCEPTED = "accepted"  # in effect from effective_on (until a later one is)
    REPLACED = "replaced"  # countered or withdrawn before it was accepted
    DECLINED = "declined"  # the other partner kept the terms as they were


class Channel(enum.StrEnum):
    TEXT = "text"
    EMAIL = "email"
    PHONE = "phone"
    VIDEO = "video"
    FACEBOOK = "facebook"
    IN_PERSON = "in_person"
    OTHER = "other"


CHANNEL_LABELS = {
    Channel.TEXT: "Text messages",
    Channel.EMAIL: "Email",
    Channel.PHONE: "Phone call",
    Channel.VIDEO: "Video call",
    Channel.FACEBOOK: "Facebook",
    Channel.IN_PERSON: "In person",
    Channel.OTHER: "Other",
}


class Did(enum.StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class Partnership(Base):
    __tablename__ = "partnerships"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed', 'active', 'declined', 'withdrawn', 'ended')",
            name="status_known",
        ),
        CheckConstraint("asked_id IS NULL OR asked_id <> asker_id", name="not_own_partner"),
        CheckConstraint("asked_id IS NOT NULL OR invite_email IS NOT NULL", name="someone_asked"),
        Index("ix_partnerships_asker_id_status", "asker_id", "status"),
        Index("ix_partnerships_asked_id_status", "asked_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # None while the request waits for someone not yet on Willing (invite_email).
    asked_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    invite_email: Mapped[str | None] = mapped_column(String(254))
    invite_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=PartnershipStatus.PROPOSED)
    # The current term, in dates (the end is the day after its last day).
    term_started_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    end_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    asker: Mapped[User] = relationship(foreign_keys=[asker_id])
    asked: Mapped[User | None] = relationship(foreign_keys=[asked_id])
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id])

    def other(self, user_id: int) -> User | None:
        """The partner of `user_id` (None: an invitation nobody has claimed yet)."""
        return self.asked if user_id == self.asker_id else self.asker

    def involves(self, user_id: int) -> bool:
        return user_id in (self.asker_id, self.asked_id)


class PartnerAgreement(Base):
    """One version of the terms. The first is the request; a counter-proposal or a
    change replaces the one still waiting; accepted versions are the history."""

    __tablename__ = "partner_agreements"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed', 'accepted', 'replaced', 'declined')", name="status_known"
        ),
        CheckConstraint(
            "cadence IN ('daily', 'every_other_day', 'weekly', 'weekdays')", name="cadence_known"
        ),
        CheckConstraint(
            "channel IN ('text', 'email', 'phone', 'video', 'facebook', 'in_person', 'other')",
            name="channel_known",
        ),
        CheckConstraint("term_months BETWEEN 1 AND 12", name="term_in_range"),
        UniqueConstraint("partnership_id", "version", name="uq_partner_agreements_version"),
        # At most one version waits for an answer at a time.
        Index(
            "ix_partner_agreements_one_proposed",
            "partnership_id",
            unique=True,
            sqlite_where=text("status = 'proposed'"),
            postgresql_where=text("status = 'proposed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default=AgreementStatus.PROPOSED)
    rules: Mapped[str] = mapped_column(Text, default="")
    cadence: Mapped[str] = mapped_column(String(20))
    # Python weekdays as "0,4" (Monday and Friday); "" for daily and every other day.
    weekdays: Mapped[str] = mapped_column(String(20), default="", server_default="")
    channel: Mapped[str] = mapped_column(String(20))
    asker_handle: Mapped[str] = mapped_column(String(100), default="", server_default="")
    asked_handle: Mapped[str] = mapped_column(String(100), default="", server_default="")
    term_months: Mapped[int] = mapped_column(Integer, default=3)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The first local date the accepted version governs.
    effective_on: Mapped[date | None] = mapped_column(Date)

    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    partnership: Mapped[Partnership] = relationship()

    @property
    def weekday_set(self) -> frozenset[int]:
        return frozenset(int(d) for d in self.weekdays.split(",") if d)


class PartnerCheckIn(Base):
    __tablename__ = "partner_check_ins"
    __table_args__ = (
        CheckConstraint("did IN ('yes', 'partly', 'no')", name="did_known"),
        UniqueConstraint("partnership_id", "author_id", "day", name="uq_partner_check_ins_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    day: Mapped[date] = mapped_column(Date)  # the scheduled day it is for, poster's zone
    said: Mapped[str] = mapped_column(Text, default="")  # what I said I would do
    did: Mapped[str] = mapped_column(String(10))
    next: Mapped[str] = mapped_column(Text, default="")  # what I will do next
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    partnership: Mapped[Partnership] = relationship()
    replies: Mapped[list[PartnerReply]] = relationship(
        order_by="PartnerReply.created_at", back_populates="check_in"
    )


class PartnerReply(Base):
    __tablename__ = "partner_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_in_id: Mapped[int] = mapped_column(
        ForeignKey("partner_check_ins.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    check_in: Mapped[PartnerCheckIn] = relationship(back_populates="replies")


class PartnerRenewal(Base):
    """One partner's answer to "renew?" for the term ending on `ends_on`."""

    __tablename__ = "partner_renewals"
    __table_args__ = (
        UniqueConstraint("partnership_id", "user_id", "ends_on", name="uq_partner_renewals_answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    ends_on: Mapped[date] = mapped_column(Date)
    renew: Mapped[bool] = mapped_column(Boolean)
    how_it_went: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    partnership: Mapped[Partnership] = relationship()


class EmailOptOut(Base):
    """An address that asked not to be invited again (it has no account to hold a
    preference)."""

    __tablename__ = "email_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
