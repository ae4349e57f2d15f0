"""Submissions: a recruit's hand-in of one assignment, and the sponsor's decision on it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    literal_column,
    text,
)
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.models.track import Assignment
from app.models.user import User


class SubmissionStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        Unique("recruit_id", "assignment_id", "attempt"),
        # One waiting submission per recruit and assignment, and one approval.
        Index(
            "uq_submissions_one_waiting",
            "recruit_id",
            "assignment_id",
            unique=True,
            sqlite_where=text("status = 'submitted'"),
            postgresql_where=text("status = 'submitted'"),
        ),
        Index(
            "uq_submissions_one_approved",
            "recruit_id",
            "assignment_id",
            unique=True,
            sqlite_where=text("status = 'approved'"),
            postgresql_where=text("status = 'approved'"),
        ),
        # The review queue: one sponsor's waiting submissions, oldest first, read in
        # order straight off this index however large the team (bench/: 5,000 recruits).
        # On PostgreSQL it also carries the rest of what the queue lists, so counting
        # and paging need no heap fetch (an index-only scan); SQLite's rows are at hand.
        Index(
            "ix_submissions_waiting_by_sponsor",
            "sponsor_id",
            "submitted_at",
            "id",
            sqlite_where=text("status = 'submitted'"),
            postgresql_where=text("status = 'submitted'"),
            postgresql_include=["recruit_id", "assignment_id", "attempt"],
        ),
        # sponsor_id is the recruit's sponsor, copied for the queue's index; the database
        # keeps the copy true (and would carry a change of sponsor along with it).
        ForeignKeyConstraint(
            ["recruit_id", "sponsor_id"],
            ["users.id", "users.sponsor_id"],
            name="fk_submissions_recruit_sponsor",
            onupdate="CASCADE",
        ),
        CheckConstraint(
            "status IN ('submitted', 'approved', 'changes_requested')", name="status_known"
        ),
        CheckConstraint(
            "(status = 'submitted') = (decided_at IS NULL)", name="decided_iff_not_waiting"
        ),
        CheckConstraint(
            "status <> 'changes_requested' OR length(feedback) > 0",
            name="changes_requested_has_feedback",
        ),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recruit_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # Who reviews it: the recruit's sponsor (see fk_submissions_recruit_sponsor).
    sponsor_id: Mapped[int] = mapped_column(Integer)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="RESTRICT"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(2000))
    # The stored file has a random name; the recruit's file name is only for display.
    attachment_path: Mapped[str | None] = mapped_column(String(64))
    attachment_name: Mapped[str | None] = mapped_column(String(255))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment_size: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=SubmissionStatus.SUBMITTED)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    feedback: Mapped[str] = mapped_column(Text, default="")

    recruit: Mapped[User] = relationship(foreign_keys=[recruit_id])
    assignment: Mapped[Assignment] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


# "Waiting for review" spelled as the partial indexes spell it: a literal, not a bound
# parameter, so SQLite (and PostgreSQL's generic plans) can prove those indexes apply.
WAITING: ColumnElement[bool] = Submission.status == literal_column(
    f"'{SubmissionStatus.SUBMITTED.value}'"
)
