"""Whose move it is, who has stalled, who is willing: derived for a given `now`.

PRODUCT.md ("Whose move is it", "Stalled, willing, check-ins"). Nothing here is
stored: `recruit_facts` reads one aggregate row per recruit (a fixed number of
statements, whatever the number of recruits or submissions), and `standing_of`
applies the rules to those facts and `now`. Every page, the CSV, the `stalled`
command and the weekly digest use these two functions.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    any_,
    bindparam,
    case,
    func,
    literal,
    null,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from app.models import WAITING, Assignment, CheckIn, Submission, SubmissionStatus, User
from app.models.sql import days_between, greatest
from app.services.progress import unlock_time
from app.services.tree import departed_below


class Court(enum.StrEnum):
    SPONSOR = "sponsor"
    RECRUIT = "recruit"


class Status(enum.StrEnum):
    WAITING_ON_YOU = "waiting_on_you"
    STALLED = "stalled"
    SLOW = "slow"
    WILLING = "willing"
    FINISHED = "finished"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.WAITING_ON_YOU: "Waiting on you",
    Status.STALLED: "Stalled",
    Status.SLOW: "Slow",
    Status.WILLING: "Willing",
    Status.FINISHED: "Finished",
    Status.ARCHIVED: "Archived",
}

# The dashboard's legend: what each status means, in one line (PRODUCT.md's rules).
STATUS_HELP = {
    Status.WAITING_ON_YOU: "a hand-in waits for your review, or they have no track yet",
    Status.STALLED: "nothing done on their open step for longer than its stall time:"
    " check in with them personally",
    Status.SLOW: "past the stall time while paused, or an earlier step took them longer"
    " than its stall time",
    Status.WILLING: "working on their open step within its stall time",
    Status.FINISHED: "every step of their track approved",
    Status.ARCHIVED: "left the business; kept, out of every list",
}


@dataclass(frozen=True)
class RecruitFacts:
    """What the database knows about one recruit, in one row."""

    recruit_id: int
    name: str
    email: str
    sponsor_id: int
    joined_at: datetime
    archived_at: datetime | None
    track_id: int | None
    enrolled_at: datetime | None
    total_steps: int
    done_steps: int
    # The current step (None when finished or without a track).
    current_assignment_id: int | None
    current_title: str | None
    current_position: int | None
    current_activated_at: datetime | None
    threshold_days: int  # the step's override, else the sponsor's setting
    previous_approved_at: datetime | None  # the last approval of a step before the current
    waiting_submission_id: int | None
    waiting_since: datetime | None  # hand-in time of the submission waiting for review
    last_changes_requested_at: datetime | None
    late_steps: int  # steps first handed in later than their threshold after unlocking
    last_check_in_at: datetime | None
    last_check_in_outcome: str | None
    snooze_until: datetime | None
    # Their own team, one level down (read only when asked: `recruit_facts(team=True)`):
    # hand-ins waiting for this recruit's review and since when the oldest waits ("coach
    # the coach"), and, for an archived recruit, how many people below them need a new
    # sponsor (their recruits, and those of archived recruits of theirs, and so on).
    team_waiting: int = 0
    team_oldest_wait: datetime | None = None
    team_unsponsored: int = 0
    team_recruits: int = 0  # their own recruits (archived or not)


@dataclass(frozen=True)
class Standing:
    facts: RecruitFacts
    status: Status
    whose_move: Court | None
    since: datetime | None  # whose move it is since when
    idle_days: float | None  # days the ball has been in the recruit's court
    stalled: bool
    snoozed: bool

    @property
    def recruit_id(self) -> int:
        return self.facts.recruit_id

    @property
    def name(self) -> str:
        return self.facts.name

    @property
    def sent_back(self) -> bool:
        """Their move because the sponsor asked for changes (not a step just opened)."""
        changes_at = self.facts.last_changes_requested_at
        return (
            self.whose_move == Court.RECRUIT and changes_at is not None and self.since == changes_at
        )

    @property
    def percent_done(self) -> int:
        total = self.facts.total_steps
        return round(100 * self.facts.done_steps / total) if total else 0


def standing_of(facts: RecruitFacts, now: datetime) -> Standing:
    """The rules: whose move, since when, stalled or not, and the status badge."""
    if facts.archived_at is not None:
        return Standing(facts, Status.ARCHIVED, None, None, None, False, False)
    has_homework = facts.track_id is not None and facts.total_steps > 0
    if has_homework and facts.current_assignment_id is None:
        return Standing(facts, Status.FINISHED, None, None, None, False, False)
    if not has_homework or facts.enrolled_at is None:
        # Nothing to do until the sponsor gives them a track: the sponsor's move.
        return Standing(
            facts, Status.WAITING_ON_YOU, Court.SPONSOR, facts.joined_at, None, False, False
        )
    if facts.waiting_since is not None:
        return Standing(
            facts, Status.WAITING_ON_YOU, Court.SPONSOR, facts.waiting_since, None, False, False
        )

    unlocked_at = unlock_time(
        facts.enrolled_at,
        facts.current_activated_at or facts.enrolled_at,  # a current step always has one
        facts.previous_approved_at,
    )
    since = max(t for t in (unlocked_at, facts.last_changes_requested_at) if t is not None)
    idle_days = max(0.0, (now - since).total_seconds() / 86400)
    snoozed = facts.snooze_until is not None and facts.snooze_until > now
    over_threshold = idle_days >= facts.threshold_days
    stalled = over_threshold and not snoozed
    if stalled:
        status = Status.STALLED
    elif over_threshold or facts.late_steps:
        status = Status.SLOW
    else:
        status = Status.WILLING
    return Standing(facts, status, Court.RECRUIT, since, idle_days, stalled, snoozed)


def recruit_facts(
    session: Session,
    sponsor_ids: Sequence[int],
    recruit_id: int | None = None,
    *,
    team: bool = False,
) -> list[RecruitFacts]:
    """One row of facts per recruit of these sponsors, in a single statement.

    Each recruit's submissions are read once and folded per step (first hand-in,
    approval, waiting hand-in, last "changes requested"); a window over the steps in
    track order gives the last approval before each step. No correlated subquery
    runs per step, so the cost grows with the recruits' own rows only.
    """
    if not sponsor_ids:
        return []
    user, sponsor = aliased(User, name="u"), aliased(User, name="sponsor")
    # The ids go into the SQL text, not parameters: psycopg prepares a statement run
    # five times on a connection, and PostgreSQL may then plan it once for any
    # sponsor. A plan fit for a team of 10 ran for minutes on a team of 5,000 (bench/);
    # with the ids in the text each sponsor's statement is planned for that sponsor.
    conditions = [
        user.sponsor_id.in_(
            bindparam("sponsor_ids", list(sponsor_ids), expanding=True, literal_execute=True)
        )
    ]
    if recruit_id is not None:
        conditions.append(user.id == bindparam("recruit_id", recruit_id, literal_execute=True))
    recruit = (
        select(
            user.id,
            user.name,
            user.email,
            user.sponsor_id,
            user.created_at.label("joined_at"),
            user.archived_at,
            user.track_id,
            user.enrolled_at,
            sponsor.stall_threshold_days.label("sponsor_threshold"),
        )
        .join(sponsor, sponsor.id == user.sponsor_id)
        .where(*conditions)
        .cte("recruit")
    )
    # The active steps of the tracks these recruits are on.
    track_step = (
        select(
            Assignment.id,
            Assignment.track_id,
            Assignment.position,
            Assignment.activated_at,
            Assignment.stall_threshold_days,
        )
        .where(
            Assignment.position.is_not(None),
            Assignment.track_id.in_(select(recruit.c.track_id).scalar_subquery()),
        )
        .cte("track_step")
    )
    s = Submission.__table__.c

    def latest(column, status: SubmissionStatus):  # type: ignore[no-untyped-def]
        return func.max(case((s.status == status, column)))

    tried = (
        select(
            recruit.c.id.label("recruit_id"),
            s.assignment_id,
            func.min(s.submitted_at).label("first_at"),
            latest(s.decided_at, SubmissionStatus.APPROVED).label("approved_at"),
            latest(s.submitted_at, SubmissionStatus.SUBMITTED).label("waiting_since"),
            latest(s.id, SubmissionStatus.SUBMITTED).label("waiting_id"),
            latest(s.decided_at, SubmissionStatus.CHANGES_REQUESTED).label("changes_at"),
        )
        .select_from(recruit)
        .join(Submission.__table__, s.recruit_id == recruit.c.id)
        .where(_among(session, s.recruit_id, select(recruit.c.id)))
        .group_by(recruit.c.id, s.assignment_id)
        .cte("tried")
    )
    before_approved = func.max(tried.c.approved_at).over(
        partition_by=recruit.c.id, order_by=track_step.c.position, rows=(None, -1)
    )
    progress = (
        select(
            recruit.c.id.label("recruit_id"),
            recruit.c.enrolled_at,
            recruit.c.sponsor_threshold,
            track_step.c.id.label("assignment_id"),
            track_step.c.position,
            track_step.c.activated_at,
            track_step.c.stall_threshold_days,
            tried.c.first_at,
            tried.c.approved_at,
            tried.c.waiting_since,
            tried.c.waiting_id,
            tried.c.changes_at,
            before_approved.label("before_approved_at"),
        )
        .select_from(recruit)
        .join(track_step, track_step.c.track_id == recruit.c.track_id)
        .outerjoin(
            tried,
            and_(
                tried.c.recruit_id == recruit.c.id,
                tried.c.assignment_id == track_step.c.id,
            ),
        )
        .cte("progress")
    )
    p = progress.c
    # A step is late when first handed in later than its threshold after it unlocked.
    unlocked = greatest(
        p.enrolled_at, p.activated_at, func.coalesce(p.before_approved_at, p.enrolled_at)
    )
    late = and_(
        p.first_at.is_not(None),
        days_between(p.first_at, unlocked)
        > func.coalesce(p.stall_threshold_days, p.sponsor_threshold) + literal(0.0),
    )
    summary = (
        select(
            p.recruit_id,
            func.count().label("total_steps"),
            func.count(p.approved_at).label("done_steps"),
            func.min(case((p.approved_at.is_(None), p.position))).label("current_position"),
            func.sum(case((late, 1), else_=0)).label("late_steps"),
        )
        .group_by(p.recruit_id)
        .cte("summary")
    )
    team_columns, team_joins = _team_facts(recruit) if team else _NO_TEAM_FACTS
    current = aliased(Assignment, name="current_step")
    cur = progress.alias("cur")
    check_in = aliased(CheckIn, name="last_check_in")
    last_check_in = (
        select(CheckIn.id)
        .where(CheckIn.recruit_id == recruit.c.id)
        .order_by(CheckIn.happened_at.desc(), CheckIn.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        select(
            recruit.c.id.label("recruit_id"),
            recruit.c.name,
            recruit.c.email,
            recruit.c.sponsor_id,
            recruit.c.joined_at,
            recruit.c.archived_at,
            recruit.c.track_id,
            recruit.c.enrolled_at,
            func.coalesce(summary.c.total_steps, 0).label("total_steps"),
            func.coalesce(summary.c.done_steps, 0).label("done_steps"),
            current.id.label("current_assignment_id"),
            current.title.label("current_title"),
            summary.c.current_position,
            current.activated_at.label("current_activated_at"),
            func.coalesce(current.stall_threshold_days, recruit.c.sponsor_threshold).label(
                "threshold_days"
            ),
            cur.c.before_approved_at.label("previous_approved_at"),
            cur.c.waiting_id.label("waiting_submission_id"),
            cur.c.waiting_since,
            cur.c.changes_at.label("last_changes_requested_at"),
            func.coalesce(summary.c.late_steps, 0).label("late_steps"),
            check_in.happened_at.label("last_check_in_at"),
            check_in.outcome.label("last_check_in_outcome"),
            check_in.snooze_until,
            *team_columns,
        )
        .select_from(recruit)
        .outerjoin(summary, summary.c.recruit_id == recruit.c.id)
        .outerjoin(
            cur,
            and_(
                cur.c.recruit_id == recruit.c.id,
                cur.c.position == summary.c.current_position,
            ),
        )
        .outerjoin(current, current.id == cur.c.assignment_id)
        .outerjoin(check_in, check_in.id == last_check_in)
        .order_by(recruit.c.id)
    )
    for target, on in team_joins:
        statement = statement.outerjoin(target, on)
    if tuple(statement.selected_columns.keys()) != _FIELDS:  # rows map onto the fields
        raise RuntimeError("recruit_facts columns and RecruitFacts fields differ")
    return [RecruitFacts(*row) for row in session.execute(statement)]


_FIELDS = tuple(RecruitFacts.__dataclass_fields__)
_NO_TEAM_FACTS = (
    (
        literal(0).label("team_waiting"),
        null().label("team_oldest_wait"),
        literal(0).label("team_unsponsored"),
        literal(0).label("team_recruits"),
    ),
    (),
)


def _team_facts(recruit):  # type: ignore[no-untyped-def]
    """The columns and joins of each recruit's own team one level down: what waits for
    their review, and (when they left) who below them has no active sponsor."""
    handing_in = aliased(User, name="handing_in")
    waiting = (
        select(
            Submission.sponsor_id,
            func.count().label("n"),
            func.min(Submission.submitted_at).label("oldest"),
        )
        .join(handing_in, handing_in.id == Submission.recruit_id)
        # What their review queue shows: an archived recruit's hand-in is out of it.
        .where(
            WAITING,
            Submission.sponsor_id.in_(select(recruit.c.id)),
            handing_in.archived_at.is_(None),
        )
        .group_by(Submission.sponsor_id)
        .cte("team_waiting")
    )
    # People who left, from each archived recruit down through whoever else left.
    departed = departed_below(
        select(
            recruit.c.id.label("root_id"), recruit.c.id.label("id"), recruit.c.name.label("name")
        ).where(recruit.c.archived_at.is_not(None))
    )
    stranded = aliased(User, name="stranded")
    unsponsored = (
        select(departed.c.root_id, func.count().label("n"))
        .join(stranded, stranded.sponsor_id == departed.c.id)
        .where(stranded.archived_at.is_(None))
        .group_by(departed.c.root_id)
        .cte("unsponsored")
    )
    own = aliased(User, name="own_recruit")
    recruits = (
        select(own.sponsor_id, func.count().label("n"))
        .where(own.sponsor_id.in_(select(recruit.c.id)))
        .group_by(own.sponsor_id)
        .cte("team_recruits")
    )
    columns = (
        func.coalesce(waiting.c.n, 0).label("team_waiting"),
        waiting.c.oldest.label("team_oldest_wait"),
        func.coalesce(unsponsored.c.n, 0).label("team_unsponsored"),
        func.coalesce(recruits.c.n, 0).label("team_recruits"),
    )
    joins = (
        (waiting, waiting.c.sponsor_id == recruit.c.id),
        (unsponsored, unsponsored.c.root_id == recruit.c.id),
        (recruits, recruits.c.sponsor_id == recruit.c.id),
    )
    return columns, joins


def _among(session: Session, column, ids: Select):  # type: ignore[no-untyped-def]
    """`column` is one of these ids, said so the planner probes an index per id.

    PostgreSQL (default costs) would rather hash the whole submissions table than
    look up a few thousand recruits one by one; `= ANY(ARRAY(subquery))` hides the
    row estimate and it takes the index. SQLite already walks the recruits first.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(func.array(ids.scalar_subquery()))
    return true()


def standings(
    session: Session,
    sponsor_ids: Sequence[int],
    now: datetime,
    recruit_id: int | None = None,
    *,
    team: bool = False,
) -> list[Standing]:
    return [standing_of(f, now) for f in recruit_facts(session, sponsor_ids, recruit_id, team=team)]


def stalled_only(items: Iterable[Standing]) -> list[Standing]:
    """Stalled recruits, longest idle first."""
    return sorted((s for s in items if s.stalled), key=lambda s: -(s.idle_days or 0))


def default_snooze_until(happened_at: datetime, threshold_days: int) -> datetime:
    """A check-in quiets the stalled flag for one threshold by default."""
    return happened_at + timedelta(days=threshold_days)


Sponsor = aliased(User, name="sponsor_user")


def sponsors_with_recruits(
    session: Session, after_id: int = 0, limit: int = 500, *conditions: ColumnElement[bool]
) -> list[User]:
    """Sponsors (anyone with at least one recruit; `conditions` on `Sponsor` narrow it),
    in id order, one batch at a time."""
    has_recruits = select(User.id).where(User.sponsor_id == Sponsor.id).exists()
    return list(
        session.scalars(
            select(Sponsor)
            .where(Sponsor.id > after_id, has_recruits, *conditions)
            .order_by(Sponsor.id)
            .limit(limit)
        )
    )


def sponsor_batches(
    session: Session, size: int, *conditions: ColumnElement[bool]
) -> Iterator[list[User]]:
    """Every sponsor, `size` at a time, so memory grows with the batch, not the whole run
    (the caller may commit and let go of a batch: the next starts after its last id)."""
    after_id = 0
    while batch := sponsors_with_recruits(session, after_id, size, *conditions):
        last_id = batch[-1].id
        yield batch
        after_id = last_id


def by_sponsor(
    session: Session, now: datetime, sponsors: Sequence[User], *, team: bool = False
) -> dict[int, list[Standing]]:
    """Every recruit's standing, per sponsor (one statement for all of them)."""
    result: dict[int, list[Standing]] = {s.id: [] for s in sponsors}
    for standing in standings(session, [s.id for s in sponsors], now, team=team):
        result[standing.facts.sponsor_id].append(standing)
    return result


def stalled_by_sponsor(
    session: Session, now: datetime, sponsors: Sequence[User]
) -> dict[int, list[Standing]]:
    """The stalled recruits of each of these sponsors, longest idle first (one statement)."""
    result: dict[int, list[Standing]] = {s.id: [] for s in sponsors}
    for standing in standings(session, [s.id for s in sponsors], now):
        if standing.stalled:
            result[standing.facts.sponsor_id].append(standing)
    return {sponsor_id: stalled_only(items) for sponsor_id, items in result.items()}
