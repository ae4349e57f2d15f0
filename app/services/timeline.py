"""A recruit's story for their sponsor: joining, unlocks, hand-ins, decisions, check-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.models import Assignment, CheckIn, Submission, SubmissionStatus, User

CHANNELS = {
    "call": "Call",
    "text": "Text",
    "email": "Email",
    "in_person": "In person",
    "other": "Other",
}
OUTCOMES = {
    "reached": "reached",
    "no_answer": "no answer",
    "paused": "paused",
    "left": "left the business",
}


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # joined, enrolled, handed_in, approved, changes_requested, unlocked, check_in
    text: str
    detail: str = ""
    submission_id: int | None = None


def timeline(session: Session, recruit: User) -> list[Event]:
    """Newest first, in three statements whatever the history's length."""
    events = [Event(recruit.created_at, "joined", "Joined the team")]
    if recruit.archived_at is not None:
        events.append(Event(recruit.archived_at, "archived", "Archived (left the business)"))
    submissions = session.scalars(
        select(Submission)
        .where(Submission.recruit_id == recruit.id)
        .options(joinedload(Submission.assignment))
        .order_by(Submission.submitted_at)
    ).all()
    next_titles = _next_titles(session, submissions)
    for s in submissions:
        title = s.assignment.title
        events.append(
            Event(
                s.submitted_at,
                "handed_in",
                f"Handed in “{title}” (attempt {s.attempt})",
                s.answer[:300],
                s.id,
            )
        )
        if s.status == SubmissionStatus.APPROVED and s.decided_at:
            events.append(Event(s.decided_at, "approved", f"“{title}” approved", s.feedback, s.id))
            if next_titles.get(s.id):
                events.append(Event(s.decided_at, "unlocked", f"“{next_titles[s.id]}” unlocked"))
        elif s.status == SubmissionStatus.CHANGES_REQUESTED and s.decided_at:
            events.append(
                Event(
                    s.decided_at,
                    "changes_requested",
                    f"Changes requested on “{title}”",
                    s.feedback,
                    s.id,
                )
            )
    for c in session.scalars(select(CheckIn).where(CheckIn.recruit_id == recruit.id)):
        events.append(
            Event(
                c.happened_at,
                "check_in",
                f"Check-in ({CHANNELS.get(c.channel, c.channel)}): "
                f"{OUTCOMES.get(c.outcome, c.outcome)}",
                c.note,
            )
        )
    if recruit.enrolled_at is not None and recruit.track is not None:
        events.append(Event(recruit.enrolled_at, "enrolled", f"Started “{recruit.track.name}”"))
    return sorted(events, key=lambda e: e.at, reverse=True)


def _next_titles(session: Session, submissions) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """For each approved submission, the title of the step after it (what it unlocked)."""
    approved = [s for s in submissions if s.status == SubmissionStatus.APPROVED]
    wanted = {
        (s.assignment.track_id, s.assignment.position + 1)
        for s in approved
        if s.assignment.position is not None
    }
    if not wanted:
        return {}
    track_ids = {track_id for track_id, _ in wanted}
    rows = session.execute(
        select(Assignment.track_id, Assignment.position, Assignment.title).where(
            Assignment.track_id.in_(track_ids), Assignment.position.is_not(None)
        )
    ).all()
    titles = {(t, p): title for t, p, title in rows}
    return {
        s.id: titles[(s.assignment.track_id, s.assignment.position + 1)]
        for s in approved
        if s.assignment.position is not None
        and (s.assignment.track_id, s.assignment.position + 1) in titles
    }
