"""The reminder 24 hours before a mastermind meeting, to each member who has not posted
their update yet, recorded in the outbox (the mail worker sends it).

`flask groups remind` runs this every 15 minutes, like `flask partners remind`. Each
message has the dedupe key `group-reminder:<group>:<meeting start>:<user>` and the insert
skips a key that exists (outbox.enqueue_once): one reminder per member and meeting,
however often it runs and from however many machines. A run costs a fixed number of
statements whatever the number of groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.mail import messages, outbox
from app.mail.compose import absolute_url
from app.mail.unsubscribe import EmailKind
from app.models import GroupMeeting, GroupMember, MastermindGroup, MeetingUpdate, User
from app.services.meeting_schedule import Meeting, reminder_at
from app.services.meetings import upcoming


@dataclass
class GroupReminderReport:
    groups: int = 0  # groups whose next meeting is within 24 hours
    reminders: int = 0  # newly recorded
    already: int = 0  # recorded by an earlier (or a parallel) run

    def line(self) -> str:
        return (
            f"groups meeting within 24 hours: {self.groups}, reminders: {self.reminders}, "
            f"already recorded: {self.already}"
        )


def reminder_key(group_id: int, starts_at: datetime, user_id: int) -> str:
    return f"group-reminder:{group_id}:{starts_at:%Y%m%dT%H%MZ}:{user_id}"


def due_meetings(session: Session, now: datetime) -> list[tuple[MastermindGroup, Meeting]]:
    """Groups whose next meeting starts within 24 hours of `now`."""
    found = []
    for group in session.scalars(
        select(MastermindGroup).where(
            MastermindGroup.archived_at.is_(None), MastermindGroup.formed_at.is_not(None)
        )
    ):
        coming = upcoming(group, now)
        if coming is not None and reminder_at(coming) <= now < coming.starts_at:
            found.append((group, coming))
    return found


def run_group_reminders(session: Session, now: datetime) -> GroupReminderReport:
    report = GroupReminderReport()
    due = due_meetings(session, now)
    report.groups = len(due)
    if not due:
        return report
    group_ids = [group.id for group, _ in due]
    members: dict[int, list[int]] = {}
    for member in session.scalars(
        select(GroupMember).where(
            GroupMember.group_id.in_(group_ids), GroupMember.left_at.is_(None)
        )
    ):
        members.setdefault(member.group_id, []).append(member.user_id)
    starts = {group.id: coming.starts_at for group, coming in due}
    posted: set[tuple[int, int]] = set()
    for group_id, starts_at, user_id in session.execute(
        select(GroupMeeting.group_id, GroupMeeting.starts_at, MeetingUpdate.user_id)
        .join(MeetingUpdate, MeetingUpdate.meeting_id == GroupMeeting.id)
        .where(GroupMeeting.group_id.in_(group_ids))
        .where(GroupMeeting.starts_at.in_(sorted(set(starts.values()))))
    ):
        if starts.get(group_id) == starts_at:
            posted.add((group_id, user_id))
    wanted = {
        (group.id, user_id)
        for group, _ in due
        for user_id in members.get(group.id, [])
        if (group.id, user_id) not in posted
    }
    people = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_(sorted({u for _, u in wanted}) or [0]))
        )
    }
    keys = {
        reminder_key(group_id, starts[group_id], user_id): (group_id, user_id)
        for group_id, user_id in wanted
        if (person := people.get(user_id)) is not None
        and person.archived_at is None
        and person.email_group_reminders
    }
    recorded = outbox.recorded_keys(session, sorted(keys))
    report.already = len(recorded)
    by_id = {group.id: (group, coming) for group, coming in due}
    rows = []
    for key, (group_id, user_id) in sorted(keys.items()):
        if key in recorded:
            continue
        group, coming = by_id[group_id]
        person = people[user_id]
        message = messages.partner_notice(
            "group_reminder",
            person,
            EmailKind.GROUP_REMINDER,
            group=group,
            meeting=coming,
            update_url=absolute_url("groups.update", group_id=group.id),
        )
        rows.append(
            outbox.columns(
                message,
                kind=EmailKind.MESSAGES[EmailKind.GROUP_REMINDER][0],
                recipient_id=person.id,
                dedupe_key=key,
            )
        )
    new = outbox.enqueue_once(session, rows)
    report.reminders = len(new)
    report.already += len(rows) - len(new)
    session.commit()
    return report
