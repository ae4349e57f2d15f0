"""Email through a real SMTP server: the weekly digest, notifications, password reset."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import DigestDelivery, Notification, Submission, User, utcnow
from app.services.accounts import reset_token
from tests.conftest import PASSWORD, count_queries, csrf_token, post_form
from tests.factories import SubmissionFactory, UserFactory, make_track
from tests.smtp import parts

ROOT = Path(__file__).resolve().parents[2]
MONDAY = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday, noon UTC


def team(name="Sandra Sponsor", tz="UTC", stalled=("Stuck Stu",), waiting=0, **sponsor_fields):
    """A sponsor whose recruits are stalled as of MONDAY, plus `waiting` old hand-ins."""
    sponsor = UserFactory(name=name, timezone=tz, **sponsor_fields)
    track = make_track(sponsor, 2)
    for recruit_name in stalled:
        UserFactory(
            name=recruit_name, sponsor=sponsor, track=track, enrolled_at=MONDAY - timedelta(days=20)
        )
    for i in range(waiting):
        recruit = UserFactory(
            name=f"Waiting {i}",
            sponsor=sponsor,
            track=track,
            enrolled_at=MONDAY - timedelta(days=10),
        )
        SubmissionFactory(
            recruit=recruit,
            assignment=track.assignments[0],
            submitted_at=MONDAY - timedelta(days=3),
        )
    return sponsor


def send_digest(runner, as_of=MONDAY, *extra):
    return runner.invoke(args=["digest", "send", "--as-of", as_of.isoformat(), *extra])


def relative(url: str) -> str:
    parts_ = urlsplit(url)
    return parts_.path + (f"?{parts_.query}" if parts_.query else "")


def test_digest_arrives_with_both_parts_links_and_unsubscribe_headers(
    app, client, auth, runner, smtp
):
    sponsor = team(stalled=("Stuck Stu", "Quiet Quinn"), waiting=1)
    result = send_digest(runner)
    assert result.exit_code == 0, result.output
    assert "sent: 1" in result.output
    (message,) = smtp.to(sponsor.email)
    assert message["Subject"] == "Willing weekly: 2 stalled recruits, 1 review waiting"
    text_part, html_part = parts(message)
    for body in (text_part, html_part):
        assert "Stuck Stu" in body and "Quiet Quinn" in body and "Waiting 0" in body
        assert "idle 20 days" in body and "last check-in: never" in body
    base = app.config["BASE_URL"]
    links = [w for w in text_part.split() if w.startswith(base)]
    assert links and all(link.startswith("http://") for link in links)

    auth.login(sponsor)
    for link in links:
        assert client.get(relative(link)).status_code == 200, link
    auth.logout()

    header = message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = relative(header.strip("<>"))
    assert "Stop sending me the weekly digest" in client.get(unsubscribe).text
    db.session.refresh(sponsor)
    assert sponsor.email_digest  # a GET (a link scanner) changes nothing
    one_click = client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and "unsubscribed" in one_click.text
    db.session.refresh(sponsor)
    assert not sponsor.email_digest
    tampered = client.post(unsubscribe[:-3] + "xyz")
    assert tampered.status_code == 404


def test_three_runs_a_week_send_once_and_the_next_week_again(runner, smtp):
    sponsor = team()
    for hours in (0, 1, 50):
        assert send_digest(runner, MONDAY + timedelta(hours=hours)).exit_code == 0
    assert len(smtp.to(sponsor.email)) == 1
    again = send_digest(runner, MONDAY + timedelta(days=1))
    assert "already sent this week" in again.output
    send_digest(runner, MONDAY + timedelta(days=7))
    assert len(smtp.to(sponsor.email)) == 2


def test_a_refused_message_is_retried_next_run_and_sent_once(runner, smtp):
    sponsor = team()
    smtp.refuse_next = 1
    first = send_digest(runner)
    assert first.exit_code == 1
    assert "failed: 1" in first.output and sponsor.email in first.output
    assert smtp.to(sponsor.email) == []
    delivery = db.session.scalar(select(DigestDelivery))
    assert delivery.status == "failed" and "554" in delivery.last_error
    second = send_digest(runner, MONDAY + timedelta(hours=1))
    assert second.exit_code == 0 and "sent: 1" in second.output
    send_digest(runner, MONDAY + timedelta(hours=2))
    assert len(smtp.to(sponsor.email)) == 1


def test_a_name_with_a_comma_or_accents_stays_one_recipient(runner, smtp):
    """The To header was "name <address>" unquoted: "Núñez, Zoë" became two addresses."""
    sponsor = team(name="Núñez, Zoë")
    assert "sent: 1" in send_digest(runner).output
    (message,) = smtp.to(sponsor.email)
    assert message["X-Envelope-To"] == sponsor.email
    (address,) = message["To"].addresses
    assert (address.display_name, address.addr_spec) == ("Núñez, Zoë", sponsor.email)
    text, _html = parts(message)
    assert "Hello Núñez, Zoë," in text


def test_a_line_break_in_a_name_cannot_add_a_header(runner, smtp):
    sponsor = team(name="Eve\r\nBcc: victim@example.com")
    assert "sent: 1" in send_digest(runner).output
    (message,) = smtp.messages
    assert message["Bcc"] is None
    assert message["X-Envelope-To"] == sponsor.email
    assert message["To"].addresses[0].display_name == "Eve Bcc: victim@example.com"


def test_a_run_sends_every_digest_over_one_smtp_connection(runner, smtp):
    sponsors = [team(name=f"Sponsor {n}", stalled=(f"Stuck {n}",)) for n in range(3)]
    result = send_digest(runner)
    assert "sent: 3" in result.output
    assert all(len(smtp.to(s.email)) == 1 for s in sponsors)
    assert len(set(smtp.connections)) == 1


def test_a_refused_digest_does_not_stop_the_others(runner, smtp):
    sponsors = [team(name=f"Sponsor {n}", stalled=(f"Stuck {n}",)) for n in range(3)]
    smtp.refuse_next = 1
    result = send_digest(runner)
    assert result.exit_code == 1 and "sent: 2" in result.output and "failed: 1" in result.output
    assert sorted(len(smtp.to(s.email)) for s in sponsors) == [0, 1, 1]
    send_digest(runner, MONDAY + timedelta(hours=1))
    assert [len(smtp.to(s.email)) for s in sponsors] == [1, 1, 1]


def test_when_the_server_hangs_up_between_digests_each_still_goes_out_once(app, smtp):
    """Mail servers close connections (idle timeouts, a cap on messages per connection):
    the next digest goes out on a fresh one, none is lost, none is doubled."""
    from app.email import Mailer
    from app.mailbox.compose import digest_message
    from app.services.digest import run_digest

    sponsors = [team(name=f"Sponsor {n}", stalled=(f"Stuck {n}",)) for n in range(3)]

    def send_then_hang_up(digest):
        mailer.send(digest_message(digest))
        smtp.hang_up()

    with Mailer() as mailer:
        summary = run_digest(MONDAY, send_then_hang_up)
    assert summary.failed == []
    assert [len(smtp.to(s.email)) for s in sponsors] == [1, 1, 1]
    assert len(set(smtp.connections)) == 3


def test_recording_each_digest_finds_its_row_through_an_index(app, runner, smtp):
    """The outcome update once looked rows up by claim token alone: a scan of every
    digest ever sent, for each one sent (quadratic in the table's life)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plan; the statement is the same on PostgreSQL")
    team()
    with count_queries() as statements:
        assert "sent: 1" in send_digest(runner).output
    writes = [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "DELETE"))]
    assert writes, "the run records its outcome with an UPDATE"
    with db.engine.connect() as connection:
        cursor = connection.connection.cursor()
        for statement in writes:
            plan = cursor.execute(
                f"EXPLAIN QUERY PLAN {statement}", (None,) * statement.count("?")
            ).fetchall()
            scans = [row[-1] for row in plan if row[-1].startswith("SCAN")]
            assert scans == [], (statement, plan)


def test_a_digest_run_costs_one_statement_per_email_beyond_a_fixed_few(runner, smtp):
    """Reads and claims go by the batch; only each outcome is its own UPDATE (and its
    own commit, so a crash can resend at most the one email in flight)."""

    def statements_for(sponsors: int, week: int) -> int:
        for n in range(sponsors):
            team(name=f"Week {week} sponsor {n}", stalled=(f"Stuck {week}-{n}",))
        with count_queries() as statements:
            result = send_digest(runner, MONDAY + timedelta(days=7 * week))
        assert f"sent: {sponsors + (2 if week else 0)}" in result.output
        return len(statements)

    two = statements_for(2, 0)
    six = statements_for(4, 1)  # 2 + 4 sponsors, all due again a week later
    assert six - two == 4


def test_an_interrupted_send_is_taken_over_after_the_lease(runner, smtp):
    sponsor = team()
    week = MONDAY.date()
    db.session.add(
        DigestDelivery(
            sponsor_id=sponsor.id,
            week_start=week,
            status="sending",
            claim_token="dead-run",
            claimed_at=MONDAY,
            attempts=1,
        )
    )
    db.session.commit()
    busy = send_digest(runner, MONDAY + timedelta(minutes=5))
    assert "being sent by another run" in busy.output
    assert smtp.to(sponsor.email) == []
    send_digest(runner, MONDAY + timedelta(hours=1))
    assert len(smtp.to(sponsor.email)) == 1


def test_two_processes_at_once_send_one_digest_per_sponsor(app, database_url, smtp):
    sponsors = [team(name=f"Sponsor {i}") for i in range(6)]
    env = {
        **os.environ,
        "WILLING_ENV": "testing",
        "TEST_DATABASE_URL": database_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "FLASK_APP": "wsgi",
    }
    command = [sys.executable, "-m", "flask", "digest", "send", "--as-of", MONDAY.isoformat()]
    runs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    for sponsor in sponsors:
        assert len(smtp.to(sponsor.email)) == 1, outputs
    assert db.session.scalar(select(func.count(DigestDelivery.id))) == 6


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        # Tonga is UTC+13: its Monday starts on Sunday 11:00 UTC.
        (
            "Pacific/Tongatapu",
            datetime(2026, 11, 29, 10, 59, tzinfo=UTC),
            datetime(2026, 11, 29, 11, 0, tzinfo=UTC),
        ),
        # Honolulu is UTC-10: its Monday starts on Monday 10:00 UTC.
        (
            "Pacific/Honolulu",
            datetime(2026, 11, 30, 9, 59, tzinfo=UTC),
            datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        ),
    ],
)
def test_the_digest_goes_out_on_the_sponsors_own_monday(runner, smtp, zone, before, after):
    sponsor = team(tz=zone)
    send_digest(runner, before - timedelta(days=6))  # last week's digest went out
    assert len(smtp.to(sponsor.email)) == 1
    not_yet = send_digest(runner, before)  # still their Sunday: last week
    assert "already sent this week" in not_yet.output
    assert len(smtp.to(sponsor.email)) == 1
    send_digest(runner, after)  # their Monday has begun
    assert len(smtp.to(sponsor.email)) == 2


def test_a_later_weekday_waits_for_that_day(runner, smtp):
    sponsor = team(tz="Pacific/Tongatapu", digest_weekday=3)  # Thursday
    not_yet = send_digest(runner, MONDAY)
    assert "digest day not reached yet this week" in not_yet.output
    thursday_in_tonga = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # Wed 11:00 UTC
    send_digest(runner, thursday_in_tonga - timedelta(minutes=1))
    assert smtp.to(sponsor.email) == []
    send_digest(runner, thursday_in_tonga)
    assert len(smtp.to(sponsor.email)) == 1


def test_nothing_for_archived_unsubscribed_or_quiet_sponsors(runner, smtp):
    archived_only = team(name="Archived Only", stalled=("Gone Gary",))
    db.session.execute(text("UPDATE users SET archived_at = created_at WHERE name = 'Gone Gary'"))
    db.session.commit()
    unsubscribed = team(name="No Mail", email_digest=False)
    quiet = team(name="All Good", stalled=())
    UserFactory(sponsor=quiet)  # has a recruit, but nothing stalled or waiting
    mixed = team(name="Mixed", stalled=("Still Here",))
    gone = UserFactory(
        name="Left Lou",
        sponsor=mixed,
        enrolled_at=MONDAY - timedelta(days=30),
        track=mixed_track(mixed),
        archived_at=MONDAY - timedelta(days=1),
    )
    result = send_digest(runner)
    assert result.exit_code == 0
    for sponsor in (archived_only, unsubscribed, quiet):
        assert smtp.to(sponsor.email) == [], sponsor.name
    (message,) = smtp.to(mixed.email)
    assert "Still Here" in parts(message)[0] and gone.name not in parts(message)[0]
    assert "skipped (unsubscribed): 1" in result.output
    assert "skipped (nothing to report): 2" in result.output


def mixed_track(sponsor):
    return db.session.scalar(select(User).where(User.sponsor_id == sponsor.id)).track


def test_dry_run_prints_and_sends_nothing(runner, smtp):
    sponsor = team(stalled=("Stuck Stu",))
    result = send_digest(runner, MONDAY, "--dry-run")
    assert f"would send to {sponsor.email}: 1 stalled (Stuck Stu)" in result.output
    assert smtp.messages == []
    assert db.session.scalar(select(func.count(DigestDelivery.id))) == 0


def test_preview_shows_what_the_email_says(client, auth, runner, smtp):
    sponsor = team(stalled=("Stuck Stu",))
    auth.login(sponsor)
    preview = client.get("/digest").text
    assert "Stuck Stu" in preview and "Log a check-in with Stuck Stu" in preview
    send_digest(runner, utcnow())
    (message,) = smtp.to(sponsor.email)
    assert message["Subject"] in preview


def test_without_mail_server_messages_land_in_the_outbox(app, runner):
    team(stalled=("Stuck Stu",))
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    before = set(outbox.glob("*.eml"))
    assert send_digest(runner).exit_code == 0
    (new_file,) = set(outbox.glob("*.eml")) - before
    assert "Stuck Stu" in new_file.read_text()


def hand_in_as(client, auth, recruit, assignment, answer="Here it is"):
    auth.login(recruit)
    response = post_form(
        client,
        f"/homework/{assignment.id}/hand-in",
        {"answer": answer},
        page="/homework",
        content_type="multipart/form-data",
    )
    auth.logout()
    return response


def test_notifications_on_hand_in_approval_and_changes(client, auth, smtp):
    sponsor = UserFactory(name="Nina Notify")
    track = make_track(sponsor, 2)
    recruit = UserFactory(name="Rex Recruit", sponsor=sponsor, track=track, enrolled_at=utcnow())
    first = track.assignments[0]
    hand_in_as(client, auth, recruit, first)
    (handed,) = smtp.to(sponsor.email)
    assert handed["Subject"] == "Rex Recruit handed in “Step 1 title”"
    assert handed["List-Unsubscribe"]

    submission = db.session.scalar(select(Submission))
    auth.login(sponsor)
    post_form(
        client,
        f"/review/{submission.id}",
        {"feedback": "Add a photo", "request_changes": "1"},
        page="/review",
    )
    (sent_back,) = smtp.to(recruit.email)
    assert "Add a photo" in parts(sent_back)[0]
    auth.logout()
    hand_in_as(client, auth, recruit, first, "With photo")
    second = db.session.scalar(select(Submission).where(Submission.attempt == 2))
    auth.login(sponsor)
    post_form(client, f"/review/{second.id}", {"feedback": "", "approve": "1"}, page="/review")
    approved = smtp.to(recruit.email)[-1]
    assert approved["Subject"] == "Approved: “Step 1 title”. Next: “Step 2 title”"
    assert "Your next step is open: “Step 2 title”" in parts(approved)[0]


def test_a_mail_failure_never_blocks_the_decision_and_is_retried(client, auth, runner, smtp):
    sponsor = UserFactory()
    track = make_track(sponsor, 2)
    recruit = UserFactory(sponsor=sponsor, track=track, enrolled_at=utcnow())
    submission = SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    smtp.refuse_next = 1
    auth.login(sponsor)
    response = post_form(
        client, f"/review/{submission.id}", {"feedback": "", "approve": "1"}, page="/review"
    )
    assert response.status_code == 302
    db.session.refresh(submission)
    assert submission.status == "approved"
    notification = db.session.scalar(select(Notification))
    assert notification.status == "failed" and "554" in notification.last_error
    assert smtp.to(recruit.email) == []
    result = runner.invoke(args=["email", "retry"])
    assert result.exit_code == 0 and "notifications sent: 1" in result.output
    assert len(smtp.to(recruit.email)) == 1
    runner.invoke(args=["email", "retry"])
    assert len(smtp.to(recruit.email)) == 1


def test_turned_off_notifications_are_not_recorded(client, auth, smtp):
    sponsor = UserFactory(email_on_hand_in=False)
    track = make_track(sponsor, 1)
    recruit = UserFactory(sponsor=sponsor, track=track, enrolled_at=utcnow())
    hand_in_as(client, auth, recruit, track.assignments[0])
    assert smtp.messages == []
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def reset_link_for(client, smtp, email):
    page = client.get("/forgot-password")
    response = client.post(
        "/forgot-password", data={"email": email, "csrf_token": csrf_token(page.text)}
    )
    assert "If " in response.text and "belongs to an account" in response.text
    (message,) = smtp.to(email)
    link = next(w for w in parts(message)[0].split() if "/reset-password/" in w)
    return relative(link)


def test_password_reset_works_once_and_ends_other_sessions(app, client, auth, smtp):
    user = UserFactory(email="forgetful@example.com")
    other_device = app.test_client()
    page = other_device.get("/login")
    other_device.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert other_device.get("/account").status_code == 200
    link = reset_link_for(client, smtp, user.email)
    form = {"new_password": "a brand new passphrase", "confirm": "a brand new passphrase"}
    response = post_form(client, link, form, page=link)
    assert response.status_code == 302
    assert other_device.get("/account").status_code == 302
    assert auth.login(user.email, "a brand new passphrase").status_code == 302
    auth.logout()
    reused = client.get(link)
    assert reused.status_code == 400 and "already used" in reused.text


def test_unknown_address_gets_the_same_answer_and_no_mail(client, smtp):
    page = client.get("/forgot-password")
    response = client.post(
        "/forgot-password",
        data={"email": "nobody@example.com", "csrf_token": csrf_token(page.text)},
    )
    assert "If nobody@example.com belongs to an account" in response.text
    assert smtp.messages == []


def test_expired_tampered_and_orphaned_reset_links_are_refused(app, client):
    user = UserFactory()
    token = reset_token(user)
    from app.services.accounts import user_for_reset_token
    from app.services.errors import InvalidResetLink

    with pytest.raises(InvalidResetLink, match="expired"):
        user_for_reset_token(db.session, token, now=utcnow() + timedelta(hours=1, seconds=5))
    assert user_for_reset_token(db.session, token, now=utcnow() + timedelta(minutes=59)) == user
    tampered = client.get(f"/reset-password/{token[:-2]}xx")
    assert tampered.status_code == 400 and "not valid" in tampered.text
    db.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": user.id})
    db.session.commit()
    orphaned = client.get(f"/reset-password/{token}")
    assert orphaned.status_code == 400
