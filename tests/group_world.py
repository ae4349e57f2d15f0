"""The people and the group the mastermind trust tests ask about.

A world: Hana hosts "Club <marker>", weekly, formed 15 days ago; Mo is a member; Fay
was a member and left after the first meeting; Nat is on Willing and never was one.
Mo's update for the second meeting (held) holds private text; the next meeting has no
update yet. Every world gets fresh users, so several live in one test database.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from app.extensions import db
from app.models import utcnow
from app.services import calendar_feed, groups, meetings
from tests.factories import UserFactory

ANONYMOUS = "anonymous"
HOST = "host"
MEMBER = "member"
FORMER = "former_member"
NON_MEMBER = "non_member"
USERS = (HOST, MEMBER, FORMER, NON_MEMBER)
ROLES = (ANONYMOUS, *USERS)
# Who must never read Mo's update of the second meeting.
OUTSIDERS = (ANONYMOUS, NON_MEMBER, FORMER)


@dataclass
class GroupWorld:
    user_ids: dict[str, int]
    emails: dict[str, str]
    group: int
    token: str
    held: int  # the second meeting's index (held; Fay had left)
    first: int  # the first meeting's index (Fay was a member)
    upcoming: int
    update: int  # Mo's update for the second meeting
    calendar: str  # Hana's calendar feed token
    private_texts: dict[str, str] = field(default_factory=dict)


def build_group_world() -> GroupWorld:
    marker = secrets.token_hex(4)
    start = utcnow() - timedelta(days=15)
    hana = UserFactory(name=f"Hana Host {marker}")
    mo, fay, nat, third = (UserFactory() for _ in range(4))
    settings = groups.GroupSettings(f"Club {marker}", "", "weekly", start.weekday(), 12 * 60, "")
    group = groups.create(db.session, hana, settings, now=start)
    for n, person in enumerate((mo, fay, third)):
        groups.join(db.session, person, group.invite_token, now=start + timedelta(minutes=n))
    first = meetings.occurrence(group, 0)
    groups.leave(db.session, fay, group.id, now=first.starts_at + timedelta(hours=1))
    second = meetings.occurrence(group, 1)
    secret = f"Private success {marker}"
    update = meetings.post_update(
        db.session,
        mo,
        group.id,
        meetings.Answers(secret, "", "", ""),
        now=second.starts_at - timedelta(hours=2),
    )
    coming = meetings.upcoming(group, utcnow())
    calendar = calendar_feed.new_token(db.session, hana)
    people = {HOST: hana, MEMBER: mo, FORMER: fay, NON_MEMBER: nat}
    return GroupWorld(
        user_ids={role: p.id for role, p in people.items()},
        emails={role: p.email for role, p in people.items()},
        group=group.id,
        token=group.invite_token,
        held=1,
        first=0,
        upcoming=coming.index,
        update=update.id,
        calendar=calendar,
        private_texts={secret: "Mo's update of the second meeting"},
    )
