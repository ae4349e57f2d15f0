"""Property-based test of the gate: random hand-ins, reviews and track edits.

A hypothesis state machine drives the real services (homework.hand_in, review.decide,
tracks.*) against the real database, keeps a small model of what should be true, and
after every action checks the gate's invariants (PRODUCT.md, "Progress (the gate)" and
"Submissions and review"):

- positions of the active assignments are exactly 1..n, in the order the model expects;
- exactly one current step unless finished; finished iff every active assignment has an
  approved submission; a track with no active assignment is neither;
- a step is done only if it has an approved submission, everything before the current
  step is done, and nothing after it can be handed in (hand_in refuses it);
- no submission is ever lost: the row count never decreases, and every submission seen
  so far still exists with the same assignment, attempt and answer;
- the current step's unlock time, on the recruit's page and in the dashboard's SQL, is
  the one the model computes from its own records: the machine keeps a clock that
  hypothesis moves on by minutes to weeks between actions, every service is given it
  as `now`, and the model notes when the recruit joined, when each step was added or
  restored and when each approval happened.

Each example works on a fresh sponsor, recruit and track, so the rows of earlier
examples (the `app` fixture empties the tables only at the end of the test) never mix in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from app.extensions import db
from app.models import Assignment, Submission, SubmissionStatus, Track, User
from app.services import tracks
from app.services.errors import AlreadyDecided, InvalidTransition, NotFound
from app.services.homework import hand_in
from app.services.progress import CurrentState, StepState, load_progress
from app.services.review import Decision, decide
from app.services.standing import recruit_facts, standing_of
from tests.factories import AssignmentFactory, TrackFactory, UserFactory

MAX_ATTACHMENT_BYTES = 1024 * 1024
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the machine's clock starts here

SETTINGS = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

picks = st.integers(min_value=0, max_value=30)
answers = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
feedbacks = st.one_of(
    st.sampled_from(["", "   ", "\n"]),
    st.text(alphabet="abc xyz\n", min_size=1, max_size=12),
)


@dataclass
class ModelSubmission:
    assignment_id: int
    attempt: int
    answer: str
    status: str


class GateMachine(RuleBasedStateMachine):
    upload_folder: str = ""  # set by the test (tmp_path)

    def __init__(self) -> None:
        super().__init__()
        # The machine's clock: hypothesis moves it on (`wait`); every service gets it.
        self.now = START
        self.enrolled_at = START
        self.activated: dict[int, datetime] = {}  # assignment id -> added or restored
        self.approved_at: dict[int, datetime] = {}  # assignment id -> approval time
        self.sent_back_at: dict[int, datetime] = {}  # assignment id -> last "changes"
        self.sponsor = UserFactory()
        self.track = TrackFactory(owner=self.sponsor, is_default=True)
        self.recruit = UserFactory(sponsor=self.sponsor, track=self.track, enrolled_at=START)
        # A step of another track of the same sponsor: never the recruit's to hand in.
        self.foreign_id = AssignmentFactory(track=TrackFactory(owner=self.sponsor), position=1).id
        self.track_id = self.track.id
        self.recruit_id = self.recruit.id
        # The model: active assignment ids in order, archived ids, every submission.
        self.order: list[int] = []
        self.archived: list[int] = []
        self.submissions: dict[int, ModelSubmission] = {}
        self.rows_seen = 0

    def teardown(self) -> None:
        db.session.remove()

    # --- the model's view of the gate -----------------------------------------------

    def approved(self, assignment_id: int) -> bool:
        return any(
            s.assignment_id == assignment_id and s.status == SubmissionStatus.APPROVED
            for s in self.submissions.values()
        )

    def waiting(self, assignment_id: int) -> bool:
        return any(
            s.assignment_id == assignment_id and s.status == SubmissionStatus.SUBMITTED
            for s in self.submissions.values()
        )

    def current(self) -> int | None:
        return next((a for a in self.order if not self.approved(a)), None)

    def waiting_ids(self) -> list[int]:
        return sorted(
            i for i, s in self.submissions.items() if s.status == SubmissionStatus.SUBMITTED
        )

    def decided_ids(self) -> list[int]:
        return sorted(
            i for i, s in self.submissions.items() if s.status != SubmissionStatus.SUBMITTED
        )

    def assignment(self, assignment_id: int) -> Assignment:
        return db.session.get(Assignment, assignment_id)

    def expected_unlock(self) -> datetime | None:
        """When the current step opened, from the model's own records: the latest of
        joining, the step (re)joining the track, and the approvals of the steps before
        it in today's order (README, "Rules the app follows")."""
        current = self.current()
        if current is None:
            return None
        before = self.order[: self.order.index(current)]
        times = [self.enrolled_at, self.activated[current]]
        times += [self.approved_at[a] for a in before if a in self.approved_at]
        return max(times)

    def _hand_in(self, assignment_id: int, answer: str) -> Submission:
        recruit = db.session.get(User, self.recruit_id)
        return hand_in(
            db.session,
            recruit,
            assignment_id,
            answer=answer,
            link=None,
            upload=None,
            upload_folder=self.upload_folder,
            max_attachment_bytes=MAX_ATTACHMENT_BYTES,
            now=self.now,
        )

    # --- rules ----------------------------------------------------------------------

    @initialize(steps=st.integers(min_value=0, max_value=4))
    def write_track(self, steps: int) -> None:
        for _ in range(steps):
            self.add_step()

    @rule(minutes=st.integers(min_value=1, max_value=60 * 24 * 21))
    def wait(self, minutes: int) -> None:
        """Time passes: a minute, a few hours or up to three weeks."""
        self.now += timedelta(minutes=minutes)

    @rule()
    def add_step(self) -> None:
        track = db.session.get(Track, self.track_id)
        added = tracks.add_assignment(
            db.session,
            track,
            title=f"Step {len(self.order) + 1}",
            instructions="",
            deliverable="",
            now=self.now,
        )
        self.order.append(added.id)
        self.activated[added.id] = self.now

    @precondition(lambda self: self.current() is not None and not self.waiting(self.current()))
    @rule(
        answer=answers,
        decisions=st.lists(st.sampled_from(["approve", "approve", "changes"]), max_size=4),
    )
    def work_through(self, answer: str, decisions: list[str]) -> None:
        """The happy path: hand in the current step and have it reviewed, a few times
        over, so that random runs get far along the track (and to its end)."""
        for decision in ["approve", *decisions]:
            assignment_id = self.current()
            if assignment_id is None or self.waiting(assignment_id):
                return  # finished, or a step handed in while it was locked is up now
            submission = self._hand_in(assignment_id, answer)
            self.submissions[submission.id] = ModelSubmission(
                assignment_id, submission.attempt, answer, SubmissionStatus.SUBMITTED
            )
            self.check_everything()
            waiting = self.waiting_ids()
            self.review(waiting.index(submission.id), decision == "approve", "Needs more.")
            self.check_everything()

    @rule(
        where=st.sampled_from(["current", "current", "active", "archived", "foreign"]),
        pick=picks,
        answer=answers,
    )
    def hand_in_something(self, where: str, pick: int, answer: str) -> None:
        if where == "current":
            assignment_id = self.current()
            if assignment_id is None:
                return
        elif where == "active":
            if not self.order:
                return
            assignment_id = self.order[pick % len(self.order)]
        elif where == "archived":
            if not self.archived:
                return
            assignment_id = self.archived[pick % len(self.archived)]
        else:
            assignment_id = self.foreign_id

        if assignment_id not in self.order:
            with pytest.raises(NotFound):
                self._hand_in(assignment_id, answer)
        elif assignment_id == self.current() and not self.waiting(assignment_id):
            submission = self._hand_in(assignment_id, answer)
            attempts = [s for s in self.submissions.values() if s.assignment_id == assignment_id]
            assert submission.attempt == len(attempts) + 1
            assert submission.status == SubmissionStatus.SUBMITTED
            self.submissions[submission.id] = ModelSubmission(
                assignment_id, submission.attempt, answer, SubmissionStatus.SUBMITTED
            )
        else:  # locked, done, or waiting for review
            with pytest.raises(InvalidTransition):
                self._hand_in(assignment_id, answer)

    @precondition(lambda self: self.waiting_ids())
    @rule(pick=picks, approve=st.booleans(), feedback=feedbacks)
    def review(self, pick: int, approve: bool, feedback: str) -> None:
        waiting = self.waiting_ids()
        submission_id = waiting[pick % len(waiting)]
        sponsor = db.session.get(User, self.sponsor.id)
        decision = Decision.APPROVE if approve else Decision.REQUEST_CHANGES
        if not approve and not feedback.strip():
            with pytest.raises(InvalidTransition):
                decide(db.session, sponsor, submission_id, decision, feedback, now=self.now)
            db.session.rollback()
            return
        outcome = decide(db.session, sponsor, submission_id, decision, feedback, now=self.now)
        step_id = self.submissions[submission_id].assignment_id
        if approve:
            self.approved_at[step_id] = self.now
        else:
            self.sent_back_at[step_id] = self.now
        expected = SubmissionStatus.APPROVED if approve else SubmissionStatus.CHANGES_REQUESTED
        decided = db.session.get(Submission, submission_id)
        assert decided.status == expected
        assert decided.feedback == feedback.strip()
        assert outcome.approved == approve
        self.submissions[submission_id].status = expected
        if approve:  # what the approval says it opened is the gate's current step now
            current = load_progress(db.session, db.session.get(User, self.recruit_id)).current
            assert outcome.opened_title == (current.assignment.title if current else None)

    @precondition(lambda self: self.decided_ids())
    @rule(pick=picks, approve=st.booleans())
    def review_again(self, pick: int, approve: bool) -> None:
        decided = self.decided_ids()
        sponsor = db.session.get(User, self.sponsor.id)
        decision = Decision.APPROVE if approve else Decision.REQUEST_CHANGES
        with pytest.raises(AlreadyDecided):
            decide(db.session, sponsor, decided[pick % len(decided)], decision, "Once more.")

    @precondition(lambda self: self.order)
    @rule(pick=picks, direction=st.sampled_from(["up", "down"]))
    def move(self, pick: int, direction: str) -> None:
        index = pick % len(self.order)
        tracks.move_assignment(db.session, self.assignment(self.order[index]), direction)
        other = index + (-1 if direction == "up" else 1)
        if 0 <= other < len(self.order):
            self.order[index], self.order[other] = self.order[other], self.order[index]

    @precondition(lambda self: self.order)
    @rule(pick=picks)
    def archive(self, pick: int) -> None:
        assignment_id = self.order.pop(pick % len(self.order))
        tracks.archive_assignment(db.session, self.assignment(assignment_id), now=self.now)
        self.archived.append(assignment_id)

    @precondition(lambda self: self.archived)
    @rule(pick=picks)
    def restore(self, pick: int) -> None:
        assignment_id = self.archived.pop(pick % len(self.archived))
        tracks.restore_assignment(db.session, self.assignment(assignment_id), now=self.now)
        self.order.append(assignment_id)
        self.activated[assignment_id] = self.now

    @precondition(lambda self: self.order or self.archived)
    @rule(pick=picks, action=st.sampled_from(["archive", "restore", "move"]))
    def refused_track_edit(self, pick: int, action: str) -> None:
        """Archive an archived step, restore an active one, move an archived one."""
        if action == "restore":
            if not self.order:
                return
            with pytest.raises(InvalidTransition):
                tracks.restore_assignment(
                    db.session, self.assignment(self.order[pick % len(self.order)])
                )
        else:
            if not self.archived:
                return
            step = self.assignment(self.archived[pick % len(self.archived)])
            with pytest.raises(InvalidTransition):
                if action == "archive":
                    tracks.archive_assignment(db.session, step)
                else:
                    tracks.move_assignment(db.session, step, "up")
        db.session.rollback()  # as the request's teardown would

    # --- invariants -----------------------------------------------------------------

    def check_everything(self) -> None:
        self.positions_are_one_to_n()
        self.no_submission_is_lost()
        self.the_gate_holds()

    @invariant()
    def positions_are_one_to_n(self) -> None:
        db.session.expire_all()
        rows = db.session.execute(
            select(Assignment.id, Assignment.position, Assignment.archived_at).where(
                Assignment.track_id == self.track_id
            )
        ).all()
        active = sorted((r for r in rows if r.position is not None), key=lambda r: r.position)
        assert [r.position for r in active] == list(range(1, len(active) + 1))
        assert [r.id for r in active] == self.order
        assert all(r.archived_at is None for r in active)
        archived = [r for r in rows if r.position is None]
        assert sorted(r.id for r in archived) == sorted(self.archived)
        assert all(r.archived_at is not None for r in archived)

    @invariant()
    def no_submission_is_lost(self) -> None:
        rows = db.session.scalars(
            select(Submission).where(Submission.recruit_id == self.recruit_id)
        ).all()
        assert len(rows) >= self.rows_seen, "a submission row disappeared"
        self.rows_seen = len(rows)
        by_id = {row.id: row for row in rows}
        assert set(by_id) == set(self.submissions)
        for submission_id, expected in self.submissions.items():
            row = by_id[submission_id]
            assert row.assignment_id == expected.assignment_id
            assert row.attempt == expected.attempt
            assert row.answer == expected.answer
            assert row.status == expected.status
            if row.status == SubmissionStatus.SUBMITTED:
                assert row.decided_at is None and row.decided_by_id is None
            else:
                assert row.decided_at is not None and row.decided_by_id == self.sponsor.id
        # Attempts on each assignment are numbered 1..k.
        attempts: dict[int, list[int]] = {}
        for row in rows:
            attempts.setdefault(row.assignment_id, []).append(row.attempt)
        for numbers in attempts.values():
            assert sorted(numbers) == list(range(1, len(numbers) + 1))

    @invariant()
    def the_gate_holds(self) -> None:
        recruit = db.session.get(User, self.recruit_id)
        progress = load_progress(db.session, recruit)
        approved_in_db = set(
            db.session.scalars(
                select(Submission.assignment_id).where(
                    Submission.recruit_id == self.recruit_id,
                    Submission.status == SubmissionStatus.APPROVED,
                )
            )
        )
        steps = progress.steps
        assert [s.assignment.id for s in steps] == self.order
        assert progress.has_track

        # A step is done exactly when it has an approved submission.
        for step in steps:
            assert (step.state == StepState.DONE) is (step.assignment.id in approved_in_db)
            if step.state == StepState.DONE:
                assert step.approved is not None
        everything_approved = all(a in approved_in_db for a in self.order)
        assert progress.finished is (bool(self.order) and everything_approved)
        assert progress.done_count == sum(1 for a in self.order if a in approved_in_db)

        current_steps = [s for s in steps if s.state == StepState.CURRENT]
        if not self.order or progress.finished:
            assert current_steps == []
            assert progress.current is None
            assert progress.current_state is None
            assert progress.unlocked_at is None
        else:
            assert len(current_steps) == 1, "exactly one current step"
            current = current_steps[0]
            assert progress.current is current
            assert current.assignment.id == self.current()
            index = steps.index(current)
            assert all(s.state == StepState.DONE for s in steps[:index])
            assert all(s.state in (StepState.DONE, StepState.LOCKED) for s in steps[index:][1:])
            expected_state = (
                CurrentState.WAITING
                if self.waiting(current.assignment.id)
                else CurrentState.CHANGES_REQUESTED
                if current.latest is not None
                else CurrentState.OPEN
            )
            assert progress.current_state == expected_state
            assert progress.unlocked_at == self.expected_unlock()

        # Only the current step can be handed in, and only while nothing is waiting.
        for step in steps:
            allowed = step.state == StepState.CURRENT and not self.waiting(step.assignment.id)
            assert progress.can_hand_in(step.assignment.id) is allowed
            if step.state == StepState.LOCKED:
                assert step.attempts == ()

        # And hand_in itself refuses the step right after the current one (or, when
        # finished, the last step) and a waiting current step, without writing anything.
        # (hand_in_something tries every other kind of step against the model.)
        refused = []
        if progress.current is not None:
            index = steps.index(progress.current)
            refused += [s.assignment.id for s in steps[index + 1 : index + 2]]
            if progress.current_state == CurrentState.WAITING:
                refused.append(progress.current.assignment.id)
        elif steps:
            refused.append(steps[-1].assignment.id)
        for assignment_id in refused:
            with pytest.raises(InvalidTransition):
                self._hand_in(assignment_id, "not allowed")
        count = db.session.scalars(
            select(Submission.id).where(Submission.recruit_id == self.recruit_id)
        ).all()
        assert len(count) == self.rows_seen

    @invariant()
    def the_dashboard_reads_the_same_gate(self) -> None:
        """The dashboard computes the gate again, in SQL (standing.recruit_facts, one
        statement for thousands of recruits): it must agree with the recruit's page."""
        recruit = db.session.get(User, self.recruit_id)
        progress = load_progress(db.session, recruit)
        (facts,) = recruit_facts(db.session, [self.sponsor.id], self.recruit_id)
        current = progress.current
        assert facts.current_assignment_id == (current.assignment.id if current else None)
        assert facts.total_steps == progress.total
        assert facts.done_steps == progress.done_count
        if current is None:
            return
        assert facts.current_title == current.assignment.title
        waiting = current.latest if progress.current_state == CurrentState.WAITING else None
        assert facts.waiting_submission_id == (waiting.id if waiting else None)
        # Whose move, and since when (what "stalled" counts from), by the model's clock.
        standing = standing_of(facts, self.now)
        if waiting is None:
            started = max(
                self.expected_unlock(), self.sent_back_at.get(current.assignment.id, START)
            )
            assert standing.since == started
            assert standing.idle_days == (self.now - started).total_seconds() / 86400
        else:
            assert standing.since == waiting.submitted_at
        assert (
            max(facts.enrolled_at, facts.current_activated_at, facts.previous_approved_at or START)
            == self.expected_unlock()
        )


def test_gate_invariants_hold_under_random_hand_ins_reviews_and_edits(app, tmp_path):
    class Machine(GateMachine):
        upload_folder = str(tmp_path)

    run_state_machine_as_test(Machine, settings=SETTINGS)
