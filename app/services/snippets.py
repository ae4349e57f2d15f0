"""Saved feedback: a sponsor's reusable lines for reviews (a handful, theirs only)."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.models import MAX_SNIPPETS, FeedbackSnippet, User
from app.services.errors import InvalidTransition, NotFound


def snippets_of(session: Session, sponsor: User) -> list[FeedbackSnippet]:
    """The sponsor's saved feedback, oldest first (the order they wrote them in)."""
    return list(
        session.scalars(
            select(FeedbackSnippet)
            .where(FeedbackSnippet.owner_id == sponsor.id)
            .order_by(FeedbackSnippet.id)
        )
    )


def save_snippet(session: Session, sponsor: User, text: str) -> FeedbackSnippet:
    """Keep a line of feedback (once: the same text twice is one snippet). Checked here,
    not by a constraint: two saves at the same instant may keep a line twice or a 31st,
    which costs nothing and the sponsor can delete."""
    text = text.strip()
    existing = session.scalar(
        select(FeedbackSnippet).where(
            FeedbackSnippet.owner_id == sponsor.id, FeedbackSnippet.text == text
        )
    )
    if existing is not None:
        return existing
    count = session.scalar(select(func.count()).where(FeedbackSnippet.owner_id == sponsor.id))
    if (count or 0) >= MAX_SNIPPETS:
        raise InvalidTransition(
            f"You have {MAX_SNIPPETS} saved lines, the most there can be: delete one first."
        )
    snippet = FeedbackSnippet(owner_id=sponsor.id, text=text)
    session.add(snippet)
    session.commit()
    return snippet


def delete_snippet(session: Session, sponsor: User, snippet_id: int) -> None:
    """Delete one of the sponsor's own lines; anyone else's looks absent."""
    result = session.execute(
        delete(FeedbackSnippet).where(
            FeedbackSnippet.id == snippet_id, FeedbackSnippet.owner_id == sponsor.id
        )
    )
    if result.rowcount != 1:
        session.rollback()
        raise NotFound("No such saved feedback.")
    session.commit()
