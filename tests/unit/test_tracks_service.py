"""The track-editing service (app.services.tracks): order, archive, copies, defaults."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Assignment, Submission, SubmissionStatus, Track, User, utcnow
from app.services import tracks
from app.services.errors import InvalidTransition, NotFound
from tests.factories import (
    AssignmentFactory,
    SubmissionFactory,
    TrackFactory,
    UserFactory,
    make_track,
)

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def order(db, track: Track) -> list[str]:
    """Titles of the track's active assignments, by position; positions must be 1..n."""
    db.session.expire_all()
    rows = db.session.execute(
        select(Assignment.title, Assignment.position)
        .where(Assignment.track_id == track.id, Assignment.position.is_not(None))
        .order_by(Assignment.position)
    ).all()
    assert [position for _title, position in rows] == list(range(1, len(rows) + 1))
    return [title for title, _position in rows]


def titled(db, track: Track, title: str) -> Assignment:
    return db.session.scalar(
        select(Assignment).where(Assignment.track_id == track.id, Assignment.title == title)
    )


def track_of(db, owner: User | None = None, steps: int = 4) -> Track:
    """A track with steps titled A, B, C, ... at positions 1..n."""
    track = TrackFactory(owner=owner or UserFactory(), is_default=False)
    for position in range(1, steps + 1):
        AssignmentFactory(track=track, position=position, title="ABCDEFGH"[position - 1])
    return track


def add(track: Track, title: str) -> Assignment:
    return tracks.add_assignment(
        db.session, track, title=title, instructions="Do it.", deliverable="Text"
    )


# --- add ---------------------------------------------------------------------------------


def test_add_to_an_empty_track_takes_position_one(db):
    track = TrackFactory()
    before = utcnow()

    added = tracks.add_assignment(
        db.session,
        track,
        title="  First  ",
        instructions="**Read** this",
        deliverable="A paragraph",
        stall_threshold_days=3,
    )

    assert added.position == 1
    assert added.title == "First"
    assert added.instructions == "**Read** this"
    assert added.deliverable == "A paragraph"
    assert added.stall_threshold_days == 3
    assert added.archived_at is None
    assert added.activated_at >= before - timedelta(seconds=1)
    assert order(db, track) == ["First"]


def test_add_appends_at_the_end(db):
    track = track_of(db, steps=3)
    add(track, "D")
    add(track, "E")
    assert order(db, track) == ["A", "B", "C", "D", "E"]


def test_add_after_an_archive_fills_no_gap_and_makes_no_duplicate(db):
    track = track_of(db, steps=3)
    tracks.archive_assignment(db.session, titled(db, track, "C"))
    tracks.archive_assignment(db.session, titled(db, track, "A"))
    add(track, "D")
    assert order(db, track) == ["B", "D"]


def test_add_bumps_the_track_version(db):
    track = track_of(db, steps=1)
    version = track.version
    add(track, "B")
    db.session.refresh(track)
    assert track.version == version + 1


# --- move --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title, direction, expected",
    [
        ("B", "up", "BACD"),
        ("C", "up", "ACBD"),
        ("D", "up", "ABDC"),
        ("A", "down", "BACD"),
        ("B", "down", "ACBD"),
        ("C", "down", "ABDC"),
        ("A", "up", "ABCD"),  # already first: no-op
        ("D", "down", "ABCD"),  # already last: no-op
    ],
)
def test_move_swaps_with_the_neighbour_and_is_a_no_op_at_the_ends(db, title, direction, expected):
    track = track_of(db, steps=4)
    ids_before = {a.title: a.id for a in track.assignments}

    tracks.move_assignment(db.session, titled(db, track, title), direction)

    assert "".join(order(db, track)) == expected
    assert {a.title: a.id for a in titled_all(db, track)} == ids_before


def titled_all(db, track: Track) -> list[Assignment]:
    return list(db.session.scalars(select(Assignment).where(Assignment.track_id == track.id)))


def test_move_only_touches_its_own_track(db):
    owner = UserFactory()
    one, two = track_of(db, owner, steps=3), track_of(db, owner, steps=3)
    tracks.move_assignment(db.session, titled(db, one, "A"), "down")
    assert order(db, one) == ["B", "A", "C"]
    assert order(db, two) == ["A", "B", "C"]


def test_move_with_an_archived_step_in_the_track(db):
    track = track_of(db, steps=4)
    tracks.archive_assignment(db.session, titled(db, track, "B"))
    tracks.move_assignment(db.session, titled(db, track, "C"), "up")
    assert order(db, track) == ["C", "A", "D"]


def test_an_archived_step_cannot_move(db):
    track = track_of(db, steps=2)
    step = titled(db, track, "A")
    tracks.archive_assignment(db.session, step)
    with pytest.raises(InvalidTransition):
        tracks.move_assignment(db.session, step, "down")
    db.session.rollback()
    assert order(db, track) == ["B"]


def test_moving_round_and_round_keeps_every_step(db):
    track = track_of(db, steps=5)
    step = titled(db, track, "A")
    for _ in range(6):
        tracks.move_assignment(db.session, step, "down")
    assert order(db, track) == ["B", "C", "D", "E", "A"]
    for _ in range(6):
        tracks.move_assignment(db.session, step, "up")
    assert order(db, track) == ["A", "B", "C", "D", "E"]


# --- archive / restore -------------------------------------------------------------------


@pytest.mark.parametrize(
    "title, expected", [("A", "BCD"), ("B", "ACD"), ("C", "ABD"), ("D", "ABC")]
)
def test_archive_closes_the_gap_and_keeps_the_submissions(db, title, expected):
    track = track_of(db, steps=4)
    step = titled(db, track, title)
    recruit = UserFactory(sponsor=track.owner, track=track, enrolled_at=T0)
    kept = [
        SubmissionFactory(
            recruit=recruit,
            assignment=step,
            attempt=1,
            status=SubmissionStatus.CHANGES_REQUESTED,
            feedback="More please.",
            decided_at=T0 + timedelta(days=1),
        ),
        SubmissionFactory(recruit=recruit, assignment=step, attempt=2, answer="Second try"),
    ]
    archived_at = T0 + timedelta(days=2)

    tracks.archive_assignment(db.session, step, now=archived_at)

    assert "".join(order(db, track)) == expected
    db.session.refresh(step)
    assert step.position is None
    assert step.archived_at == archived_at
    assert step.is_archived
    rows = db.session.scalars(
        select(Submission).where(Submission.assignment_id == step.id).order_by(Submission.attempt)
    ).all()
    assert [(s.id, s.answer, s.status) for s in rows] == [
        (kept[0].id, "My answer.", SubmissionStatus.CHANGES_REQUESTED),
        (kept[1].id, "Second try", SubmissionStatus.SUBMITTED),
    ]


def test_archive_twice_is_refused(db):
    track = track_of(db, steps=2)
    step = titled(db, track, "A")
    tracks.archive_assignment(db.session, step)
    with pytest.raises(InvalidTransition):
        tracks.archive_assignment(db.session, step)
    db.session.rollback()
    assert order(db, track) == ["B"]


def test_archive_every_step_leaves_an_empty_order(db):
    track = track_of(db, steps=3)
    for title in "BAC":
        tracks.archive_assignment(db.session, titled(db, track, title))
    assert order(db, track) == []
    assert db.session.scalar(select(func.count(Assignment.id))) == 3


def test_restore_appends_at_the_end_and_sets_activated_at(db):
    track = track_of(db, steps=4)
    step = titled(db, track, "B")
    tracks.archive_assignment(db.session, step, now=T0)
    restored_at = T0 + timedelta(days=3)

    tracks.restore_assignment(db.session, step, now=restored_at)

    assert order(db, track) == ["A", "C", "D", "B"]
    db.session.refresh(step)
    assert step.archived_at is None
    assert step.activated_at == restored_at
    assert not step.is_archived


def test_restore_into_an_emptied_track_takes_position_one(db):
    track = track_of(db, steps=1)
    step = titled(db, track, "A")
    tracks.archive_assignment(db.session, step)
    tracks.restore_assignment(db.session, step)
    assert order(db, track) == ["A"]
    db.session.refresh(step)
    assert step.activated_at >= utcnow() - timedelta(minutes=1)


def test_restore_of_an_active_step_is_refused(db):
    track = track_of(db, steps=2)
    with pytest.raises(InvalidTransition):
        tracks.restore_assignment(db.session, titled(db, track, "A"))
    db.session.rollback()
    assert order(db, track) == ["A", "B"]


# --- duplicate ---------------------------------------------------------------------------


def test_duplicate_copies_only_active_assignments_in_order(db):
    upline = UserFactory()
    source = track_of(db, upline, steps=5)
    source.description = "How we work"
    titled(db, source, "C").stall_threshold_days = 4
    db.session.commit()
    tracks.archive_assignment(db.session, titled(db, source, "B"))
    tracks.move_assignment(db.session, titled(db, source, "E"), "up")  # A C E D
    new_sponsor = UserFactory(sponsor=upline)

    copy = tracks.duplicate_track(db.session, new_sponsor, source)

    assert copy.id != source.id
    assert copy.owner_id == new_sponsor.id
    assert copy.name == f"{source.name} (copy)"
    assert copy.description == "How we work"
    assert order(db, copy) == ["A", "C", "E", "D"]
    copied = {a.title: a for a in titled_all(db, copy)}
    originals = {a.title: a for a in titled_all(db, source)}
    assert set(copied) == {"A", "C", "E", "D"}
    for title, assignment in copied.items():
        assert assignment.id != originals[title].id
        assert assignment.instructions == originals[title].instructions
        assert assignment.deliverable == originals[title].deliverable
        assert assignment.stall_threshold_days == originals[title].stall_threshold_days
        assert assignment.archived_at is None
    # The source is untouched.
    assert order(db, source) == ["A", "C", "E", "D"]
    assert titled(db, source, "B").position is None


def test_duplicate_takes_a_given_name(db):
    source = track_of(db, steps=1)
    copy = tracks.duplicate_track(db.session, UserFactory(), source, name="My system")
    assert copy.name == "My system"


def test_duplicate_becomes_the_default_of_an_owner_without_one(db):
    owner = UserFactory()
    waiting_recruit = UserFactory(sponsor=owner, track=None, enrolled_at=None)

    copy = tracks.duplicate_track(db.session, owner, track_of(db, steps=2))

    db.session.refresh(copy)
    db.session.refresh(waiting_recruit)
    assert copy.is_default
    assert waiting_recruit.track_id == copy.id
    assert waiting_recruit.enrolled_at is not None


def test_duplicate_leaves_an_existing_default_alone(db):
    owner = UserFactory()
    default = TrackFactory(owner=owner, is_default=True)

    copy = tracks.duplicate_track(db.session, owner, track_of(db, steps=2))

    db.session.refresh(copy)
    db.session.refresh(default)
    assert not copy.is_default
    assert default.is_default


# --- defaults ----------------------------------------------------------------------------


def test_first_created_track_is_the_default(db):
    owner = UserFactory()
    first = tracks.create_track(db.session, owner, name=" Mine ")
    second = tracks.create_track(db.session, owner, name="Other")
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.name == "Mine"
    assert first.is_default
    assert not second.is_default


def defaults_of(db, owner: User) -> list[int]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Track.id).where(Track.owner_id == owner.id, Track.is_default.is_(True))
        )
    )


def test_make_default_unsets_the_previous_default(db):
    owner = UserFactory()
    old = TrackFactory(owner=owner, is_default=True)
    new = TrackFactory(owner=owner, is_default=False)
    someone_else = TrackFactory(is_default=True)

    tracks.make_default(db.session, owner, new)
    assert defaults_of(db, owner) == [new.id]

    tracks.make_default(db.session, owner, old)
    assert defaults_of(db, owner) == [old.id]

    tracks.make_default(db.session, owner, old)  # again: still exactly one
    assert defaults_of(db, owner) == [old.id]
    assert defaults_of(db, someone_else.owner) == [someone_else.id]


def test_the_database_refuses_a_second_default(db):
    owner = UserFactory()
    TrackFactory(owner=owner, is_default=True)
    with pytest.raises(IntegrityError):
        TrackFactory(owner=owner, is_default=True)
    db.session.rollback()
    # Many non-default tracks are fine.
    TrackFactory(owner=owner, is_default=False)
    TrackFactory(owner=owner, is_default=False)
    assert len(defaults_of(db, owner)) == 1


def test_recruits_without_track_get_the_new_default(db):
    owner = UserFactory()
    first = TrackFactory(owner=owner, is_default=False)
    second = TrackFactory(owner=owner, is_default=False)
    trackless = UserFactory(sponsor=owner, track=None, enrolled_at=None)
    on_first = UserFactory(sponsor=owner, track=first, enrolled_at=T0)
    not_a_recruit = UserFactory(track=None, enrolled_at=None)
    before = utcnow()

    tracks.make_default(db.session, owner, second)

    db.session.expire_all()
    assert trackless.track_id == second.id
    assert trackless.enrolled_at >= before - timedelta(seconds=1)
    assert on_first.track_id == first.id, "a recruit already on a track stays there"
    assert on_first.enrolled_at == T0
    assert not_a_recruit.track_id is None


# --- assign ------------------------------------------------------------------------------


def test_assign_track_moves_the_recruit_and_restarts_the_clock(db):
    sponsor = UserFactory()
    first = make_track(sponsor, 2)
    second = make_track(sponsor, 2, default=False)
    recruit = UserFactory(sponsor=sponsor, track=first, enrolled_at=T0)
    now = T0 + timedelta(days=5)

    tracks.assign_track(db.session, sponsor, recruit, second, now=now)

    db.session.refresh(recruit)
    assert recruit.track_id == second.id
    assert recruit.enrolled_at == now

    tracks.assign_track(db.session, sponsor, recruit, second, now=now + timedelta(days=1))
    db.session.refresh(recruit)
    assert recruit.enrolled_at == now, "the same track again changes nothing"


def test_assign_track_refuses_a_recruit_of_another_sponsor(db):
    sponsor, other = UserFactory(), UserFactory()
    track = make_track(sponsor, 1)
    stranger = UserFactory(sponsor=other, track=None, enrolled_at=None)

    with pytest.raises(NotFound):
        tracks.assign_track(db.session, sponsor, stranger, track)
    db.session.rollback()
    db.session.refresh(stranger)
    assert stranger.track_id is None


def test_assign_track_refuses_a_track_of_another_sponsor(db):
    sponsor, other = UserFactory(), UserFactory()
    mine = make_track(sponsor, 1)
    theirs = make_track(other, 1)
    recruit = UserFactory(sponsor=sponsor, track=mine, enrolled_at=T0)

    with pytest.raises(NotFound):
        tracks.assign_track(db.session, sponsor, recruit, theirs)
    db.session.rollback()
    db.session.refresh(recruit)
    assert recruit.track_id == mine.id


def test_other_sponsors_tracks_and_assignments_look_absent(db):
    owner, other = UserFactory(), UserFactory()
    track = make_track(owner, 1)
    step = track.assignments[0]
    assert tracks.get_own_track(db.session, owner, track.id) is track
    assert tracks.get_own_assignment(db.session, owner, step.id) is step
    with pytest.raises(NotFound):
        tracks.get_own_track(db.session, other, track.id)
    with pytest.raises(NotFound):
        tracks.get_own_assignment(db.session, other, step.id)
    with pytest.raises(NotFound):
        tracks.get_own_track(db.session, owner, 10**9)
    with pytest.raises(NotFound):
        tracks.get_own_assignment(db.session, owner, 10**9)


# --- concurrency -------------------------------------------------------------------------


def test_concurrent_appends_keep_positions_one_to_n(app, db):
    """Two sponsors' tabs append 10 steps each to one track at the same time."""
    track = TrackFactory()
    track_id = track.id
    per_thread = 10
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def append_many(name: str) -> None:
        try:
            with app.app_context():
                own_track = db.session.get(Track, track_id)
                start.wait(timeout=10)
                for i in range(per_thread):
                    add(own_track, f"{name}{i}")
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=append_many, args=(name,)) for name in ("x", "y")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    titles = order(db, track)  # asserts positions are exactly 1..n
    assert len(titles) == 2 * per_thread
    assert sorted(titles) == sorted(f"{n}{i}" for n in "xy" for i in range(per_thread))
    # Each thread's own appends stay in the order it made them.
    for name in "xy":
        mine = [t for t in titles if t.startswith(name)]
        assert mine == [f"{name}{i}" for i in range(per_thread)]
