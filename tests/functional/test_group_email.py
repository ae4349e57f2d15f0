"""Mastermind emails through a real SMTP server: the reminder 24 hours before a meeting
to the members without an update (once, however often the command runs), and the
summary after the host records the meeting; each unsubscribes its kind in one click."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxMessage, User
from app.services import groups, meetings
from app.services.meeting_reminders import run_group_reminders
from tests.conftest import deliver_mail
from tests.factories import UserFactory
from tests.functional.test_partner_email import relative, unsubscribe
from tests.smtp import parts

# Monday 2 March 2026; the group meets Thursdays at 19:00 in New York (23:00 UTC, EST).
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
THURSDAY = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)  # 19:00 Wednesday in New York
STARTS = datetime(2026, 3, 6, 0, 0, tzinfo=UTC)  # Thursday 5 March 19:00 EST


def make_group():  # type: ignore[no-untyped-def]
    host = UserFactory(name="Hana Host", timezone="America/New_York")
    settings = groups.GroupSettings("Thursday Club", "", "weekly", 3, 19 * 60, "Cafe Luna")
    group = groups.create(db.session, host, settings, now=MONDAY)
    ann, bob = UserFactory(name="Ann"), UserFactory(name="Bob")
    for person in (ann, bob):
        groups.join(db.session, person, group.invite_token, now=MONDAY)
    return group, host, ann, bob


def reminders() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind == "group_reminder")
    )


def test_the_reminder_goes_24_hours_before_to_those_without_an_update_once(
    app, smtp, runner, client
) -> None:
    group, host, ann, bob = make_group()
    assert meetings.upcoming(group, MONDAY).starts_at == STARTS
    meetings.post_update(
        db.session, ann, group.id, meetings.Answers("Two sales", "", "", ""), now=MONDAY
    )
    assert run_group_reminders(db.session, STARTS - timedelta(hours=24, minutes=1)).reminders == 0
    report = run_group_reminders(db.session, STARTS - timedelta(hours=23))
    assert (report.groups, report.reminders) == (1, 2)
    again = runner.invoke(
        args=["groups", "remind", "--as-of", (STARTS - timedelta(hours=1)).isoformat()]
    )
    assert "reminders: 0, already recorded: 2" in again.output
    assert reminders() == 2
    deliver_mail(runner)
    assert smtp.to(ann.email) == []
    (message,) = smtp.to(bob.email)
    text, _html = parts(message)
    assert "Thursday Club meets Thursday at 19:00" in message["Subject"]
    assert "Cafe Luna" in text and f"/groups/{group.id}/update" in text
    unsubscribe(client, message)
    db.session.expire_all()
    assert db.session.get(User, bob.id).email_group_reminders is False
    # The next week: only the host (Bob turned them off, Ann hasn't posted).
    next_week = STARTS + timedelta(days=7)
    assert run_group_reminders(db.session, next_week - timedelta(hours=2)).reminders == 2
    assert run_group_reminders(db.session, next_week + timedelta(hours=1)).reminders == 0


def test_the_summary_reaches_every_member_with_answers_hot_seat_and_notes(
    app, smtp, runner, client
) -> None:
    group, host, ann, bob = make_group()
    meetings.post_update(
        db.session,
        ann,
        group.id,
        meetings.Answers("Two sales", "Time", "A fair", "Four sales"),
        now=MONDAY,
    )
    meetings.record_meeting(
        db.session,
        host,
        group.id,
        0,
        attendance={host.id: "present", ann.id: "present", bob.id: "absent"},
        notes="Ann shares her script next week",
        now=STARTS + timedelta(hours=2),
    )
    deliver_mail(runner)
    for person in (host, ann, bob):
        (message,) = smtp.to(person.email)
        text, html = parts(message)
        assert "Thursday Club: the summary of Thursday 05 March" == message["Subject"]
        assert "Ann shares her script next week" in text and "Two sales" in text
        assert "On the hot seat: Hana Host." in text
        assert any(
            relative(w) == f"/groups/{group.id}/meetings/0"
            for w in text.split()
            if w.startswith("http")
        )
    unsubscribe(client, smtp.to(bob.email)[0])
    db.session.expire_all()
    assert db.session.get(User, bob.id).email_group_summaries is False
