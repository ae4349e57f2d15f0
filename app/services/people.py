"""Who is whose: looking up a sponsor's own recruits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import User
from app.services.errors import NotFound


def get_own_recruit(session: Session, sponsor: User, recruit_id: int) -> User:
    """One of the sponsor's first-level recruits; anyone else looks absent."""
    recruit = session.get(User, recruit_id)
    if recruit is None or recruit.sponsor_id != sponsor.id:
        raise NotFound("No such recruit.")
    return recruit
