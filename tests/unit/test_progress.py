"""The gate (app.services.progress): table-style tests of compute_progress/load_progress.

Every case builds real rows through the factories (SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set) and checks `load_progress` and `compute_progress` over the
same facts, so both entry points of the gate are held to the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.models import Assignment, Submission, SubmissionStatus, Track, User
from app.services import tracks
from app.services.progress import (
    NO_TRACK,
    CurrentState,
    Progress,
    StepState,
    compute_progress,
    load_progress,
)
from tests.factories import AssignmentFactory, SubmissionFactory, TrackFactory, UserFactory

# A fixed clock: day 0 the track is written, day 1 the recruit enrols.
T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
ENROLLED = T0 + timedelta(days=1)

DONE, CURRENT, LOCKED = StepState.DONE, StepState.CURRENT, StepState.LOCKED
OPEN, WAITING, CHANGES = CurrentState.OPEN, CurrentState.WAITING, CurrentState.CHANGES_REQUESTED
SUBMITTED = SubmissionStatus.SUBMITTED
APPROVED = SubmissionStatus.APPROVED
CHANGES_REQUESTED = SubmissionStatus.CHANGES_REQUESTED


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def decided(n: int) -> datetime:
    """When a hand-in of day n was decided in the table below (an hour later)."""
    return day(n) + timedelta(hours=1)


@dataclass
class Setup:
    sponsor: User
    track: Track
    steps: list[Assignment]
    recruit: User


def build(steps: int = 3, *, enrolled_at: datetime = ENROLLED) -> Setup:
    """A sponsor, a track of `steps` assignments written on day 0, a recruit enrolled on it."""
    sponsor = UserFactory()
    track = TrackFactory(owner=sponsor, is_default=True)
    assignments = [
        AssignmentFactory(
            track=track,
            position=position,
            title=f"Step {position}",
            activated_at=day(0),
            created_at=day(0),
        )
        for position in range(1, steps + 1)
    ]
    recruit = UserFactory(sponsor=sponsor, track=track, enrolled_at=enrolled_at)
    return Setup(sponsor, track, assignments, recruit)


def hand_in_row(
    recruit: User,
    assignment: Assignment,
    status: str,
    *,
    attempt: int = 1,
    submitted_at: datetime,
    decided_at: datetime | None = None,
) -> Submission:
    """A submission row as the services would leave it (decided_at iff decided)."""
    decided = status != SUBMITTED
    return SubmissionFactory(
        recruit=recruit,
        assignment=assignment,
        attempt=attempt,
        answer=f"answer {attempt} to {assignment.title}",
        status=status,
        submitted_at=submitted_at,
        decided_at=(decided_at or submitted_at + timedelta(hours=1)) if decided else None,
        decided_by=recruit.sponsor if decided else None,
        feedback="Please add more detail." if status == CHANGES_REQUESTED else "",
    )


def both_progresses(db, recruit: User) -> tuple[Progress, Progress]:
    """load_progress, and compute_progress over the same facts loaded by hand."""
    db.session.expire_all()
    loaded = load_progress(db.session, recruit)
    assignments = db.session.scalars(
        select(Assignment).where(Assignment.track_id == recruit.track_id)
    ).all()  # archived ones included on purpose: compute_progress must skip them
    submissions = db.session.scalars(
        select(Submission).where(Submission.recruit_id == recruit.id)
    ).all()
    computed = compute_progress(assignments, submissions, recruit.enrolled_at)
    return loaded, computed


def summary(progress: Progress) -> dict:
    return {
        "titles": [s.assignment.title for s in progress.steps],
        "states": [s.state for s in progress.steps],
        "attempts": [[a.id for a in s.attempts] for s in progress.steps],
        "current": progress.current.assignment.title if progress.current else None,
        "current_state": progress.current_state,
        "unlocked_at": progress.unlocked_at,
        "finished": progress.finished,
        "done_count": progress.done_count,
        "total": progress.total,
        "has_track": progress.has_track,
    }


# --- no track, empty track -------------------------------------------------------------


def test_a_recruit_without_track_has_no_progress(db):
    recruit = UserFactory(sponsor=UserFactory(), track=None, enrolled_at=None)

    progress = load_progress(db.session, recruit)

    assert progress is NO_TRACK
    assert progress.has_track is False
    assert progress.steps == ()
    assert progress.current is None
    assert progress.current_state is None
    assert progress.unlocked_at is None
    assert progress.finished is False
    assert progress.total == 0
    assert progress.percent_done == 0
    assert progress.can_hand_in(1) is False


@pytest.mark.parametrize("archived_steps", [0, 2], ids=["no-assignments", "only-archived"])
def test_an_empty_track_is_neither_current_nor_finished(db, archived_steps):
    setup = build(steps=0)
    for _ in range(archived_steps):
        AssignmentFactory(track=setup.track, position=None, archived_at=day(0))

    for progress in both_progresses(db, setup.recruit):
        assert progress.has_track is True
        assert progress.steps == ()
        assert progress.current is None
        assert progress.current_state is None
        assert progress.unlocked_at is None
        assert progress.finished is False
        assert progress.done_count == 0
        assert progress.percent_done == 0


# --- the table ---------------------------------------------------------------------------

# Each case: the history of hand-ins on a 3-step track as (step number, status) in
# time order (hand-in at day 2+i, decision an hour later), then the expected gate.
CASES = {
    "nothing handed in": (
        [],
        dict(states=[CURRENT, LOCKED, LOCKED], current=1, state=OPEN, unlocked=ENROLLED),
    ),
    "waiting for review": (
        [(1, SUBMITTED)],
        dict(states=[CURRENT, LOCKED, LOCKED], current=1, state=WAITING, unlocked=ENROLLED),
    ),
    "changes requested": (
        [(1, CHANGES_REQUESTED)],
        dict(states=[CURRENT, LOCKED, LOCKED], current=1, state=CHANGES, unlocked=ENROLLED),
    ),
    "handed in again after changes": (
        [(1, CHANGES_REQUESTED), (1, SUBMITTED)],
        dict(states=[CURRENT, LOCKED, LOCKED], current=1, state=WAITING, unlocked=ENROLLED),
    ),
    "changes requested twice": (
        [(1, CHANGES_REQUESTED), (1, CHANGES_REQUESTED)],
        dict(states=[CURRENT, LOCKED, LOCKED], current=1, state=CHANGES, unlocked=ENROLLED),
    ),
    "first approved": (
        [(1, APPROVED)],
        dict(states=[DONE, CURRENT, LOCKED], current=2, state=OPEN, unlocked=decided(2)),
    ),
    "first approved after changes": (
        [(1, CHANGES_REQUESTED), (1, APPROVED)],
        dict(states=[DONE, CURRENT, LOCKED], current=2, state=OPEN, unlocked=decided(3)),
    ),
    "second waiting": (
        [(1, APPROVED), (2, SUBMITTED)],
        dict(states=[DONE, CURRENT, LOCKED], current=2, state=WAITING, unlocked=decided(2)),
    ),
    "second sent back": (
        [(1, APPROVED), (2, CHANGES_REQUESTED)],
        dict(states=[DONE, CURRENT, LOCKED], current=2, state=CHANGES, unlocked=decided(2)),
    ),
    "two approved": (
        [(1, APPROVED), (2, APPROVED)],
        dict(states=[DONE, DONE, CURRENT], current=3, state=OPEN, unlocked=decided(3)),
    ),
    "all approved": (
        [(1, APPROVED), (2, CHANGES_REQUESTED), (2, APPROVED), (3, APPROVED)],
        dict(states=[DONE, DONE, DONE], current=None, state=None, unlocked=None),
    ),
}


@pytest.mark.parametrize("history, expected", list(CASES.values()), ids=list(CASES))
def test_gate_table(db, history, expected):
    setup = build(steps=3)
    attempts: dict[int, int] = {}
    rows: dict[int, list[int]] = {1: [], 2: [], 3: []}
    for i, (step, status) in enumerate(history):
        attempts[step] = attempts.get(step, 0) + 1
        row = hand_in_row(
            setup.recruit,
            setup.steps[step - 1],
            status,
            attempt=attempts[step],
            submitted_at=day(2 + i),
        )
        rows[step].append(row.id)

    for progress in both_progresses(db, setup.recruit):
        states = expected["states"]
        assert [s.state for s in progress.steps] == states
        assert [s.assignment.id for s in progress.steps] == [a.id for a in setup.steps]
        done = states.count(DONE)
        assert progress.done_count == done
        assert progress.total == 3
        assert progress.percent_done == round(100 * done / 3)
        assert progress.finished is (expected["current"] is None)
        assert progress.current_state == expected["state"]
        assert progress.unlocked_at == expected["unlocked"]
        if expected["current"] is None:
            assert progress.current is None
        else:
            assert progress.current is progress.steps[expected["current"] - 1]
            assert progress.current.assignment.id == setup.steps[expected["current"] - 1].id
        for number, step in enumerate(progress.steps, start=1):
            if step.state == LOCKED:
                assert step.attempts == (), "a locked step shows no attempts"
            else:
                assert [a.id for a in step.attempts] == rows[number], "oldest attempt first"
            assert (step.approved is not None) is (step.state == DONE)
            assert step.latest is (step.attempts[-1] if step.attempts else None)
        # Only the current step, and only while nothing waits for review.
        for number, assignment in enumerate(setup.steps, start=1):
            allowed = number == expected["current"] and expected["state"] != WAITING
            assert progress.can_hand_in(assignment.id) is allowed
        assert progress.can_hand_in(10**9) is False


def test_attempts_are_ordered_by_attempt_number_not_by_row_order(db):
    setup = build(steps=2)
    first = setup.steps[0]
    # Rows inserted out of order: attempt 2 first.
    second_row = hand_in_row(setup.recruit, first, SUBMITTED, attempt=2, submitted_at=day(4))
    first_row = hand_in_row(setup.recruit, first, CHANGES_REQUESTED, attempt=1, submitted_at=day(2))

    for progress in both_progresses(db, setup.recruit):
        assert [a.id for a in progress.current.attempts] == [first_row.id, second_row.id]
        assert progress.current.latest.id == second_row.id
        assert progress.current_state == WAITING


def test_other_recruits_and_other_tracks_do_not_count(db):
    setup = build(steps=2)
    other = UserFactory(sponsor=setup.sponsor, track=setup.track, enrolled_at=ENROLLED)
    hand_in_row(other, setup.steps[0], APPROVED, submitted_at=day(2))
    foreign_step = AssignmentFactory(track=TrackFactory(owner=setup.sponsor), position=1)
    hand_in_row(setup.recruit, foreign_step, APPROVED, submitted_at=day(2))

    progress = load_progress(db.session, setup.recruit)

    assert [s.state for s in progress.steps] == [CURRENT, LOCKED]
    assert progress.current_state == OPEN
    assert progress.current.attempts == ()


# --- unlock times ------------------------------------------------------------------------


def test_first_step_unlocks_at_enrolment(db):
    setup = build(steps=2, enrolled_at=day(5))
    for progress in both_progresses(db, setup.recruit):
        assert progress.unlocked_at == day(5)


def test_later_step_unlocks_at_the_approval_not_at_the_hand_in(db):
    setup = build(steps=2)
    hand_in_row(setup.recruit, setup.steps[0], APPROVED, submitted_at=day(2), decided_at=day(6))
    for progress in both_progresses(db, setup.recruit):
        assert progress.current.assignment.id == setup.steps[1].id
        assert progress.unlocked_at == day(6)


def test_first_step_activated_after_enrolment_unlocks_when_activated(db):
    setup = build(steps=0, enrolled_at=day(1))
    late = AssignmentFactory(track=setup.track, position=1, activated_at=day(9))
    for progress in both_progresses(db, setup.recruit):
        assert progress.current.assignment.id == late.id
        assert progress.unlocked_at == day(9)


def test_step_added_after_the_previous_approval_unlocks_when_added(db):
    """The recruit finished the track on day 3; the sponsor adds a step on day 10."""
    setup = build(steps=1)
    hand_in_row(setup.recruit, setup.steps[0], APPROVED, submitted_at=day(2), decided_at=day(3))
    for progress in both_progresses(db, setup.recruit):
        assert progress.finished

    added = tracks.add_assignment(
        db.session, setup.track, title="New step", instructions="", deliverable=""
    )
    # add_assignment stamps activated_at with the real clock: pin it to day 10.
    added.activated_at = day(10)
    db.session.commit()

    for progress in both_progresses(db, setup.recruit):
        assert not progress.finished
        assert progress.current.assignment.id == added.id
        assert progress.unlocked_at == day(10)


def test_restored_step_never_unlocks_before_its_restore(db):
    setup = build(steps=2)
    first, second = setup.steps
    tracks.archive_assignment(db.session, second, now=day(2))
    hand_in_row(setup.recruit, first, APPROVED, submitted_at=day(3), decided_at=day(4))
    for progress in both_progresses(db, setup.recruit):
        assert progress.finished

    tracks.restore_assignment(db.session, second, now=day(8))

    for progress in both_progresses(db, setup.recruit):
        assert progress.current.assignment.id == second.id
        assert progress.unlocked_at == day(8)
        assert progress.current_state == OPEN


def test_enrolment_after_the_approvals_bounds_the_unlock_time(db):
    """Moved onto a track whose first step they had already done before."""
    setup = build(steps=2, enrolled_at=day(20))
    hand_in_row(setup.recruit, setup.steps[0], APPROVED, submitted_at=day(2), decided_at=day(3))
    for progress in both_progresses(db, setup.recruit):
        assert progress.current.assignment.id == setup.steps[1].id
        assert progress.unlocked_at == day(20)


def _swap_two_done_steps(db, setup: Setup) -> datetime:
    first, second, _third = setup.steps
    hand_in_row(setup.recruit, first, APPROVED, submitted_at=day(2), decided_at=day(3))
    hand_in_row(setup.recruit, second, APPROVED, submitted_at=day(5), decided_at=day(9))
    # A cosmetic reorder of two steps the recruit already finished.
    tracks.move_assignment(db.session, second, "up")
    return day(9)  # the third step opened when the second was approved


def _approve_a_step_pushed_behind_a_new_one(db, setup: Setup) -> datetime:
    first, second, _third = setup.steps
    hand_in_row(setup.recruit, first, APPROVED, submitted_at=day(2), decided_at=day(3))
    hand_in_row(setup.recruit, second, SUBMITTED, submitted_at=day(4))
    inserted = tracks.add_assignment(
        db.session, setup.track, title="Inserted", instructions="", deliverable=""
    )
    inserted.activated_at = day(5)
    db.session.commit()
    tracks.move_assignment(db.session, inserted, "up")
    tracks.move_assignment(db.session, inserted, "up")  # order: first, inserted, second, third
    # The sponsor approves the waiting (now locked) second step on day 6 ...
    row = db.session.scalar(select(Submission).where(Submission.assignment_id == second.id))
    row.status, row.decided_at, row.decided_by = APPROVED, day(6), setup.sponsor
    # ... and the inserted step on day 12: only then does the third step open.
    hand_in_row(setup.recruit, inserted, APPROVED, submitted_at=day(10), decided_at=day(12))
    db.session.commit()
    return day(12)


@pytest.mark.parametrize(
    "history",
    [_swap_two_done_steps, _approve_a_step_pushed_behind_a_new_one],
    ids=["done-steps-swapped", "approved-while-locked-behind-inserted-step"],
)
def test_current_step_never_unlocks_before_every_earlier_step_was_approved(db, history):
    """Regression: the unlock time was the approval of the step right before the
    current one, so after a reorder it could go back in time (stalled too early)."""
    setup = build(steps=3)
    opened = history(db, setup)

    for progress in both_progresses(db, setup.recruit):
        assert progress.current.assignment.id == setup.steps[2].id
        approvals = [s.approved.decided_at for s in progress.steps if s.state == DONE]
        assert max(approvals) == opened
        # The step was locked until its last predecessor was approved.
        assert progress.unlocked_at == opened


# --- archived steps, inserted steps ------------------------------------------------------


def test_archived_assignments_and_their_submissions_are_ignored(db):
    setup = build(steps=3)
    first, second, third = setup.steps
    hand_in_row(setup.recruit, first, APPROVED, submitted_at=day(2), decided_at=day(3))
    hand_in_row(setup.recruit, second, SUBMITTED, submitted_at=day(4))
    tracks.archive_assignment(db.session, second, now=day(5))

    for progress in both_progresses(db, setup.recruit):
        assert [s.assignment.id for s in progress.steps] == [first.id, third.id]
        assert [s.state for s in progress.steps] == [DONE, CURRENT]
        assert progress.total == 2
        assert progress.done_count == 1
        assert progress.current.assignment.id == third.id
        assert progress.current_state == OPEN, "the archived step's waiting hand-in is gone"
        assert progress.can_hand_in(third.id)
        assert not progress.can_hand_in(second.id)
    # The submission itself is kept.
    assert db.session.scalar(select(Submission).where(Submission.assignment_id == second.id))


def test_archiving_the_only_unapproved_step_finishes_the_recruit(db):
    setup = build(steps=2)
    first, second = setup.steps
    hand_in_row(setup.recruit, first, APPROVED, submitted_at=day(2))
    tracks.archive_assignment(db.session, second, now=day(5))

    for progress in both_progresses(db, setup.recruit):
        assert progress.finished
        assert progress.current is None
        assert progress.done_count == progress.total == 1


def test_approval_on_an_archived_step_does_not_count(db):
    setup = build(steps=2)
    first, second = setup.steps
    hand_in_row(setup.recruit, first, APPROVED, submitted_at=day(2))
    tracks.archive_assignment(db.session, first, now=day(5))

    for progress in both_progresses(db, setup.recruit):
        assert [s.assignment.id for s in progress.steps] == [second.id]
        assert progress.current.assignment.id == second.id
        assert progress.done_count == 0


def test_a_step_approved_after_the_current_one_counts_as_done(db):
    """The sponsor inserts a new step before one the recruit already did."""
    setup = build(steps=3)
    first, second, third = setup.steps
    hand_in_row(setup.recruit, first, APPROVED, submitted_at=day(2), decided_at=day(3))
    hand_in_row(setup.recruit, second, APPROVED, submitted_at=day(4), decided_at=day(5))
    inserted = tracks.add_assignment(
        db.session, setup.track, title="Inserted", instructions="", deliverable=""
    )
    inserted.activated_at = day(7)
    db.session.commit()
    tracks.move_assignment(db.session, inserted, "up")
    tracks.move_assignment(db.session, inserted, "up")  # order: first, inserted, second, third

    for progress in both_progresses(db, setup.recruit):
        assert [s.assignment.id for s in progress.steps] == [
            first.id,
            inserted.id,
            second.id,
            third.id,
        ]
        assert [s.state for s in progress.steps] == [DONE, CURRENT, DONE, LOCKED]
        assert progress.done_count == 2
        assert progress.current.assignment.id == inserted.id
        assert progress.current_state == OPEN
        # Not earlier than the step exists; the recruit's clock starts on day 7.
        assert progress.unlocked_at == day(7)
        assert progress.steps[2].approved is not None
        assert not progress.can_hand_in(second.id)
        assert not progress.can_hand_in(third.id)


def test_a_step_pushed_behind_the_current_one_is_locked_and_hides_its_attempts(db):
    setup = build(steps=2)
    first, second = setup.steps
    waiting = hand_in_row(setup.recruit, first, SUBMITTED, submitted_at=day(2))
    inserted = tracks.add_assignment(
        db.session, setup.track, title="Inserted", instructions="", deliverable=""
    )
    tracks.move_assignment(db.session, inserted, "up")
    tracks.move_assignment(db.session, inserted, "up")  # order: inserted, first, second

    for progress in both_progresses(db, setup.recruit):
        assert [s.state for s in progress.steps] == [CURRENT, LOCKED, LOCKED]
        assert progress.current.assignment.id == inserted.id
        assert progress.current_state == OPEN
        assert progress.steps[1].attempts == ()
        assert progress.can_hand_in(inserted.id)
        assert not progress.can_hand_in(first.id)
    assert db.session.get(Submission, waiting.id).status == SUBMITTED
