"""Nudges: the automatic gentle email after the sponsor's number of silent days on an
open step (at most one per step, however often `flask team nudge` runs), and "nudge
now" on the recruit's page (at most once a day). Real SMTP; the clock is `--as-of`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import CheckIn, OutboxMessage, SubmissionStatus, User
from app.services.nudges import DEFAULT_WORDING, run_nudges
from tests.conftest import AuthActions, at_once, count_queries, deliver_mail, post_form
from tests.factories import CheckInFactory, SubmissionFactory, UserFactory, make_track
from tests.smtp import parts

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def team(**sponsor_fields):  # type: ignore[no-untyped-def]
    """Dana, and Rita on Dana's 3-step track, step 1 open since NOW - 4 days."""
    dana = UserFactory(name="Dana Sponsor", **sponsor_fields)
    track = make_track(dana, 3)
    rita = UserFactory(
        name="Rita Recruit", sponsor=dana, track=track, enrolled_at=NOW - timedelta(days=4)
    )
    return dana, rita, track


def nudge(runner, at: datetime) -> str:
    result = runner.invoke(args=["team", "nudge", "--as-of", at.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def nudges() -> list[str]:
    return list(
        db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "nudge"))
    )


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_a_silent_recruit_gets_one_nudge_in_the_sponsors_name_however_often_it_runs(runner, smtp):
    dana, rita, track = team(nudge_wording="Rita, ten minutes today? I'm rooting for you.")
    assert "nudges: 1," in nudge(runner, NOW)
    assert "nudges: 0, already recorded: 1" in nudge(runner, NOW + timedelta(hours=1))
    nudge(runner, NOW + timedelta(days=5))
    deliver_mail(runner)
    (message,) = smtp.to(rita.email)
    assert message["Subject"] == "Dana Sponsor: how is “Step 1 title” going?"
    assert message["From"].startswith("Dana Sponsor via ")
    assert message["Reply-To"] == f"Dana Sponsor <{dana.email}>"
    text, html = parts(message)
    assert "Rita, ten minutes today? I'm rooting for you." in text
    assert "Your open step: “Step 1 title”" in text and "/homework" in html
    assert message["List-Unsubscribe"]


def test_the_default_wording_and_the_sponsors_number_of_days(runner, smtp):
    dana, rita, _track = team(nudge_after_days=5)
    assert "nudges: 0," in nudge(runner, NOW)  # 4 silent days of 5
    assert "nudges: 1," in nudge(runner, NOW + timedelta(days=1))
    deliver_mail(runner)
    assert DEFAULT_WORDING in parts(smtp.to(rita.email)[0])[0]


def test_the_next_step_gets_its_own_nudge_and_the_timeline_shows_both(client, auth, runner):
    dana, rita, track = team()
    nudge(runner, NOW)
    SubmissionFactory(
        recruit=rita,
        assignment=track.assignments[0],
        status=SubmissionStatus.APPROVED,
        submitted_at=NOW + timedelta(hours=1),
        decided_at=NOW + timedelta(hours=2),
    )
    assert "nudges: 0," in nudge(runner, NOW + timedelta(days=2))  # step 2 open 2 days
    assert "nudges: 1," in nudge(runner, NOW + timedelta(days=3, hours=3))
    first, second = track.assignments[:2]
    assert sorted(nudges()) == sorted(
        [f"nudge:{rita.id}:{first.id}", f"nudge:{rita.id}:{second.id}"]
    )
    auth.login(dana)
    page = text_of(client.get(f"/recruits/{rita.id}").text)
    assert page.count("Nudged by email (automatic, after silent days)") == 2
    assert "Dana Sponsor: how is “Step 2 title” going?" in page


@pytest.mark.parametrize(
    "case",
    [
        "nudges off",
        "recruit opted out",
        "snoozed",
        "waiting on the sponsor",
        "archived",
        "finished",
    ],
)
def test_no_nudge_when_it_is_not_silence_or_not_wanted(runner, case):
    dana, rita, track = team()
    if case == "nudges off":
        dana.nudges_on = False
    elif case == "recruit opted out":
        rita.email_nudges = False
    elif case == "snoozed":
        CheckInFactory(
            recruit=rita,
            sponsor=dana,
            happened_at=NOW - timedelta(days=1),
            snooze_until=NOW + timedelta(days=5),
        )
    elif case == "waiting on the sponsor":
        SubmissionFactory(
            recruit=rita, assignment=track.assignments[0], submitted_at=NOW - timedelta(days=4)
        )
    elif case == "archived":
        rita.archived_at = NOW - timedelta(days=1)
    else:
        for step in track.assignments:
            SubmissionFactory(
                recruit=rita,
                assignment=step,
                status=SubmissionStatus.APPROVED,
                submitted_at=NOW - timedelta(days=4),
                decided_at=NOW - timedelta(days=4),
            )
    db.session.commit()
    assert "nudges: 0," in nudge(runner, NOW + timedelta(days=4))  # the snooze runs to +5
    assert nudges() == []


def test_a_run_costs_a_fixed_number_of_statements_per_batch(app):
    def statements_with(recruits: int) -> int:
        db.session.execute(OutboxMessage.__table__.delete())
        dana, _rita, track = team()
        for _ in range(recruits):
            UserFactory(sponsor=dana, track=track, enrolled_at=NOW - timedelta(days=4))
        with count_queries() as statements:
            report = run_nudges(db.session, NOW)
        everyone = db.session.scalar(select(func.count()).where(User.sponsor_id.is_not(None)))
        assert report.nudged == everyone  # every recruit is silent, and nothing is recorded
        return len(statements)

    assert statements_with(1) == statements_with(6)


def test_two_runs_at_once_record_each_nudge_once(app):
    dana, _rita, track = team()
    for _ in range(4):
        UserFactory(sponsor=dana, track=track, enrolled_at=NOW - timedelta(days=4))
    reports, errors = at_once(app, lambda: run_nudges(db.session, NOW))
    if errors and db.engine.dialect.name == "sqlite":
        pytest.skip(f"SQLite has one writer: {errors[0]}")  # PostgreSQL is the real case
    assert errors == []
    assert len(nudges()) == len(set(nudges())) == 5
    assert sum(r.nudged for r in reports) == 5


def test_nudge_now_once_a_day_with_a_message_the_second_time(app, client, auth, runner, smtp):
    dana, rita, _track = team()
    url = f"/recruits/{rita.id}"
    with time_machine.travel(NOW, tick=False):
        auth.login(dana)
        response = post_form(client, f"{url}/nudge", page=url, follow_redirects=True)
        assert "Nudge sent to Rita Recruit, in your name." in unescape(response.text)
        response = post_form(client, f"{url}/nudge", page=url, follow_redirects=True)
        assert "You nudged Rita Recruit today already: one a day at most." in unescape(
            response.text
        )
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        client = app.test_client()  # the next day, a new login
        AuthActions(client).login(dana)
        response = post_form(client, f"{url}/nudge", page=url, follow_redirects=True)
        assert "Nudge sent to Rita Recruit" in response.text
        assert text_of(response.text).count("Nudged by email (nudge now)") == 2
    deliver_mail(runner)
    assert len(smtp.to(rita.email)) == 2


def test_nudge_now_refuses_with_a_reason(client, auth):
    dana, rita, track = team()
    SubmissionFactory(recruit=rita, assignment=track.assignments[0], submitted_at=NOW)
    auth.login(dana)
    url = f"/recruits/{rita.id}"
    response = post_form(client, f"{url}/nudge", page=url, follow_redirects=True)
    assert "Nothing to nudge: Rita Recruit has no open step that is theirs to do." in unescape(
        response.text
    )
    assert nudges() == []


def test_the_recruit_turns_nudges_off_with_one_click_and_what_waits_is_cancelled(
    client, runner, smtp
):
    dana, rita, _track = team()
    nudge(runner, NOW)
    deliver_mail(runner)
    (message,) = smtp.to(rita.email)
    other = UserFactory(sponsor=dana, track=rita.track, enrolled_at=NOW - timedelta(days=4))
    unsubscribe = urlsplit(message["List-Unsubscribe"].strip("<>")).path
    assert client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not db.session.get(User, rita.id).email_nudges
    assert db.session.get(User, other.id).email_nudges


def test_sponsor_settings_for_nudges_with_messages_beside_the_fields(client, auth):
    dana, _rita, _track = team()
    auth.login(dana)
    page = client.get("/settings").text
    assert "Nudge after this many silent days" in page and DEFAULT_WORDING in unescape(page)
    form = {
        "stall_threshold_days": "7",
        "digest_weekday": "0",
        "timezone": "UTC",
        "nudges_on": "y",
        "nudge_after_days": "61",
        "nudge_wording": "Hey, how is it going?",
    }
    response = post_form(client, "/settings", form, page="/settings")
    assert response.status_code == 400
    assert "Enter a number of days from 1 to 60." in response.text
    assert "Hey, how is it going?" in response.text  # the typed text is kept
    db.session.expire_all()
    assert db.session.get(User, dana.id).nudge_after_days == 3  # nothing saved
    response = post_form(client, "/settings", {**form, "nudge_after_days": "2"}, page="/settings")
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(User, dana.id)
    assert (saved.nudges_on, saved.nudge_after_days, saved.nudge_wording) == (
        True,
        2,
        "Hey, how is it going?",
    )
    assert not saved.email_digest  # unchecked boxes are off (as the form was sent)
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_the_timeline_says_not_sent_for_a_nudge_cancelled_before_it_went(
    client, auth, runner, smtp
):
    """The audit entry is written when a nudge is queued; the timeline asks the outbox
    whether it went (a regression: it once said "Nudged" for a cancelled one)."""
    dana, rita, _track = team()
    nudge(runner, NOW)
    deliver_mail(runner)
    (sent,) = smtp.to(rita.email)
    url = f"/recruits/{rita.id}"
    with time_machine.travel(NOW, tick=False):
        auth.login(dana)
        response = post_form(client, f"{url}/nudge", page=url, follow_redirects=True)
        assert "Nudge sent to Rita Recruit, in your name." in unescape(response.text)
    # Rita turns nudges off (the first nudge's one-click link) before the worker sends it.
    unsubscribe = urlsplit(sent["List-Unsubscribe"].strip("<>")).path
    assert client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    deliver_mail(runner)
    assert len(smtp.to(rita.email)) == 1

    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        page = text_of(client.get(url).text)
    assert "Nudged by email (nudge now) — not sent" in page
    assert "Nudged by email (automatic, after silent days)" in page
    assert "Nudged by email (automatic, after silent days) — not sent" not in page
