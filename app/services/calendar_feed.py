"""A person's private calendar feed (iCalendar, RFC 5545): their mastermind groups'
meetings (in each group's own time zone, with its VTIMEZONE) and their accountability
partner check-in days (all-day events), for subscribing from any calendar app.

The feed is read through a secret URL (users.calendar_token) that Settings makes,
renews and turns off; the calendar app has no session. The `icalendar` package writes
the file, time zones included, so no hand-written RFC 5545 lives here.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.mail.compose import absolute_url
from app.models import GroupMember, MastermindGroup, Partnership, User, utcnow
from app.services import meetings, partners
from app.services.errors import NotFound
from app.services.meeting_schedule import meetings_between

PAST = timedelta(days=31)  # what the feed shows behind today
AHEAD = timedelta(days=92)  # and ahead of it


def new_token(session: Session, user: User) -> str:
    """A new secret feed URL; the old one stops working."""
    user.calendar_token = secrets.token_urlsafe(24)
    session.commit()
    return user.calendar_token


def turn_off(session: Session, user: User) -> None:
    user.calendar_token = None
    session.commit()


def owner_of(session: Session, token: str) -> User:
    user = session.scalar(select(User).where(User.calendar_token == token))
    if user is None or not token:
        raise NotFound("No such calendar.")
    return user


def feed(session: Session, user: User, now: datetime | None = None) -> bytes:
    now = now or utcnow()
    start, end = now - PAST, now + AHEAD
    calendar = Calendar()
    calendar.add("prodid", "-//Willing//Mastermind and partner calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Willing")
    stamp = now.replace(microsecond=0)
    for group in session.scalars(
        select(MastermindGroup)
        .join(GroupMember, GroupMember.group_id == MastermindGroup.id)
        .where(
            GroupMember.user_id == user.id,
            GroupMember.left_at.is_(None),
            MastermindGroup.archived_at.is_(None),
        )
        .order_by(MastermindGroup.id)
    ):
        plan = meetings.plan_of(group)
        if plan is None:
            continue
        for held in meetings_between(plan, start, end):
            event = Event()
            event.add("uid", f"group-{group.id}-meeting-{held.index}@willing")
            event.add("dtstamp", stamp)
            event.add("dtstart", held.local_start)  # with TZID: the group's zone
            event.add("dtend", held.local_start + timedelta(hours=1))
            event.add("summary", f"{group.name} (mastermind)")
            if group.location:
                event.add("location", group.location)
            event.add("url", absolute_url("groups.meeting", group_id=group.id, index=held.index))
            calendar.add_component(event)
    for partnership in session.scalars(
        select(Partnership).where(partners.involving(user.id), Partnership.status == "active")
    ):
        today = partners.today_of(user, now)
        if not partners.is_running(partnership, today):
            continue
        other = partnership.other(user.id)
        segs = partners.segments(partnership, partners.accepted_agreements(session, partnership.id))
        for seg in segs:
            schedule = partners.schedule_of(seg.agreement)
            day = max(seg.term.first_day, (start.date()))
            while day < min(seg.term.end, end.date()):
                if schedule.falls_on(day, seg.term.first_day):
                    event = Event()
                    event.add(
                        "uid", f"partner-{partnership.id}-{user.id}-{day.isoformat()}@willing"
                    )
                    event.add("dtstamp", stamp)
                    event.add("dtstart", day)  # an all-day event, in whatever zone one is
                    event.add("dtend", day + timedelta(days=1))
                    event.add("summary", f"Check in with {other.name if other else 'your partner'}")
                    event.add("url", absolute_url("partners.show", partnership_id=partnership.id))
                    calendar.add_component(event)
                day += timedelta(days=1)
    calendar.add_missing_timezones()
    return calendar.to_ical()
