"""Two reviewers racing on one submission: exactly one decision, at most one unlock."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Submission, User, utcnow
from app.services import review
from app.services.errors import AlreadyDecided
from app.services.progress import load_progress
from tests.factories import SubmissionFactory, UserFactory, make_track

ROUNDS = 50


def decide_in_own_session(app, barrier, sponsor_id, submission_id, decision, outcomes):
    with app.app_context():
        sponsor = db.session.get(User, sponsor_id)
        barrier.wait()
        try:
            review.decide(db.session, sponsor, submission_id, decision, feedback="Needs more")
            outcomes.append(decision)
        except AlreadyDecided as exc:
            # The losing tab is told why, whichever check caught it.
            outcomes.append("already decided" if str(exc) == review.ALREADY_DECIDED else str(exc))
        finally:
            db.session.remove()


def test_racing_decisions_end_in_exactly_one(app):
    sponsor = UserFactory()
    track = make_track(sponsor, 2)
    sponsor_id = sponsor.id
    for _ in range(ROUNDS):
        recruit = UserFactory(
            sponsor=sponsor, track=track, enrolled_at=utcnow() - timedelta(days=1)
        )
        submission = SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
        barrier = threading.Barrier(2)
        outcomes: list[str] = []
        threads = [
            threading.Thread(
                target=decide_in_own_session,
                args=(app, barrier, sponsor_id, submission.id, decision, outcomes),
            )
            for decision in (review.Decision.APPROVE, review.Decision.REQUEST_CHANGES)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert sorted(outcomes, key=str).count("already decided") == 1, outcomes
        db.session.expire_all()
        decided = db.session.get(Submission, submission.id)
        winner = next(o for o in outcomes if o != "already decided")
        expected = "approved" if winner == review.Decision.APPROVE else "changes_requested"
        assert decided.status == expected
        progress = load_progress(db.session, db.session.get(User, recruit.id))
        assert progress.done_count == (1 if winner == review.Decision.APPROVE else 0)
        decisions = db.session.scalar(
            select(func.count(Submission.id)).where(
                Submission.recruit_id == recruit.id, Submission.decided_at.is_not(None)
            )
        )
        assert decisions == 1
