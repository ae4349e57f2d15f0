"""Server-side sessions: a login is a row, so logging out really ends it.

The cookie carries "user id:random key"; the database keeps the key's hash, when the
session began, when it was last used and when it must end. A copied cookie stops
working at logout, after 12 idle hours (configurable), at the absolute lifetime, and
when the password changes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.orm import Session, joinedload

from app.models import WAITING, GroupMember, Submission, User, UserSession, utcnow
from app.services.people import has_recruit, owns_track

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


@dataclass(frozen=True)
class Menu:
    """What the menu needs to know of a person: whether they sponsor anyone (a recruit
    or a track of their own: the sponsor tools) and how many hand-ins wait for them.
    The same index probes answer the team page's onboarding checklist, so it comes
    along rather than costing that page a statement of its own."""

    has_track: bool
    has_recruit: bool
    has_reviewed: bool
    waiting: int
    in_group: bool = False  # a current member of a mastermind group (the home page's card)

    @property
    def is_sponsor(self) -> bool:
        return self.has_recruit or self.has_track


def _menu_columns():  # type: ignore[no-untyped-def]
    return (
        owns_track(User.id).label("has_track"),
        has_recruit(User.id).label("has_recruit"),
        exists().where(Submission.decided_by_id == User.id).label("has_reviewed"),
        select(func.count())
        .where(Submission.sponsor_id == User.id, WAITING)  # the queue's partial index
        .scalar_subquery()
        .label("waiting"),
        exists()
        .where(GroupMember.user_id == User.id, GroupMember.left_at.is_(None))
        .label("in_group"),
    )


# Every request of a logged-in user runs one of these: built once, as building it cost
# a third of running it. The user's sponsor comes along (a join, not a second round
# trip). A GET, which shows a page and its menu, brings the menu's facts too; a POST,
# which mostly redirects, does not pay for them (the count runs over a sponsor's whole
# backlog): a POST that shows a page asks menu_of() for them.
_SESSION_AND_USER = (
    select(UserSession, User)
    .join(User, User.id == UserSession.user_id)
    .where(
        UserSession.key_hash == bindparam("key_hash"), UserSession.user_id == bindparam("user_id")
    )
    .options(joinedload(User.sponsor))
)
_SESSION_USER_AND_MENU = _SESSION_AND_USER.add_columns(*_menu_columns())
_MENU = select(*_menu_columns()).where(User.id == bindparam("user_id"))


def menu_of(session: Session, user: User) -> Menu:
    """The person's menu facts: those that came with the login, else one statement."""
    if user.menu is None:
        user.menu = Menu(*session.execute(_MENU, {"user_id": user.id}).one())
    return user.menu


def resume(
    session: Session,
    session_id: str,
    *,
    idle: timedelta,
    now: datetime | None = None,
    with_menu: bool = False,
) -> User | None:
    """The user of a live session, or None if it ended, idled out or expired; with the
    menu's facts if asked (see _SESSION_USER_AND_MENU)."""
    user_id, _, key = session_id.partition(":")
    if not user_id.isdigit() or not key:
        return None
    now = now or utcnow()
    row = session.execute(
        _SESSION_USER_AND_MENU if with_menu else _SESSION_AND_USER,
        {"key_hash": _hash(key), "user_id": int(user_id)},
    ).first()
    if row is None:
        return None
    login, user = row[:2]
    user.menu = Menu(*row[2:]) if with_menu else None
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
