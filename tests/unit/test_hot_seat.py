"""The hot seat and participation (app.services.hot_seat): cases of the rotation, swaps
and members who left, and properties over random groups and histories."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.hot_seat import (
    Attendance,
    Member,
    Participation,
    hot_seat,
    next_hot_seat,
    next_in_rotation,
    participation,
)

ANA, BEN, CAT, DAN = Member(11, 1), Member(12, 2), Member(13, 3), Member(14, 4)


# --- The rotation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "history", "expected"),
    [
        ([ANA, BEN, CAT], {}, 11),  # nobody had it: who joined first
        ([CAT, BEN, ANA], {}, 11),  # the order members are passed in does not matter
        ([ANA, BEN, CAT], {0: 11}, 12),
        ([ANA, BEN, CAT], {0: 11, 1: 12, 2: 13}, 11),  # a full round: start again
        ([ANA, BEN, CAT], {0: 11, 1: 12}, 13),
        # Dan joined after a round: never had it, so he is next, before Ana.
        ([ANA, BEN, CAT, DAN], {0: 11, 1: 12, 2: 13}, 14),
        # Ben left: never picked, even though he is least recent.
        ([ANA, Member(12, 2, active=False), CAT], {0: 13, 1: 11}, 13),
        # A history in any order: what counts is each member's latest turn.
        ([ANA, BEN, CAT], {5: 11, 3: 12, 4: 13, 1: 11}, 12),
        # A turn of someone no longer passed in (or unknown) changes nothing.
        ([ANA, BEN], {0: 99, 1: 11}, 12),
        ([Member(11, 1, active=False)], {}, None),  # nobody left to pick
        ([], {}, None),
    ],
)
def test_the_hot_seat_goes_to_whoever_had_it_least_recently(members, history, expected):
    assert next_hot_seat(members, history) == expected


def test_a_swap_counts_as_a_turn_and_the_one_swapped_out_is_next():
    members = [ANA, BEN, CAT, DAN]
    history = {0: 11, 1: 12}
    assert hot_seat(members, history, 2) == 13  # Cat's turn ...
    history[2] = hot_seat(members, history, 2, swapped_in=14)  # ... but the host picks Dan
    assert history[2] == 14
    assert hot_seat(members, history, 3) == 13  # Cat is still least recent
    history[3] = 13
    assert hot_seat(members, history, 4) == 11  # then on from the actual history
    # Meetings from the meeting asked about onwards are not part of its rotation.
    assert hot_seat(members, {0: 11, 1: 12, 2: 13, 3: 14}, 2) == 13


def test_only_a_current_member_can_be_swapped_in():
    with pytest.raises(ValueError):
        hot_seat([ANA, Member(12, 2, active=False)], {}, 0, swapped_in=12)
    with pytest.raises(ValueError):
        hot_seat([ANA, BEN], {}, 0, swapped_in=99)


# --- Participation ------------------------------------------------------------------------------


def test_participation_counts_the_last_ten_meetings():
    meetings = list(range(101, 113))  # twelve: 101 and 102 fall out of the window
    posted = {m: {11, 12} for m in meetings} | {105: {11}, 112: set()}
    present, absent, excused = Attendance.PRESENT, Attendance.ABSENT, Attendance.EXCUSED
    attendance = {m: {11: present, 12: absent} for m in meetings}
    attendance[104] = {11: excused, 12: present}
    attendance[106] = {11: present}  # Ben has no status: not present
    result = participation([11, 12, 13], meetings, posted, attendance)
    assert result[11] == Participation(updates_posted=9, meetings_attended=9, excused=1, out_of=10)
    assert result[12] == Participation(updates_posted=8, meetings_attended=1, excused=0, out_of=10)
    assert result[13] == Participation(0, 0, 0, 10)  # a member who never took part


def test_participation_of_a_group_with_fewer_meetings_counts_those():
    result = participation([11], [1, 2], {1: {11}}, {2: {11: Attendance.PRESENT}})
    assert result == {11: Participation(1, 1, 0, 2)}
    assert participation([11], [], {}, {}) == {11: Participation(0, 0, 0, 0)}


# --- Properties ---------------------------------------------------------------------------------


def _rotate(members: list[Member], meetings: int, swaps: dict[int, int]) -> dict[int, int]:
    """The hot seat of each of `meetings` meetings, the host's swaps applied."""
    history: dict[int, int] = {}
    for index in range(meetings):
        seat = hot_seat(members, history, index, swapped_in=swaps.get(index))
        assert seat is not None
        history[index] = seat
    return history


def _turns(history: dict[int, int], member_id: int) -> list[int]:
    return sorted(index for index, seat in history.items() if seat == member_id)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10), st.integers(0, 80), st.permutations(range(10)))
def test_without_swaps_everyone_gets_the_hot_seat_in_turn(size, meetings, join_order):
    members = [Member(100 + n, join_order[n]) for n in range(size)]
    history = _rotate(members, meetings, {})
    for member in members:
        turns = _turns(history, member.id)
        # The bound, and the tighter one a strict rotation gives.
        assert len(turns) <= math.ceil(meetings / size) + 1
        assert meetings // size <= len(turns) <= math.ceil(meetings / size)
        # Nobody waits more than a round: from the start, between turns, to the end.
        for earlier, later in zip([-1, *turns], [*turns, meetings], strict=True):
            assert later - earlier <= size
    # The first round goes in the order people joined.
    first_round = [history[i] for i in range(min(size, meetings))]
    by_joining = [m.id for m in sorted(members, key=lambda m: m.joined)]
    assert first_round == by_joining[: len(first_round)]


@st.composite
def groups_with_swaps(draw):  # type: ignore[no-untyped-def]
    size = draw(st.integers(2, 10))
    members = [Member(100 + n, n) for n in range(size)]
    meetings = draw(st.integers(1, 60))
    swaps = draw(
        st.dictionaries(st.integers(0, meetings - 1), st.sampled_from([m.id for m in members]))
    )
    return members, meetings, swaps


@settings(max_examples=200, deadline=None)
@given(groups_with_swaps())
def test_a_swapped_in_member_counts_as_having_had_it(group):
    members, meetings, swaps = group
    history = _rotate(members, meetings, swaps)
    for index in range(meetings):
        if index in swaps:
            assert history[index] == swaps[index]
            continue
        # The rotation's pick had it least recently, by the actual history (swaps
        # included), ties to who joined first.
        before = {i: seat for i, seat in history.items() if i < index}
        last = {m.id: max(_turns(before, m.id), default=-1) for m in members}
        chosen = history[index]
        assert all(
            (last[chosen], chosen) <= (last[m.id], m.id) for m in members
        )  # ids follow joining order here
        if index - 1 in swaps:
            # The one the swap displaced (the rotation's pick then) is first in line now.
            displaced = next_hot_seat(members, {i: s for i, s in before.items() if i < index - 1})
            if displaced != swaps[index - 1]:
                assert chosen == displaced


@st.composite
def groups_with_leavers(draw):  # type: ignore[no-untyped-def]
    size = draw(st.integers(1, 10))
    ids = list(range(100, 100 + size))
    joined = draw(st.permutations(range(size)))
    active = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    members = [Member(ids[n], joined[n], active[n]) for n in range(size)]
    history = draw(st.dictionaries(st.integers(0, 40), st.sampled_from(ids), max_size=30))
    return members, history


@settings(max_examples=200, deadline=None)
@given(groups_with_leavers())
def test_members_who_left_are_never_picked(group):
    members, history = group
    chosen = next_hot_seat(members, history)
    current = [m for m in members if m.active]
    if not current:
        assert chosen is None
        return
    assert chosen in {m.id for m in current}
    # Brute force: rank the current members by (latest turn or never, joined).
    ranked = sorted(
        current,
        key=lambda m: (max([i for i, s in history.items() if s == m.id], default=-1), m.joined),
    )
    assert chosen == ranked[0].id


@st.composite
def records(draw):  # type: ignore[no-untyped-def]
    member_ids = draw(st.lists(st.integers(1, 30), unique=True, max_size=8))
    meeting_ids = draw(st.lists(st.integers(1, 500), unique=True, max_size=25))
    people = st.sampled_from(member_ids + [99]) if member_ids else st.just(99)
    posted = {m: draw(st.sets(people, max_size=8)) for m in meeting_ids if draw(st.booleans())}
    attendance = {
        m: draw(st.dictionaries(people, st.sampled_from(list(Attendance)), max_size=8))
        for m in meeting_ids
        if draw(st.booleans())
    }
    return member_ids, meeting_ids, posted, attendance


@settings(max_examples=200, deadline=None)
@given(records())
def test_participation_is_a_count_by_hand(record):
    member_ids, meeting_ids, posted, attendance = record
    result = participation(member_ids, meeting_ids, posted, attendance)
    assert set(result) == set(member_ids)
    last_ten = set(meeting_ids[max(0, len(meeting_ids) - 10) :])
    for member_id in member_ids:
        updates = attended = excused = 0
        for meeting_id in meeting_ids:
            if meeting_id not in last_ten:
                continue
            if member_id in posted.get(meeting_id, set()):
                updates += 1
            status = attendance.get(meeting_id, {}).get(member_id)
            attended += status == Attendance.PRESENT
            excused += status == Attendance.EXCUSED
        assert result[member_id] == Participation(updates, attended, excused, len(last_ten))


@settings(max_examples=200, deadline=None)
@given(
    rosters=st.lists(st.lists(st.booleans(), min_size=6, max_size=6), min_size=1, max_size=40),
    swaps=st.dictionaries(st.integers(0, 39), st.integers(0, 5)),
)
def test_walking_meetings_with_each_latest_turn_picks_as_the_whole_history_does(rosters, swaps):
    """meetings.hot_seats walks the meetings keeping each member's latest turn; the rule
    over the whole history (hot_seat) must pick the same, members coming and going."""
    history: dict[int, int] = {}
    last_turn: dict[int, int] = {}
    for index, active in enumerate(rosters):
        roster = [Member(100 + n, n, is_in) for n, is_in in enumerate(active)]
        swap = swaps.get(index)
        swapped_in = 100 + swap if swap is not None and active[swap] else None
        by_history = hot_seat(roster, history, index, swapped_in)
        walked = swapped_in if swapped_in is not None else next_in_rotation(roster, last_turn)
        assert walked == by_history
        if walked is not None:
            history[index] = walked
            last_turn[walked] = index
