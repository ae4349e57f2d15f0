"""Review: the sponsor's queue and the one-time decision on a submission."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from app.models import WAITING, Assignment, Submission, SubmissionStatus, User, utcnow
from app.services import audit, notifications
from app.services.errors import AlreadyDecided, InvalidTransition, NotFound

ALREADY_DECIDED = "This submission was already decided (perhaps in another tab)."


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"


class QueueItem(NamedTuple):
    """One line of the queue: just what the list shows (no answers, no full rows)."""

    id: int
    recruit_name: str
    assignment_title: str
    attempt: int
    submitted_at: datetime


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _queue_page_statement():  # type: ignore[no-untyped-def]
    on_page = (
        select(
            Submission.id,
            Submission.recruit_id,
            Submission.assignment_id,
            Submission.attempt,
            Submission.submitted_at,
            func.count().over().label("total"),
        )
        .where(Submission.sponsor_id == bindparam("sponsor_id"), WAITING)
        .order_by(Submission.submitted_at, Submission.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("on_page")
    )
    return (
        select(
            on_page.c.id,
            User.name,
            Assignment.title,
            on_page.c.attempt,
            on_page.c.submitted_at,
            on_page.c.total,
        )
        .join(User, User.id == on_page.c.recruit_id)
        .join(Assignment, Assignment.id == on_page.c.assignment_id)
        .order_by(on_page.c.submitted_at, on_page.c.id)
    )


# Built once: for a page this light, constructing the select costs more than running it.
_QUEUE_PAGE = _queue_page_statement()


def review_queue(session: Session, sponsor: User, page: int = 1, per_page: int = 50) -> QueuePage:
    """Waiting submissions of the sponsor's recruits, longest-waiting first, in one query.

    The page is read in order straight off the partial index of waiting submissions by
    sponsor (ix_submissions_waiting_by_sponsor), so its cost follows the page and the
    backlog, never the size of the team. The total rides along as a window count, and
    only the shown columns are loaded: building 150 full objects cost 5x the SQL.
    """
    page = max(1, page)
    rows = session.execute(
        _QUEUE_PAGE, {"sponsor_id": sponsor.id, "limit": per_page, "offset": (page - 1) * per_page}
    ).all()
    if rows:
        total = rows[0].total
    elif page == 1:
        total = 0
    else:  # past the last page: only the count is left to tell
        total = session.scalar(
            select(func.count()).where(Submission.sponsor_id == sponsor.id, WAITING)
        )
    return QueuePage([QueueItem(*row[:5]) for row in rows], total or 0, page, per_page)


def get_reviewable(session: Session, sponsor: User, submission_id: int) -> Submission:
    """A submission of one of the sponsor's own recruits; anything else looks absent."""
    submission = session.scalar(
        select(Submission)
        .where(Submission.id == submission_id)
        .options(joinedload(Submission.recruit), joinedload(Submission.assignment))
    )
    if submission is None or submission.sponsor_id != sponsor.id:
        raise NotFound("No such submission.")
    return submission


def attempts_of(session: Session, submission: Submission) -> list[Submission]:
    """Every attempt of this recruit on this assignment, oldest first."""
    return list(
        session.scalars(
            select(Submission)
            .where(
                Submission.recruit_id == submission.recruit_id,
                Submission.assignment_id == submission.assignment_id,
            )
            .order_by(Submission.attempt)
        )
    )


def decide(
    session: Session,
    sponsor: User,
    submission_id: int,
    decision: Decision,
    feedback: str = "",
    now: datetime | None = None,
) -> Submission:
    """Approve or send back a waiting submission, exactly once.

    The conditional UPDATE (`... WHERE status = 'submitted'`) is the guard: of two
    racing decisions only one changes a row, the other gets AlreadyDecided. Approval
    is the unlock of the next step (the gate derives it), so this is one transaction.
    """
    submission = get_reviewable(session, sponsor, submission_id)
    if submission.status != SubmissionStatus.SUBMITTED:
        raise AlreadyDecided(ALREADY_DECIDED)
    feedback = (feedback or "").strip()
    if decision == Decision.REQUEST_CHANGES and not feedback:
        raise InvalidTransition("Say what needs to change: feedback is required.")
    status = (
        SubmissionStatus.APPROVED
        if decision == Decision.APPROVE
        else SubmissionStatus.CHANGES_REQUESTED
    )
    result = session.execute(
        update(Submission)
        .where(Submission.id == submission.id, Submission.status == SubmissionStatus.SUBMITTED)
        .values(
            status=status,
            decided_at=now or utcnow(),
            decided_by_id=sponsor.id,
            feedback=feedback,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise AlreadyDecided(ALREADY_DECIDED)
    notifications.queue_decision(session, submission, submission.recruit)
    audit.record(
        session,
        sponsor,
        str(status),
        submission.recruit,
        f"“{submission.assignment.title}”, attempt {submission.attempt}",
    )
    session.commit()
    session.refresh(submission)
    return submission


def next_assignment_title(session: Session, submission: Submission) -> str | None:
    """Title of the step after this one on its track (what an approval unlocks)."""
    position = submission.assignment.position
    if position is None:
        return None
    return session.scalar(
        select(Assignment.title).where(
            Assignment.track_id == submission.assignment.track_id,
            Assignment.position == position + 1,
        )
    )
