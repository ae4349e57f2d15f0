"""A mastermind group's meetings: derived from its plan (services.meeting_schedule),
with what members attach to them — the four-question updates, comments and cheers, the
host's swap of the hot seat, attendance and notes. Each change is one transaction.

A meeting is named by its index (0 for the group's first); its row (GroupMeeting) is
made the first time something is attached. Former members read the meetings held while
they were members, and nothing after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import (
    AttendanceStatus,
    GroupMeeting,
    GroupMember,
    MastermindGroup,
    MeetingAttendance,
    MeetingUpdate,
    UpdateComment,
    User,
    utcnow,
)
from app.models.mastermind import MAX_ANSWER_CHARS
from app.services import groups
from app.services.errors import InvalidTransition, NotFound
from app.services.groups import zone_of_group
from app.services.hot_seat import Member, next_in_rotation
from app.services.meeting_schedule import (
    Cadence,
    Meeting,
    MeetingPlan,
    meeting,
    next_meeting,
    previous_meeting,
    update_window,
)

QUESTIONS = (
    ("successes", "What successes did you have?"),
    ("challenges", "What challenges or obstacles did you face?"),
    ("opportunities", "What opportunities did you come across?"),
    ("goals", "What is your next set of goals?"),
)


def plan_of(group: MastermindGroup) -> MeetingPlan | None:
    """The group's meeting plan, or None while it is forming (no meetings yet)."""
    if group.formed_at is None or group.first_meeting_on is None:
        return None
    return MeetingPlan(
        cadence=Cadence(group.cadence),
        weekday=group.weekday,
        at=time(group.minute // 60, group.minute % 60),
        zone=zone_of_group(group),
        first_day=group.first_meeting_on,
        started_at=group.formed_at,
    )


@dataclass(frozen=True)
class Answers:
    successes: str
    challenges: str
    opportunities: str
    goals: str

    def check(self) -> None:
        for name, _question in QUESTIONS:
            value = getattr(self, name)
            if len(value) > MAX_ANSWER_CHARS:
                raise InvalidTransition(f"Keep it under {MAX_ANSWER_CHARS} characters.", name)
        if not any(getattr(self, name).strip() for name, _q in QUESTIONS):
            raise InvalidTransition("Answer at least one of the questions.", "successes")


def _meeting_row(session: Session, group: MastermindGroup, occurrence: Meeting) -> GroupMeeting:
    """The meeting's row, made on first use (two first uses at once: one row), as part
    of the caller's transaction: INSERT ... ON CONFLICT DO NOTHING, then read it. (A
    SAVEPOINT would not do on SQLite: with no write before it, pysqlite has begun no
    transaction, so releasing the savepoint committed the row, and a request refused
    after it left a meeting row behind.)"""
    dialect_insert = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    session.execute(
        dialect_insert(GroupMeeting.__table__)
        .values(group_id=group.id, starts_at=occurrence.starts_at)
        .on_conflict_do_nothing(index_elements=["group_id", "starts_at"])
    )
    return session.scalars(
        select(GroupMeeting).where(
            GroupMeeting.group_id == group.id, GroupMeeting.starts_at == occurrence.starts_at
        )
    ).one()


def occurrence(group: MastermindGroup, index: int) -> Meeting:
    plan = plan_of(group)
    if plan is None or index < 0:
        raise NotFound("No such meeting.")
    return meeting(plan, index)


def upcoming(group: MastermindGroup, now: datetime) -> Meeting | None:
    """The next meeting (None while the group is forming or archived)."""
    plan = plan_of(group)
    if plan is None or group.archived_at is not None:
        return None
    return next_meeting(plan, now)


def latest_held(group: MastermindGroup, now: datetime) -> Meeting | None:
    plan = plan_of(group)
    return previous_meeting(plan, now) if plan is not None else None


def was_member_at(member: GroupMember, moment: datetime) -> bool:
    """Whether this membership covered the moment (a former member reads the meetings
    held while they were in)."""
    return member.joined_at <= moment and (member.left_at is None or moment < member.left_at)


def readable(session: Session, user: User, group_id: int, index: int) -> tuple:
    """(membership, the meeting) if the user may read it: current members read every
    meeting; former members those that started while they were in."""
    found = groups.membership(session, user, group_id)
    held = occurrence(found.group, index)
    if not found.is_current:
        memberships = session.scalars(
            select(GroupMember).where(
                GroupMember.group_id == group_id, GroupMember.user_id == user.id
            )
        ).all()
        _refuse_unless_member_at(memberships, held)
    return found, held


def readable_among(members: list[GroupMember], user: User, index: int) -> tuple:
    """readable(), from every membership of the group already loaded with its group."""
    found = groups.membership_among(members, user)
    held = occurrence(found.group, index)
    if not found.is_current:
        _refuse_unless_member_at([m for m in members if m.user_id == user.id], held)
    return found, held


def _refuse_unless_member_at(memberships: list[GroupMember], held: Meeting) -> None:
    if not any(was_member_at(m, held.starts_at) for m in memberships):
        raise NotFound("No such meeting.")


def post_update(
    session: Session,
    user: User,
    group_id: int,
    answers: Answers,
    *,
    editing: int | None = None,
    now: datetime | None = None,
) -> MeetingUpdate:
    """The member's update for the next meeting: posted once, edited until it starts.
    `editing` is the id of the update the form was editing (a second post from a stale
    tab is refused rather than written over the first)."""
    now = now or utcnow()
    found = groups.current_membership(session, user, group_id)
    coming = upcoming(found.group, now)
    if coming is None:
        raise InvalidTransition("Updates open once the group has its first meeting.", "successes")
    if now not in update_window(plan_of(found.group), coming):  # type: ignore[arg-type]
        raise InvalidTransition("That meeting has started: updates are closed.", "successes")
    answers.check()
    row = _meeting_row(session, found.group, coming)
    mine = session.scalar(
        select(MeetingUpdate).where(
            MeetingUpdate.meeting_id == row.id, MeetingUpdate.user_id == user.id
        )
    )
    if mine is not None and mine.id != editing:
        session.rollback()
        raise InvalidTransition(
            "You already posted your update for this meeting: edit it instead.", "successes"
        )
    if mine is None and editing is not None:
        session.rollback()
        raise InvalidTransition(
            "That update is for a meeting that has started: this is a new one.", "successes"
        )
    if mine is None:
        mine = MeetingUpdate(meeting_id=row.id, user_id=user.id, created_at=now)
        session.add(mine)
    for name, _question in QUESTIONS:
        setattr(mine, name, getattr(answers, name).strip())
    mine.updated_at = now
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise InvalidTransition(
            "You already posted your update for this meeting: edit it instead.", "successes"
        ) from None
    session.commit()
    return mine


def update_of_my_group(session: Session, user: User, update_id: int) -> tuple[int, int]:
    """(group id, meeting index) of an update the user may read; anyone else's: NotFound."""
    target = session.get(MeetingUpdate, update_id)
    row = session.get(GroupMeeting, target.meeting_id) if target is not None else None
    if row is None:
        raise NotFound("No such update.")
    group = session.get(MastermindGroup, row.group_id)
    plan = plan_of(group)  # type: ignore[arg-type]
    if plan is None:
        raise NotFound("No such update.")
    index = index_of(plan, row.starts_at)
    readable(session, user, row.group_id, index)
    return row.group_id, index


def index_of(plan: MeetingPlan, starts_at: datetime) -> int:
    """The index of the meeting that starts at `starts_at`."""
    coming = next_meeting(plan, starts_at - timedelta(seconds=1))
    return coming.index


def comment(
    session: Session,
    user: User,
    update_id: int,
    *,
    body: str = "",
    cheer: bool = False,
    now: datetime | None = None,
) -> UpdateComment:
    """A comment or a cheer under an update of one of the user's own groups."""
    now = now or utcnow()
    target = session.get(MeetingUpdate, update_id)
    if target is None:
        raise NotFound("No such update.")
    row = session.get(GroupMeeting, target.meeting_id)
    groups.current_membership(session, user, row.group_id)  # type: ignore[union-attr]
    if not cheer and not body.strip():
        raise InvalidTransition("Write your comment first.", "body")
    if len(body) > MAX_ANSWER_CHARS:
        raise InvalidTransition(f"Keep it under {MAX_ANSWER_CHARS} characters.", "body")
    note = UpdateComment(
        update_id=target.id, user_id=user.id, body=body.strip(), cheer=cheer, created_at=now
    )
    session.add(note)
    session.commit()
    return note


def joining_order(members: list[GroupMember]) -> dict[int, int]:
    """Member id → their place in the order of joining (0 joined first)."""
    return {m.user_id: n for n, m in enumerate(sorted(members, key=lambda m: (m.joined_at, m.id)))}


def hot_seats(
    session: Session,
    group: MastermindGroup,
    up_to: int,
    *,
    members: list[GroupMember] | None = None,
    swapped: dict[datetime, int] | None = None,
) -> dict[int, int | None]:
    """Who had (or has) the hot seat at each meeting 0..up_to: the host's swaps as
    recorded, the rotation for the rest (over who was a member at each meeting). A page
    that has the members and the swaps passes them (no statement here then)."""
    plan = plan_of(group)
    if plan is None:
        return {}
    if members is None:
        members = list(session.scalars(select(GroupMember).where(GroupMember.group_id == group.id)))
    if swapped is None:
        swapped = swaps_of(session, group.id)
    last_turn: dict[int, int] = {}  # member → their latest turn so far (hot_seat's history)
    out: dict[int, int | None] = {}
    order = joining_order(members)
    spans = [(m.user_id, order[m.user_id], m.joined_at, m.left_at) for m in members]
    for index in range(up_to + 1):
        held = meeting(plan, index)
        at = held.starts_at
        roster = [
            Member(uid, n, joined <= at and (left is None or at < left))
            for uid, n, joined, left in spans
        ]
        choice = swapped.get(held.starts_at)
        if choice is not None and not any(m.id == choice and m.active for m in roster):
            choice = None  # the swapped-in member left before the meeting
        seat = choice if choice is not None else next_in_rotation(roster, last_turn)
        out[index] = seat
        if seat is not None:
            last_turn[seat] = index
    return out


def swaps_of(session: Session, group_id: int) -> dict[datetime, int]:
    """The host's swaps of the hot seat: meeting start → the member put on it."""
    return dict(
        session.execute(
            select(GroupMeeting.starts_at, GroupMeeting.hot_seat_id).where(
                GroupMeeting.group_id == group_id, GroupMeeting.hot_seat_id.is_not(None)
            )
        ).all()
    )


def swap_hot_seat(
    session: Session,
    host: User,
    group_id: int,
    index: int,
    member_id: int,
    now: datetime | None = None,
) -> None:
    """The host puts another member on a meeting's hot seat (before it starts)."""
    now = now or utcnow()
    group = groups.hosted(session, host, group_id)
    held = occurrence(group, index)
    if held.starts_at <= now:
        raise InvalidTransition("That meeting has started: its hot seat stays.", "member")
    if member_id not in {m.user_id for m in groups.current_members(session, group_id)}:
        raise InvalidTransition("Choose a current member.", "member")
    row = _meeting_row(session, group, held)
    row.hot_seat_id = member_id
    session.commit()


def record_meeting(
    session: Session,
    host: User,
    group_id: int,
    index: int,
    *,
    attendance: dict[int, str],
    notes: str,
    now: datetime | None = None,
) -> GroupMeeting:
    """After the meeting: who was present, absent or excused, and the host's notes. The
    first time notes are recorded every member gets the summary (meeting_notices)."""
    now = now or utcnow()
    group = groups.hosted(session, host, group_id)
    held = occurrence(group, index)
    if held.starts_at > now:
        raise InvalidTransition("Record the meeting once it has started.", "notes")
    members = {
        m.user_id
        for m in session.scalars(select(GroupMember).where(GroupMember.group_id == group_id))
        if was_member_at(m, held.starts_at)
    }
    for user_id, status in attendance.items():
        if user_id not in members:
            raise InvalidTransition("Attendance is for the meeting's members.", "notes")
        if status not in set(AttendanceStatus):
            raise InvalidTransition("Present, absent or excused.", "notes")
    row = _meeting_row(session, group, held)
    existing = {
        a.user_id: a
        for a in session.scalars(
            select(MeetingAttendance).where(MeetingAttendance.meeting_id == row.id)
        )
    }
    for user_id, status in attendance.items():
        if user_id in existing:
            existing[user_id].status = status
        else:
            session.add(MeetingAttendance(meeting_id=row.id, user_id=user_id, status=status))
    first_notes = row.notes_recorded_at is None and bool(notes.strip())
    row.notes = notes.strip()
    if notes.strip():
        row.notes_recorded_at = row.notes_recorded_at or now
    session.flush()
    if first_notes:
        from app.services import meeting_notices

        meeting_notices.summary(session, group, held, row)
    session.commit()
    return row
