"""The emails of mastermind groups, recorded in the outbox within the change that causes
them: the summary after the host records a meeting's notes (here), and the reminder 24
hours before a meeting to members without an update (meeting_reminders)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.mail import messages, outbox
from app.mail.compose import absolute_url
from app.mail.unsubscribe import EmailKind
from app.models import GroupMeeting, GroupMember, MastermindGroup, MeetingUpdate, User
from app.services.meeting_schedule import Meeting


def summary(session: Session, group: MastermindGroup, held: Meeting, row: GroupMeeting) -> None:
    """To every member of the meeting who wants it: the answers, the hot seat, the notes."""
    from app.services.meetings import hot_seats, was_member_at

    members = [
        m
        for m in session.scalars(select(GroupMember).where(GroupMember.group_id == group.id))
        if was_member_at(m, held.starts_at)
    ]
    people = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_([m.user_id for m in members] or [0]))
        )
    }
    updates = list(session.scalars(select(MeetingUpdate).where(MeetingUpdate.meeting_id == row.id)))
    seat = hot_seats(session, group, held.index).get(held.index)
    url = absolute_url("groups.meeting", group_id=group.id, index=held.index)
    for member in members:
        person = people.get(member.user_id)
        if person is None or person.archived_at is not None or not person.email_group_summaries:
            continue
        message = messages.partner_notice(
            "group_summary",
            person,
            EmailKind.GROUP_SUMMARY,
            group=group,
            meeting=held,
            notes=row.notes,
            updates=[(people.get(u.user_id), u) for u in updates],
            hot_seat=people.get(seat) if seat else None,
            meeting_url=url,
        )
        outbox.enqueue(
            session,
            message,
            kind=EmailKind.MESSAGES[EmailKind.GROUP_SUMMARY][0],
            recipient=person,
            dedupe_key=f"group-summary:{row.id}:{person.id}",
        )
