"""Accountability partners' schedule (app.services.partner_schedule): a table of cases
across daylight-saving changes, the date line and the grace window's last minute, and
properties over random schedules and check-in histories."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.partner_schedule import (
    Cadence,
    DayState,
    Schedule,
    Term,
    add_months,
    consistency,
    day_states,
    deadline,
    is_due_on,
    scheduled_dates,
)

MON_FRI = Schedule(Cadence.WEEKDAYS, frozenset({0, 4}))
NEW_YORK, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
AUCKLAND, LOS_ANGELES = ZoneInfo("Pacific/Auckland"), ZoneInfo("America/Los_Angeles")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def states(days) -> dict[date, DayState]:  # type: ignore[no-untyped-def]
    return {d.day: d.state for d in days}


# --- Which days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "first", "end", "expected"),
    [
        # Mon+Fri across the US change (8 March 2026) and the European one (29 March).
        (
            MON_FRI,
            date(2026, 3, 2),
            date(2026, 3, 17),
            ["03-02", "03-06", "03-09", "03-13", "03-16"],
        ),
        (MON_FRI, date(2026, 3, 23), date(2026, 4, 4), ["03-23", "03-27", "03-30", "04-03"]),
        # A term ending mid-week: Wednesday 15 April is the end (exclusive).
        (MON_FRI, date(2026, 4, 6), date(2026, 4, 15), ["04-06", "04-10", "04-13"]),
        (
            Schedule(Cadence.DAILY),
            date(2026, 3, 28),
            date(2026, 3, 31),
            ["03-28", "03-29", "03-30"],
        ),
        (
            Schedule(Cadence.EVERY_OTHER_DAY),
            date(2026, 3, 27),
            date(2026, 4, 3),
            ["03-27", "03-29", "03-31", "04-02"],
        ),
        (
            Schedule(Cadence.WEEKLY, frozenset({2})),
            date(2026, 3, 1),
            date(2026, 3, 20),
            ["03-04", "03-11", "03-18"],
        ),
    ],
)
def test_the_scheduled_days_of_a_term(schedule, first, end, expected):
    days = scheduled_dates(schedule, Term(first, end))
    assert [d.strftime("%m-%d") for d in days] == expected


def test_a_term_of_months_ends_on_the_same_day_or_the_months_last():
    assert Term.of_months(date(2026, 1, 15)).end == date(2026, 4, 15)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert Term.of_months(date(2026, 6, 1), 12).end == date(2027, 6, 1)
    with pytest.raises(ValueError):
        Term.of_months(date(2026, 6, 1), 13)


@pytest.mark.parametrize(
    ("cadence", "weekdays"),
    [
        (Cadence.WEEKLY, {0, 4}),
        (Cadence.WEEKDAYS, set()),
        (Cadence.DAILY, {1}),
        (Cadence.WEEKDAYS, {7}),
    ],
)
def test_a_schedule_that_does_not_make_sense_is_refused(cadence, weekdays):
    with pytest.raises(ValueError):
        Schedule(cadence, frozenset(weekdays))


def test_a_schedule_says_itself_in_words():
    assert MON_FRI.describe() == "every Monday and Friday"
    assert Schedule(Cadence.WEEKDAYS, frozenset({0, 2, 4})).describe() == (
        "every Monday, Wednesday and Friday"
    )
    assert Schedule(Cadence.WEEKLY, frozenset({6})).describe() == "every Sunday"


# --- The grace window -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "closes_utc"),
    [
        # The end of the next day, locally: Tuesday 24:00 in New York.
        (NEW_YORK, date(2026, 3, 2), utc(2026, 3, 4, 5, 0)),  # EST, UTC-5
        # Friday 6 March's window ends Sunday 8 March 00:00 EST, hours before the change.
        (NEW_YORK, date(2026, 3, 6), utc(2026, 3, 8, 5, 0)),
        # Monday 9 March's window ends Wednesday 00:00 EDT (UTC-4): a 23-hour Sunday
        # before it changes nothing of Monday's days.
        (NEW_YORK, date(2026, 3, 9), utc(2026, 3, 11, 4, 0)),
        (BERLIN, date(2026, 3, 27), utc(2026, 3, 28, 23, 0)),  # CET, UTC+1
        (BERLIN, date(2026, 3, 30), utc(2026, 3, 31, 22, 0)),  # CEST, UTC+2
        (AUCKLAND, date(2026, 4, 3), utc(2026, 4, 4, 11, 0)),  # NZDT, UTC+13
    ],
)
def test_a_days_window_closes_at_the_end_of_the_next_local_day(zone, day, closes_utc):
    assert deadline(day, zone) == closes_utc


def test_the_windows_last_minute_is_on_time_and_the_next_is_late():
    term = Term(date(2026, 3, 2), date(2026, 3, 3))  # Monday only
    closes = deadline(date(2026, 3, 2), BERLIN)
    just_in = day_states(
        MON_FRI, term, BERLIN, {date(2026, 3, 2): closes - timedelta(minutes=1)}, closes
    )
    late = day_states(MON_FRI, term, BERLIN, {date(2026, 3, 2): closes}, closes)
    assert [d.state for d in just_in] == [DayState.ON_TIME]
    assert [d.state for d in late] == [DayState.LATE]
    # Without a check-in the day is due until its window closes, then missed.
    open_day = day_states(MON_FRI, term, BERLIN, {}, closes - timedelta(seconds=1))
    closed_day = day_states(MON_FRI, term, BERLIN, {}, closes)
    assert [d.state for d in open_day] == [DayState.DUE]
    assert [d.state for d in closed_day] == [DayState.MISSED]


def test_across_the_date_line_each_partner_counts_in_their_own_day():
    """At 20:00 UTC on Sunday 5 April it is Monday 08:00 in Auckland and Sunday 13:00
    in Los Angeles: Monday is due for the one and upcoming for the other."""
    term = Term(date(2026, 3, 30), date(2026, 4, 20))
    now = utc(2026, 4, 5, 20, 0)
    auckland = states(day_states(MON_FRI, term, AUCKLAND, {}, now))
    los_angeles = states(day_states(MON_FRI, term, LOS_ANGELES, {}, now))
    assert auckland[date(2026, 4, 6)] == DayState.DUE
    assert los_angeles[date(2026, 4, 6)] == DayState.UPCOMING
    # Friday 3 April: Auckland's window closed at Saturday's end (11:00 UTC Saturday);
    # Los Angeles's is open until Sunday 00:00 PDT (07:00 UTC Sunday): both closed now.
    assert auckland[date(2026, 4, 3)] == los_angeles[date(2026, 4, 3)] == DayState.MISSED
    assert is_due_on(MON_FRI, term, AUCKLAND, now)
    assert not is_due_on(MON_FRI, term, LOS_ANGELES, now)


def test_moving_time_zone_mid_term_neither_creates_nor_loses_a_day():
    term = Term(date(2026, 3, 2), date(2026, 6, 1))
    now = utc(2026, 4, 15, 12, 0)
    everywhere = {
        zone: [d.day for d in day_states(MON_FRI, term, ZoneInfo(zone), {}, now)]
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin", "UTC")
    }
    assert len({tuple(days) for days in everywhere.values()}) == 1


# --- Consistency and streak -------------------------------------------------------------------


def test_consistency_counts_the_last_twenty_settled_days_and_the_streak_from_the_latest():
    term = Term(date(2026, 1, 5), date(2026, 4, 6))  # 26 Mondays and Fridays
    days = scheduled_dates(MON_FRI, term)
    posted = {}
    for index, day in enumerate(days[:24]):
        if index in (3, 10):
            continue  # missed
        on_time = deadline(day, BERLIN) - timedelta(hours=3)
        posted[day] = on_time if index != 15 else deadline(day, BERLIN) + timedelta(hours=1)
    now = deadline(days[23], BERLIN) + timedelta(hours=1)  # days 24 and 25 still ahead
    result = consistency(day_states(MON_FRI, term, BERLIN, posted, now))
    # The last 20 settled are days 4..23: 10 missed and 15 late among them.
    assert (result.on_time, result.out_of, result.streak) == (18, 20, 8)
    assert result.percent == 90


def test_no_settled_day_has_no_consistency_yet():
    term = Term(date(2026, 3, 2), date(2026, 3, 30))
    result = consistency(day_states(MON_FRI, term, BERLIN, {}, utc(2026, 3, 1, 12, 0)))
    assert (result.out_of, result.percent, result.streak) == (0, None, 0)


# --- Properties ---------------------------------------------------------------------------------

ZONES = st.sampled_from(
    [
        "UTC",
        "America/New_York",
        "Europe/Berlin",
        "Pacific/Auckland",
        "America/Los_Angeles",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
        "Asia/Kolkata",
        "America/Santiago",
    ]
)
SCHEDULES = st.one_of(
    st.sampled_from([Schedule(Cadence.DAILY), Schedule(Cadence.EVERY_OTHER_DAY)]),
    st.integers(0, 6).map(lambda d: Schedule(Cadence.WEEKLY, frozenset({d}))),
    st.frozensets(st.integers(0, 6), min_size=1).map(lambda s: Schedule(Cadence.WEEKDAYS, s)),
)


@st.composite
def histories(draw):  # type: ignore[no-untyped-def]
    schedule = draw(SCHEDULES)
    first = draw(st.dates(date(2025, 1, 1), date(2027, 12, 31)))
    term = Term.of_months(first, draw(st.integers(1, 12)))
    zone = ZoneInfo(draw(ZONES))
    days = scheduled_dates(schedule, term)
    posted = {}
    for day in days:
        offset = draw(st.one_of(st.none(), st.integers(-36 * 60, 40 * 60)))
        if offset is not None:  # minutes before (-) or after the window closes
            posted[day] = deadline(day, zone) + timedelta(minutes=offset)
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC) - timedelta(days=3)
    now = start + timedelta(minutes=draw(st.integers(0, 400 * 24 * 60)))
    posted = {day: at for day, at in posted.items() if at <= now}  # no check-in from the future
    return schedule, term, zone, posted, now


@settings(max_examples=300, deadline=None)
@given(histories())
def test_every_scheduled_day_is_in_exactly_one_state(history):
    schedule, term, zone, posted, now = history
    days = day_states(schedule, term, zone, posted, now)
    counts = {state: sum(1 for d in days if d.state == state) for state in DayState}
    assert sum(counts.values()) == len(scheduled_dates(schedule, term))
    today = now.astimezone(zone).date()
    for d in days:
        if d.state == DayState.UPCOMING:
            assert d.day > today and d.checked_in_at is None
        if d.state == DayState.DUE:
            assert d.day <= today and now < deadline(d.day, zone)
        if d.state == DayState.MISSED:
            assert now >= deadline(d.day, zone)


@settings(max_examples=300, deadline=None)
@given(histories())
def test_consistency_equals_a_count_by_hand(history):
    schedule, term, zone, posted, now = history
    settled = []
    for day in scheduled_dates(schedule, term):
        closes = deadline(day, zone)
        if day in posted:
            settled.append(posted[day] < closes)
        elif now >= closes:
            settled.append(False)
    recent = settled[-20:]
    streak = 0
    while streak < len(settled) and settled[len(settled) - 1 - streak]:
        streak += 1
    result = consistency(day_states(schedule, term, zone, posted, now))
    assert (result.on_time, result.out_of, result.streak) == (sum(recent), len(recent), streak)


def _slow_states(schedule, term, zone, check_ins, now):  # type: ignore[no-untyped-def]
    """day_states as first written: every day's deadline read from the zone's rules."""
    today = now.astimezone(zone).date()
    out = []
    for day in scheduled_dates(schedule, term):
        posted, closes = check_ins.get(day), deadline(day, zone)
        if posted is not None:
            out.append(DayState.ON_TIME if posted < closes else DayState.LATE)
        elif now >= closes:
            out.append(DayState.MISSED)
        else:
            out.append(DayState.DUE if day <= today else DayState.UPCOMING)
    return out


EDGE_ZONES = st.sampled_from(
    (
        "Pacific/Kiritimati",
        "Etc/GMT+12",
        "Pacific/Chatham",
        "America/New_York",
        "Asia/Kathmandu",
        "Pacific/Pago_Pago",
        "Europe/Berlin",
        "UTC",
    )
)


@given(
    zone=EDGE_ZONES,
    offsets=st.lists(st.integers(-16 * 60, 16 * 60), max_size=12),
    now_day=st.integers(0, 16),
    now_offset=st.integers(-16 * 60, 16 * 60),
)
@settings(max_examples=1000, deadline=None)
def test_the_quick_path_decides_every_day_as_the_zone_rules_do(
    zone, offsets, now_day, now_offset
) -> None:
    """Days far from their deadline are decided without the zone's rules: the same
    states as reading every deadline, in the zones at the ends of the Earth too."""
    first = date(2026, 3, 1)
    term = Term(first, first + timedelta(days=14))
    schedule = Schedule(Cadence.DAILY)
    base = datetime(2026, 3, 1, tzinfo=UTC)
    posted = {}
    # Check-ins and "now" near a day's deadline (the end of the next day, in UTC ±14 h).
    for n, minutes in enumerate(offsets):
        day = first + timedelta(days=n)
        posted[day] = base + timedelta(days=n + 2, minutes=minutes)
    now = base + timedelta(days=now_day + 2, minutes=now_offset)
    tz = ZoneInfo(zone)
    fast = [d.state for d in day_states(schedule, term, tz, posted, now)]
    assert fast == _slow_states(schedule, term, tz, posted, now)
