"""The team below the first level: coaching the sponsors who keep their recruits waiting,
and the people stranded when someone with recruits leaves (PRODUCT.md, "The whole team").

Below the first level a sponsor sees names and counts only, never homework. Someone who
leaves (is archived) keeps their place in the tree; the people below them who are still
active "need a new sponsor" until the nearest active sponsor above adopts them. Walking
down through everyone who left is one recursive statement (`tree.departed_below`, which
the team page's counts use too), so a chain of
departures (Kim left, and Lee under her had left before) strands nobody.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CTE, func, select, update
from sqlalchemy.orm import Session, aliased

from app.models import WAITING, AuditAction, Submission, User, utcnow
from app.services import audit
from app.services.errors import InvalidTransition, NotFound
from app.services.standing import Standing
from app.services.tree import departed_below

# A hand-in waiting longer than this blocks a recruit: the sponsor's own sponsor hears.
ESCALATION_DAYS = 7


def needs_coaching(first_level: list[Standing], now: datetime) -> list[Standing]:
    """The sponsor's recruits who leave a hand-in of their own recruits waiting more than
    ESCALATION_DAYS, the longest wait first (from `standings(..., team=True)`)."""
    cutoff = now - timedelta(days=ESCALATION_DAYS)
    late = [
        s
        for s in first_level
        if s.facts.team_oldest_wait is not None and s.facts.team_oldest_wait < cutoff
    ]
    return sorted(late, key=lambda s: s.facts.team_oldest_wait)  # type: ignore[arg-type, return-value]


def departed_with_team(first_level: list[Standing]) -> list[Standing]:
    """The sponsor's recruits who left with people below them still needing a sponsor."""
    return sorted(
        (s for s in first_level if s.facts.archived_at is not None and s.facts.team_unsponsored),
        key=lambda s: s.name.casefold(),
    )


def waited_days(since: datetime | None, now: datetime) -> int:
    return max(0, (now - since).days) if since else 0


def _departed(upline_id: int) -> CTE:
    """Everyone who left below `upline_id` with no active sponsor in between: the
    upline's archived recruits (each its own root), their archived recruits, and so on."""
    first = aliased(User, name="left_first")
    return departed_below(
        select(first.id.label("root_id"), first.id.label("id"), first.name.label("name")).where(
            first.sponsor_id == upline_id, first.archived_at.is_not(None)
        )
    )


@dataclass(frozen=True)
class Stranded:
    """Someone who needs a new sponsor, as the upline sees them: a name and counts."""

    id: int
    name: str
    former_id: int  # the sponsor who left
    former_name: str
    root_id: int  # the upline's own recruit who left (the same as former_id, or above)
    joined_at: datetime
    waiting: int  # their hand-ins waiting, which will wait for the adopter


@dataclass(frozen=True)
class StrandedPage:
    rows: list[Stranded]
    total: int
    page: int
    pages: int


def _stranded_statement(upline_id: int):  # type: ignore[no-untyped-def]
    departed = _departed(upline_id)
    waiting = (
        select(func.count())
        .where(WAITING, Submission.recruit_id == User.id, Submission.sponsor_id == User.sponsor_id)
        .correlate(User)
        .scalar_subquery()
    )
    return departed, (
        select(
            User.id,
            User.name,
            User.sponsor_id,
            departed.c.name,
            departed.c.root_id,
            User.created_at,
            waiting,
        )
        .join(departed, departed.c.id == User.sponsor_id)
        .where(User.archived_at.is_(None))
    )


def stranded(
    session: Session,
    upline: User,
    *,
    root_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> StrandedPage:
    """Who needs a new sponsor below `upline` (optionally only below their recruit
    `root_id`), by who left and then by name, a page at a time: two statements."""
    departed, statement = _stranded_statement(upline.id)
    if root_id is not None:
        statement = statement.where(departed.c.root_id == root_id)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        statement.order_by(departed.c.name, departed.c.id, User.name, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return StrandedPage([Stranded(*row) for row in rows], total, page, pages)


def _adoptable(session: Session, adopter: User, recruit_ids: list[int]) -> list[Stranded]:
    departed, statement = _stranded_statement(adopter.id)
    return [Stranded(*row) for row in session.execute(statement.where(User.id.in_(recruit_ids)))]


def adopt(session: Session, adopter: User, recruit_id: int, now: datetime | None = None) -> User:
    """The adopter becomes the recruit's sponsor and reviewer, in one transaction: the
    recruit keeps their track, approvals and waiting hand-ins (the database carries the
    hand-ins' reviewer along with the sponsor: fk_submissions_recruit_sponsor), and the
    audit log says who adopted them from whom. Of two adoptions at once, one wins; the
    other is refused with a message."""
    found = _adoptable(session, adopter, [recruit_id])
    if not found:
        recruit = session.get(User, recruit_id)
        if recruit is not None and recruit.sponsor_id == adopter.id:
            raise InvalidTransition(f"{recruit.name} is already on your team.")
        raise NotFound("No such person needs a new sponsor.")
    if not _move(session, adopter, found, now or utcnow()):
        session.rollback()
        raise InvalidTransition(f"{found[0].name} was adopted a moment ago: nothing to do.")
    session.commit()
    return session.get_one(User, recruit_id)


def adopt_all(session: Session, adopter: User, root_id: int, now: datetime | None = None) -> int:
    """Adopt everyone who needs a new sponsor below the adopter's recruit `root_id` (who
    left), in one transaction; how many. Someone adopted meanwhile is left out."""
    departed, statement = _stranded_statement(adopter.id)
    found = [
        Stranded(*row) for row in session.execute(statement.where(departed.c.root_id == root_id))
    ]
    if not found:
        departed = session.get(User, root_id)
        if departed is not None and departed.sponsor_id == adopter.id and departed.archived_at:
            return 0  # everyone was adopted already (another tab)
        raise NotFound("Nobody below them needs a new sponsor.")
    moved = _move(session, adopter, found, now or utcnow())
    session.commit()
    return moved


_Former = aliased(User, name="former_sponsor")


def _move(session: Session, adopter: User, people: list[Stranded], now: datetime) -> int:
    """Each person goes under the adopter if their sponsor is still the one who left,
    and still gone (a conditional update: a second adoption at the same moment, or a
    restore of the one who left, leaves nothing to move)."""
    moved: list[Stranded] = []
    by_former: dict[int, list[Stranded]] = {}
    for person in people:
        by_former.setdefault(person.former_id, []).append(person)
    for former_id, group in by_former.items():
        ids = set(
            session.scalars(
                update(User)
                .where(
                    User.id.in_([p.id for p in group]),
                    User.sponsor_id == former_id,
                    User.archived_at.is_(None),
                    # and they still left: restored meanwhile, their recruits stay theirs
                    User.sponsor_id.in_(
                        select(_Former.id).where(
                            _Former.id == former_id, _Former.archived_at.is_not(None)
                        )
                    ),
                )
                .values(sponsor_id=adopter.id)
                .returning(User.id)
                .execution_options(synchronize_session=False)
            )
        )
        moved.extend(p for p in group if p.id in ids)
    if moved:
        session.execute(
            audit.ENTRY,
            [
                audit.values(
                    adopter,
                    AuditAction.ADOPTED,
                    p.id,
                    f"from {p.former_name}, who left the business",
                    now,
                )
                for p in moved
            ],
        )
        session.expire_all()
    return len(moved)
