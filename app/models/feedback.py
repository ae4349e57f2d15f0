"""Saved feedback: a sponsor's reusable lines, inserted into a review with a click."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.models.user import User

MAX_SNIPPET_CHARS = 2000
MAX_SNIPPETS = 30  # a handful to choose from, not a library


class FeedbackSnippet(Base):
    __tablename__ = "feedback_snippets"
    __table_args__ = (
        CheckConstraint(
            f"length(text) BETWEEN 1 AND {MAX_SNIPPET_CHARS}", name="text_length_in_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[User] = relationship()
