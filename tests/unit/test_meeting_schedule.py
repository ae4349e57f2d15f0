"""Mastermind meetings (app.services.meeting_schedule): a table of cases for the monthly
fifth weekday, every two weeks across daylight-saving changes, skipped and repeated
local times, update windows and reminders; and properties over random plans."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from app.services.meeting_schedule import (
    LAST,
    Cadence,
    ClockChange,
    MeetingPlan,
    clock_change_days,
    clock_change_warning,
    first_meeting_day,
    local_moment,
    meeting,
    meetings_between,
    next_meeting,
    previous_meeting,
    reminder_at,
    update_window,
)

NEW_YORK, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
TUESDAY, THURSDAY, SUNDAY, MONDAY = 1, 3, 6, 0


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def plan(cadence, first_day, at, zone=BERLIN, started_at=None):  # type: ignore[no-untyped-def]
    started = started_at or datetime.combine(first_day - timedelta(days=20), time(), UTC)
    return MeetingPlan(cadence, first_day.weekday(), at, zone, first_day, started)


def starts(p, count):  # type: ignore[no-untyped-def]
    return [meeting(p, index) for index in range(count)]


# --- Which days -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_day", "expected"),
    [
        # The fifth Tuesday (31 March 2026) means "the last Tuesday": months with four
        # Tuesdays meet on their fourth, months with five on their fifth; none is skipped.
        (
            date(2026, 3, 31),
            [
                "2026-03-31",
                "2026-04-28",
                "2026-05-26",
                "2026-06-30",
                "2026-07-28",
                "2026-08-25",
                "2026-09-29",
                "2026-10-27",
                "2026-11-24",
                "2026-12-29",
                "2027-01-26",
                "2027-02-23",
                "2027-03-30",
            ],
        ),
        # The fourth Tuesday stays the fourth, even in months that have a fifth (June).
        (
            date(2026, 3, 24),
            ["2026-03-24", "2026-04-28", "2026-05-26", "2026-06-23", "2026-07-28"],
        ),
        # The second Tuesday, across the turn of the year.
        (
            date(2026, 11, 10),
            ["2026-11-10", "2026-12-08", "2027-01-12", "2027-02-09", "2027-03-09"],
        ),
    ],
)
def test_monthly_meets_on_the_same_weekday_of_each_month(first_day, expected):
    p = plan(Cadence.MONTHLY, first_day, time(19, 0))
    meetings = starts(p, len(expected))
    assert [m.local_date.isoformat() for m in meetings] == expected
    assert all(m.local_start.time() == time(19, 0) for m in meetings)


def test_the_fifth_weekday_is_described_as_the_last():
    assert plan(Cadence.MONTHLY, date(2026, 3, 31), time(19, 0)).ordinal == LAST
    assert plan(Cadence.MONTHLY, date(2026, 3, 31), time(19, 0)).describe() == (
        "the last Tuesday of each month at 19:00"
    )
    assert plan(Cadence.MONTHLY, date(2026, 3, 10), time(9, 30)).describe() == (
        "the second Tuesday of each month at 09:30"
    )
    assert plan(Cadence.WEEKLY, date(2026, 3, 10), time(9, 30)).describe() == (
        "every Tuesday at 09:30"
    )
    assert plan(Cadence.EVERY_TWO_WEEKS, date(2026, 3, 12), time(19, 0)).describe() == (
        "every other Thursday at 19:00"
    )


@pytest.mark.parametrize(
    ("zone", "first_day", "at", "expected_utc"),
    [
        # New York, Thursdays 19:00: EST (UTC-5) until 8 March 2026, then EDT (UTC-4).
        (
            NEW_YORK,
            date(2026, 2, 26),
            time(19, 0),
            [utc(2026, 2, 27, 0), utc(2026, 3, 12, 23), utc(2026, 3, 26, 23)],
        ),
        # ... and back to EST on 1 November.
        (
            NEW_YORK,
            date(2026, 10, 22),
            time(19, 0),
            [utc(2026, 10, 22, 23), utc(2026, 11, 6, 0), utc(2026, 11, 20, 0)],
        ),
        # Berlin, Mondays 18:00: CET (UTC+1) until 29 March 2026, then CEST (UTC+2).
        (
            BERLIN,
            date(2026, 3, 16),
            time(18, 0),
            [utc(2026, 3, 16, 17), utc(2026, 3, 30, 16), utc(2026, 4, 13, 16)],
        ),
        # ... and back to CET on 25 October.
        (
            BERLIN,
            date(2026, 10, 19),
            time(18, 0),
            [utc(2026, 10, 19, 16), utc(2026, 11, 2, 17), utc(2026, 11, 16, 17)],
        ),
    ],
)
def test_every_two_weeks_keeps_the_wall_clock_time_across_a_clock_change(
    zone, first_day, at, expected_utc
):
    p = plan(Cadence.EVERY_TWO_WEEKS, first_day, at, zone)
    meetings = starts(p, len(expected_utc))
    assert [m.local_date for m in meetings] == [
        first_day + timedelta(weeks=2 * n) for n in range(3)
    ]
    assert [m.local_start.time() for m in meetings] == [at] * 3
    assert [m.clock_change for m in meetings] == [None] * 3
    assert [m.starts_at for m in meetings] == expected_utc


# --- Clock changes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected_utc", "expected_local", "change"),
    [
        # New York springs forward at 02:00 on 8 March 2026: 02:30 does not exist, and
        # the first moment after it is 03:00 EDT.
        (NEW_YORK, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7), time(3, 0), "skipped"),
        (NEW_YORK, date(2026, 3, 8), time(2, 0), utc(2026, 3, 8, 7), time(3, 0), "skipped"),
        (NEW_YORK, date(2026, 3, 8), time(3, 0), utc(2026, 3, 8, 7), time(3, 0), None),
        # Berlin springs forward at 02:00 on 29 March 2026.
        (BERLIN, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1), time(3, 0), "skipped"),
        # Falling back, 01:30 happens twice in New York (EDT, then EST): the first, EDT.
        (
            NEW_YORK,
            date(2026, 11, 1),
            time(1, 30),
            utc(2026, 11, 1, 5, 30),
            time(1, 30),
            "repeated",
        ),
        # ... and 02:30 twice in Berlin on 25 October 2026: the first, CEST (UTC+2).
        (
            BERLIN,
            date(2026, 10, 25),
            time(2, 30),
            utc(2026, 10, 25, 0, 30),
            time(2, 30),
            "repeated",
        ),
        # Samoa skipped Friday 30 December 2011 altogether: the first moment after it
        # is Saturday's midnight.
        (
            ZoneInfo("Pacific/Apia"),
            date(2011, 12, 30),
            time(19, 0),
            utc(2011, 12, 30, 10),
            time(0, 0),
            "skipped",
        ),
    ],
)
def test_a_skipped_time_moves_to_the_gaps_end_and_a_repeated_one_is_the_first(
    zone, day, at, expected_utc, expected_local, change
):
    starts_at, clock_change = local_moment(day, at, zone)
    assert starts_at == expected_utc
    assert starts_at.astimezone(zone).time() == expected_local
    assert clock_change == (ClockChange(change) if change else None)


def test_a_moved_meeting_says_why():
    p = plan(Cadence.WEEKLY, date(2026, 3, 1), time(2, 30), NEW_YORK)
    first, moved, after = starts(p, 3)
    assert first.note is None and after.note is None
    assert first.local_start.time() == after.local_start.time() == time(2, 30)
    assert moved.clock_change == ClockChange.SKIPPED
    assert moved.local_date == date(2026, 3, 8)
    assert moved.note == (
        "Moved to 03:00 because of the clock change: 02:30 does not exist on "
        "Sunday 8 March 2026 in America/New_York."
    )
    repeated = meeting(plan(Cadence.WEEKLY, date(2026, 10, 25), time(1, 30), NEW_YORK), 1)
    assert repeated.clock_change == ClockChange.REPEATED
    assert repeated.note == (
        "The clocks go back on Sunday 1 November 2026: 01:30 happens twice in "
        "America/New_York, and the meeting is at the first 01:30."
    )


@pytest.mark.parametrize(
    ("weekday", "at", "zone", "expected"),
    [
        (
            SUNDAY,
            time(2, 30),
            NEW_YORK,
            "On the Sunday when the clocks go forward, 02:30 does not exist in "
            "America/New_York (next on Sunday 8 March 2026): that meeting would start at 03:00.",
        ),
        (
            SUNDAY,
            time(1, 30),
            NEW_YORK,
            "On the Sunday when the clocks go back, 01:30 happens twice in America/New_York "
            "(next on Sunday 1 November 2026): that meeting would be at the first 01:30.",
        ),
        # In Berlin 02:30 on a Sunday is both: skipped in March and repeated in October.
        (
            SUNDAY,
            time(2, 30),
            BERLIN,
            "On the Sunday when the clocks go forward, 02:30 does not exist in Europe/Berlin "
            "(next on Sunday 29 March 2026): that meeting would start at 03:00. "
            "On the Sunday when the clocks go back, 02:30 happens twice in Europe/Berlin "
            "(next on Sunday 25 October 2026): that meeting would be at the first 02:30.",
        ),
        (SUNDAY, time(19, 0), NEW_YORK, None),
        (TUESDAY, time(2, 30), NEW_YORK, None),  # the US changes on Sundays only
        (SUNDAY, time(2, 30), ZoneInfo("UTC"), None),
        (SUNDAY, time(2, 30), ZoneInfo("Asia/Kolkata"), None),
    ],
)
def test_the_create_form_warns_of_a_time_the_clocks_skip_or_repeat(weekday, at, zone, expected):
    assert clock_change_warning(weekday, at, zone, utc(2026, 1, 15, 12)) == expected


def test_the_days_a_time_is_skipped_or_repeated_are_listed():
    days = clock_change_days(SUNDAY, time(2, 30), BERLIN, date(2026, 1, 1), date(2028, 1, 1))
    assert days == [
        (date(2026, 3, 29), ClockChange.SKIPPED),
        (date(2026, 10, 25), ClockChange.REPEATED),
        (date(2027, 3, 28), ClockChange.SKIPPED),
        (date(2027, 10, 31), ClockChange.REPEATED),
    ]


# --- Next, previous, windows, reminders --------------------------------------------------------

STARTED = utc(2026, 2, 20, 12)
TUESDAYS = plan(Cadence.WEEKLY, date(2026, 3, 3), time(19, 0), BERLIN, STARTED)


def test_the_first_meetings_window_opens_when_the_group_starts():
    first = meeting(TUESDAYS, 0)
    assert first.starts_at == utc(2026, 3, 3, 18)
    window = update_window(TUESDAYS, first)
    assert (window.opens, window.closes) == (STARTED, first.starts_at)
    assert STARTED in window and first.starts_at not in window
    assert STARTED - timedelta(seconds=1) not in window


def test_a_window_opens_at_the_previous_meeting_and_closes_at_this_ones_start():
    # Across Berlin's change on 29 March: 31 March's window opens at 24 March 18:00 UTC
    # (19:00 CET) and closes 31 March 17:00 UTC (19:00 CEST).
    meetings = meetings_between(TUESDAYS, utc(2026, 3, 20), utc(2026, 4, 1))
    assert [m.local_date for m in meetings] == [date(2026, 3, 24), date(2026, 3, 31)]
    window = update_window(TUESDAYS, meetings[1])
    assert (window.opens, window.closes) == (utc(2026, 3, 24, 18), utc(2026, 3, 31, 17))
    assert utc(2026, 3, 24, 18) in window
    assert utc(2026, 3, 31, 16, 59, 59) in window
    assert utc(2026, 3, 31, 17) not in window
    assert utc(2026, 3, 31, 17) in update_window(TUESDAYS, meeting(TUESDAYS, 5))


@pytest.mark.parametrize(
    ("now", "previous_day", "next_day"),
    [
        (utc(2026, 2, 1), None, date(2026, 3, 3)),  # before the group starts
        (STARTED, None, date(2026, 3, 3)),
        (utc(2026, 3, 3, 17, 59, 59), None, date(2026, 3, 3)),
        (utc(2026, 3, 3, 18), date(2026, 3, 3), date(2026, 3, 10)),  # it has started
        (utc(2026, 3, 31, 16, 59), date(2026, 3, 24), date(2026, 3, 31)),
        (utc(2026, 3, 31, 17), date(2026, 3, 31), date(2026, 4, 7)),
        (utc(2027, 6, 1, 12), date(2027, 5, 25), date(2027, 6, 1)),
    ],
)
def test_the_next_meeting_is_the_first_not_started(now, previous_day, next_day):
    previous = previous_meeting(TUESDAYS, now)
    assert (previous.local_date if previous else None) == previous_day
    upcoming = next_meeting(TUESDAYS, now)
    assert upcoming.local_date == next_day
    assert upcoming.index == (previous.index + 1 if previous else 0)


@pytest.mark.parametrize(
    ("zone", "first_day", "index", "reminder_utc", "reminder_local"),
    [
        # Sunday 8 March 2026 19:00 EDT (23:00 UTC): 24 real hours earlier is Saturday
        # 23:00 UTC, 18:00 EST by the wall clock.
        (NEW_YORK, date(2026, 3, 1), 1, utc(2026, 3, 7, 23), time(18, 0)),
        # Sunday 25 October 2026 19:00 CET (18:00 UTC): Saturday 20:00 CEST.
        (BERLIN, date(2026, 10, 18), 1, utc(2026, 10, 24, 18), time(20, 0)),
        # No change in between: the same wall-clock time the day before.
        (BERLIN, date(2026, 10, 18), 2, utc(2026, 10, 31, 18), time(19, 0)),
    ],
)
def test_the_reminder_is_24_real_hours_before(zone, first_day, index, reminder_utc, reminder_local):
    upcoming = meeting(plan(Cadence.WEEKLY, first_day, time(19, 0), zone), index)
    assert upcoming.local_start.time() == time(19, 0)
    assert reminder_at(upcoming) == reminder_utc
    assert reminder_at(upcoming).astimezone(zone).time() == reminder_local


def test_a_new_groups_first_meeting_is_the_next_such_weekday_not_yet_started():
    # Tuesday 3 March 2026, 18:30 in Berlin: 19:00 today is still ahead, 18:00 is not.
    now = utc(2026, 3, 3, 17, 30)
    assert first_meeting_day(TUESDAY, time(19, 0), BERLIN, now) == date(2026, 3, 3)
    assert first_meeting_day(TUESDAY, time(18, 0), BERLIN, now) == date(2026, 3, 10)
    assert first_meeting_day(THURSDAY, time(8, 0), BERLIN, now) == date(2026, 3, 5)
    assert first_meeting_day(MONDAY, time(8, 0), BERLIN, now) == date(2026, 3, 9)


@pytest.mark.parametrize(
    ("weekday", "first_day", "at", "started_at"),
    [
        (MONDAY, date(2026, 3, 3), time(19, 0), STARTED),  # 3 March is a Tuesday
        (7, date(2026, 3, 3), time(19, 0), STARTED),
        (TUESDAY, date(2026, 3, 3), time(19, 0, 30), STARTED),
        (TUESDAY, date(2026, 3, 3), time(19, 0), datetime(2026, 2, 20)),  # naive
        (TUESDAY, date(2026, 3, 3), time(19, 0), utc(2026, 3, 3, 18, 1)),  # after it
    ],
)
def test_a_plan_that_does_not_make_sense_is_refused(weekday, first_day, at, started_at):
    with pytest.raises(ValueError):
        MeetingPlan(Cadence.WEEKLY, weekday, at, BERLIN, first_day, started_at)


# --- Properties ---------------------------------------------------------------------------------

ZONES = st.sampled_from(
    [
        "UTC",
        "America/New_York",
        "Europe/Berlin",
        "Europe/London",
        "Pacific/Auckland",
        "Australia/Lord_Howe",  # half-hour changes
        "America/Santiago",  # midnight changes
        "America/Havana",
        "Africa/Casablanca",  # several changes a year
        "Pacific/Apia",  # skipped a whole day in 2011
        "Asia/Kolkata",
    ]
)
ANY_TIME = st.builds(time, st.integers(0, 23), st.integers(0, 59))
# Half of the plans are drawn where clocks change: a Sunday (the US's, Europe's, New
# Zealand's and Australia's day for it) in the small hours (Santiago and Havana change
# at midnight), in a zone that changes.
CHANGING_ZONES = ["America/New_York", "Europe/Berlin", "Europe/London", "Pacific/Auckland"]
CHANGING_ZONES += ["Australia/Lord_Howe", "America/Santiago", "America/Havana"]
SMALL_HOURS = st.builds(time, st.integers(0, 2), st.sampled_from([0, 30]))


@st.composite
def plans(draw):  # type: ignore[no-untyped-def]
    cadence = draw(st.sampled_from(list(Cadence)))
    first_day = draw(st.dates(date(2005, 1, 1), date(2035, 12, 31)))
    if draw(st.booleans()):
        zone, at = ZoneInfo(draw(st.sampled_from(CHANGING_ZONES))), draw(SMALL_HOURS)
        first_day += timedelta(days=(SUNDAY - first_day.weekday()) % 7)
        # Start the group some meetings before a day the clocks skip or repeat `at`.
        changes = clock_change_days(SUNDAY, at, zone, first_day, first_day + timedelta(days=400))
        if changes:
            changed_on = draw(st.sampled_from(changes))[0]
            weeks = 0 if cadence == Cadence.MONTHLY else draw(st.integers(0, 6))
            step = 2 if cadence == Cadence.EVERY_TWO_WEEKS else 1
            first_day = changed_on - timedelta(weeks=step * weeks)
    else:
        zone, at = ZoneInfo(draw(ZONES)), draw(ANY_TIME)
    first_start = local_moment(first_day, at, zone)[0]
    started_at = first_start - timedelta(minutes=draw(st.integers(0, 60 * 24 * 60)))
    return MeetingPlan(cadence, first_day.weekday(), at, zone, first_day, started_at)


# Minutes: a year or two, so that clock changes fall in it.
SPANS = st.integers(300 * 24 * 60, 800 * 24 * 60)


def _is_the_planned_day(p: MeetingPlan, day: date) -> bool:
    if day.weekday() != p.weekday:
        return False
    if p.cadence == Cadence.WEEKLY:
        return (day - p.first_day).days % 7 == 0
    if p.cadence == Cadence.EVERY_TWO_WEEKS:
        return (day - p.first_day).days % 14 == 0
    if p.ordinal == LAST:
        return (day + timedelta(weeks=1)).month != day.month
    return (day.day - 1) // 7 + 1 == p.ordinal


@settings(max_examples=300, deadline=None)
@given(plans(), st.integers(-10 * 24 * 60, 60 * 24 * 60), SPANS)
def test_meetings_increase_and_keep_the_plans_day_and_time(p, start_minutes, span_minutes):
    start = p.started_at + timedelta(minutes=start_minutes)
    end = start + timedelta(minutes=span_minutes)
    meetings = meetings_between(p, start, end)
    # Exactly the meetings that start in [start, end): none missing at either end.
    if meetings:
        if meetings[0].index > 0:
            assert meeting(p, meetings[0].index - 1).starts_at < start
        assert meeting(p, meetings[-1].index + 1).starts_at >= end
    else:
        assert next_meeting(p, start - timedelta(microseconds=1)).starts_at >= end
    for earlier, later in zip(meetings, meetings[1:], strict=False):
        assert later.index == earlier.index + 1
        assert earlier.starts_at < later.starts_at
    for m in meetings:
        assert start <= m.starts_at < end
        assert m.starts_at.utcoffset() == timedelta(0)
        assert _is_the_planned_day(p, m.local_date)
        planned = datetime.combine(m.local_date, p.at)
        reads = m.local_start.replace(tzinfo=None)
        if m.clock_change is not None:
            event(f"a {m.clock_change} time")
        if m.clock_change == ClockChange.SKIPPED:
            # The planned time lies in the gap that ends exactly at the start.
            just_before = (m.starts_at - timedelta(seconds=1)).astimezone(p.zone)
            assert just_before.utcoffset() != m.local_start.utcoffset()
            assert just_before.replace(tzinfo=None) + timedelta(seconds=1) <= planned < reads
        else:
            assert reads == planned
            assert m.local_start.fold == 0  # of a repeated time, the first
        if m.clock_change == ClockChange.REPEATED:
            assert planned.replace(tzinfo=p.zone, fold=1).astimezone(UTC) > m.starts_at


@settings(max_examples=300, deadline=None)
@given(plans(), st.integers(0, 30), st.integers(-5 * 24 * 60, 800 * 24 * 60))
def test_update_windows_follow_one_another_without_gaps_or_overlaps(p, count, now_minutes):
    meetings = [meeting(p, index) for index in range(count + 1)]
    windows = [update_window(p, m) for m in meetings]
    assert windows[0].opens == p.started_at
    for m, window in zip(meetings, windows, strict=True):
        assert window.closes == m.starts_at
        # Only a group that starts at its first meeting has an empty first window.
        assert window.opens < window.closes or (m.index == 0 and window.opens == m.starts_at)
    for earlier, later in zip(windows, windows[1:], strict=False):
        assert earlier.closes == later.opens
    # At any moment after the group starts, exactly the next meeting's window is open.
    now = p.started_at + timedelta(minutes=now_minutes)
    upcoming, previous = next_meeting(p, now), previous_meeting(p, now)
    assert upcoming.starts_at > now
    assert (previous is None) == (upcoming.index == 0)
    if previous is not None:
        assert previous.starts_at <= now and previous.index + 1 == upcoming.index
    assert (now in update_window(p, upcoming)) == (now >= p.started_at)
    if previous is not None:
        assert now not in update_window(p, previous)
    assert reminder_at(upcoming) == upcoming.starts_at - timedelta(hours=24)
