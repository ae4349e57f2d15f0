"""Walks of the sponsorship tree (users.sponsor_id) that more than one rule needs."""

from __future__ import annotations

from sqlalchemy import CTE, Select, select
from sqlalchemy.orm import aliased

from app.models import User


def departed_below(roots: Select) -> CTE:
    """(root_id, id, name) of everyone who left (is archived) reachable from each root
    through people who left: `roots` selects the first of them as (root_id, id, name),
    each its own root. The active people whose sponsor is among them need a new sponsor
    (services.team lists them; standing counts them per root)."""
    departed = roots.cte("departed", recursive=True)
    above, below = departed.alias("above"), aliased(User, name="left_below")
    return departed.union(
        select(above.c.root_id, below.id, below.name)
        .join(below, below.sponsor_id == above.c.id)
        .where(below.archived_at.is_not(None))
    )
