"""What the partner pages show, read in a fixed number of statements: the list of a
person's partnerships, and one partnership's page (terms, both strips of days, the
consistency and streak of each, the check-ins with their replies, renewal)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, case, select
from sqlalchemy.orm import Session, joinedload

from app.models import (
    CHANNEL_LABELS,
    AgreementStatus,
    PartnerAgreement,
    PartnerCheckIn,
    PartnerReply,
    Partnership,
    PartnershipStatus,
    User,
)
from app.services import partners
from app.services.errors import NotFound
from app.services.partner_schedule import Consistency, DayState, ScheduledDay, consistency, deadline
from app.services.partner_suggestions import Suggestion, suggestions
from app.services.people import zone_of

CHECK_INS_PER_PAGE = 10
STRIP_PAST_DAYS = 14  # scheduled days up to today on the strip
STRIP_COMING_DAYS = 5  # and the next ones
LIST_LIMIT = 100  # partnerships on the list page (running and waiting come first)

STATE_LABELS = {
    DayState.ON_TIME: "made",
    DayState.LATE: "late",
    DayState.MISSED: "missed",
    DayState.DUE: "due today",
    DayState.UPCOMING: "coming",
}


class StripDay(NamedTuple):
    """A day on the strip, its words ready (the page shows dozens)."""

    text: str  # "Mon 02 Mar"
    state: str
    label: str


@dataclass(frozen=True)
class Side:
    """One partner as the page shows them."""

    user: User
    handle: str
    days: list[ScheduledDay]  # every scheduled day so far and to come, in order
    strip: list[StripDay]
    consistency: Consistency
    today: date  # in this partner's own zone


def strip_label(day: ScheduledDay, today: date) -> str:
    """How the strip names a day: a still-open yesterday is not "due today"."""
    if day.state == DayState.DUE and day.day < today:
        return "due by tonight"
    return STATE_LABELS[day.state]


@dataclass(slots=True)
class ReplyRow:
    author_id: int
    author_name: str
    body: str
    created_at: datetime


@dataclass(slots=True)
class CheckInRow:
    """A check-in as the page lists it (plain values: a page of them with their replies
    as ORM objects cost more than every statement on the page)."""

    id: int
    author_id: int
    day: date
    said: str
    did: str
    next: str
    note: str
    created_at: datetime
    late: bool = False
    mine: bool = False
    replies: list[ReplyRow] = field(default_factory=list)


@dataclass
class PartnershipPage:
    partnership: Partnership
    me: User
    partner: User | None
    today: date
    running: bool
    ended: bool
    current: PartnerAgreement | None  # the terms in effect (or proposed, before a yes)
    pending: PartnerAgreement | None
    versions: list[PartnerAgreement]  # newest first
    mine: Side | None
    theirs: Side | None
    open_days: list[date]  # days I can check in for now, newest first
    said: str  # my last "next": what I said I would do
    check_ins: list[CheckInRow]
    page: int
    pages: int
    renewal_open: bool
    renewal_answers: dict[int, object] = field(default_factory=dict)
    next_day: date | None = None  # my next scheduled day to come

    @property
    def waiting_for_me(self) -> bool:
        return self.pending is not None and self.pending.proposed_by_id != self.me.id

    @property
    def can_propose(self) -> bool:
        return self.running or (
            self.partnership.status == PartnershipStatus.PROPOSED
            and self.partnership.asked_id is not None
        )


def _side(
    user: User, handle: str, segs: list[partners.Segment], posted: dict, now: datetime
) -> Side:
    days = partners.partner_days(segs, user, posted, now)
    today = partners.today_of(user, now)
    past = [d for d in days if d.day <= today][-STRIP_PAST_DAYS:]
    coming = [d for d in days if d.day > today][:STRIP_COMING_DAYS]
    strip = [
        StripDay(f"{d.day:%a %d %b}", d.state.value, strip_label(d, today)) for d in past + coming
    ]
    return Side(user, handle, days, strip, consistency(days), today)


# The page's statements, built once: building them on every request cost about a tenth
# of the page (as for the session's statement in sessions.py). Those that select columns,
# not objects, run on the session's connection (the same transaction) rather than
# through the ORM's execution, which cost a tenth of a millisecond each.
_PARTNER_COLUMNS = (User.id, User.name, User.timezone)  # all the page reads of a partner
# The partnership with every version of its terms, newest first, in one statement.
_PARTNERSHIP_AND_VERSIONS = (
    select(Partnership, PartnerAgreement)
    .outerjoin(PartnerAgreement, PartnerAgreement.partnership_id == Partnership.id)
    .options(
        joinedload(Partnership.asker).load_only(*_PARTNER_COLUMNS),
        joinedload(Partnership.asked).load_only(*_PARTNER_COLUMNS),
    )
    .where(Partnership.id == bindparam("partnership_id"))
    .order_by(PartnerAgreement.version.desc())
)
_POSTED = select(PartnerCheckIn.author_id, PartnerCheckIn.day, PartnerCheckIn.created_at).where(
    PartnerCheckIn.partnership_id == bindparam("partnership_id")
)
_CHECK_INS_PAGE = (
    select(
        PartnerCheckIn.id,
        PartnerCheckIn.author_id,
        PartnerCheckIn.day,
        PartnerCheckIn.said,
        PartnerCheckIn.did,
        PartnerCheckIn.next,
        PartnerCheckIn.note,
        PartnerCheckIn.created_at,
    )
    .where(PartnerCheckIn.partnership_id == bindparam("partnership_id"))
    .order_by(PartnerCheckIn.day.desc(), PartnerCheckIn.created_at.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_REPLIES = (
    select(
        PartnerReply.check_in_id,
        PartnerReply.author_id,
        User.name,
        PartnerReply.body,
        PartnerReply.created_at,
    )
    .join(User, User.id == PartnerReply.author_id)
    .where(PartnerReply.check_in_id.in_(bindparam("check_in_ids", expanding=True)))
    .order_by(PartnerReply.created_at, PartnerReply.id)
)


def partnership_page(
    session: Session, user: User, partnership_id: int, now: datetime, page: int = 1
) -> PartnershipPage:
    found = session.execute(_PARTNERSHIP_AND_VERSIONS, {"partnership_id": partnership_id}).all()
    partnership = found[0][0] if found else None
    if partnership is None or not partnership.involves(user.id):
        raise NotFound("No such partnership.")
    partner = partnership.other(user.id)
    versions = [version for _, version in found if version is not None]
    accepted = sorted(
        (v for v in versions if v.status == AgreementStatus.ACCEPTED), key=lambda v: v.version
    )
    pending = next((v for v in versions if v.status == AgreementStatus.PROPOSED), None)
    today = partners.today_of(user, now)
    segs = partners.segments(partnership, accepted)
    posted: dict[int, dict[date, datetime]] = {partnership.asker_id: {}}
    if partnership.asked_id is not None:
        posted[partnership.asked_id] = {}
    rows = session.connection()  # for the statements of plain columns (see above)
    for author_id, day, created_at in rows.execute(_POSTED, {"partnership_id": partnership.id}):
        posted.setdefault(author_id, {})[day] = created_at
    current = accepted[-1] if accepted else pending

    def handle(person: User | None) -> str:
        if current is None or person is None:
            return ""
        return current.asker_handle if person.id == partnership.asker_id else current.asked_handle

    mine = theirs = None
    if segs:
        mine = _side(user, handle(user), segs, posted[user.id], now)
        if partner is not None:
            theirs = _side(partner, handle(partner), segs, posted.get(partner.id, {}), now)
    running = partners.is_running(partnership, today)
    open_days: list[date] = []
    if running and mine is not None:
        earliest = today - timedelta(days=partners.LATE_CHECK_IN_DAYS)
        open_days = [d for d in partners.open_days(mine.days) if d >= earliest]
    total = sum(len(days) for days in posted.values())
    pages = max(1, math.ceil(total / CHECK_INS_PER_PAGE))
    page = min(max(1, page), pages)
    entries = [
        CheckInRow(*values)
        for values in rows.execute(
            _CHECK_INS_PAGE,
            {
                "partnership_id": partnership.id,
                "limit": CHECK_INS_PER_PAGE,
                "offset": (page - 1) * CHECK_INS_PER_PAGE,
            },
        )
    ]
    people = {partnership.asker_id: partnership.asker}
    if partner is not None:
        people[partner.id] = partner
    for entry in entries:
        author = people.get(entry.author_id, user)
        entry.late = entry.created_at >= deadline(entry.day, zone_of(author))
        entry.mine = entry.author_id == user.id
    if entries:
        by_id = {entry.id: entry for entry in entries}
        for check_in_id, *reply in rows.execute(_REPLIES, {"check_in_ids": list(by_id)}):
            by_id[check_in_id].replies.append(ReplyRow(*reply))
    said = ""
    if posted.get(user.id):
        # My latest check-in's "next" (from this page's rows when it is among them).
        latest_day = max(posted[user.id])
        shown = next((e for e in entries if e.author_id == user.id and e.day == latest_day), None)
        said = shown.next if shown else partners.last_next(session, partnership.id, user.id)
    renewal = partners.renewal_open(partnership, today)
    return PartnershipPage(
        partnership=partnership,
        me=user,
        partner=partner,
        today=today,
        running=running,
        ended=partners.has_ended(partnership, today),
        current=current,
        pending=pending,
        versions=versions,
        mine=mine,
        theirs=theirs,
        open_days=open_days,
        said=said,
        check_ins=entries,
        page=page,
        pages=pages,
        renewal_open=renewal,
        renewal_answers=partners.renewal_answers(session, partnership) if renewal else {},
        next_day=next(
            (d.day for d in (mine.days if mine else []) if d.state == DayState.UPCOMING), None
        ),
    )


@dataclass(frozen=True)
class ListRow:
    partnership: Partnership
    partner: User | None
    label: str  # where it stands, for this person
    waiting_for_me: bool
    running: bool


@dataclass
class PartnerList:
    rows: list[ListRow]
    active: int
    suggestions: list[Suggestion]
    full: bool


def _label(p: Partnership, pending: PartnerAgreement | None, user: User, today: date) -> str:
    if p.status == PartnershipStatus.PROPOSED:
        if p.asked_id is None:
            return f"invitation sent to {p.invite_email}"
        if pending is not None and pending.proposed_by_id == user.id:
            return "waiting for their answer"
        return "waiting for your answer"
    if partners.is_running(p, today):
        if pending is not None:
            return "change proposed: " + (
                "waiting for their answer"
                if pending.proposed_by_id == user.id
                else "waiting for your answer"
            )
        if partners.renewal_open(p, today):
            return f"up for renewal: the term ends {p.ends_on:%d %b %Y}"
        return f"running until {p.ends_on - timedelta(days=1):%d %b %Y}"  # type: ignore[operator]
    if p.status == PartnershipStatus.DECLINED:
        return "declined"
    if p.status == PartnershipStatus.WITHDRAWN:
        return "withdrawn"
    return "ended"


def partner_list(session: Session, user: User, now: datetime) -> PartnerList:
    """The person's partnerships (running and waiting first, then the rest, newest
    first), how many are active, and who to ask (when they have room for one more)."""
    today = partners.today_of(user, now)
    open_first = case((Partnership.status.in_(partners.OPEN), 0), else_=1)
    found = session.scalars(
        select(Partnership)
        .options(joinedload(Partnership.asker), joinedload(Partnership.asked))
        .where(partners.involving(user.id))
        .order_by(open_first, Partnership.created_at.desc(), Partnership.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    pending = {
        a.partnership_id: a
        for a in session.scalars(
            select(PartnerAgreement).where(
                PartnerAgreement.partnership_id.in_([p.id for p in found] or [0]),
                PartnerAgreement.status == AgreementStatus.PROPOSED,
            )
        )
    }
    rows = []
    for p in found:
        waiting = pending.get(p.id)
        rows.append(
            ListRow(
                partnership=p,
                partner=p.other(user.id),
                label=_label(p, waiting, user, today),
                waiting_for_me=waiting is not None
                and waiting.proposed_by_id != user.id
                and p.asked_id is not None
                and (p.status == PartnershipStatus.PROPOSED or partners.is_running(p, today)),
                running=partners.is_running(p, today),
            )
        )
    rows.sort(
        key=lambda r: (not r.waiting_for_me, not r.running, r.partnership.status != "proposed")
    )
    active = sum(1 for r in rows if r.running)
    full = active >= partners.MAX_ACTIVE_PARTNERSHIPS
    taken = {
        r.partner.id
        for r in rows
        if r.partner is not None
        and (r.running or r.partnership.status == PartnershipStatus.PROPOSED)
    }
    return PartnerList(
        rows=rows,
        active=active,
        suggestions=[] if full else suggestions(session, user, exclude=taken),
        full=full,
    )


# --- words for the templates -----------------------------------------------------------

VERSION_STATUS = {
    AgreementStatus.PROPOSED: "waiting for an answer",
    AgreementStatus.ACCEPTED: "accepted",
    AgreementStatus.REPLACED: "replaced before an answer",
    AgreementStatus.DECLINED: "declined",
}
DID_TEXT = {"yes": "Yes", "partly": "Partly", "no": "No"}


def schedule_text(agreement: PartnerAgreement) -> str:
    words = partners.schedule_of(agreement).describe()
    return words[:1].upper() + words[1:]


def channel_text(agreement: PartnerAgreement) -> str:
    return CHANNEL_LABELS.get(agreement.channel, agreement.channel)  # type: ignore[call-overload]


def long_date(day: date | None) -> str:
    return f"{day:%d %b %Y}" if day else ""


def last_day(end: date | None) -> str:
    """A term's last day, from its (exclusive) end."""
    return long_date(end - timedelta(days=1)) if end else ""


TEMPLATE_FILTERS = {
    "schedule_text": schedule_text,
    "channel_text": channel_text,
    "long_date": long_date,
    "last_day": last_day,
    "did_text": lambda did: DID_TEXT.get(did, did),
    "version_status": lambda status: VERSION_STATUS.get(status, status),
}
