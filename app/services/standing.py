"""Whose move it is, who has stalled, who is willing: derived for a given `now`.

PRODUCT.md ("Whose move is it", "Stalled, willing, check-ins"). Nothing here is
stored: `recruit_facts` reads one aggregate row per recruit (a fixed number of
statements, whatever the number of recruits or submissions), and `standing_of`
applies the rules to those facts and `now`. Every page, the CSV, the `stalled`
command and the weekly digest use these two functions.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import Session, aliased

from app.models import Assignment, CheckIn, Submission, SubmissionStatus, User
from app.models.sql import days_between, greatest
from app.services.progress import unlock_time


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
) -> list[RecruitFacts]:
    """One row of facts per recruit of these sponsors, in a single statement."""
    if not sponsor_ids:
        return []
    recruit = aliased(User, name="recruit")
    sponsor = aliased(User, name="sponsor")
    step = aliased(Assignment, name="step")
    approved = (
        select(Submission.id)
        .where(
            Submission.recruit_id == recruit.id,
            Submission.assignment_id == step.id,
            Submission.status == SubmissionStatus.APPROVED,
        )
        .correlate(recruit, step)
    )
    on_track = and_(step.track_id == recruit.track_id, step.position.is_not(None))
    current_position = select(func.min(step.position)).where(on_track, ~approved.exists())
    total_steps = select(func.count(step.id)).where(on_track)
    done_steps = select(func.count(step.id)).where(on_track, approved.exists())
    last_check_in = (
        select(CheckIn.id)
        .where(CheckIn.recruit_id == recruit.id)
        .order_by(CheckIn.happened_at.desc(), CheckIn.id.desc())
        .limit(1)
    )
    conditions = [recruit.sponsor_id.in_(sponsor_ids)]
    if recruit_id is not None:
        conditions.append(recruit.id == recruit_id)
    base = (
        select(
            recruit.id.label("recruit_id"),
            recruit.name,
            recruit.email,
            recruit.sponsor_id,
            recruit.created_at.label("joined_at"),
            recruit.archived_at,
            recruit.track_id,
            recruit.enrolled_at,
            sponsor.stall_threshold_days.label("sponsor_threshold"),
            total_steps.scalar_subquery().label("total_steps"),
            done_steps.scalar_subquery().label("done_steps"),
            current_position.scalar_subquery().label("current_position"),
            last_check_in.scalar_subquery().label("last_check_in_id"),
            _late_steps(recruit, sponsor).label("late_steps"),
        )
        .join(sponsor, sponsor.id == recruit.sponsor_id)
        .where(*conditions)
        .cte("base")
    )
    current = aliased(Assignment, name="current_step")
    waiting = aliased(Submission, name="waiting")
    check_in = aliased(CheckIn, name="last_check_in")
    changes = aliased(Submission, name="changes")
    last_changes = (
        select(func.max(changes.decided_at))
        .where(
            changes.recruit_id == base.c.recruit_id,
            changes.assignment_id == current.id,
            changes.status == SubmissionStatus.CHANGES_REQUESTED,
        )
        .scalar_subquery()
    )
    earlier = aliased(Assignment, name="earlier_step")
    earlier_ok = aliased(Submission, name="earlier_ok")
    previous_approved_at = (
        select(func.max(earlier_ok.decided_at))
        .join(earlier, earlier.id == earlier_ok.assignment_id)
        .where(
            earlier.track_id == base.c.track_id,
            earlier.position < base.c.current_position,
            earlier_ok.recruit_id == base.c.recruit_id,
            earlier_ok.status == SubmissionStatus.APPROVED,
        )
        .scalar_subquery()
    )
    statement = (
        select(
            base,
            current.id.label("current_assignment_id"),
            current.title.label("current_title"),
            current.activated_at.label("current_activated_at"),
            func.coalesce(current.stall_threshold_days, base.c.sponsor_threshold).label(
                "threshold_days"
            ),
            previous_approved_at.label("previous_approved_at"),
            waiting.id.label("waiting_submission_id"),
            waiting.submitted_at.label("waiting_since"),
            last_changes.label("last_changes_requested_at"),
            check_in.happened_at.label("last_check_in_at"),
            check_in.outcome.label("last_check_in_outcome"),
            check_in.snooze_until,
        )
        .outerjoin(
            current,
            and_(current.track_id == base.c.track_id, current.position == base.c.current_position),
        )
        .outerjoin(
            waiting,
            and_(
                waiting.assignment_id == current.id,
                waiting.recruit_id == base.c.recruit_id,
                waiting.status == SubmissionStatus.SUBMITTED,
            ),
        )
        .outerjoin(check_in, check_in.id == base.c.last_check_in_id)
        .order_by(base.c.recruit_id)
    )
    return [_facts_from_row(row) for row in session.execute(statement).mappings()]


def _late_steps(recruit, sponsor):  # type: ignore[no-untyped-def]
    """How many of the recruit's steps were first handed in after their threshold."""
    step = aliased(Assignment, name="late_step")
    before = aliased(Assignment, name="late_before")
    handed = aliased(Submission, name="late_handed")
    before_ok = aliased(Submission, name="late_before_ok")
    first_hand_in = (
        select(func.min(handed.submitted_at))
        .where(handed.recruit_id == recruit.id, handed.assignment_id == step.id)
        .correlate(recruit, step)
        .scalar_subquery()
    )
    before_approved_at = (
        select(func.max(before_ok.decided_at))
        .join(before, before.id == before_ok.assignment_id)
        .where(
            before.track_id == step.track_id,
            before.position < step.position,
            before_ok.recruit_id == recruit.id,
            before_ok.status == SubmissionStatus.APPROVED,
        )
        .correlate(recruit, step)
        .scalar_subquery()
    )
    unlocked = greatest(
        recruit.enrolled_at,
        step.activated_at,
        func.coalesce(before_approved_at, recruit.enrolled_at),
    )
    threshold = func.coalesce(step.stall_threshold_days, sponsor.stall_threshold_days)
    return (
        select(func.count(step.id))
        .where(
            step.track_id == recruit.track_id,
            step.position.is_not(None),
            first_hand_in.is_not(None),
            days_between(first_hand_in, unlocked) > threshold + literal(0.0),
        )
        .scalar_subquery()
    )


_FIELDS = tuple(RecruitFacts.__dataclass_fields__)


def _facts_from_row(row) -> RecruitFacts:  # type: ignore[no-untyped-def]
    return RecruitFacts(**{name: row[name] for name in _FIELDS})


def standings(
    session: Session, sponsor_ids: Sequence[int], now: datetime, recruit_id: int | None = None
) -> list[Standing]:
    return [standing_of(f, now) for f in recruit_facts(session, sponsor_ids, recruit_id)]


def stalled_only(items: Iterable[Standing]) -> list[Standing]:
    """Stalled recruits, longest idle first."""
    return sorted((s for s in items if s.stalled), key=lambda s: -(s.idle_days or 0))


def default_snooze_until(happened_at: datetime, threshold_days: int) -> datetime:
    """A check-in quiets the stalled flag for one threshold by default."""
    return happened_at + timedelta(days=threshold_days)


Sponsor = aliased(User, name="sponsor_user")


def sponsors_with_recruits(session: Session, after_id: int = 0, limit: int = 500) -> list[User]:
    """Sponsors (anyone with at least one recruit), in id order, one batch at a time."""
    has_recruits = select(User.id).where(User.sponsor_id == Sponsor.id).exists()
    return list(
        session.scalars(
            select(Sponsor)
            .where(Sponsor.id > after_id, has_recruits)
            .order_by(Sponsor.id)
            .limit(limit)
        )
    )


def stalled_by_sponsor(
    session: Session, now: datetime, sponsors: Sequence[User]
) -> dict[int, list[Standing]]:
    """The stalled recruits of each of these sponsors, longest idle first (one statement)."""
    result: dict[int, list[Standing]] = {s.id: [] for s in sponsors}
    for standing in standings(session, [s.id for s in sponsors], now):
        if standing.stalled:
            result[standing.facts.sponsor_id].append(standing)
    return {sponsor_id: stalled_only(items) for sponsor_id, items in result.items()}
