"""Who to ask as an accountability partner, in PRODUCT.md's order, each with why:
your sponsor and on up the line (a vested interest in your success), then crossline
(people who share an upline with you, outside your line), your own downline last (a
recruit may not call their sponsor out). Archived people are never suggested.

The line is walked with recursive common table expressions (one statement for the
upline, one for each subtree), so the cost follows the people shown, not the depth.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import literal, select
from sqlalchemy.orm import Session, aliased

from app.models import User

SUGGESTION_LIMIT = 10  # per kind: a page to choose from, not a directory
CROSSLINE_LEVELS = 3  # crossline from the nearest uplines only


class Relation(enum.StrEnum):
    UPLINE = "upline"
    CROSSLINE = "crossline"
    DOWNLINE = "downline"


@dataclass(frozen=True)
class Suggestion:
    person: User
    relation: Relation
    reason: str


def upline(session: Session, user: User, limit: int = 20) -> list[tuple[User, int]]:
    """The user's sponsor, their sponsor and on up, with how many levels up (1 = sponsor)."""
    line = (
        select(User.sponsor_id.label("id"), literal(1).label("levels"))
        .where(User.id == user.id, User.sponsor_id.is_not(None))
        .cte("line", recursive=True)
    )
    above = aliased(User)
    line = line.union_all(
        select(above.sponsor_id, line.c.levels + 1)
        .join(above, above.id == line.c.id)
        .where(above.sponsor_id.is_not(None), line.c.levels < limit)
    )
    rows = session.execute(
        select(User, line.c.levels).join(line, line.c.id == User.id).order_by(line.c.levels)
    ).all()
    return [(person, levels) for person, levels in rows]


def subtree(
    session: Session, root_id: int, *, skip: Collection[int] = (), limit: int = SUGGESTION_LIMIT
) -> list[tuple[User, int]]:
    """People below `root_id` (with their depth under it, 1 = its recruits), nearest
    first, not descending into the subtrees of `skip`, archived people left out."""
    below = (
        select(User.id.label("id"), literal(1).label("depth"))
        .where(User.sponsor_id == root_id, User.id.not_in(list(skip) or [0]))
        .cte("below", recursive=True)
    )
    child = aliased(User)
    below = below.union_all(
        select(child.id, below.c.depth + 1)
        .join(child, child.sponsor_id == below.c.id)
        .where(child.id.not_in(list(skip) or [0]), below.c.depth < 20)
    )
    rows = session.execute(
        select(User, below.c.depth)
        .join(below, below.c.id == User.id)
        .where(User.archived_at.is_(None))
        .order_by(below.c.depth, User.name, User.id)
        .limit(limit)
    ).all()
    return [(person, depth) for person, depth in rows]


def _levels_up(levels: int) -> str:
    return "your sponsor" if levels == 1 else f"{levels} levels up your line"


def suggestions(
    session: Session, user: User, exclude: Collection[int] = (), limit: int = SUGGESTION_LIMIT
) -> list[Suggestion]:
    """The people to suggest, in order; `exclude` (current partners, open requests) and
    the user themselves are left out."""
    taken = {user.id, *exclude}
    out: list[Suggestion] = []
    line = upline(session, user)
    for person, levels in line[:limit]:
        if person.id in taken or person.archived_at is not None:
            continue
        taken.add(person.id)
        out.append(
            Suggestion(
                person,
                Relation.UPLINE,
                f"{_levels_up(levels).capitalize()}: has a vested interest in your success.",
            )
        )
    # Crossline: under the nearest uplines, outside the user's own line (their own
    # subtree and the line above them).
    crossline: list[Suggestion] = []
    mine = [user.id, *(person.id for person, _ in line)]
    for ancestor, _levels in line[:CROSSLINE_LEVELS]:
        if len(crossline) >= limit:
            break
        for person, _depth in subtree(session, ancestor.id, skip=mine, limit=limit):
            if person.id in taken or len(crossline) >= limit:
                continue
            taken.add(person.id)
            crossline.append(
                Suggestion(
                    person,
                    Relation.CROSSLINE,
                    f"Crossline: on {ancestor.name}'s team beside you, outside your own line.",
                )
            )
    out += crossline
    for person, depth in subtree(session, user.id, limit=limit):
        if person.id in taken:
            continue
        taken.add(person.id)
        where = "your recruit" if depth == 1 else f"{depth} levels down your team"
        out.append(
            Suggestion(
                person,
                Relation.DOWNLINE,
                f"{where.capitalize()}: keep in mind a recruit may not call their sponsor out.",
            )
        )
    return out
