"""Mastermind groups (PRODUCT.md, "Mastermind groups"): a host, 3 to 10 members, a
cadence; before each meeting every member answers the four questions; the meeting has a
hot seat, comments and cheers, attendance and the host's notes.

Meetings themselves are derived from the cadence (services.meeting_schedule); a
`GroupMeeting` row exists for a meeting once something is attached to it (an update, a
swap of the hot seat, attendance, notes), keyed by its start.
"""

from __future__ import annotations

import enum
import secrets
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

MIN_MEMBERS = 3  # under this a group is "forming" and holds no meetings
MAX_MEMBERS = 10  # host included
MAX_ANSWER_CHARS = 4000


def new_group_token() -> str:
    return secrets.token_urlsafe(18)


class GroupCadence(enum.StrEnum):
    WEEKLY = "weekly"
    EVERY_TWO_WEEKS = "every_two_weeks"
    MONTHLY = "monthly"


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


class MastermindGroup(Base):
    __tablename__ = "mastermind_groups"
    __table_args__ = (
        CheckConstraint(
            "cadence IN ('weekly', 'every_two_weeks', 'monthly')", name="cadence_known"
        ),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_in_range"),
        CheckConstraint("minute BETWEEN 0 AND 1439", name="minute_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(Text, default="")
    cadence: Mapped[str] = mapped_column(String(20))
    # The meeting's weekday (Monday 0) and time (minutes after midnight) in `timezone`,
    # the host's zone when the time was set: the meetings don't move if the host does.
    weekday: Mapped[int] = mapped_column(Integer)
    minute: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(300), default="")  # a place or a link
    # When the group first had MIN_MEMBERS, and its first meeting's date (the cadence
    # counts from it); both None while it is forming.
    formed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_meeting_on: Mapped[date | None] = mapped_column(Date)
    invite_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_group_token)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    host: Mapped[User] = relationship(foreign_keys=[host_id])


class GroupMember(Base):
    """A membership: from joining until leaving (or removal). Nothing is deleted: a
    former member keeps reading the meetings held while they were in."""

    __tablename__ = "group_members"
    __table_args__ = (
        CheckConstraint("left_how IN ('', 'left', 'removed')", name="left_how_known"),
        # One current membership per person and group.
        Index(
            "ix_group_members_current",
            "group_id",
            "user_id",
            unique=True,
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
        Index("ix_group_members_user_id", "user_id"),
        # Every membership of a group, former ones too (the meeting page's members, a
        # person's last membership): the partial index above only finds current ones.
        Index("ix_group_members_group_id_user_id", "group_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("mastermind_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_how: Mapped[str] = mapped_column(String(10), default="", server_default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    group: Mapped[MastermindGroup] = relationship()


class GroupMeeting(Base):
    __tablename__ = "group_meetings"
    __table_args__ = (UniqueConstraint("group_id", "starts_at", name="uq_group_meetings_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("mastermind_groups.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when the host swapped the hot seat for this meeting (else it is derived).
    hot_seat_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    notes_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MeetingUpdate(Base):
    """One member's answers to the four questions before one meeting."""

    __tablename__ = "meeting_updates"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id", name="uq_meeting_updates_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("group_meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    successes: Mapped[str] = mapped_column(Text, default="")
    challenges: Mapped[str] = mapped_column(Text, default="")
    opportunities: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    meeting: Mapped[GroupMeeting] = relationship()
    comments: Mapped[list[UpdateComment]] = relationship(
        order_by="UpdateComment.created_at", back_populates="update"
    )


class UpdateComment(Base):
    """A comment or a cheer (a cheer has no text) under a member's update."""

    __tablename__ = "update_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_updates.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    cheer: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    update: Mapped[MeetingUpdate] = relationship(back_populates="comments")


class MeetingAttendance(Base):
    __tablename__ = "meeting_attendance"
    __table_args__ = (
        CheckConstraint("status IN ('present', 'absent', 'excused')", name="status_known"),
        UniqueConstraint("meeting_id", "user_id", name="uq_meeting_attendance_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("group_meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(10))
