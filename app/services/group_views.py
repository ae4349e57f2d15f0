"""What the group pages show, read in a fixed number of statements: a person's groups,
a group's page (next meeting, who has posted, members with their participation, past
meetings), the update form's context, and a meeting's page (the agenda)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, joinedload

from app.models import (
    GroupMeeting,
    GroupMember,
    MastermindGroup,
    MeetingAttendance,
    MeetingUpdate,
    UpdateComment,
    User,
)
from app.services import groups, meetings
from app.services.errors import InvalidTransition
from app.services.hot_seat import Attendance, Participation, participation
from app.services.meeting_schedule import Meeting, meeting, previous_meeting

PAST_MEETINGS_SHOWN = 10
REMINDER_HOURS = 24


@dataclass
class GroupPage:
    group: MastermindGroup
    me: User
    is_current: bool
    is_host: bool
    members: list[tuple[User, Participation | None]]
    forming: bool
    upcoming: Meeting | None
    my_update: MeetingUpdate | None
    not_posted: list[User]  # current members without an update for the next meeting
    reminder_due: bool  # within 24 hours of the next meeting
    past: list[Meeting] = field(default_factory=list)  # newest first, the ones I may read
    hot_seat: User | None = None


# Statements the group pages run on every request, built once: building them each time
# cost about a tenth of the meeting page.
_MEMBERS = (
    select(GroupMember)
    .options(joinedload(GroupMember.user))
    .where(GroupMember.group_id == bindparam("group_id"))
)
# The meeting page's: every membership, former ones too, with the group and each
# person's name (all it shows of them; a whole user row each cost a tenth of the page).
_MEMBERS_AND_GROUP = (
    select(GroupMember)
    .options(
        joinedload(GroupMember.user).load_only(User.id, User.name, User.timezone),
        joinedload(GroupMember.group, innerjoin=True),
    )
    .where(GroupMember.group_id == bindparam("group_id"))
)
_MEETING_ROWS = select(GroupMeeting).where(
    GroupMeeting.group_id == bindparam("group_id"),
    or_(
        GroupMeeting.starts_at.in_(bindparam("starts", expanding=True)),
        GroupMeeting.hot_seat_id.is_not(None),
    ),
)
_UPDATES = (
    select(
        MeetingUpdate.meeting_id,
        MeetingUpdate.id,
        MeetingUpdate.user_id,
        User.name,
        MeetingUpdate.successes,
        MeetingUpdate.challenges,
        MeetingUpdate.opportunities,
        MeetingUpdate.goals,
    )
    .join(User, User.id == MeetingUpdate.user_id)
    .where(MeetingUpdate.meeting_id.in_(bindparam("meeting_ids", expanding=True)))
    .order_by(MeetingUpdate.created_at, MeetingUpdate.id)
)
_COMMENTS = (
    select(
        UpdateComment.update_id,
        User.name,
        UpdateComment.body,
        UpdateComment.cheer,
        UpdateComment.created_at,
    )
    .join(User, User.id == UpdateComment.user_id)
    .where(UpdateComment.update_id.in_(bindparam("update_ids", expanding=True)))
    .order_by(UpdateComment.created_at, UpdateComment.id)
)
_ATTENDANCE = select(MeetingAttendance.user_id, MeetingAttendance.status).where(
    MeetingAttendance.meeting_id == bindparam("meeting_id")
)


def group_page(session: Session, user: User, group_id: int, now: datetime) -> GroupPage:
    found = groups.membership(session, user, group_id)
    group = found.group
    all_members = list(session.scalars(_MEMBERS, {"group_id": group.id}))
    current = sorted(
        (m for m in all_members if m.left_at is None), key=lambda m: (m.joined_at, m.id)
    )
    people = {m.user_id: m.user for m in all_members}
    plan = meetings.plan_of(group)
    upcoming = meetings.upcoming(group, now) if found.is_current else None
    held: list[Meeting] = []
    if plan is not None:
        last = previous_meeting(plan, now)
        if last is not None:
            first = max(0, last.index - PAST_MEETINGS_SHOWN + 1)
            held = [meeting(plan, i) for i in range(first, last.index + 1)]
    mine = [m for m in all_members if m.user_id == user.id]
    readable = [h for h in held if any(meetings.was_member_at(m, h.starts_at) for m in mine)]
    starts = [h.starts_at for h in held] + ([upcoming.starts_at] if upcoming else [])
    found_rows = list(session.scalars(_MEETING_ROWS, {"group_id": group.id, "starts": starts}))
    rows = {r.starts_at: r for r in found_rows if r.starts_at in starts}
    swapped = {r.starts_at: r.hot_seat_id for r in found_rows if r.hot_seat_id is not None}
    row_ids = [r.id for r in rows.values()]
    posted: dict[int, set[int]] = {}
    updates_by_me = None
    attendance: dict[int, dict[int, Attendance]] = {}
    if row_ids:
        for update in session.scalars(
            select(MeetingUpdate).where(MeetingUpdate.meeting_id.in_(row_ids))
        ):
            posted.setdefault(update.meeting_id, set()).add(update.user_id)
            if (
                upcoming
                and rows.get(upcoming.starts_at)
                and update.meeting_id == rows[upcoming.starts_at].id
                and update.user_id == user.id
            ):
                updates_by_me = update
        for mark in session.scalars(
            select(MeetingAttendance).where(MeetingAttendance.meeting_id.in_(row_ids))
        ):
            attendance.setdefault(mark.meeting_id, {})[mark.user_id] = Attendance(mark.status)
    held_ids = [rows[h.starts_at].id if h.starts_at in rows else -1 - h.index for h in held]
    scores = participation([m.user_id for m in current], held_ids, posted, attendance)
    coming_row = rows.get(upcoming.starts_at) if upcoming else None
    already = posted.get(coming_row.id, set()) if coming_row else set()
    seat = None
    if upcoming is not None:
        seat_id = meetings.hot_seats(
            session, group, upcoming.index, members=all_members, swapped=swapped
        ).get(upcoming.index)
        seat = people.get(seat_id) if seat_id else None
    return GroupPage(
        group=group,
        me=user,
        is_current=found.is_current,
        is_host=found.is_host,
        members=[(people[m.user_id], scores.get(m.user_id)) for m in current],
        forming=groups.is_forming(len(current)),
        upcoming=upcoming,
        my_update=updates_by_me,
        not_posted=[people[m.user_id] for m in current if m.user_id not in already],
        reminder_due=bool(upcoming and upcoming.starts_at - now <= timedelta(hours=REMINDER_HOURS)),
        past=list(reversed(readable)),
        hot_seat=seat,
    )


@dataclass
class UpdateContext:
    group: MastermindGroup
    upcoming: Meeting
    mine: MeetingUpdate | None
    last_goals: str  # what I set as goals last time


def update_context(session: Session, user: User, group_id: int, now: datetime) -> UpdateContext:
    found = groups.current_membership(session, user, group_id)
    upcoming = meetings.upcoming(found.group, now)
    if upcoming is None:
        raise InvalidTransition("Updates open once the group has its first meeting.")
    rows = session.execute(
        select(MeetingUpdate, GroupMeeting.starts_at)
        .join(GroupMeeting, GroupMeeting.id == MeetingUpdate.meeting_id)
        .where(GroupMeeting.group_id == group_id, MeetingUpdate.user_id == user.id)
        .order_by(GroupMeeting.starts_at.desc())
        .limit(2)
    ).all()
    mine = next((u for u, starts in rows if starts == upcoming.starts_at), None)
    earlier = next((u for u, starts in rows if starts < upcoming.starts_at), None)
    return UpdateContext(found.group, upcoming, mine, earlier.goals if earlier else "")


@dataclass(slots=True)
class AgendaComment:
    author_name: str
    body: str
    cheer: bool
    created_at: datetime


@dataclass(slots=True)
class AgendaItem:
    """One member's update on the agenda, with the comments and cheers under it."""

    id: int
    user_id: int
    author_name: str
    successes: str
    challenges: str
    opportunities: str
    goals: str
    comments: list[AgendaComment] = field(default_factory=list)

    @property
    def cheered_by(self) -> list[str]:
        return [c.author_name for c in self.comments if c.cheer]

    @property
    def remarks(self) -> list[AgendaComment]:
        return [c for c in self.comments if not c.cheer]


@dataclass
class MeetingPage:
    group: MastermindGroup
    meeting: Meeting
    row: GroupMeeting | None
    is_host: bool
    is_current: bool
    started: bool
    members: list[User]  # members at the meeting's start
    updates: list[AgendaItem]
    not_posted: list[User]
    hot_seat: User | None
    attendance: dict[int, str]
    last_goals: dict[int, str]  # member id → the goals they set the meeting before


def meeting_page(
    session: Session, user: User, group_id: int, index: int, now: datetime
) -> MeetingPage:
    """The agenda in at most five statements after the login's: every membership with
    the members' names and the group (whether the user may read it comes from them),
    the meeting rows (this one, the one before, and every hot-seat swap), the updates
    of both meetings with their comments, and attendance (once the meeting started)."""
    all_members = list(session.scalars(_MEMBERS_AND_GROUP, {"group_id": group_id}))
    found, held = meetings.readable_among(all_members, user, index)
    group = found.group
    people = {m.user_id: m.user for m in all_members}
    at_the_time = [m for m in all_members if meetings.was_member_at(m, held.starts_at)]
    if held.starts_at > now:  # a meeting to come: today's members
        at_the_time = [m for m in all_members if m.left_at is None]
    previous = meeting(meetings.plan_of(group), index - 1) if index > 0 else None  # type: ignore[arg-type]
    starts = [held.starts_at] + ([previous.starts_at] if previous else [])
    found_rows = list(session.scalars(_MEETING_ROWS, {"group_id": group.id, "starts": starts}))
    rows = {r.starts_at: r for r in found_rows if r.starts_at in starts}
    swapped = {r.starts_at: r.hot_seat_id for r in found_rows if r.hot_seat_id is not None}
    row = rows.get(held.starts_at)
    previous_row = rows.get(previous.starts_at) if previous else None
    # Plain rows, not ORM objects: a busy agenda is mostly text, and building an object
    # per update and comment cost more than the statements.
    updates: list[AgendaItem] = []
    last_goals: dict[int, str] = {}
    attendance: dict[int, str] = {}
    row_ids = [r.id for r in (row, previous_row) if r is not None]
    if row_ids:
        for meeting_id, *answers in session.execute(_UPDATES, {"meeting_ids": row_ids}):
            if row is not None and meeting_id == row.id:
                updates.append(AgendaItem(*answers))
            else:
                last_goals[answers[1]] = answers[-1]
    if updates:
        by_id = {u.id: u for u in updates}
        for update_id, *comment in session.execute(_COMMENTS, {"update_ids": list(by_id)}):
            by_id[update_id].comments.append(AgendaComment(*comment))
    if row is not None and held.starts_at <= now:  # recorded once it started, not before
        attendance = dict(session.execute(_ATTENDANCE, {"meeting_id": row.id}).all())
    seat_id = meetings.hot_seats(session, group, index, members=all_members, swapped=swapped).get(
        index
    )
    posted = {u.user_id for u in updates}
    ordered = sorted(at_the_time, key=lambda m: (m.joined_at, m.id))
    return MeetingPage(
        group=group,
        meeting=held,
        row=row,
        is_host=found.is_host,
        is_current=found.is_current,
        started=held.starts_at <= now,
        members=[people[m.user_id] for m in ordered],
        updates=updates,
        not_posted=[people[m.user_id] for m in ordered if m.user_id not in posted],
        hot_seat=people.get(seat_id) if seat_id else None,
        attendance=attendance,
        last_goals=last_goals,
    )


def my_groups(session: Session, user: User) -> list[tuple[MastermindGroup, GroupMember]]:
    return groups.groups_of(session, user)


@dataclass(frozen=True)
class NextMeeting:
    group: MastermindGroup
    meeting: Meeting
    update_in: bool


def next_meeting_of(session: Session, user: User, now: datetime) -> NextMeeting | None:
    """The soonest meeting of the person's groups, and whether their update is in (for
    the home page): one statement, asked only of someone in a group (the menu knows)."""
    rows = session.execute(
        select(MastermindGroup, GroupMeeting.starts_at, MeetingUpdate.id)
        .join(GroupMember, GroupMember.group_id == MastermindGroup.id)
        .outerjoin(
            GroupMeeting,
            (GroupMeeting.group_id == MastermindGroup.id) & (GroupMeeting.starts_at > now),
        )
        .outerjoin(
            MeetingUpdate,
            (MeetingUpdate.meeting_id == GroupMeeting.id) & (MeetingUpdate.user_id == user.id),
        )
        .where(
            GroupMember.user_id == user.id,
            GroupMember.left_at.is_(None),
            MastermindGroup.archived_at.is_(None),
            MastermindGroup.formed_at.is_not(None),
        )
    ).all()
    posted: set[tuple[int, datetime]] = set()
    found: dict[int, MastermindGroup] = {}
    for group, starts_at, update_id in rows:
        found[group.id] = group
        if update_id is not None:
            posted.add((group.id, starts_at))
    coming = [(g, m) for g in found.values() if (m := meetings.upcoming(g, now)) is not None]
    if not coming:
        return None
    group, soonest = min(coming, key=lambda pair: pair[1].starts_at)
    return NextMeeting(group, soonest, (group.id, soonest.starts_at) in posted)
