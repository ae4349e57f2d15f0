"""Who owes a partner check-in now, and who missed one lately, for every partnership at
once: `flask partners due`, the reminder run and the digest's "Partners" section.

Each scheduled day's standing comes from partner_schedule.day_states (through the
agreement's versions, partners.segments) in the person's own zone; only the few days
around `now` are looked at. Loading costs a fixed number of statements however many
partnerships there are: the partnerships with both people, their accepted agreements,
and the check-ins of those days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.models import (
    AgreementStatus,
    PartnerAgreement,
    PartnerCheckIn,
    Partnership,
    PartnershipStatus,
    User,
)
from app.services.partner_schedule import DayState, ScheduledDay, Term, day_states, deadline
from app.services.partners import LATE_CHECK_IN_DAYS, Segment, schedule_of, segments
from app.services.people import zone_of

MISSED_WITHIN = timedelta(days=LATE_CHECK_IN_DAYS)  # "missed lately": closed this recently
# Every zone's "today" is within a day of UTC's (UTC-12 to UTC+14): the days that can be
# due or missed lately at `now`, around its UTC date.
DAYS_BACK = MISSED_WITHIN.days + 3
DAYS_AHEAD = 1


@dataclass
class Pair:
    """One partnership as a run sees it: both people, its versions, recent check-ins."""

    partnership: Partnership
    segments: list[Segment]
    posted: dict[int, dict[date, datetime]] = field(default_factory=dict)  # author → day

    def people(self) -> list[tuple[User, User]]:
        """(person, their partner), each way round."""
        asker, asked = self.partnership.asker, self.partnership.asked
        return [(asker, asked), (asked, asker)] if asked is not None else []


def window(now: datetime) -> tuple[date, date]:
    """The first and last date that can matter at `now`, whatever the zone."""
    today = now.date()
    return today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)


def load_pairs(session: Session, where: Any, first: date, last: date) -> list[Pair]:
    """The partnerships matching `where` (a SQL condition on Partnership), with both
    people, their accepted agreements and the check-ins for days first..last: three
    statements, whatever the number."""
    found = list(
        session.scalars(
            select(Partnership)
            .where(where)
            .options(joinedload(Partnership.asker), joinedload(Partnership.asked))
            .order_by(Partnership.id)
        )
    )
    if not found:
        return []
    ids = select(Partnership.id).where(where).scalar_subquery()
    versions: dict[int, list[PartnerAgreement]] = defaultdict(list)
    for agreement in session.scalars(
        select(PartnerAgreement).where(
            PartnerAgreement.partnership_id.in_(ids),
            PartnerAgreement.status == AgreementStatus.ACCEPTED,
        )
    ):
        versions[agreement.partnership_id].append(agreement)
    pairs = {p.id: Pair(p, segments(p, versions[p.id])) for p in found}
    rows = session.execute(
        select(
            PartnerCheckIn.partnership_id,
            PartnerCheckIn.author_id,
            PartnerCheckIn.day,
            PartnerCheckIn.created_at,
        ).where(
            PartnerCheckIn.partnership_id.in_(ids),
            PartnerCheckIn.day >= first,
            PartnerCheckIn.day <= last,
        )
    )
    for partnership_id, author_id, day, created_at in rows:
        pairs[partnership_id].posted.setdefault(author_id, {})[day] = created_at
    return list(pairs.values())


def current(now: datetime) -> Any:
    """SQL: partnerships that can have a day due or missed lately at `now` (running, or
    ended within the last days; each person's own zone decides, in Python)."""
    first, _last = window(now)
    return (
        Partnership.status.in_((PartnershipStatus.ACTIVE, PartnershipStatus.ENDED))
        & (Partnership.ends_on >= first)
        & (Partnership.ended_at.is_(None) | (Partnership.ended_at >= now - 2 * MISSED_WITHIN))
    )


def _clipped(term: Term, first: date, last: date) -> Term | None:
    """The part of the term from about `first` to `last`. The start moves by whole pairs
    of days, so "every other day" (counted from the term's first day) keeps its days."""
    skip = max(0, (first - term.first_day).days)
    start = term.first_day + timedelta(days=skip - skip % 2)
    end = min(term.end, last + timedelta(days=1))
    return Term(start, end) if start < end else None


def recent_days(pair: Pair, person: User, now: datetime) -> list[ScheduledDay]:
    """How the person's scheduled days around `now` stand (see `window`)."""
    first, last = window(now)
    zone = zone_of(person)
    posted = pair.posted.get(person.id, {})
    out: list[ScheduledDay] = []
    for seg in pair.segments:
        term = _clipped(seg.term, first, last)
        if term is not None:
            out += day_states(schedule_of(seg.agreement), term, zone, posted, now)
    return out


def missed_lately(days: list[ScheduledDay], person: User, now: datetime) -> list[ScheduledDay]:
    """Missed days whose grace window closed within MISSED_WITHIN before `now`."""
    zone, since = zone_of(person), now - MISSED_WITHIN
    return [d for d in days if d.state == DayState.MISSED and deadline(d.day, zone) > since]


@dataclass(frozen=True)
class DueRow:
    partnership_id: int
    person: User
    partner: User
    day: date
    state: DayState  # DUE or MISSED
    deadline: datetime  # in the person's zone

    def as_dict(self) -> dict[str, object]:
        return {
            "partnership": self.partnership_id,
            "person": self.person.email,
            "partner": self.partner.email,
            "day": self.day.isoformat(),
            "state": str(self.state),
            "deadline": self.deadline.isoformat(timespec="minutes"),
        }


def due_rows(session: Session, now: datetime) -> list[DueRow]:
    """Every partner's day due at `now` or missed lately, by partnership, person, day."""
    first, last = window(now)
    rows = []
    for pair in load_pairs(session, current(now), first, last):
        for person, partner in pair.people():
            if person.archived_at is not None:
                continue
            days = recent_days(pair, person, now)
            wanted = [d for d in days if d.state == DayState.DUE] + missed_lately(days, person, now)
            zone = zone_of(person)
            rows += [
                DueRow(
                    pair.partnership.id,
                    person,
                    partner,
                    d.day,
                    d.state,
                    deadline(d.day, zone).astimezone(zone),
                )
                for d in wanted
            ]
    rows.sort(key=lambda r: (r.partnership_id, r.person.id, r.day))
    return rows
