"""Review: the sponsor's queue and the one-time decision on a submission."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from app.mail import messages, outbox
from app.models import WAITING, Assignment, MessageKind, Submission, SubmissionStatus, User, utcnow
from app.models.sql import insert_together
from app.services import audit
from app.services.errors import AlreadyDecided, InvalidTransition, NotFound
from app.services.progress import Progress, load_recruit_progress

ALREADY_DECIDED = "This submission was already decided (perhaps in another tab)."
# The sponsor's own to-do: hand-ins waiting longer than this (PRODUCT.md).
REVIEW_BACKLOG_AFTER = timedelta(hours=48)


def backlog_cutoff(now: datetime) -> datetime:
    """The 48-hour rule, for the dashboard and the digest: a hand-in waiting since
    before this moment is in the sponsor's review backlog."""
    return now - REVIEW_BACKLOG_AFTER


def in_backlog(submission: Submission, now: datetime) -> bool:
    return submission.submitted_at < backlog_cutoff(now)


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"


class QueueItem(NamedTuple):
    """One line of the queue: just what the list shows (no answers, no full rows)."""

    id: int
    recruit_id: int
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
            on_page.c.recruit_id,
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


def review_queue(session: Session, sponsor: User, page: int, per_page: int) -> QueuePage:
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
    return QueuePage([QueueItem(*row[:6]) for row in rows], total or 0, page, per_page)


def next_waiting(session: Session, sponsor: User) -> int | None:
    """The id of the sponsor's longest-waiting hand-in (the queue's first line)."""
    return session.scalar(
        select(Submission.id)
        .where(Submission.sponsor_id == sponsor.id, WAITING)
        .order_by(Submission.submitted_at, Submission.id)
        .limit(1)
    )


def waiting_by_sponsor(session: Session, sponsor_ids: list[int]) -> dict[int, list[Submission]]:
    """Each sponsor's hand-ins waiting for review, oldest first (archived recruits left out)."""
    rows = session.scalars(
        select(Submission)
        .join(User, User.id == Submission.recruit_id)
        .where(
            Submission.sponsor_id.in_(sponsor_ids),
            WAITING,  # the queue's partial index
            User.archived_at.is_(None),
        )
        .options(joinedload(Submission.recruit), joinedload(Submission.assignment))
        .order_by(Submission.submitted_at, Submission.id)
    ).all()
    result: dict[int, list[Submission]] = {sponsor_id: [] for sponsor_id in sponsor_ids}
    for submission in rows:
        result[submission.sponsor_id].append(submission)
    return result


# Built once, like the queue's statement: every review page and decision runs it.
_REVIEWABLE = (
    select(Submission)
    .where(Submission.id == bindparam("submission_id"))
    .options(joinedload(Submission.recruit), joinedload(Submission.assignment))
)


def get_reviewable(session: Session, sponsor: User, submission_id: int) -> Submission:
    """A submission of one of the sponsor's own recruits; anything else looks absent."""
    submission = session.scalar(_REVIEWABLE, {"submission_id": submission_id})
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


@dataclass(frozen=True)
class Decided:
    """What a decision did, for the page that reports it."""

    recruit_name: str
    approved: bool
    opened_title: str | None  # the step the approval opened (None: track finished)


# The decision, built once (a Core statement: nothing of it is loaded as objects; the
# gate reads the row afresh right after).
_SUBMISSIONS = Submission.__table__
_DECIDE = (
    update(_SUBMISSIONS)
    .where(
        _SUBMISSIONS.c.id == bindparam("decide_submission_id"),
        _SUBMISSIONS.c.sponsor_id == bindparam("decide_sponsor_id"),
        _SUBMISSIONS.c.status == SubmissionStatus.SUBMITTED,
    )
    .values(
        status=bindparam("decide_new_status"),
        decided_at=bindparam("decide_decided_at"),
        decided_by_id=bindparam("decide_decided_by_id"),
        feedback=bindparam("decide_feedback"),
    )
    .returning(_SUBMISSIONS.c.recruit_id, _SUBMISSIONS.c.assignment_id, _SUBMISSIONS.c.attempt)
)


LEFT_THE_BUSINESS = (
    "You have left the business: your recruits' hand-ins now wait for the sponsor who adopts them."
)


def decision_refused(sponsor: User) -> str | None:
    """Why this sponsor may not decide hand-ins at all (None: they may). Someone who
    left the business: their recruits' hand-ins wait for the adopter (PRODUCT.md)."""
    return LEFT_THE_BUSINESS if sponsor.archived_at is not None else None


def decide(
    session: Session,
    sponsor: User,
    submission_id: int,
    decision: Decision,
    feedback: str,
    now: datetime | None = None,
) -> Decided:
    """Approve or send back a waiting submission, exactly once.

    The conditional UPDATE (`... WHERE status = 'submitted'` and among the sponsor's
    own) is both the guard and the lookup: of two racing decisions only one changes a
    row, the other gets AlreadyDecided; anyone else's submission looks absent. Approval
    is the unlock of the next step (the gate derives it), so the decision, its audit
    entry and the recruit's email are one transaction. Four statements in all, the
    busiest write's share of a PostgreSQL server's round trips (bench/).
    """
    feedback = feedback.strip()
    refused = decision_refused(sponsor)
    if refused is not None:
        get_reviewable(session, sponsor, submission_id)  # anyone else's still looks absent
        raise InvalidTransition(refused)
    if decision == Decision.REQUEST_CHANGES and not feedback:
        if get_reviewable(session, sponsor, submission_id).status != SubmissionStatus.SUBMITTED:
            raise AlreadyDecided(ALREADY_DECIDED)
        raise InvalidTransition("Say what needs to change: feedback is required.")
    approved = decision == Decision.APPROVE
    status = SubmissionStatus.APPROVED if approved else SubmissionStatus.CHANGES_REQUESTED
    changed = session.execute(
        _DECIDE,
        {
            "decide_submission_id": submission_id,
            "decide_sponsor_id": sponsor.id,
            "decide_new_status": str(status),
            "decide_decided_at": now or utcnow(),
            "decide_decided_by_id": sponsor.id,
            "decide_feedback": feedback,
        },
    ).first()
    if changed is None:
        session.rollback()
        get_reviewable(session, sponsor, submission_id)  # NotFound unless the sponsor's own
        raise AlreadyDecided(ALREADY_DECIDED)
    # The gate after the decision, and the recruit with it (the submission's row is
    # read here with its new status).
    recruit, progress = load_recruit_progress(session, changed.recruit_id)
    title = _assignment_title(session, progress, changed.assignment_id)
    opened = opened_step(progress) if approved else None
    writes = [audit.entry(sponsor, str(status), recruit, f"“{title}”, attempt {changed.attempt}")]
    if recruit.email_on_decision and recruit.archived_at is None:
        notice = messages.decision_notice(
            recruit, title, approved=approved, feedback=feedback, opened_title=opened
        )
        writes.append(outbox.entry(notice, kind=MessageKind.DECIDED, recipient=recruit))
    insert_together(session, *writes)
    outcome = Decided(recruit.name, approved, opened)
    session.commit()
    return outcome


def _assignment_title(session: Session, progress: Progress, assignment_id: int) -> str:
    """The decided step's title: from the gate's rows, unless the step left the track
    (or the recruit changed track) since the hand-in."""
    for step in progress.steps:
        if step.assignment.id == assignment_id:
            return step.assignment.title
    return session.scalar(select(Assignment.title).where(Assignment.id == assignment_id)) or ""


def opened_step(progress: Progress) -> str | None:
    """What an approval just opened, as the gate says: the recruit's current step now
    (None when that was the last). Never "the next position": after a reorder the step
    below the approved one may be done already."""
    return progress.current.assignment.title if progress.current is not None else None
