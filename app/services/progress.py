"""The gate: where a recruit stands on their track, derived from their submissions.

PRODUCT.md: the current assignment is the first active one, in order, without an
approved submission. Everything before it is done, everything after it is locked,
and a locked assignment's instructions are never shown. Every page and every
action asks `load_progress` (or `compute_progress` on facts already loaded).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from app.models import Assignment, Submission, SubmissionStatus, User


class StepState(enum.StrEnum):
    DONE = "done"
    CURRENT = "current"
    LOCKED = "locked"


class CurrentState(enum.StrEnum):
    """Where the current step stands: whose move it is on it."""

    OPEN = "open"  # never handed in: the recruit's move
    WAITING = "waiting"  # handed in, waiting for the sponsor
    CHANGES_REQUESTED = "changes_requested"  # sent back: the recruit's move


@dataclass(frozen=True)
class Step:
    assignment: Assignment
    state: StepState
    # Every attempt on this step, oldest first (empty for locked steps).
    attempts: tuple[Submission, ...] = ()

    @property
    def approved(self) -> Submission | None:
        return next((s for s in self.attempts if s.status == SubmissionStatus.APPROVED), None)

    @property
    def latest(self) -> Submission | None:
        return self.attempts[-1] if self.attempts else None


@dataclass(frozen=True)
class Progress:
    steps: tuple[Step, ...]
    current: Step | None
    # When the current step opened for the recruit (None when finished or no track).
    unlocked_at: datetime | None
    has_track: bool = True
    done_count: int = field(default=0)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def finished(self) -> bool:
        return self.has_track and self.total > 0 and self.current is None

    @property
    def current_state(self) -> CurrentState | None:
        if self.current is None:
            return None
        latest = self.current.latest
        if latest is None or latest.status == SubmissionStatus.APPROVED:
            return CurrentState.OPEN
        if latest.status == SubmissionStatus.SUBMITTED:
            return CurrentState.WAITING
        return CurrentState.CHANGES_REQUESTED

    @property
    def percent_done(self) -> int:
        return round(100 * self.done_count / self.total) if self.total else 0

    def can_hand_in(self, assignment_id: int) -> bool:
        """Only the current step, and only while nothing is waiting for review."""
        return (
            self.current is not None
            and self.current.assignment.id == assignment_id
            and self.current_state != CurrentState.WAITING
        )


def unlock_time(
    enrolled_at: datetime, activated_at: datetime, previous_approved_at: datetime | None
) -> datetime:
    """When a step opened for a recruit: the latest of joining the track, the step
    (re)joining the track, and the last approval of a step before it."""
    return max(t for t in (enrolled_at, activated_at, previous_approved_at) if t is not None)


def compute_progress(
    assignments: Sequence[Assignment],
    submissions: Iterable[Submission],
    enrolled_at: datetime | None,
) -> Progress:
    """The gate over facts already loaded: active assignments and the recruit's submissions."""
    ordered = sorted((a for a in assignments if a.position is not None), key=lambda a: a.position)
    by_assignment: dict[int, list[Submission]] = {}
    for submission in sorted(submissions, key=lambda s: (s.attempt, s.submitted_at)):
        by_assignment.setdefault(submission.assignment_id, []).append(submission)

    def is_approved(assignment: Assignment) -> bool:
        return any(
            s.status == SubmissionStatus.APPROVED for s in by_assignment.get(assignment.id, ())
        )

    current_index = next((i for i, a in enumerate(ordered) if not is_approved(a)), None)
    steps: list[Step] = []
    for index, assignment in enumerate(ordered):
        attempts = tuple(by_assignment.get(assignment.id, ()))
        if is_approved(assignment):
            state = StepState.DONE
        elif index == current_index:
            state = StepState.CURRENT
        else:
            state, attempts = StepState.LOCKED, ()
        steps.append(Step(assignment, state, attempts))

    current = steps[current_index] if current_index is not None else None
    unlocked_at = None
    if current is not None and enrolled_at is not None:
        # The step opened when the last of the steps before it was approved (after a
        # reorder that need not be the step right before it).
        approvals = [s.approved.decided_at for s in steps[:current_index] if s.approved]
        unlocked_at = unlock_time(
            enrolled_at,
            current.assignment.activated_at,
            max((t for t in approvals if t is not None), default=None),
        )
    return Progress(
        steps=tuple(steps),
        current=current,
        unlocked_at=unlocked_at,
        done_count=sum(1 for s in steps if s.state == StepState.DONE),
    )


NO_TRACK = Progress(steps=(), current=None, unlocked_at=None, has_track=False)


# The recruit's active steps, each with their attempts (if any), in one statement.
# Built once: the page is the app's busiest, and constructing a select costs more
# than running this one.
_STEPS_WITH_ATTEMPTS = (
    select(Assignment, Submission)
    .outerjoin(
        Submission,
        and_(
            Submission.assignment_id == Assignment.id,
            Submission.recruit_id == bindparam("recruit_id"),
        ),
    )
    .where(Assignment.track_id == bindparam("track_id"), Assignment.position.is_not(None))
    .order_by(Assignment.position, Submission.attempt)
)


def load_progress(session: Session, recruit: User) -> Progress:
    """The recruit's progress on their current track, in one query."""
    if recruit.track_id is None:
        return NO_TRACK
    rows = session.execute(
        _STEPS_WITH_ATTEMPTS, {"track_id": recruit.track_id, "recruit_id": recruit.id}
    ).all()
    return _progress_from_rows(recruit, rows)


# The same facts, and the recruit themselves, from the recruit's id alone: for a
# decision, which knows only whose hand-in it changed (one round trip fewer).
_RECRUIT_WITH_STEPS = (
    select(User, Assignment, Submission)
    .select_from(User)
    .outerjoin(
        Assignment, and_(Assignment.track_id == User.track_id, Assignment.position.is_not(None))
    )
    .outerjoin(
        Submission,
        and_(Submission.assignment_id == Assignment.id, Submission.recruit_id == User.id),
    )
    .where(User.id == bindparam("recruit_id"))
    .order_by(Assignment.position, Submission.attempt)
    # A decision changes its row without the ORM: read what the database holds now.
    .execution_options(populate_existing=True)
)


def load_recruit_progress(session: Session, recruit_id: int) -> tuple[User, Progress]:
    """The recruit and their progress, in one query (the recruit must exist)."""
    rows = session.execute(_RECRUIT_WITH_STEPS, {"recruit_id": recruit_id}).all()
    recruit = rows[0][0]
    if recruit.track_id is None:
        return recruit, NO_TRACK
    return recruit, _progress_from_rows(recruit, [row[1:] for row in rows if row[1] is not None])


def _progress_from_rows(recruit: User, rows: Iterable[Sequence]) -> Progress:
    rows = list(rows)
    assignments = list(dict.fromkeys(assignment for assignment, _ in rows))
    submissions = [submission for _, submission in rows if submission is not None]
    return compute_progress(assignments, submissions, recruit.enrolled_at)
