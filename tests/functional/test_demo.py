"""`flask seed-demo`: the demo team, with accountability partnerships in every state and
a mastermind group with its history, seeded once (`--if-empty` leaves a database with
data alone)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    MastermindGroup,
    OutboxMessage,
    PartnerCheckIn,
    PartnerRenewal,
    PartnerReply,
    Partnership,
    PartnershipStatus,
    User,
    utcnow,
)
from app.services import group_views, groups, meetings, partners
from app.services.partner_schedule import DayState, consistency
from app.services.partner_summaries import summaries
from app.services.people import zone_of


def seeded(runner) -> dict[str, User]:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}


def days_of(partnership: Partnership, user: User, now):  # type: ignore[no-untyped-def]
    """How the partnership page derives `user`'s days: every version, all check-ins."""
    segs = partners.segments(partnership, partners.accepted_agreements(db.session, partnership.id))
    posted = dict(
        db.session.execute(
            select(PartnerCheckIn.day, PartnerCheckIn.created_at).where(
                PartnerCheckIn.partnership_id == partnership.id,
                PartnerCheckIn.author_id == user.id,
            )
        ).all()
    )
    return partners.partner_days(segs, user, posted, now)


def between(one: User, other: User) -> Partnership:
    return db.session.scalar(
        select(Partnership).where(
            partners.involving(one.id),
            partners.involving(other.id),
            Partnership.asked_id.isnot(None),
        )
    )


def test_seed_demo_runs_once_and_if_empty_leaves_data_alone(runner):
    seeded(runner)
    users = db.session.scalar(select(func.count(User.id)))
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "demo not seeded" in again.output
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0
    assert db.session.scalar(select(func.count(User.id))) == users


def test_the_demo_has_partnerships_in_every_state(runner):
    people = seeded(runner)
    now = utcnow()
    statuses = set(db.session.scalars(select(Partnership.status)))
    assert statuses == {PartnershipStatus.PROPOSED, PartnershipStatus.ACTIVE, "ended"}

    waiting = between(people["started"], people["sponsor"])
    assert waiting.status == PartnershipStatus.PROPOSED  # Sam's request waits for Dana

    on_time = between(people["willing"], people["finished"])
    will = days_of(on_time, people["willing"], now)
    assert partners.is_running(on_time, partners.today_of(people["willing"], now))
    assert {d.state for d in will} <= {DayState.ON_TIME, DayState.DUE, DayState.UPCOMING}
    assert consistency(will).out_of >= 10

    missing = between(people["stalled"], people["waiting"])
    stella = consistency(days_of(missing, people["stalled"], now))
    assert DayState.MISSED in {d.state for d in days_of(missing, people["stalled"], now)}
    assert 0 < stella.on_time < stella.out_of

    renewing = between(people["changes"], people["slow"])
    assert partners.renewal_open(renewing, partners.today_of(people["changes"], now))
    [answer] = db.session.scalars(
        select(PartnerRenewal).where(PartnerRenewal.partnership_id == renewing.id)
    )
    assert answer.user_id == people["changes"].id and answer.renew

    ended = between(people["paused"], people["silent"])
    assert ended.status == PartnershipStatus.ENDED and "Moving house" in ended.end_note
    assert db.session.scalar(select(func.count()).where(PartnerCheckIn.partnership_id == ended.id))
    # The history is in the past: no email about it waits to be sent.
    assert not db.session.scalar(select(func.count(OutboxMessage.id)))


def test_the_demo_sponsors_upline_partnership_is_consistent(runner, client, auth):
    people = seeded(runner)
    dana, uma = people["sponsor"], people["upline"]
    now = utcnow()
    assert dana.sponsor_id == uma.id
    upline = between(dana, uma)
    assert partners.is_running(upline, now.astimezone(zone_of(dana)).date())
    for partner in (dana, uma):
        days = days_of(upline, partner, now)
        posted = db.session.scalars(
            select(PartnerCheckIn).where(
                PartnerCheckIn.partnership_id == upline.id, PartnerCheckIn.author_id == partner.id
            )
        ).all()
        made = [d for d in days if d.state in (DayState.ON_TIME, DayState.LATE)]
        assert len(made) == len(posted) > 5  # every check-in is for one of the days
        assert all(c.day in {d.day for d in days} for c in posted)
    states = {d.state for d in days_of(upline, dana, now)}
    assert {DayState.ON_TIME, DayState.LATE, DayState.MISSED} <= states
    replies = db.session.scalars(
        select(PartnerReply.author_id)
        .join(PartnerCheckIn, PartnerCheckIn.id == PartnerReply.check_in_id)
        .where(PartnerCheckIn.partnership_id == upline.id)
    ).all()
    assert set(replies) == {dana.id, uma.id}
    # Uma's dashboard shows Dana's consistency as Dana's partnership page does.
    figure = consistency(days_of(upline, dana, now))
    summary = summaries(db.session, [dana.id], now)[dana.id]
    assert (summary.has_partner, summary.on_time, summary.out_of) == (
        True,
        figure.on_time,
        figure.out_of,
    )
    auth.login(dana.email, "willing-demo-password")
    assert client.get(f"/partners/{upline.id}").status_code == 200
    assert client.get("/partners").status_code == 200
    auth.logout()
    auth.login(people["waiting"].email, "willing-demo-password")
    assert client.get(f"/partners/{upline.id}").status_code == 404


def test_the_demo_has_a_mastermind_group_with_history_and_a_coming_meeting(runner, client, auth):
    people = seeded(runner)
    now = utcnow()
    dana, oscar = people["sponsor"], people["slow"]
    group = db.session.scalar(select(MastermindGroup))
    assert group.host_id == dana.id and group.formed_at < now - timedelta(days=14)
    members = groups.current_members(db.session, group.id)
    assert len(members) == 6
    assert {m.user_id for m in members} == {
        people[k].id for k in ("sponsor", "upline", "finished", "waiting", "slow", "stalled")
    }
    held = meetings.latest_held(group, now)
    coming = meetings.upcoming(group, now)
    assert (held.index, coming.index) == (1, 2)
    for index in (0, 1):
        page = group_views.meeting_page(db.session, dana, group.id, index, now)
        assert page.started and len(page.updates) == 6 and not page.not_posted
        assert any(c.cheer for u in page.updates for c in u.comments)
        assert any(c.body for u in page.updates for c in u.comments)
        assert set(page.attendance) == {m.user_id for m in members}
        assert page.row.notes and page.hot_seat is not None
    second = group_views.meeting_page(db.session, dana, group.id, 1, now)
    assert second.hot_seat == people["waiting"]  # the host swapped Walter in
    agenda = group_views.meeting_page(db.session, dana, group.id, coming.index, now)
    assert not agenda.started and len(agenda.updates) == 5
    assert agenda.not_posted == [oscar]
    # Last time's goals show beside this time's answers.
    assert set(agenda.last_goals) == {m.user_id for m in members}
    # The summaries of the held meetings were dropped with the rest of the history.
    assert not db.session.scalar(select(func.count(OutboxMessage.id)))

    auth.login(dana.email, "willing-demo-password")
    assert client.get(f"/groups/{group.id}").status_code == 200
    response = client.get(f"/groups/{group.id}/meetings/{coming.index}")
    assert response.status_code == 200 and "Oscar Occasional" in response.text
    assert client.get(f"/groups/{group.id}/meetings/0").status_code == 200
    auth.logout()
    auth.login(oscar.email, "willing-demo-password")
    assert client.get(f"/groups/{group.id}/update").status_code == 200
    auth.logout()
    auth.login(people["willing"].email, "willing-demo-password")
    assert client.get(f"/groups/{group.id}").status_code == 404
    assert client.get(f"/groups/{group.id}/meetings/{coming.index}").status_code == 404


def test_the_demo_team_has_levels_below_dana_a_sponsor_to_coach_and_people_to_adopt(
    runner, client, auth
):
    people = seeded(runner)
    assert people["third"].sponsor_id == people["grow"].id  # three levels below Dana
    assert people["grow"].sponsor_id == people["finished"].id
    auth.login(people["sponsor"].email, "willing-demo-password")
    page = " ".join(re.sub(r"<[^>]+>", " ", unescape(client.get("/").text)).split())
    assert "Len Left left: 2 people need a new sponsor." in page.replace(" .", ".")
    assert "Fiona Finished has 1 hand-in waiting, the oldest waiting 10 days." in page.replace(
        " .", "."
    )
    listing = client.get("/downline/needs-a-sponsor").text
    assert "Kai Kept" in listing and "Lou Loose" in listing
