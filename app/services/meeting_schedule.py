"""A mastermind group's meetings, derived from its cadence (PRODUCT.md, "Mastermind
groups"): when each meeting starts, the next and the previous one at a moment, the
window in which members post their update, and when the reminder goes out.

Nothing here is stored: a meeting is a function of the plan (cadence, weekday, local
time, the host's zone, the first meeting's date) and its index, counted from 0 at the
first meeting. Meetings are placed on local calendar dates and then read at the local
wall-clock time, so a daylight-saving change keeps a meeting at 19:00 local, not at the
same UTC hour.

Decisions a user can see:
- Monthly means "the Nth weekday of the month", N taken from the first meeting (the
  second Tuesday). A first meeting on a fifth weekday means "the last such weekday":
  months without a fifth Tuesday meet on their fourth, which is their last, rather than
  skipping the month.
- Every two weeks counts from the first meeting.
- A local time the clocks skip that day (02:30 on the spring-forward Sunday in New York)
  moves to the first moment after the gap (03:00), and the meeting says so
  (`ClockChange.SKIPPED`, `Meeting.note`). A local time the clocks repeat (01:30 on the
  fall-back Sunday) is the first of the two (`ClockChange.REPEATED`).
- The update window of a meeting opens when the previous meeting starts (the first
  meeting's when the group starts) and closes when this meeting starts, so the windows
  follow one another without gaps or overlaps.
- The reminder goes out 24 real hours before the start: across a clock change that is
  23 or 25 hours by the wall clock.
"""

from __future__ import annotations

import calendar
import enum
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import takewhile
from zoneinfo import ZoneInfo

REMINDER_BEFORE = timedelta(hours=24)
LAST = 5  # the monthly ordinal of a fifth weekday: it means "the last" (see above)
ORDINAL_NAMES = {1: "first", 2: "second", 3: "third", 4: "fourth", LAST: "last"}
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = tuple(
    "January February March April May June July August September October November December".split()
)


class Cadence(enum.StrEnum):
    WEEKLY = "weekly"
    EVERY_TWO_WEEKS = "every_two_weeks"  # counted from the first meeting
    MONTHLY = "monthly"  # the Nth weekday of the month, N from the first meeting


class ClockChange(enum.StrEnum):
    SKIPPED = "skipped"  # the local time does not exist that day: moved to the gap's end
    REPEATED = "repeated"  # the local time happens twice that day: the first is taken


def long_date(day: date) -> str:
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def local_moment(day: date, at: time, zone: ZoneInfo) -> tuple[datetime, ClockChange | None]:
    """When `at` on `day` happens in `zone`, in UTC, and whether a clock change moved it:
    a skipped time resolves to the first moment after the gap, a repeated one to the
    earlier of the two."""
    naive = datetime.combine(day, at)
    earlier, later = naive.replace(tzinfo=zone), naive.replace(tzinfo=zone, fold=1)
    before, after = earlier.utcoffset(), later.utcoffset()
    if before == after:
        return earlier.astimezone(UTC), None
    first = earlier.astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first, ClockChange.REPEATED
    # In a gap, fold=0 reads the time with the offset before the change and fold=1 with
    # the one after: the change itself lies between the two readings. Find its second.
    low, high = int(later.timestamp()), int(earlier.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC), ClockChange.SKIPPED


def nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> date:
    """The `ordinal`-th `weekday` of the month (1 to 4), or its last one for `LAST`."""
    if ordinal == LAST:
        last = calendar.monthrange(year, month)[1]
        return date(year, month, last - (date(year, month, last).weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (ordinal - 1))


@dataclass(frozen=True)
class Meeting:
    index: int  # 0 for the group's first meeting
    local_date: date  # the day it is planned for, in the host's zone
    starts_at: datetime  # aware, UTC
    planned_time: time  # the plan's local time
    zone: ZoneInfo
    clock_change: ClockChange | None = None

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def note(self) -> str | None:
        """What a page says beside a meeting a clock change moved or made ambiguous."""
        planned = f"{self.planned_time:%H:%M}"
        if self.clock_change == ClockChange.SKIPPED:
            return (
                f"Moved to {self.local_start:%H:%M} because of the clock change: "
                f"{planned} does not exist on {long_date(self.local_date)} in {self.zone.key}."
            )
        if self.clock_change == ClockChange.REPEATED:
            return (
                f"The clocks go back on {long_date(self.local_date)}: {planned} happens "
                f"twice in {self.zone.key}, and the meeting is at the first {planned}."
            )
        return None


@dataclass(frozen=True)
class Window:
    """When members can post their update for a meeting: [opens, closes)."""

    opens: datetime
    closes: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.opens <= moment < self.closes


@dataclass(frozen=True)
class MeetingPlan:
    """A group's rhythm. Weekdays are Python's (Monday 0 ... Sunday 6); `at` is the local
    wall-clock time in `zone`; `first_day` is the first meeting's local date (and, for a
    monthly group, says which weekday of the month); `started_at` is when the group
    started, where the first meeting's update window opens."""

    cadence: Cadence
    weekday: int
    at: time
    zone: ZoneInfo
    first_day: date
    started_at: datetime

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("Weekdays run from 0 (Monday) to 6 (Sunday).")
        if self.first_day.weekday() != self.weekday:
            raise ValueError(f"The first meeting must be on a {WEEKDAY_NAMES[self.weekday]}.")
        if self.at.tzinfo is not None or self.at.second or self.at.microsecond:
            raise ValueError("A meeting time is a local hour and minute.")
        if self.started_at.tzinfo is None:
            raise ValueError("The group's start must be an aware datetime.")
        if meeting(self, 0).starts_at < self.started_at:
            raise ValueError("The first meeting must not be before the group starts.")

    @property
    def ordinal(self) -> int:
        """Which weekday of the month a monthly group meets on: 1 to 4, or `LAST`."""
        return (self.first_day.day - 1) // 7 + 1

    def describe(self) -> str:
        day, at = WEEKDAY_NAMES[self.weekday], f"{self.at:%H:%M}"
        if self.cadence == Cadence.WEEKLY:
            return f"every {day} at {at}"
        if self.cadence == Cadence.EVERY_TWO_WEEKS:
            return f"every other {day} at {at}"
        return f"the {ORDINAL_NAMES[self.ordinal]} {day} of each month at {at}"


def meeting_day(plan: MeetingPlan, index: int) -> date:
    """The local date of the meeting `index` (0 is the first)."""
    if index < 0:
        raise ValueError("Meetings are counted from 0.")
    if plan.cadence == Cadence.WEEKLY:
        return plan.first_day + timedelta(weeks=index)
    if plan.cadence == Cadence.EVERY_TWO_WEEKS:
        return plan.first_day + timedelta(weeks=2 * index)
    month_index = plan.first_day.month - 1 + index
    year, month = plan.first_day.year + month_index // 12, month_index % 12 + 1
    return nth_weekday(year, month, plan.weekday, plan.ordinal)


@functools.lru_cache(maxsize=16_384)
def meeting(plan: MeetingPlan, index: int) -> Meeting:
    """The meeting `index` of the plan. Pure, and asked for every meeting of a group's
    history on each page that rotates the hot seat (a weekly group of two years: a
    hundred zone conversions), so remembered: the same plan and index always give the
    same meeting, on any instance, so there is nothing to invalidate."""
    day = meeting_day(plan, index)
    starts_at, change = local_moment(day, plan.at, plan.zone)
    return Meeting(index, day, starts_at, plan.at, plan.zone, change)


def _index_before(plan: MeetingPlan, day: date) -> int:
    """An index whose meeting's date is on or before `day` (0 if none is)."""
    if plan.cadence == Cadence.WEEKLY:
        index = (day - plan.first_day).days // 7
    elif plan.cadence == Cadence.EVERY_TWO_WEEKS:
        index = (day - plan.first_day).days // 14
    else:  # the previous month's meeting is before any day of this month
        index = (day.year - plan.first_day.year) * 12 + day.month - plan.first_day.month - 1
    return max(0, index)


def _meetings_from(plan: MeetingPlan, moment: datetime) -> Iterator[Meeting]:
    """Meetings in order, from one that starts before `moment` (or the first)."""
    # Two days back: a meeting on an earlier local date starts before `moment` whatever
    # the zone's offset and clock changes.
    index = _index_before(plan, moment.astimezone(plan.zone).date() - timedelta(days=2))
    while True:
        yield meeting(plan, index)
        index += 1


def meetings_between(plan: MeetingPlan, start: datetime, end: datetime) -> list[Meeting]:
    """The meetings that start in [start, end), in order."""
    before_end = takewhile(lambda m: m.starts_at < end, _meetings_from(plan, start))
    return [m for m in before_end if m.starts_at >= start]


def next_meeting(plan: MeetingPlan, now: datetime) -> Meeting:
    """The first meeting that has not started at `now`: the one members post for."""
    return next(m for m in _meetings_from(plan, now) if m.starts_at > now)


def previous_meeting(plan: MeetingPlan, now: datetime) -> Meeting | None:
    """The latest meeting that has started by `now`, if any has."""
    started = list(takewhile(lambda m: m.starts_at <= now, _meetings_from(plan, now)))
    return started[-1] if started else None


def update_window(plan: MeetingPlan, of: Meeting) -> Window:
    """Updates for a meeting open when the previous one starts and close at its start."""
    opens = plan.started_at if of.index == 0 else meeting(plan, of.index - 1).starts_at
    return Window(opens, of.starts_at)


def reminder_at(of: Meeting) -> datetime:
    """When the members without an update are reminded: 24 real hours before."""
    return of.starts_at - REMINDER_BEFORE


def first_meeting_day(weekday: int, at: time, zone: ZoneInfo, after: datetime) -> date:
    """The first local date on `weekday` whose meeting at `at` starts after `after`: the
    date a new group's first meeting falls on."""
    day = after.astimezone(zone).date()
    day += timedelta(days=(weekday - day.weekday()) % 7)
    if local_moment(day, at, zone)[0] <= after:
        day += timedelta(weeks=1)
    return day


def clock_change_days(
    weekday: int, at: time, zone: ZoneInfo, start: date, end: date
) -> list[tuple[date, ClockChange]]:
    """The dates on `weekday` in [start, end) when `at` is skipped or repeated in `zone`."""
    day = start + timedelta(days=(weekday - start.weekday()) % 7)
    out = []
    while day < end:
        change = local_moment(day, at, zone)[1]
        if change is not None:
            out.append((day, change))
        day += timedelta(weeks=1)
    return out


def clock_change_warning(
    weekday: int, at: time, zone: ZoneInfo, now: datetime, years: int = 5
) -> str | None:
    """For the create form: a warning if the clocks skip or repeat this weekday and time
    in the coming `years`, saying what would happen to that meeting; None if they don't."""
    today = now.astimezone(zone).date()
    days = clock_change_days(weekday, at, zone, today, today + timedelta(days=366 * years))
    planned, day_name = f"{at:%H:%M}", WEEKDAY_NAMES[weekday]
    messages = []
    skipped = [day for day, change in days if change == ClockChange.SKIPPED]
    if skipped:
        moved = local_moment(skipped[0], at, zone)[0].astimezone(zone)
        messages.append(
            f"On the {day_name} when the clocks go forward, {planned} does not exist in {zone.key} "
            f"(next on {long_date(skipped[0])}): that meeting would start at {moved:%H:%M}."
        )
    repeated = [day for day, change in days if change == ClockChange.REPEATED]
    if repeated:
        messages.append(
            f"On the {day_name} when the clocks go back, {planned} happens twice in {zone.key} "
            f"(next on {long_date(repeated[0])}): that meeting would be at the first {planned}."
        )
    return " ".join(messages) or None
