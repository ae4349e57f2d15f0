"""The state function over a table of cases, moving `now` across the thresholds.

Each case builds real rows, reads them back through the one aggregate query
(`recruit_facts`, so SQLite's and PostgreSQL's SQL are both exercised) and applies
`standing_of` at several moments.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import CheckIn, SubmissionStatus
from app.services.standing import Court, Status, standings
from tests.factories import AssignmentFactory, SubmissionFactory, TrackFactory, UserFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # enrolment: a Monday morning


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture
def team(app):
    sponsor = UserFactory(stall_threshold_days=7)
    track = TrackFactory(owner=sponsor, is_default=True)
    steps = [
        AssignmentFactory(track=track, position=i, activated_at=day(-30), title=f"Step {i}")
        for i in (1, 2, 3)
    ]
    recruit = UserFactory(sponsor=sponsor, track=track, enrolled_at=T0, created_at=T0)
    return sponsor, steps, recruit


def at(sponsor, recruit, now):
    db.session.expire_all()
    (standing,) = standings(db.session, [sponsor.id], now, recruit.id)
    return standing


def approve(recruit, step, handed_in, decided):
    SubmissionFactory(
        recruit=recruit,
        assignment=step,
        submitted_at=handed_in,
        status=SubmissionStatus.APPROVED,
        decided_at=decided,
    )


def test_never_handed_in_goes_willing_then_stalled_at_the_threshold(team):
    sponsor, _steps, recruit = team
    early = at(sponsor, recruit, day(6.9))
    assert (early.status, early.whose_move, early.since) == (Status.WILLING, Court.RECRUIT, T0)
    assert not early.stalled
    late = at(sponsor, recruit, day(7))
    assert late.status == Status.STALLED and late.stalled
    assert late.idle_days == pytest.approx(7)


def test_handed_in_and_waiting_is_the_sponsors_move_never_stalled(team):
    sponsor, steps, recruit = team
    SubmissionFactory(recruit=recruit, assignment=steps[0], submitted_at=day(2))
    for now in (day(3), day(40)):
        standing = at(sponsor, recruit, now)
        assert standing.status == Status.WAITING_ON_YOU
        assert (standing.whose_move, standing.since) == (Court.SPONSOR, day(2))
        assert not standing.stalled


def test_changes_requested_then_silent_counts_from_the_decision(team):
    sponsor, steps, recruit = team
    SubmissionFactory(
        recruit=recruit,
        assignment=steps[0],
        submitted_at=day(1),
        status=SubmissionStatus.CHANGES_REQUESTED,
        decided_at=day(5),
        feedback="More",
    )
    assert at(sponsor, recruit, day(11.9)).status == Status.WILLING
    stalled = at(sponsor, recruit, day(12))
    assert stalled.status == Status.STALLED and stalled.since == day(5)


def test_approved_and_next_step_untouched_counts_from_the_approval(team):
    sponsor, steps, recruit = team
    approve(recruit, steps[0], day(1), day(3))
    standing = at(sponsor, recruit, day(9.9))
    assert (standing.status, standing.since) == (Status.WILLING, day(3))
    assert standing.facts.current_title == "Step 2"
    assert at(sponsor, recruit, day(10)).status == Status.STALLED


def test_a_check_in_snoozes_until_its_date_then_the_flag_returns(team):
    sponsor, _steps, recruit = team
    db.session.add(
        CheckIn(
            recruit_id=recruit.id,
            sponsor_id=sponsor.id,
            happened_at=day(8),
            channel="call",
            outcome="reached",
            snooze_until=day(15),
        )
    )
    db.session.commit()
    snoozed = at(sponsor, recruit, day(14.9))
    assert snoozed.snoozed and not snoozed.stalled
    assert snoozed.status == Status.SLOW  # past the threshold, but the sponsor is on it
    assert snoozed.facts.last_check_in_at == day(8)
    expired = at(sponsor, recruit, day(15))
    assert expired.stalled and expired.status == Status.STALLED


def test_the_latest_check_in_decides_the_snooze(team):
    sponsor, _steps, recruit = team
    for happened, until in ((day(8), day(30)), (day(9), day(12))):
        db.session.add(
            CheckIn(
                recruit_id=recruit.id,
                sponsor_id=sponsor.id,
                happened_at=happened,
                channel="text",
                outcome="reached",
                snooze_until=until,
            )
        )
    db.session.commit()
    assert at(sponsor, recruit, day(13)).stalled


def test_archived_is_archived_whatever_else(team):
    sponsor, _steps, recruit = team
    recruit.archived_at = day(1)
    db.session.commit()
    standing = at(sponsor, recruit, day(50))
    assert standing.status == Status.ARCHIVED and not standing.stalled
    assert standing.whose_move is None


def test_finished_has_no_move(team):
    sponsor, steps, recruit = team
    for i, step in enumerate(steps):
        approve(recruit, step, day(i + 0.5), day(i + 1))
    standing = at(sponsor, recruit, day(100))
    assert standing.status == Status.FINISHED
    assert (standing.whose_move, standing.stalled) == (None, False)
    assert (standing.facts.done_steps, standing.facts.total_steps) == (3, 3)


def test_a_step_can_override_the_threshold(team):
    sponsor, steps, recruit = team
    steps[0].stall_threshold_days = 2
    db.session.commit()
    assert at(sponsor, recruit, day(1.9)).status == Status.WILLING
    standing = at(sponsor, recruit, day(2))
    assert standing.status == Status.STALLED
    assert standing.facts.threshold_days == 2


def test_a_late_hand_in_makes_a_moving_recruit_slow_not_willing(team):
    sponsor, steps, recruit = team
    approve(recruit, steps[0], day(9), day(9.5))  # handed in 9 days after unlock: late
    standing = at(sponsor, recruit, day(10))
    assert standing.facts.late_steps == 1
    assert standing.status == Status.SLOW


def test_no_track_yet_is_the_sponsors_move(team):
    sponsor, _steps, _recruit = team
    newcomer = UserFactory(sponsor=sponsor, created_at=day(1))
    standing = at(sponsor, newcomer, day(30))
    assert standing.status == Status.WAITING_ON_YOU
    assert (standing.whose_move, standing.since) == (Court.SPONSOR, day(1))


def test_a_track_with_no_steps_yet_is_the_sponsors_move_not_finished(team):
    """Every step archived (or none written yet): nothing to do is not done."""
    sponsor, _steps, _recruit = team
    empty = TrackFactory(owner=sponsor)
    waiting = UserFactory(sponsor=sponsor, track=empty, enrolled_at=T0, created_at=day(1))
    standing = at(sponsor, waiting, day(30))
    assert standing.status == Status.WAITING_ON_YOU
    assert (standing.whose_move, standing.since, standing.stalled) == (Court.SPONSOR, day(1), False)
    assert standing.percent_done == 0


def test_idle_time_counts_from_the_unlock_even_under_a_day(team):
    sponsor, _steps, recruit = team
    assert at(sponsor, recruit, day(0.25)).idle_days == pytest.approx(0.25)
    # A clock a little behind the unlock (another machine's) is no negative idleness.
    assert at(sponsor, recruit, T0 - timedelta(minutes=5)).idle_days == 0.0


def test_progress_is_the_share_of_steps_done_rounded(team):
    sponsor, steps, recruit = team
    assert at(sponsor, recruit, day(1)).percent_done == 0
    approve(recruit, steps[0], day(0.5), day(1))
    assert at(sponsor, recruit, day(2)).percent_done == 33
    approve(recruit, steps[1], day(2.5), day(3))
    assert at(sponsor, recruit, day(4)).percent_done == 67
    approve(recruit, steps[2], day(4.5), day(5))
    assert at(sponsor, recruit, day(6)).percent_done == 100


def test_a_step_added_later_starts_its_clock_when_added(team):
    sponsor, steps, recruit = team
    for i, step in enumerate(steps):
        approve(recruit, step, day(i + 0.5), day(i + 1))
    AssignmentFactory(track=steps[0].track, position=4, activated_at=day(20), title="New step")
    standing = at(sponsor, recruit, day(26.9))
    assert (standing.status, standing.since) == (Status.WILLING, day(20))
    assert standing.facts.current_title == "New step"


def test_after_a_reorder_the_clock_starts_at_the_last_earlier_approval(team):
    sponsor, steps, recruit = team
    approve(recruit, steps[0], day(0.5), day(1))
    approve(recruit, steps[1], day(4), day(5))
    steps[0].position, steps[1].position = -1, 1
    db.session.flush()
    steps[0].position = 2  # now: Step 2, Step 1, Step 3
    db.session.commit()
    standing = at(sponsor, recruit, day(11.9))
    assert standing.facts.current_title == "Step 3"
    assert (standing.status, standing.since) == (Status.WILLING, day(5))
    assert at(sponsor, recruit, day(12)).status == Status.STALLED
