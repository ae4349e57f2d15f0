"""Accountability partners' schedule: which days a partner owes a check-in, and how
each of those days stands at a given moment (PRODUCT.md, "Accountability partners").

Everything here is derived, never stored: from the agreed schedule, the term, the
partner's own time zone, the check-ins they posted and `now`. A scheduled day is a
calendar date, so a daylight-saving change or a move to another time zone can neither
create nor lose one: only "today" and each day's deadline are read in the partner's
zone. A check-in is on time until the end of the next day in the poster's zone (the
grace window); a day whose window has closed without one is missed, and one posted
after its window counts as late (flagged, and not on time for consistency).
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

MAX_TERM_MONTHS = 12
DEFAULT_TERM_MONTHS = 3
CONSISTENCY_WINDOW = 20  # the last scheduled days consistency is measured over
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Cadence(enum.StrEnum):
    DAILY = "daily"
    EVERY_OTHER_DAY = "every_other_day"  # counted from the term's first day
    WEEKLY = "weekly"  # one weekday
    WEEKDAYS = "weekdays"  # chosen weekdays, e.g. Monday and Friday


class DayState(enum.StrEnum):
    ON_TIME = "on_time"  # checked in within the day's window
    LATE = "late"  # checked in after the window closed
    MISSED = "missed"  # the window closed without a check-in
    DUE = "due"  # its window is open now (today, or yesterday's grace)
    UPCOMING = "upcoming"  # later in the term


@dataclass(frozen=True)
class Schedule:
    """The agreed rhythm. Weekdays are Python's (Monday 0 ... Sunday 6)."""

    cadence: Cadence
    weekdays: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if any(not 0 <= day <= 6 for day in self.weekdays):
            raise ValueError("Weekdays run from 0 (Monday) to 6 (Sunday).")
        if self.cadence == Cadence.WEEKLY and len(self.weekdays) != 1:
            raise ValueError("A weekly schedule has exactly one weekday.")
        if self.cadence == Cadence.WEEKDAYS and not self.weekdays:
            raise ValueError("Choose at least one weekday.")
        if self.cadence in (Cadence.DAILY, Cadence.EVERY_OTHER_DAY) and self.weekdays:
            raise ValueError("Only a weekly or chosen-weekdays schedule names weekdays.")

    def falls_on(self, day: date, first_day: date) -> bool:
        return self.falls_on_ordinal(day.toordinal(), first_day.toordinal())

    def falls_on_ordinal(self, day: int, first_day: int) -> bool:
        """falls_on() over day numbers (date.toordinal): the rule itself, which the
        walk over a term's days asks for each day without building a date."""
        if self.cadence == Cadence.DAILY:
            return True
        if self.cadence == Cadence.EVERY_OTHER_DAY:
            return (day - first_day) % 2 == 0
        return (day + 6) % 7 in self.weekdays  # date.weekday() from its ordinal

    def describe(self) -> str:
        if self.cadence == Cadence.DAILY:
            return "every day"
        if self.cadence == Cadence.EVERY_OTHER_DAY:
            return "every other day"
        names = [WEEKDAY_NAMES[d] for d in sorted(self.weekdays)]
        if len(names) == 1:
            return f"every {names[0]}"
        return "every " + ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class Term:
    """The partnership's term: its first day and the day after its last (local dates)."""

    first_day: date
    end: date  # exclusive

    @classmethod
    def of_months(cls, first_day: date, months: int = DEFAULT_TERM_MONTHS) -> Term:
        if not 1 <= months <= MAX_TERM_MONTHS:
            raise ValueError(f"A term runs 1 to {MAX_TERM_MONTHS} months.")
        return cls(first_day, add_months(first_day, months))


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (the month's last day if it is shorter:
    31 January + 1 month is 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first moment of `day` in `zone`, as an aware time. Where midnight does not
    exist (a zone that springs forward at 00:00), the first moment that does."""
    moment = datetime.combine(day, time(0), tzinfo=zone)
    back = moment.astimezone(ZoneInfo("UTC")).astimezone(zone)
    return back if back.date() == day else moment


def deadline(day: date, zone: ZoneInfo) -> datetime:
    """A check-in for `day` is on time before this: the end of the next day, locally."""
    return local_midnight(day + timedelta(days=2), zone)


class ScheduledDay(NamedTuple):
    """One scheduled day as it stands (a tuple: the partnership page makes hundreds)."""

    day: date
    state: DayState
    checked_in_at: datetime | None  # when the check-in for this day was posted


def _scheduled_ordinals(schedule: Schedule, term: Term) -> Iterable[int]:
    """The scheduled days of the term as day numbers (date.toordinal), in order."""
    first = term.first_day.toordinal()
    days = range(first, first + max(0, term.end.toordinal() - first))
    if schedule.cadence == Cadence.DAILY:
        return days
    return [n for n in days if schedule.falls_on_ordinal(n, first)]


def scheduled_dates(schedule: Schedule, term: Term) -> list[date]:
    """Every date of the term the schedule falls on, in order."""
    return [date.fromordinal(n) for n in _scheduled_ordinals(schedule, term)]


def day_states(
    schedule: Schedule,
    term: Term,
    zone: ZoneInfo,
    check_ins: Mapping[date, datetime],
    now: datetime,
) -> list[ScheduledDay]:
    """How each scheduled day of the term stands at `now` for one partner: the one
    function every page, email and command asks (so `--as-of` works for all of them).

    `check_ins` maps the day a check-in is for to when it was posted (UTC). A check-in
    for a day the schedule does not fall on is ignored here (the form refuses those).
    """
    today = now.astimezone(zone).date().toordinal()
    now_seconds = now.timestamp()
    out = []
    for ordinal in _scheduled_ordinals(schedule, term):
        day = date.fromordinal(ordinal)
        posted = check_ins.get(day)
        # A day's deadline is the end of the next day somewhere between UTC+14 and
        # UTC-12: a moment well clear of that span is decided without the zone's rules
        # (the page asks for every day of a long history), in seconds since the epoch.
        utc_end = (ordinal + 2 - _EPOCH_ORDINAL) * _DAY_SECONDS
        earliest, latest = utc_end - _EARLIEST_OFFSET, utc_end + _LATEST_OFFSET
        if posted is not None:
            posted_seconds = posted.timestamp()
            if posted_seconds < earliest:
                state = DayState.ON_TIME
            elif posted_seconds >= latest:
                state = DayState.LATE
            else:
                state = DayState.ON_TIME if posted < deadline(day, zone) else DayState.LATE
        elif now_seconds >= latest or (now_seconds >= earliest and now >= deadline(day, zone)):
            state = DayState.MISSED
        elif ordinal <= today:
            state = DayState.DUE
        else:
            state = DayState.UPCOMING
        out.append(ScheduledDay(day, state, posted))
    return out


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY_SECONDS = 86_400
_EARLIEST_OFFSET = 15 * 3600  # beyond the easternmost zone (UTC+14)
_LATEST_OFFSET = 13 * 3600  # beyond the westernmost (UTC-12)


def is_due_on(schedule: Schedule, term: Term, zone: ZoneInfo, now: datetime) -> bool:
    """Whether today (in the partner's zone) is a scheduled day: the reminder's day."""
    today = now.astimezone(zone).date()
    return term.first_day <= today < term.end and schedule.falls_on(today, term.first_day)


@dataclass(frozen=True)
class Consistency:
    on_time: int  # of the last `out_of` scheduled days whose window closed or that were made
    out_of: int
    streak: int  # on-time days in a row, back from the latest settled day

    @property
    def percent(self) -> int | None:
        return round(100 * self.on_time / self.out_of) if self.out_of else None


def consistency(days: Iterable[ScheduledDay], window: int = CONSISTENCY_WINDOW) -> Consistency:
    """On time of the last `window` settled days (made, late or missed: a day still due
    or upcoming is not counted yet), and the current streak of on-time days."""
    settled = [d for d in days if d.state not in (DayState.DUE, DayState.UPCOMING)]
    recent = settled[-window:]
    streak = 0
    for day in reversed(settled):
        if day.state != DayState.ON_TIME:
            break
        streak += 1
    on_time = sum(1 for d in recent if d.state == DayState.ON_TIME)
    return Consistency(on_time, len(recent), streak)
