"""Review: the sponsor's queue and the one-time decision on a submission."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import any_, func, select, update
from sqlalchemy.orm import Session, joinedload

from app.extensions import db
from app.models import Assignment, Submission, SubmissionStatus, User, utcnow
from app.services import audit, notifications
from app.services.errors import AlreadyDecided, InvalidTransition, NotFound

ALREADY_DECIDED = "This submission was already decided (perhaps in another tab)."


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"


@dataclass(frozen=True)
class QueuePage:
    items: list[Submission]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def review_queue(session: Session, sponsor: User, page: int = 1, per_page: int = 50) -> QueuePage:
    """Waiting submissions of the sponsor's recruits, longest-waiting first, in one query.

    The plan starts from the sponsor's recruits (their index) and looks up each one's
    waiting hand-in (the partial unique index on waiting submissions), so the cost
    follows the size of the team, never the whole table of everyone's hand-ins. Each
    database is told so in its own words: SQLite gets a subquery it may not flatten
    (`OFFSET 0`), PostgreSQL an `= ANY(ARRAY(...))` it reads through that index. The
    total rides along as a window count over the same rows.
    """
    team = select(User.id).where(User.sponsor_id == sponsor.id)
    waiting = select(Submission.id, func.count().over().label("total")).where(
        Submission.status == SubmissionStatus.SUBMITTED
    )
    if session.get_bind().dialect.name == "postgresql":
        waiting = waiting.where(Submission.recruit_id == any_(func.array(team.scalar_subquery())))
    else:
        fenced = team.offset(0).subquery("team")
        waiting = waiting.join(fenced, fenced.c.id == Submission.recruit_id)
    page = max(1, page)
    on_page = (
        waiting.order_by(Submission.submitted_at, Submission.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery("on_page")
    )
    rows = session.execute(
        select(Submission, on_page.c.total)
        .join(on_page, on_page.c.id == Submission.id)
        .options(joinedload(Submission.recruit), joinedload(Submission.assignment))
        .order_by(Submission.submitted_at, Submission.id)
    ).all()
    if rows:
        total = rows[0].total
    elif page == 1:
        total = 0
    else:  # past the last page: only the count is left to tell
        total = session.scalar(
            select(func.count())
            .select_from(Submission)
            .join(User, User.id == Submission.recruit_id)
            .where(User.sponsor_id == sponsor.id, Submission.status == SubmissionStatus.SUBMITTED)
        )
    return QueuePage([row[0] for row in rows], total or 0, page, per_page)


def get_reviewable(session: Session, sponsor: User, submission_id: int) -> Submission:
    """A submission of one of the sponsor's own recruits; anything else looks absent."""
    submission = session.scalar(
        select(Submission)
        .where(Submission.id == submission_id)
        .options(joinedload(Submission.recruit), joinedload(Submission.assignment))
    )
    if submission is None or submission.recruit.sponsor_id != sponsor.id:
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
    session = db.session
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
