"""Who is who: a distributor's recruits and their progress at a glance."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.models import Assignment, Submission, SubmissionStatus, Track, User
from app.services.errors import NotFound


@dataclass(frozen=True)
class RecruitRow:
    recruit: User
    track_name: str | None
    done_count: int
    total: int


def recruit_rows(
    session: Session, sponsor: User, page: int = 1, per_page: int = 50
) -> list[RecruitRow]:
    """The sponsor's recruits with steps done of total, in one aggregate query."""
    total_steps = (
        select(func.count(Assignment.id))
        .where(Assignment.track_id == User.track_id, Assignment.position.is_not(None))
        .correlate(User)
        .scalar_subquery()
    )
    done_steps = (
        select(func.count(Submission.id))
        .join(Assignment, Submission.assignment_id == Assignment.id)
        .where(
            Submission.recruit_id == User.id,
            Submission.status == SubmissionStatus.APPROVED,
            and_(Assignment.track_id == User.track_id, Assignment.position.is_not(None)),
        )
        .correlate(User)
        .scalar_subquery()
    )
    rows = session.execute(
        select(User, Track.name, done_steps, total_steps)
        .outerjoin(Track, Track.id == User.track_id)
        .where(User.sponsor_id == sponsor.id)
        .order_by(User.created_at, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return [RecruitRow(user, track_name, done, total) for user, track_name, done, total in rows]


def count_recruits(session: Session, sponsor: User) -> int:
    return session.scalar(select(func.count(User.id)).where(User.sponsor_id == sponsor.id)) or 0


def get_own_recruit(session: Session, sponsor: User, recruit_id: int) -> User:
    """One of the sponsor's first-level recruits; anyone else looks absent."""
    recruit = session.get(User, recruit_id)
    if recruit is None or recruit.sponsor_id != sponsor.id:
        raise NotFound("No such recruit.")
    return recruit
