"""A recruit's story for their sponsor: joining, unlocks, hand-ins, decisions, check-ins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.models import (
    Assignment,
    AuditAction,
    AuditEvent,
    CheckIn,
    DeliveryStatus,
    Submission,
    SubmissionStatus,
    User,
)
from app.services.progress import compute_progress

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
    # joined, enrolled, handed_in, approved, changes_requested, unlocked, check_in, nudge
    kind: str
    text: str
    detail: str = ""
    submission_id: int | None = None


# Nudges come from the audit log (the recruit page reads it anyway): no statement more.
NUDGES = {
    AuditAction.NUDGED_AUTOMATICALLY: "Nudged by email (automatic, after silent days)",
    AuditAction.NUDGED: "Nudged by email (nudge now)",
}


def timeline(
    session: Session, recruit: User, audit_events: Iterable[AuditEvent] = ()
) -> list[Event]:
    """Newest first, in three statements whatever the history's length; the nudges from
    the recruit's audit entries, when given (audit.trail)."""
    events = [Event(recruit.created_at, "joined", "Joined the team")]
    if recruit.archived_at is not None:
        events.append(Event(recruit.archived_at, "archived", "Archived (left the business)"))
    submissions = session.scalars(
        select(Submission)
        .where(Submission.recruit_id == recruit.id)
        .options(joinedload(Submission.assignment))
        .order_by(Submission.submitted_at)
    ).all()
    opened = _opened_titles(session, recruit, submissions)
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
            if s.id in opened:
                events.append(Event(s.decided_at, "unlocked", f"“{opened[s.id]}” unlocked"))
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
    for entry in audit_events:
        if entry.action in NUDGES:
            text = NUDGES[entry.action]
            if entry.email_status == DeliveryStatus.CANCELLED:  # they left or opted out first
                text += " — not sent"
            events.append(Event(entry.created_at, "nudge", text, entry.detail))
    return sorted(events, key=lambda e: e.at, reverse=True)


def _opened_titles(session: Session, recruit: User, submissions) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """For each approval, the title of the step it opened, as the gate says: the
    recruit's current step right after it (their approvals replayed in order, on each
    track as it stands now). Not "the next position": after a reorder the step below
    the approved one may be done already."""
    approved = sorted(
        (s for s in submissions if s.status == SubmissionStatus.APPROVED and s.decided_at),
        key=lambda s: (s.decided_at, s.id),
    )
    if not approved:
        return {}
    steps_by_track: dict[int, list[Assignment]] = {}
    for assignment in session.scalars(
        select(Assignment).where(
            Assignment.track_id.in_({s.assignment.track_id for s in approved}),
            Assignment.position.is_not(None),
        )
    ):
        steps_by_track.setdefault(assignment.track_id, []).append(assignment)
    opened: dict[int, str] = {}
    for index, submission in enumerate(approved):
        track_id = submission.assignment.track_id
        so_far = [s for s in approved[: index + 1] if s.assignment.track_id == track_id]
        current = compute_progress(
            steps_by_track.get(track_id, []), so_far, recruit.enrolled_at
        ).current
        if current is not None:
            opened[submission.id] = current.assignment.title
    return opened
