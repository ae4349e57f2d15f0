"""What a sponsor may know of their recruits' accountability partnerships: whether each
has a running partnership, and their consistency (PRODUCT.md: "whether each recruit
has an active partner and their consistency, never the content"). No rules, check-in
text, replies or partner names leave this module: only counts.

Several partnerships combine into one figure: the recruit's settled days (made, late or
missed) of every running partnership, merged by date, and the last CONSISTENCY_WINDOW
of those on time, so a recruit with one partner sees the same figure on the partnership
page. An ended partnership, or one whose term ran out without renewal, counts for
nothing.

For any number of recruits it runs two statements: the recruits with their running
partnerships and those partnerships' accepted agreements, then the check-ins the
window needs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.models import (
    AgreementStatus,
    PartnerAgreement,
    PartnerCheckIn,
    Partnership,
    PartnershipStatus,
    User,
)
from app.services import partners
from app.services.partner_schedule import (
    CONSISTENCY_WINDOW,
    DayState,
    ScheduledDay,
    Term,
    consistency,
)

# A day's grace runs to the end of the next day, so of the scheduled days up to today
# at most the last two are still open: the window's settled days lie among these.
_DATES_NEEDED = CONSISTENCY_WINDOW + 2


@dataclass(frozen=True)
class PartnerSummary:
    has_partner: bool  # at least one running partnership
    on_time: int  # of the last `out_of` settled days, across running partnerships
    out_of: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.on_time / self.out_of) if self.out_of else None


NO_PARTNER = PartnerSummary(False, 0, 0)


@dataclass
class _Running:
    user: User
    partnership: Partnership
    segments: list[partners.Segment]  # cut to the days the window can need
    since: date  # the first of those days


def summaries(
    session: Session, user_ids: Sequence[int], now: datetime
) -> dict[int, PartnerSummary]:
    """Each of these users' summary (NO_PARTNER without a running partnership)."""
    if not user_ids:
        return {}
    running = _running(session, user_ids, now)
    since = min((r.since for r in running), default=now.date() + timedelta(days=1))
    posted: dict[tuple[int, int], dict[date, datetime]] = defaultdict(dict)
    rows = session.execute(
        select(
            PartnerCheckIn.partnership_id,
            PartnerCheckIn.author_id,
            PartnerCheckIn.day,
            PartnerCheckIn.created_at,
        ).where(
            PartnerCheckIn.partnership_id.in_({r.partnership.id for r in running}),
            PartnerCheckIn.author_id.in_(list(user_ids)),
            PartnerCheckIn.day >= since,
        )
    )
    for partnership_id, author_id, day, created_at in rows:
        posted[(partnership_id, author_id)][day] = created_at
    days: dict[int, list[ScheduledDay]] = defaultdict(list)
    for r in running:
        mine = posted[(r.partnership.id, r.user.id)]
        days[r.user.id] += [
            d
            for d in partners.partner_days(r.segments, r.user, mine, now)
            if d.state not in (DayState.DUE, DayState.UPCOMING)
        ]
    out = dict.fromkeys(user_ids, NO_PARTNER)
    for user_id, settled in days.items():
        figure = consistency(sorted(settled, key=lambda d: d.day))
        out[user_id] = PartnerSummary(True, figure.on_time, figure.out_of)
    return out


def _running(session: Session, user_ids: Sequence[int], now: datetime) -> list[_Running]:
    """The users' running partnerships with their accepted agreements, in one statement.

    The SQL keeps active partnerships whose term may still run somewhere on Earth (a
    local date is at most a day behind UTC's); the user's own today decides."""
    partnered = and_(
        or_(Partnership.asker_id == User.id, Partnership.asked_id == User.id),
        Partnership.status == PartnershipStatus.ACTIVE,
        Partnership.ends_on >= now.date(),
    )
    rows = session.execute(
        select(User, Partnership, PartnerAgreement)
        .outerjoin(Partnership, partnered)
        .outerjoin(
            PartnerAgreement,
            and_(
                PartnerAgreement.partnership_id == Partnership.id,
                PartnerAgreement.status == AgreementStatus.ACCEPTED,
            ),
        )
        .where(User.id.in_(list(user_ids)))
    ).all()
    agreements: dict[int, dict[int, PartnerAgreement]] = defaultdict(dict)
    pairs: dict[tuple[int, int], tuple[User, Partnership]] = {}
    for user, partnership, agreement in rows:
        if partnership is None:
            continue
        pairs[(user.id, partnership.id)] = (user, partnership)
        if agreement is not None:
            agreements[partnership.id][agreement.id] = agreement
    out = []
    for user, partnership in pairs.values():
        today = partners.today_of(user, now)
        if partners.is_running(partnership, today):
            versions = sorted(agreements[partnership.id].values(), key=lambda a: a.version)
            out.append(_window(user, partnership, partners.segments(partnership, versions), today))
    return out


def _window(
    user: User, partnership: Partnership, segments: list[partners.Segment], today: date
) -> _Running:
    """The partnership's segments cut to its last _DATES_NEEDED scheduled days up to
    today: older ones are out of the window however several partnerships merge, and
    later ones are not settled yet."""
    needed: list[date] = []
    for seg in reversed(segments):
        schedule = partners.schedule_of(seg.agreement)
        day = min(today, seg.term.end - timedelta(days=1))
        while day >= seg.term.first_day and len(needed) < _DATES_NEEDED:
            if schedule.falls_on(day, seg.term.first_day):
                needed.append(day)
            day -= timedelta(days=1)
    since = needed[-1] if needed else today
    tomorrow = today + timedelta(days=1)  # days after today are still to come
    cut = []
    for seg in segments:
        if seg.term.end <= since or seg.term.first_day >= tomorrow:
            continue
        # Every other day counts from the segment's first day: cut an even number off.
        start = seg.term.first_day
        start += timedelta(days=max(0, (since - start).days) // 2 * 2)
        end = min(seg.term.end, tomorrow)
        cut.append(partners.Segment(seg.agreement, Term(start, end)))
    return _Running(user, partnership, cut, since)
