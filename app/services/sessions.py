"""Server-side sessions: a login is a row, so logging out really ends it.

The cookie carries "user id:random key"; the database keeps the key's hash, when the
session began, when it was last used and when it must end. A copied cookie stops
working at logout, after 12 idle hours (configurable), at the absolute lifetime, and
when the password changes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased, joinedload

from app.models import WAITING, Submission, Track, User, UserSession, utcnow

# Writing last_seen_at on every request would make every page a write.
TOUCH_EVERY = timedelta(minutes=5)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(
    session: Session,
    user: User,
    *,
    remember: bool,
    lifetime: timedelta,
    now: datetime | None = None,
) -> str:
    """Open a session for this login and return its key (also set on the user)."""
    now = now or utcnow()
    key = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            key_hash=_hash(key),
            user_id=user.id,
            remember=remember,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    session.commit()
    user.session_key = key
    return key


_RECRUIT = aliased(User)

# Every request of a logged-in user runs this: built once, as building it cost a
# third of running it. What every page shows comes along (in the same round trip):
# the user's sponsor, whether they sponsor anyone (a recruit or a track of their own:
# the menu's sponsor tools) and how many hand-ins wait for their review (the menu's
# count, off the queue's partial index).
_SESSION_AND_USER = (
    select(
        UserSession,
        User,
        or_(
            exists().where(_RECRUIT.sponsor_id == User.id),
            exists().where(Track.owner_id == User.id),
        ).label("is_sponsor"),
        select(func.count())
        .where(Submission.sponsor_id == User.id, WAITING)
        .scalar_subquery()
        .label("waiting"),
    )
    .join(User, User.id == UserSession.user_id)
    .where(
        UserSession.key_hash == bindparam("key_hash"), UserSession.user_id == bindparam("user_id")
    )
    .options(joinedload(User.sponsor))
)


def resume(
    session: Session, session_id: str, *, idle: timedelta, now: datetime | None = None
) -> User | None:
    """The user of a live session, or None if it ended, idled out or expired."""
    user_id, _, key = session_id.partition(":")
    if not user_id.isdigit() or not key:
        return None
    now = now or utcnow()
    row = session.execute(
        _SESSION_AND_USER, {"key_hash": _hash(key), "user_id": int(user_id)}
    ).first()
    if row is None:
        return None
    login, user, user.is_sponsor, user.waiting_count = row
    if login.ended_at is not None or now >= login.expires_at:
        return None
    if not login.remember and now - login.last_seen_at >= idle:
        return None
    if now - login.last_seen_at >= TOUCH_EVERY:
        login.last_seen_at = now
        session.commit()
    user.session_key = key
    return user


def end(session: Session, user: User, now: datetime | None = None) -> None:
    """Log out this session only."""
    if user.session_key:
        session.execute(
            update(UserSession)
            .where(UserSession.key_hash == _hash(user.session_key), UserSession.ended_at.is_(None))
            .values(ended_at=now or utcnow())
        )
        session.commit()


def end_all(
    session: Session, user: User, *, keep_current: bool = False, now: datetime | None = None
) -> int:
    """Log out every session of the user (or every other one), as part of the caller's
    transaction (a password change and the logout it causes commit together)."""
    statement = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)
    )
    if keep_current and user.session_key:
        statement = statement.where(UserSession.key_hash != _hash(user.session_key))
    result = session.execute(statement.values(ended_at=now or utcnow()))
    return result.rowcount
