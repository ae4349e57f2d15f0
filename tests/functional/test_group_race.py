"""Two people joining at once for a group's last place: one gets it, the other is told
the group is full (the group's row is locked for the count on PostgreSQL; SQLite's
writers queue)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import GroupMember, utcnow
from app.services import groups
from tests.factories import UserFactory
from tests.functional.test_partner_race import as_user, race

ROUNDS = 10


def test_two_joins_for_the_last_place_one_wins(app) -> None:
    for _ in range(ROUNDS):
        host = UserFactory()
        settings = groups.GroupSettings("Club", "", "weekly", 3, 19 * 60, "")
        group = groups.create(db.session, host, settings, now=utcnow() - timedelta(days=1))
        for _member in range(8):
            groups.join(db.session, UserFactory(), group.invite_token)
        token = group.invite_token
        first, second = UserFactory(), UserFactory()
        outcomes = race(
            app,
            as_user(first.id, lambda u, t=token: groups.join(db.session, u, t)),
            as_user(second.id, lambda u, t=token: groups.join(db.session, u, t)),
        )
        assert sorted(outcomes) == sorted(
            ["ok", "Club is full: a mastermind holds at most 10 members."]
        ), outcomes
        current = db.session.scalar(
            select(func.count())
            .select_from(GroupMember)
            .where(GroupMember.group_id == group.id, GroupMember.left_at.is_(None))
        )
        assert current == 10
