"""Tracks: a sponsor's ordered list of assignments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.models.user import User


class Track(Base):
    __tablename__ = "tracks"
    __table_args__ = (
        # At most one default track per sponsor.
        Index(
            "uq_tracks_owner_default",
            "owner_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
        # New recruits can't be sent to a track that is put away.
        CheckConstraint(
            "NOT (is_default AND archived_at IS NOT NULL)", name="archived_not_default"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    is_default: Mapped[bool] = mapped_column(default=False)
    # Bumped by every structural edit so concurrent edits of one track queue up.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Set when the first person is put on the track, never cleared: a track somebody
    # has been on (maybe without handing anything in) can be archived, never deleted.
    ever_enrolled: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set while the track is put away: out of the list, the default and the track selector.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="track", order_by="Assignment.position"
    )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Assignment(Base):
    """One step of a track; archived steps keep their submissions but leave the order."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("track_id", "position"),
        CheckConstraint(
            "(position IS NULL) = (archived_at IS NOT NULL)", name="position_iff_active"
        ),
        CheckConstraint(
            "stall_threshold_days IS NULL OR stall_threshold_days BETWEEN 1 AND 365",
            name="stall_threshold_in_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="RESTRICT"), index=True)
    # 1-based and gap-free among the track's active assignments; NULL once archived.
    # (Negative only for an instant inside a reorder, see services.tracks._shift.)
    position: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    deliverable: Mapped[str] = mapped_column(Text, default="")
    stall_threshold_days: Mapped[int | None] = mapped_column(Integer)
    # When the step (re)joined the track: a recruit's clock on it can't start earlier.
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    track: Mapped[Track] = relationship(back_populates="assignments")

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None
