"""Mastermind groups: creating one, joining by its link, leaving, removing, handing over
hosting, archiving, a new link (PRODUCT.md, "Mastermind groups"). Views call these; each
change is one transaction, committed here.

Only members see a group: anyone else gets NotFound. A former member keeps reading the
meetings held while they were in (services.meetings decides which); nothing is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from app.models import (
    MAX_MEMBERS,
    MIN_MEMBERS,
    GroupCadence,
    GroupMember,
    MastermindGroup,
    User,
    utcnow,
)
from app.models.mastermind import new_group_token
from app.services.errors import InvalidTransition, NotFound
from app.services.meeting_schedule import first_meeting_day
from app.services.people import zone_named, zone_of


def zone_of_group(group: MastermindGroup) -> ZoneInfo:
    """The zone the group's meeting time is in (the host's, when it was set)."""
    return zone_named(group.timezone)


@dataclass(frozen=True)
class GroupSettings:
    name: str
    purpose: str
    cadence: str
    weekday: int  # Monday 0
    minute: int  # minutes after midnight, in the host's zone
    location: str

    def check(self) -> None:
        if not self.name.strip():
            raise InvalidTransition("Give the group a name.", "name")
        if self.cadence not in set(GroupCadence):
            raise InvalidTransition("Choose how often the group meets.", "cadence")
        if not 0 <= self.weekday <= 6:
            raise InvalidTransition("Choose the weekday it meets.", "weekday")
        if not 0 <= self.minute < 24 * 60:
            raise InvalidTransition("Choose the time it meets.", "time")


@dataclass(frozen=True)
class Membership:
    group: MastermindGroup
    member: GroupMember  # the person's latest membership of the group
    is_current: bool
    is_host: bool


def first_meeting_on(settings: GroupSettings, today: date) -> date:
    """The first date on the group's weekday after today (a new group meets next week
    at the earliest on the same weekday: a first meeting needs time for the updates)."""
    days = (settings.weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=days)


def current_members(session: Session, group_id: int) -> list[GroupMember]:
    """The group's members now, the host among them, in the order they joined."""
    return list(
        session.scalars(
            select(GroupMember)
            .where(GroupMember.group_id == group_id, GroupMember.left_at.is_(None))
            .order_by(GroupMember.joined_at, GroupMember.id)
        )
    )


def member_count(session: Session, group_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(GroupMember)
        .where(GroupMember.group_id == group_id, GroupMember.left_at.is_(None))
    )


def is_forming(count: int) -> bool:
    """Under MIN_MEMBERS a group holds no meetings."""
    return count < MIN_MEMBERS


# Every group page starts here: built once (building it cost as much as running it).
_MEMBERSHIP = (
    select(GroupMember)
    .options(joinedload(GroupMember.group))  # one statement: the page's first
    .where(
        GroupMember.group_id == bindparam("group_id"),
        GroupMember.user_id == bindparam("user_id"),
    )
    .order_by(GroupMember.left_at.is_(None).desc(), GroupMember.joined_at.desc())
    .limit(1)
)


def membership(session: Session, user: User, group_id: int) -> Membership:
    """The user's membership of the group (current, or their last former one); anyone
    who was never a member gets NotFound, as if the group did not exist."""
    member = session.scalar(_MEMBERSHIP, {"group_id": group_id, "user_id": user.id})
    if member is None:
        raise NotFound("No such group.")
    return _membership_of(member, user)


def membership_among(members: list[GroupMember], user: User) -> Membership:
    """membership(), from every membership of one group already loaded (each with its
    group): the meeting page loads them anyway, and saves a statement."""
    mine = [m for m in members if m.user_id == user.id]
    if not mine:
        raise NotFound("No such group.")
    member = max(mine, key=lambda m: (m.left_at is None, m.joined_at))  # as _MEMBERSHIP orders
    return _membership_of(member, user)


def _membership_of(member: GroupMember, user: User) -> Membership:
    group = member.group
    current = member.left_at is None
    return Membership(group, member, current, current and group.host_id == user.id)


def current_membership(session: Session, user: User, group_id: int) -> Membership:
    """For changes: a current member of a group that isn't archived."""
    found = membership(session, user, group_id)
    if not found.is_current:
        raise InvalidTransition("You are no longer a member of this group.")
    if found.group.archived_at is not None:
        raise InvalidTransition("This group is archived: it can be read, not changed.")
    return found


def hosted(session: Session, user: User, group_id: int) -> MastermindGroup:
    found = current_membership(session, user, group_id)
    if not found.is_host:
        raise InvalidTransition("Only the host can do that.")
    return found.group


def create(
    session: Session, host: User, settings: GroupSettings, now: datetime | None = None
) -> MastermindGroup:
    now = now or utcnow()
    settings.check()
    today = now.astimezone(zone_of(host)).date()
    group = MastermindGroup(
        host_id=host.id,
        name=settings.name.strip(),
        purpose=settings.purpose.strip(),
        cadence=settings.cadence,
        weekday=settings.weekday,
        minute=settings.minute,
        timezone=host.timezone or "UTC",
        location=settings.location.strip(),
        first_meeting_on=first_meeting_on(settings, today),
        created_at=now,
    )
    session.add(group)
    session.flush()
    session.add(GroupMember(group_id=group.id, user_id=host.id, joined_at=now))
    session.commit()
    return group


def group_by_token(session: Session, token: str) -> MastermindGroup:
    group = session.scalar(select(MastermindGroup).where(MastermindGroup.invite_token == token))
    if group is None or group.archived_at is not None:
        raise NotFound("This invite link was replaced or the group is archived.")
    return group


def join(session: Session, user: User, token: str, now: datetime | None = None) -> MastermindGroup:
    """Join through the group's link; the eleventh is refused, also when two people
    take the last place at the same moment (the group's row is locked for the count)."""
    now = now or utcnow()
    group = group_by_token(session, token)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(MastermindGroup.id).where(MastermindGroup.id == group.id).with_for_update()
        )
    already = session.scalar(
        select(GroupMember.id).where(
            GroupMember.group_id == group.id,
            GroupMember.user_id == user.id,
            GroupMember.left_at.is_(None),
        )
    )
    if already is not None:
        session.rollback()
        return group
    removed = session.scalar(
        select(GroupMember.id).where(
            GroupMember.group_id == group.id,
            GroupMember.user_id == user.id,
            GroupMember.left_how == "removed",
        )
    )
    if removed is not None:
        session.rollback()
        raise InvalidTransition(
            f"The host removed you from {group.name}: ask them if you'd like to come back."
        )
    if member_count(session, group.id) >= MAX_MEMBERS:
        session.rollback()
        raise InvalidTransition(
            f"{group.name} is full: a mastermind holds at most {MAX_MEMBERS} members."
        )
    session.add(GroupMember(group_id=group.id, user_id=user.id, joined_at=now))
    try:
        session.flush()
        count = member_count(session, group.id)
        if count > MAX_MEMBERS:
            raise OverflowError
        if count >= MIN_MEMBERS and group.formed_at is None:
            # Formed: the first meeting is the next on its weekday and time after now.
            group.formed_at = now
            group.first_meeting_on = first_meeting_day(
                group.weekday,
                time(group.minute // 60, group.minute % 60),
                zone_of_group(group),
                after=now,
            )
    except IntegrityError:
        session.rollback()  # the same person's second tab
        return group
    except OverflowError:
        session.rollback()
        raise InvalidTransition(
            f"{group.name} is full: a mastermind holds at most {MAX_MEMBERS} members."
        ) from None
    session.commit()
    return group


def _end_membership(session: Session, member: GroupMember, how: str, now: datetime) -> None:
    ended = session.execute(
        update(GroupMember)
        .where(GroupMember.id == member.id, GroupMember.left_at.is_(None))
        .values(left_at=now, left_how=how)
        .execution_options(synchronize_session=False)
    ).rowcount
    if ended != 1:
        session.rollback()
        raise InvalidTransition("That membership has already ended.")
    session.expire(member)


def leave(session: Session, user: User, group_id: int, now: datetime | None = None) -> None:
    now = now or utcnow()
    found = current_membership(session, user, group_id)
    if found.is_host and member_count(session, group_id) > 1:
        raise InvalidTransition("Hand over hosting to another member before you leave.")
    _end_membership(session, found.member, "left", now)
    if found.is_host:  # the last member: the group is done
        found.group.archived_at = now
    session.commit()


def remove(
    session: Session, host: User, group_id: int, user_id: int, now: datetime | None = None
) -> None:
    now = now or utcnow()
    hosted(session, host, group_id)
    if user_id == host.id:
        raise InvalidTransition("You host this group: hand over hosting, then leave.", "member")
    member = session.scalar(
        select(GroupMember).where(
            GroupMember.group_id == group_id,
            GroupMember.user_id == user_id,
            GroupMember.left_at.is_(None),
        )
    )
    if member is None:
        raise InvalidTransition("That person isn't a member of this group.", "member")
    _end_membership(session, member, "removed", now)
    session.commit()


def hand_over(session: Session, host: User, group_id: int, user_id: int) -> MastermindGroup:
    group = hosted(session, host, group_id)
    is_member = session.scalar(
        select(GroupMember.id).where(
            GroupMember.group_id == group_id,
            GroupMember.user_id == user_id,
            GroupMember.left_at.is_(None),
        )
    )
    if is_member is None or user_id == host.id:
        raise InvalidTransition("Choose another current member to host.", "member")
    moved = session.execute(
        update(MastermindGroup)
        .where(MastermindGroup.id == group_id, MastermindGroup.host_id == host.id)
        .values(host_id=user_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        session.rollback()
        raise InvalidTransition("Hosting was handed over a moment ago.")
    session.commit()
    session.refresh(group)
    return group


def archive(session: Session, host: User, group_id: int, now: datetime | None = None) -> None:
    group = hosted(session, host, group_id)
    group.archived_at = now or utcnow()
    session.commit()


def new_link(session: Session, host: User, group_id: int) -> MastermindGroup:
    """A new invite link; the old one stops working."""
    group = hosted(session, host, group_id)
    group.invite_token = new_group_token()
    session.commit()
    return group


def groups_of(session: Session, user: User) -> list[tuple[MastermindGroup, GroupMember]]:
    """The groups the person is or was in, current ones first, then by name."""
    rows = session.execute(
        select(MastermindGroup, GroupMember)
        .join(GroupMember, GroupMember.group_id == MastermindGroup.id)
        .where(GroupMember.user_id == user.id)
        .order_by(GroupMember.left_at.is_(None).desc(), MastermindGroup.name, GroupMember.id)
    ).all()
    seen: dict[int, tuple[MastermindGroup, GroupMember]] = {}
    for group, member in rows:
        seen.setdefault(group.id, (group, member))
    return list(seen.values())
