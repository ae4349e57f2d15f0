"""Who is whose: looking up a sponsor's own recruits, and who counts as a sponsor."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Exists, exists
from sqlalchemy.orm import Session, aliased

from app.models import Track, User
from app.services.errors import NotFound

_RECRUIT = aliased(User)


def has_recruit(user_id: Any) -> Exists:
    """SQL: the person (an id, or a column to correlate with) has a recruit, archived
    ones included. With owns_track, what makes a sponsor (the menu, the landing, the
    onboarding checklist)."""
    return exists().where(_RECRUIT.sponsor_id == user_id)


def owns_track(user_id: Any) -> Exists:
    """SQL: the person has a track of their own, archived or not."""
    return exists().where(Track.owner_id == user_id)


def get_own_recruit(session: Session, sponsor: User, recruit_id: int) -> User:
    """One of the sponsor's first-level recruits; anyone else looks absent."""
    recruit = session.get(User, recruit_id)
    if recruit is None or recruit.sponsor_id != sponsor.id:
        raise NotFound("No such recruit.")
    return recruit


def starts_on_homework(user: User, is_sponsor: bool) -> bool:
    """A recruit with nobody of their own yet (no recruit, no track) lands on their next
    step; a sponsor lands on their team."""
    return user.sponsor_id is not None and not is_sponsor


def dial_string(phone: str) -> str:
    """A typed phone number as a tel:/sms: link wants it: the digits, and a leading +."""
    digits = "".join(c for c in phone if c.isdigit())
    return ("+" + digits) if phone.strip().startswith("+") else digits


def zone_named(name: str | None) -> ZoneInfo:
    """A stored zone name as a zone (UTC if it is empty or unknown to this machine)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_of(user: User) -> ZoneInfo:
    """The person's own time zone."""
    return zone_named(user.timezone)
