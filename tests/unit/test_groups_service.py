"""Mastermind groups' rules on a real database (app.services.groups and .meetings):
forming at three, the eleventh refused, leaving, removing, handing over, archiving, a new
link; updates open until the meeting starts (once, then edited), comments only in your
own groups, the hot seat's rotation and swaps, attendance and notes after the meeting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import GroupMember, MeetingUpdate, OutboxMessage
from app.services import groups, meetings
from app.services.errors import InvalidTransition, NotFound
from tests.factories import UserFactory

# Monday 2 March 2026, 10:00 UTC; the group meets on Thursdays at 19:00 in Berlin.
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SETTINGS = groups.GroupSettings(
    name="Thursday Masterminds",
    purpose="Grow our teams",
    cadence="weekly",
    weekday=3,
    minute=19 * 60,
    location="https://video.example/room",
)


def make_group(size: int = 3, now: datetime = MONDAY):  # type: ignore[no-untyped-def]
    host = UserFactory(name="Hana Host", timezone="Europe/Berlin")
    group = groups.create(db.session, host, SETTINGS, now=now)
    people = [host]
    for n in range(size - 1):
        person = UserFactory(name=f"Member {n}")
        groups.join(db.session, person, group.invite_token, now=now + timedelta(minutes=n + 1))
        people.append(person)
    return group, people


ANSWERS = meetings.Answers("Two new recruits", "Time", "A home party", "Three calls a day")


def test_a_group_forms_at_three_and_its_first_meeting_is_the_next_thursday(app) -> None:
    group, people = make_group(2)
    assert groups.is_forming(groups.member_count(db.session, group.id))
    assert meetings.upcoming(group, MONDAY) is None
    third = UserFactory()
    groups.join(db.session, third, group.invite_token, now=MONDAY + timedelta(hours=1))
    assert group.first_meeting_on == date(2026, 3, 5)
    coming = meetings.upcoming(group, MONDAY + timedelta(hours=2))
    assert coming.local_start.hour == 19 and coming.local_start.tzinfo.key == "Europe/Berlin"


def test_the_eleventh_member_is_refused_with_a_message(app) -> None:
    group, _people = make_group(10)
    with pytest.raises(InvalidTransition, match="is full: a mastermind holds at most 10"):
        groups.join(db.session, UserFactory(), group.invite_token, now=MONDAY)
    assert groups.member_count(db.session, group.id) == 10


def test_joining_twice_is_one_membership_and_a_new_link_kills_the_old(app) -> None:
    group, people = make_group(3)
    groups.join(db.session, people[1], group.invite_token, now=MONDAY)
    assert groups.member_count(db.session, group.id) == 3
    old = group.invite_token
    groups.new_link(db.session, people[0], group.id)
    with pytest.raises(NotFound):
        groups.join(db.session, UserFactory(), old, now=MONDAY)
    with pytest.raises(InvalidTransition, match="Only the host"):
        groups.new_link(db.session, people[1], group.id)


def test_leaving_removing_and_handing_over(app) -> None:
    group, (host, one, two, three) = make_group(4)
    with pytest.raises(InvalidTransition, match="Hand over hosting"):
        groups.leave(db.session, host, group.id, now=MONDAY)
    groups.remove(db.session, host, group.id, three.id, now=MONDAY + timedelta(hours=1))
    with pytest.raises(InvalidTransition, match="The host removed you"):
        groups.join(db.session, three, group.invite_token, now=MONDAY + timedelta(hours=1))
    groups.hand_over(db.session, host, group.id, one.id)
    assert group.host_id == one.id
    groups.leave(db.session, host, group.id, now=MONDAY + timedelta(hours=2))
    assert groups.member_count(db.session, group.id) == 2
    # Former members still reach the group (to read), but change nothing.
    assert not groups.membership(db.session, three, group.id).is_current
    with pytest.raises(InvalidTransition, match="no longer a member"):
        meetings.post_update(db.session, three, group.id, ANSWERS, now=MONDAY)
    with pytest.raises(NotFound):
        groups.membership(db.session, UserFactory(), group.id)


def test_an_update_opens_after_the_last_meeting_and_closes_when_this_one_starts(app) -> None:
    group, (host, one, _two) = make_group(3)
    update = meetings.post_update(
        db.session, one, group.id, ANSWERS, now=MONDAY + timedelta(days=1)
    )
    with pytest.raises(InvalidTransition, match="already posted"):
        meetings.post_update(db.session, one, group.id, ANSWERS, now=MONDAY + timedelta(days=1))
    edited = meetings.Answers("Three new recruits", "", "", "")
    meetings.post_update(
        db.session, one, group.id, edited, editing=update.id, now=MONDAY + timedelta(days=2)
    )
    assert db.session.get(MeetingUpdate, update.id).successes == "Three new recruits"
    # Thursday 19:00 Berlin is 18:00 UTC: at 18:00 the next meeting's window is open.
    starts = datetime(2026, 3, 5, 18, 0, tzinfo=UTC)
    later = meetings.post_update(db.session, one, group.id, ANSWERS, now=starts)
    assert later.meeting_id != update.meeting_id
    with pytest.raises(InvalidTransition, match="already posted"):
        meetings.post_update(
            db.session, one, group.id, ANSWERS, editing=update.id, now=starts + timedelta(hours=1)
        )
    with pytest.raises(InvalidTransition, match="at least one"):
        meetings.post_update(
            db.session, host, group.id, meetings.Answers("", " ", "", ""), now=starts
        )


def test_comments_and_cheers_only_in_your_own_group(app) -> None:
    group, (_host, one, two) = make_group(3)
    update = meetings.post_update(
        db.session, one, group.id, ANSWERS, now=MONDAY + timedelta(days=1)
    )
    meetings.comment(db.session, two, update.id, body="Great week!")
    meetings.comment(db.session, two, update.id, cheer=True)
    with pytest.raises(InvalidTransition, match="Write your comment"):
        meetings.comment(db.session, two, update.id, body=" ")
    other_group, others = make_group(3)
    with pytest.raises(NotFound):
        meetings.comment(db.session, others[1], update.id, body="Hi from another group")


def test_the_hot_seat_rotates_and_the_host_can_swap(app) -> None:
    group, (host, one, two) = make_group(3)
    seats = meetings.hot_seats(db.session, group, 5)
    assert [seats[i] for i in range(6)] == [host.id, one.id, two.id, host.id, one.id, two.id]
    meetings.swap_hot_seat(db.session, host, group.id, 1, two.id, now=MONDAY)
    seats = meetings.hot_seats(db.session, group, 3)
    assert [seats[i] for i in range(4)] == [host.id, two.id, one.id, host.id]
    with pytest.raises(InvalidTransition, match="has started"):
        meetings.swap_hot_seat(
            db.session, host, group.id, 0, one.id, now=MONDAY + timedelta(days=7)
        )


def test_recording_a_meeting_sends_each_member_the_summary_once(app) -> None:
    group, (host, one, two) = make_group(3)
    meetings.post_update(db.session, one, group.id, ANSWERS, now=MONDAY + timedelta(days=1))
    after = datetime(2026, 3, 5, 20, 0, tzinfo=UTC)
    with pytest.raises(InvalidTransition, match="once it has started"):
        meetings.record_meeting(db.session, host, group.id, 1, attendance={}, notes="x", now=after)
    attendance = {host.id: "present", one.id: "present", two.id: "excused"}
    meetings.record_meeting(
        db.session, host, group.id, 0, attendance=attendance, notes="Good one", now=after
    )
    meetings.record_meeting(
        db.session, host, group.id, 0, attendance=attendance, notes="Good one!", now=after
    )
    sent = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "group_summary")
    )
    assert sent == 3
    stranger = UserFactory()
    with pytest.raises(InvalidTransition, match="members"):
        meetings.record_meeting(
            db.session, host, group.id, 0, attendance={stranger.id: "present"}, notes="", now=after
        )


def test_a_former_member_reads_the_meetings_of_their_time_only(app) -> None:
    group, (host, one, two) = make_group(3)
    groups.join(db.session, UserFactory(), group.invite_token, now=MONDAY)
    groups.leave(db.session, two, group.id, now=datetime(2026, 3, 10, tzinfo=UTC))
    meetings.readable(db.session, two, group.id, 0)  # 5 March: a member then
    with pytest.raises(NotFound):
        meetings.readable(db.session, two, group.id, 1)  # 12 March: gone
    assert db.session.scalar(select(func.count()).select_from(GroupMember)) == 4
