"""The outbox: every message the app sends, recorded before it is sent.

A use case adds its message here in its own transaction; a sender (the mail worker,
or `digest send` for the digests it composes) claims rows, sends them and records the
outcome. See app/mail/lease.py for how a claim works.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.models.user import User


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for a sender
    SENDING = "sending"  # claimed by a sender until due_at (its lease)
    SENT = "sent"  # the mail server took it
    FAILED = "failed"  # the last try failed; tried again from due_at
    GAVE_UP = "gave_up"  # refused for good, or failing too long; nobody tries again
    CANCELLED = "cancelled"  # the recipient turned this kind of email off before it went


class MessageKind(enum.StrEnum):
    HANDED_IN = "handed_in"  # to the sponsor: a recruit handed in
    DECIDED = "decided"  # to the recruit: approved or sent back
    DIGEST = "digest"  # the weekly digest
    JOINED = "joined"  # to the sponsor: someone joined through their invite link
    # A kind of email, not a password (ruff S105 and bandit B105 take it for one).
    PASSWORD_RESET = "password_reset"  # noqa: S105  # nosec B105
    # Accountability partners.
    PARTNER_REQUEST = "partner_request"  # asked, answered, a change proposed
    PARTNER_INVITATION = "partner_invitation"  # asked by email, not on Willing yet
    PARTNER_CHECK_IN = "partner_check_in"  # the partner checked in or replied
    PARTNER_REMINDER = "partner_reminder"  # a scheduled day
    PARTNER_RENEWAL = "partner_renewal"  # the term ends in 7 days
    # Mastermind groups.
    GROUP_INVITATION = "group_invitation"  # the host invites someone to join
    GROUP_REMINDER = "group_reminder"  # 24 hours before a meeting, no update yet
    GROUP_SUMMARY = "group_summary"  # the host recorded the meeting's notes
    # The whole team.
    NUDGE = "nudge"  # to a recruit silent on an open step, in their sponsor's name


# The rows a sender may take once due_at has come: waiting, failed, or claimed by a
# sender whose lease ran out. Spelled as the partial index spells it.
OPEN_STATUSES = ("pending", "failed", "sending")


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        # What senders look for: open messages whose time has come, oldest first.
        Index(
            "ix_outbox_messages_due",
            "due_at",
            "id",
            sqlite_where=text("status IN ('pending', 'failed', 'sending')"),
            postgresql_where=text("status IN ('pending', 'failed', 'sending')"),
        ),
        # Each sponsor's digests by week: the digest run asks for the latest (one a week,
        # however a time zone moves), whatever the number of notifications beside them.
        Index(
            "ix_outbox_messages_digests",
            "recipient_id",
            "dedupe_key",
            sqlite_where=text("kind = 'digest'"),
            postgresql_where=text("kind = 'digest'"),
        ),
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'gave_up', 'cancelled')",
            name="status_known",
        ),
        CheckConstraint(
            "(status = 'sending') = (claim_token IS NOT NULL)", name="claimed_iff_sending"
        ),
        # While it may still be sent, the message's bytes are here; after, they are
        # dropped (a reset link must not outlive its email): the row stays as the record.
        CheckConstraint(
            "status IN ('sent', 'gave_up', 'cancelled') OR data IS NOT NULL",
            name="open_has_data",
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(Text)
    # At most one message per key: "digest:<sponsor>:<week>" makes a week's digest once.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Which sender holds the claim (only it may record the outcome), and since when.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When a sender may take it: at once for a new message, after a pause for a failed
    # one, and for a claimed one the end of its sender's lease.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")

    recipient: Mapped[User | None] = relationship()
