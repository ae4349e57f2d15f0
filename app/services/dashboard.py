"""The sponsor's morning page: counts, the recruits table, the funnel, the backlog."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.models import WAITING, Assignment, Submission, Track, User
from app.services import team
from app.services.partner_summaries import NO_PARTNER, PartnerSummary, summaries
from app.services.review import backlog_cutoff
from app.services.sessions import Menu
from app.services.standing import STATUS_HELP, Court, Standing, Status, standings

SORTS = {"waiting": "Waiting longest", "name": "Name", "progress": "Progress"}


@dataclass(frozen=True)
class FunnelStep:
    label: str
    count: int
    percent: int  # of the track's recruits, for the bar width


@dataclass(frozen=True)
class Funnel:
    track_name: str
    steps: list[FunnelStep]


# The count cards, in the order a sponsor acts on them; together they are every
# recruit who is not archived. Red only for what asks something of the sponsor.
CARD_STATUSES = (
    Status.WAITING_ON_YOU,
    Status.STALLED,
    Status.SLOW,
    Status.WILLING,
    Status.FINISHED,
)
URGENT_STATUSES = (Status.WAITING_ON_YOU, Status.STALLED)


@dataclass(frozen=True)
class CountCard:
    status: Status
    count: int
    urgent: bool  # something to do, and there is some of it
    active: bool  # the table is filtered on it


@dataclass(frozen=True)
class LegendLine:
    status: Status
    meaning: str


def legend() -> list[LegendLine]:
    return [LegendLine(status, STATUS_HELP[status]) for status in (*CARD_STATUSES, Status.ARCHIVED)]


@dataclass
class Dashboard:
    counts: Counter[Status]
    total: int  # recruits who are not archived
    oldest_wait: datetime | None
    rows: list[Standing]
    matching: int  # rows after filter and search, before pagination
    page: int
    pages: int
    funnels: list[Funnel] = field(default_factory=list)
    backlog: list[Submission] = field(default_factory=list)
    status: Status | None = None  # the filter in force
    # The page's recruits' accountability partners: whether and how consistently, by id.
    partners: dict[int, PartnerSummary] = field(default_factory=dict)
    # Recruits of the sponsor's who sponsor others and leave a hand-in waiting longer
    # than ESCALATION_DAYS, longest first ("coach the coach": see services.team).
    coaching: list[Standing] = field(default_factory=list)
    # Recruits who left with people below them that now need a new sponsor.
    departed: list[Standing] = field(default_factory=list)
    # How many of the sponsor's recruits sponsor others (the roll-up has their teams).
    sponsoring: int = 0

    def partner_of(self, recruit_id: int) -> PartnerSummary:
        return self.partners.get(recruit_id, NO_PARTNER)

    @property
    def cards(self) -> list[CountCard]:
        """One card per status; their counts add up to `total`."""
        return [
            CountCard(
                status,
                self.counts.get(status, 0),
                status in URGENT_STATUSES and self.counts.get(status, 0) > 0,
                status == self.status,
            )
            for status in CARD_STATUSES
        ]

    @property
    def archived(self) -> int:
        return self.counts.get(Status.ARCHIVED, 0)


def filter_and_sort(
    items: list[Standing], status: Status | None, query: str, sort: str
) -> list[Standing]:
    """The table's filter (status, name search) and order; the same for the CSV."""
    needle = query.strip().casefold()
    rows = [
        s
        for s in items
        # Archived recruits only show when asked for.
        if (s.status == status if status else s.status != Status.ARCHIVED)
        and (not needle or needle in s.name.casefold())
    ]
    if sort == "name":
        rows.sort(key=lambda s: (s.name.casefold(), s.recruit_id))
    elif sort == "progress":
        rows.sort(key=lambda s: (-s.percent_done, s.name.casefold()))
    else:  # waiting: whoever has waited longest first, then the rest by name
        far_future = datetime.max.replace(tzinfo=None)
        rows.sort(
            key=lambda s: (
                s.since.replace(tzinfo=None) if s.since else far_future,
                s.name.casefold(),
            )
        )
    return rows


def build_dashboard(
    session: Session,
    sponsor: User,
    now: datetime,
    *,
    status: Status | None = None,
    query: str = "",
    sort: str = "waiting",
    page: int = 1,
    per_page: int = 50,
) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of statements."""
    everyone = standings(session, [sponsor.id], now, team=True)
    active = [s for s in everyone if s.status != Status.ARCHIVED]
    counts = Counter(s.status for s in everyone)
    waits = [s.since for s in active if s.whose_move == Court.SPONSOR and s.since]
    rows = filter_and_sort(everyone, status, query, sort)
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(1, page), pages)
    shown = rows[(page - 1) * per_page : page * per_page]
    return Dashboard(
        counts=counts,
        total=len(active),
        oldest_wait=min(waits) if waits else None,
        rows=shown,
        matching=len(rows),
        page=page,
        pages=pages,
        funnels=_funnels(session, sponsor, active),
        backlog=review_backlog(session, sponsor, now),
        status=status,
        partners=summaries(session, [s.recruit_id for s in shown], now),
        coaching=team.needs_coaching(active, now),
        departed=team.departed_with_team(everyone),
        sponsoring=sum(1 for s in active if s.facts.team_recruits),
    )


@dataclass(frozen=True)
class Onboarding:
    """A new sponsor's first three moves, each done or not (derived, nothing stored)."""

    has_track: bool
    has_recruit: bool
    has_reviewed: bool

    @property
    def done(self) -> int:
        return sum((self.has_track, self.has_recruit, self.has_reviewed))

    @property
    def complete(self) -> bool:
        return self.done == 3


def onboarding(menu: Menu) -> Onboarding:
    """Write a track, share the invite link (someone joined), review a hand-in: three
    index probes that came with the menu's facts (see sessions.Menu)."""
    return Onboarding(bool(menu.has_track), bool(menu.has_recruit), bool(menu.has_reviewed))


def _funnels(session: Session, sponsor: User, active: list[Standing]) -> list[Funnel]:
    """How many recruits stand at each step of each track, and how many finished."""
    track_ids = {s.facts.track_id for s in active if s.facts.track_id is not None}
    if not track_ids:
        return []
    steps = session.execute(
        select(Track.id, Track.name, Assignment.id, Assignment.title)
        .join(Assignment, Assignment.track_id == Track.id)
        .where(
            Track.id.in_(track_ids), Track.owner_id == sponsor.id, Assignment.position.is_not(None)
        )
        .order_by(Track.is_default.desc(), Track.id, Assignment.position)
    ).all()
    at_step = Counter(s.facts.current_assignment_id for s in active)
    finished = Counter(s.facts.track_id for s in active if s.status == Status.FINISHED)
    on_track = Counter(s.facts.track_id for s in active)
    funnels: dict[int, Funnel] = {}
    for track_id, track_name, assignment_id, title in steps:
        funnel = funnels.setdefault(track_id, Funnel(track_name, []))
        funnel.steps.append(_bar(title, at_step[assignment_id], on_track[track_id]))
    for track_id, funnel in funnels.items():
        funnel.steps.append(_bar("Finished", finished[track_id], on_track[track_id]))
    return list(funnels.values())


def _bar(label: str, count: int, total: int) -> FunnelStep:
    return FunnelStep(label, count, round(100 * count / total) if total else 0)


def review_backlog(
    session: Session, sponsor: User, now: datetime, limit: int = 20
) -> list[Submission]:
    """The sponsor's own to-do: hand-ins waiting for review for over 48 hours."""
    return list(
        session.scalars(
            select(Submission)
            .join(User, User.id == Submission.recruit_id)
            .where(
                Submission.sponsor_id == sponsor.id,
                WAITING,  # the queue's partial index, for any size of team
                Submission.submitted_at < backlog_cutoff(now),
                User.archived_at.is_(None),
            )
            .options(joinedload(Submission.recruit), joinedload(Submission.assignment))
            .order_by(Submission.submitted_at)
            .limit(limit)
        )
    )


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = [
    "Name",
    "Email",
    "Joined",
    "Current assignment",
    "Steps done",
    "Steps total",
    "Whose move",
    "Since",
    "Status",
    "Last check-in",
    "Active partner",
    "Partner check-ins on time",
    "Partner check-ins counted",
]


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet won't run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def dashboard_csv(  # type: ignore[no-untyped-def]
    rows: list[Standing], show_time, partners: dict[int, PartnerSummary] | None = None
) -> str:
    """The table as CSV (quoted by the csv module; formula-like cells neutralised). Of
    partners only whether there is one and the on-time count, as on the page."""
    partners = partners or {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_HEADER)
    for s in rows:
        f = s.facts
        partner = partners.get(s.recruit_id, NO_PARTNER)
        writer.writerow(
            safe_cell(v)
            for v in (
                f.name,
                f.email,
                show_time(f.joined_at),
                f.current_title or "",
                f.done_steps,
                f.total_steps,
                {Court.SPONSOR: "Yours", Court.RECRUIT: "Recruit's"}.get(s.whose_move, ""),  # type: ignore[arg-type]
                show_time(s.since),
                s.status.label,
                show_time(f.last_check_in_at),
                "Yes" if partner.has_partner else "No",
                partner.on_time if partner.out_of else "",
                partner.out_of if partner.has_partner else "",
            )
        )
    return buffer.getvalue()
