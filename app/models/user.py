"""Distributors: every account, each with at most one sponsor (the downline is a tree)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.track import Track

DEFAULT_STALL_THRESHOLD_DAYS = 7
DEFAULT_PARTNER_REMINDER_MINUTE = 9 * 60
DEFAULT_NUDGE_AFTER_DAYS = 3


def normalize_email(email: str) -> str:
    """The one spelling of an address we store and compare: no spaces around, lower case."""
    return email.strip().lower()


def new_invite_token() -> str:
    """An unguessable token for a personal invite link."""
    return secrets.token_urlsafe(16)


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("sponsor_id IS NULL OR sponsor_id <> id", name="not_own_sponsor"),
        CheckConstraint("stall_threshold_days BETWEEN 1 AND 365", name="stall_threshold_in_range"),
        CheckConstraint("digest_weekday BETWEEN 0 AND 6", name="digest_weekday_in_range"),
        CheckConstraint(
            "partner_reminder_minute BETWEEN 0 AND 1439", name="partner_reminder_minute_in_range"
        ),
        CheckConstraint("nudge_after_days BETWEEN 1 AND 60", name="nudge_after_days_in_range"),
        # The key submissions.sponsor_id is checked against (a recruit and their sponsor).
        UniqueConstraint("id", "sponsor_id", name="uq_users_id_sponsor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    sponsor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    invite_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_invite_token)
    # The track the recruit works through, and when they were put on it.
    track_id: Mapped[int | None] = mapped_column(
        ForeignKey("tracks.id", ondelete="RESTRICT", use_alter=True), index=True
    )
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stall_threshold_days: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_STALL_THRESHOLD_DAYS, server_default="7"
    )
    # Monday is 0, as in Python's datetime.weekday(); used by the weekly digest.
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set when the recruit left the business: never deleted, out of stalled lists.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Email preferences; each email carries a one-click link that turns its kind off.
    email_digest: Mapped[bool] = mapped_column(default=True, server_default=true())
    email_on_hand_in: Mapped[bool] = mapped_column(default=True, server_default=true())
    email_on_decision: Mapped[bool] = mapped_column(default=True, server_default=true())
    email_on_join: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Accountability partners: the reminder on a scheduled day (at this minute of the
    # day, local; 540 is 9:00), the partner's check-in, requests, and renewal.
    email_partner_reminders: Mapped[bool] = mapped_column(default=True, server_default=true())
    partner_reminder_minute: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_PARTNER_REMINDER_MINUTE, server_default="540"
    )
    email_on_partner_check_in: Mapped[bool] = mapped_column(default=True, server_default=true())
    email_on_partner_request: Mapped[bool] = mapped_column(default=True, server_default=true())
    email_on_partner_renewal: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Mastermind groups: the reminder 24 hours before a meeting, the host's summary.
    email_group_reminders: Mapped[bool] = mapped_column(default=True, server_default=true())
    email_group_summaries: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Nudges (services.nudges), as a sponsor: the gentle email to a recruit silent this
    # many days on an open step (at most one per step; off: none), in the sponsor's own
    # wording (empty: the default). As a recruit: whether nudges reach them at all.
    nudges_on: Mapped[bool] = mapped_column(default=True, server_default=true())
    nudge_after_days: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_NUDGE_AFTER_DAYS, server_default="3"
    )
    nudge_wording: Mapped[str] = mapped_column(Text, default="", server_default="")
    email_nudges: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The private calendar feed's key (None: no feed, or revoked).
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Optional, as typed (for tap-to-call and text on the sponsor's page of this recruit).
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sponsor: Mapped[User | None] = relationship(
        remote_side="User.id", back_populates="recruits", foreign_keys=[sponsor_id]
    )
    recruits: Mapped[list[User]] = relationship(
        back_populates="sponsor", foreign_keys=[sponsor_id], order_by="User.created_at"
    )
    track: Mapped[Track | None] = relationship(foreign_keys=[track_id])

    @validates("email")
    def _normalize_email(self, _key: str, value: str) -> str:
        return normalize_email(value)

    # The key of the login (UserSession) this request runs under; set when loaded.
    session_key = ""
    # The menu's facts (services.sessions.Menu), set with the login on a GET or by
    # services.sessions.menu_of when first asked.
    menu = None

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the user and their server-side session."""
        return f"{self.id}:{self.session_key}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
