"""Email through a real SMTP server: the weekly digest, notifications, password reset.

Notifications and reset links are recorded in the outbox by the request and sent by the
mail worker (`deliver_mail` runs `flask mail work --once`); `digest send` sends the
digests it composes itself. The faults (hung, slow and dropping servers, racing and
killed senders) are in test_mail_delivery.py.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import MessageKind, OutboxMessage, Submission, Track, User, utcnow
from app.services.accounts import reset_token
from tests.conftest import PASSWORD, count_queries, csrf_token, deliver_mail, post_form
from tests.factories import SubmissionFactory, UserFactory, make_track
from tests.smtp import parts

ROOT = Path(__file__).resolve().parents[2]
MONDAY = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday, noon UTC


def team(
    name="Sandra Sponsor",
    tz="UTC",
    stalled=("Stuck Stu",),
    waiting=0,
    as_of=MONDAY,
    **sponsor_fields,
):
    """A sponsor whose recruits are stalled as of `as_of` (MONDAY), plus `waiting`
    hand-ins three days old."""
    sponsor = UserFactory(name=name, timezone=tz, **sponsor_fields)
    track = make_track(sponsor, 2)
    for recruit_name in stalled:
        UserFactory(
            name=recruit_name, sponsor=sponsor, track=track, enrolled_at=as_of - timedelta(days=20)
        )
    for i in range(waiting):
        recruit = UserFactory(
            name=f"Waiting {i}",
            sponsor=sponsor,
            track=track,
            enrolled_at=as_of - timedelta(days=10),
        )
        SubmissionFactory(
            recruit=recruit,
            assignment=track.assignments[0],
            submitted_at=as_of - timedelta(days=3),
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
    delivery = db.session.scalar(select(OutboxMessage))
    assert delivery.kind == MessageKind.DIGEST
    assert delivery.status == "failed" and "451" in delivery.last_error
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
    from app.mail.transport import Transport
    from app.services.digest import run_digest

    sponsors = [team(name=f"Sponsor {n}", stalled=(f"Stuck {n}",)) for n in range(3)]

    class HangsUpAfterEach(Transport):
        def send(self, sender, recipient, data):  # type: ignore[no-untyped-def]
            super().send(sender, recipient, data)
            smtp.hang_up()

    with HangsUpAfterEach() as transport:
        summary = run_digest(db.session, MONDAY, transport)
    assert summary.failed == [] and len(summary.sent) == 3
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


def claimed_digest(sponsor, lease_ends):
    """This week's digest of `sponsor`, composed and claimed by a run that died."""
    from app.mail import messages
    from app.services.digest import digest_email, digest_for, digest_key

    digest = digest_for(db.session, sponsor, MONDAY)
    message = messages.digest(sponsor, digest.week_start, digest_email(digest))
    row = OutboxMessage(
        kind=MessageKind.DIGEST,
        recipient_id=sponsor.id,
        to_address=sponsor.email,
        subject=message.subject,
        data=message.data,
        dedupe_key=digest_key(sponsor.id, digest.week_start),
        status="sending",
        claim_token="dead-run",
        claimed_at=utcnow(),
        due_at=lease_ends,
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_a_live_claim_is_left_alone_whatever_the_as_of_and_taken_over_after_its_lease(runner, smtp):
    """The lease runs on the real clock: --as-of a day later (it was the run's start time
    once, so a second run took over every claim of a run still sending) changes nothing."""
    sponsor = team()
    row = claimed_digest(sponsor, lease_ends=utcnow() + timedelta(minutes=5))
    for as_of in (MONDAY + timedelta(minutes=5), MONDAY + timedelta(days=1)):
        busy = send_digest(runner, as_of)
        assert "being sent by another run" in busy.output
    assert smtp.to(sponsor.email) == []
    row.due_at = utcnow() - timedelta(seconds=1)  # the dead run's lease has ended
    db.session.commit()
    taken = send_digest(runner, MONDAY + timedelta(hours=1))
    assert "sent: 1" in taken.output, taken.output
    (message,) = smtp.to(sponsor.email)
    assert message["Message-ID"] == f"<digest-{sponsor.id}-2026-11-30@127.0.0.1>"
    assert "Stuck Stu" in parts(message)[0]
    assert len(smtp.to(sponsor.email)) == 1


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
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_preview_shows_what_the_email_says(client, auth, runner, smtp):
    """The page asks the real clock for "now": it is moved to MONDAY, where the team's
    facts are (it once passed only after 2026-11-17, mixing the two)."""
    with time_machine.travel(MONDAY, tick=False):
        sponsor = team(name="Sandra Sponsor", stalled=("Stuck Stu",), waiting=1)
        auth.login(sponsor)
        preview = client.get("/digest").text
        assert "Stuck Stu" in preview and "Log a check-in with Stuck Stu" in preview
        assert "idle 20 days" in preview
        assert "Hello Sandra Sponsor" in preview
        assert "Waiting 0" in preview and "waiting 3 days" in preview
        send_digest(runner, MONDAY)
    (message,) = smtp.to(sponsor.email)
    assert message["Subject"] in preview
    text, html = parts(message)
    assert "idle 20 days" in text and "waiting 3 days" in text
    # The page shows the email's own body, not a look-alike.
    body = html.split("<body>", 1)[1].rsplit("</body>", 1)[0].strip().replace("\r\n", "\n")
    assert body in preview


def test_without_mail_server_messages_are_written_as_files(app, runner):
    team(stalled=("Stuck Stu",))
    folder = Path(app.config["MAIL_FILE_DIR"])
    before = set(folder.glob("*.eml"))
    assert send_digest(runner).exit_code == 0
    (new_file,) = set(folder.glob("*.eml")) - before
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


def test_notifications_on_hand_in_approval_and_changes(client, auth, runner, smtp):
    sponsor = UserFactory(name="Nina Notify")
    track = make_track(sponsor, 2)
    recruit = UserFactory(name="Rex Recruit", sponsor=sponsor, track=track, enrolled_at=utcnow())
    first = track.assignments[0]
    hand_in_as(client, auth, recruit, first)
    assert smtp.messages == []  # the request only recorded it
    deliver_mail(runner)
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
    deliver_mail(runner)
    (sent_back,) = smtp.to(recruit.email)
    assert sent_back["Subject"] == "Changes requested on “Step 1 title”"
    assert "Add a photo" in parts(sent_back)[0]
    auth.logout()
    hand_in_as(client, auth, recruit, first, "With photo")
    second = db.session.scalar(select(Submission).where(Submission.attempt == 2))
    auth.login(sponsor)
    post_form(client, f"/review/{second.id}", {"feedback": "", "approve": "1"}, page="/review")
    deliver_mail(runner)
    approved = smtp.to(recruit.email)[-1]
    assert approved["Subject"] == "Approved: “Step 1 title”. Next: “Step 2 title”"
    assert "Your next step is open: “Step 2 title”" in parts(approved)[0]
    assert len(smtp.messages) == 4  # two hand-ins, two decisions, each once
    deliver_mail(runner)
    assert len(smtp.messages) == 4


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
    failed = runner.invoke(args=["mail", "work", "--once"])
    assert failed.exit_code == 1 and "sent: 0, failed: 1" in failed.output
    message = db.session.scalar(select(OutboxMessage))
    assert message.status == "failed" and "451" in message.last_error and message.attempts == 1
    assert smtp.to(recruit.email) == []
    retried = runner.invoke(args=["mail", "work", "--once"])
    assert retried.exit_code == 0 and "sent: 1, failed: 0" in retried.output
    assert len(smtp.to(recruit.email)) == 1
    deliver_mail(runner)
    assert len(smtp.to(recruit.email)) == 1
    db.session.refresh(message)
    assert message.status == "sent" and message.data is None  # the record stays, the bytes go


def test_turned_off_notifications_are_not_recorded(client, auth, runner, smtp):
    sponsor = UserFactory(email_on_hand_in=False)
    track = make_track(sponsor, 1)
    recruit = UserFactory(sponsor=sponsor, track=track, enrolled_at=utcnow())
    hand_in_as(client, auth, recruit, track.assignments[0])
    deliver_mail(runner)
    assert smtp.messages == []
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def reset_link_for(client, runner, smtp, email):
    page = client.get("/forgot-password")
    response = client.post(
        "/forgot-password", data={"email": email, "csrf_token": csrf_token(page.text)}
    )
    assert "If " in response.text and "belongs to an account" in response.text
    deliver_mail(runner)
    (message,) = smtp.to(email)
    link = next(w for w in parts(message)[0].split() if "/reset-password/" in w)
    return relative(link)


def test_password_reset_works_once_and_ends_other_sessions(app, client, auth, runner, smtp):
    user = UserFactory(email="forgetful@example.com")
    other_device = app.test_client()
    page = other_device.get("/login")
    other_device.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert other_device.get("/account").status_code == 200
    link = reset_link_for(client, runner, smtp, user.email)
    sent = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "password_reset"))
    assert sent.status == "sent" and sent.data is None  # the link is not kept once mailed
    form = {"new_password": "a brand new passphrase", "confirm": "a brand new passphrase"}
    response = post_form(client, link, form, page=link)
    assert response.status_code == 302
    assert other_device.get("/account").status_code == 302
    assert auth.login(user.email, "a brand new passphrase").status_code == 302
    auth.logout()
    reused = client.get(link)
    assert reused.status_code == 400 and "already used" in reused.text


def test_unknown_address_gets_the_same_answer_and_no_mail(client, runner, smtp):
    page = client.get("/forgot-password")
    response = client.post(
        "/forgot-password",
        data={"email": "nobody@example.com", "csrf_token": csrf_token(page.text)},
    )
    assert "If nobody@example.com belongs to an account" in response.text
    deliver_mail(runner)
    assert smtp.messages == []
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


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


def test_after_a_reorder_the_email_and_timeline_name_the_step_the_gate_opened(
    client, auth, runner, smtp
):
    """Step 3 moved to the top and approved opens step 2 (step 1 is done): the email and
    the timeline once said "Step 1" (position + 1)."""
    from app.services import tracks

    sponsor = UserFactory(name="Sam Sponsor")
    track = make_track(sponsor, 3)
    first, second, third = track.assignments
    recruit = UserFactory(
        name="Rita", sponsor=sponsor, track=track, enrolled_at=utcnow() - timedelta(days=9)
    )
    SubmissionFactory(
        recruit=recruit,
        assignment=first,
        status="approved",
        submitted_at=utcnow() - timedelta(days=8),
        decided_at=utcnow() - timedelta(days=7),
    )
    tracks.move_assignment(db.session, third, "up")
    tracks.move_assignment(db.session, third, "up")  # order: step 3, step 1, step 2
    hand_in_as(client, auth, recruit, third)
    waiting = db.session.scalar(select(Submission).where(Submission.assignment_id == third.id))
    auth.login(sponsor)
    post_form(client, f"/review/{waiting.id}", {"feedback": "", "approve": "1"}, page="/review")
    deliver_mail(runner)
    approved = smtp.to(recruit.email)[-1]
    assert approved["Subject"] == "Approved: “Step 3 title”. Next: “Step 2 title”"
    assert "Your next step is open: “Step 2 title”" in parts(approved)[0]
    timeline = client.get(f"/recruits/{recruit.id}").text
    assert "“Step 2 title” unlocked" in timeline
    assert "“Step 1 title” unlocked" not in timeline
    auth.logout()
    auth.login(recruit)
    homework = client.get("/homework").text
    assert "Instructions for step 2 only" in homework  # what the recruit's page opens


def test_a_step_archived_while_its_hand_in_waits_is_still_named_when_decided(
    client, auth, runner, smtp
):
    """The decision reads the step's title from the gate's rows; a step taken out of the
    track since the hand-in is not among them, and the email, the audit trail and the
    sponsor's message still name it (and what the approval opened)."""
    from app.services import tracks

    sponsor = UserFactory(name="Sam Sponsor")
    track = make_track(sponsor, 3)
    first, second, _third = track.assignments
    recruit = UserFactory(
        name="Rita", sponsor=sponsor, track=track, enrolled_at=utcnow() - timedelta(days=9)
    )
    hand_in_as(client, auth, recruit, first)
    waiting = db.session.scalar(select(Submission).where(Submission.assignment_id == first.id))
    tracks.archive_assignment(db.session, first)
    auth.login(sponsor)
    response = post_form(
        client, f"/review/{waiting.id}", {"feedback": "", "approve": "1"}, page="/review"
    )
    assert response.status_code == 302
    deliver_mail(runner)
    approved = smtp.to(recruit.email)[-1]
    assert approved["Subject"] == "Approved: “Step 1 title”. Next: “Step 2 title”"
    trail = client.get(f"/recruits/{recruit.id}").text
    assert "“Step 1 title”, attempt 1" in trail


def test_a_dry_run_also_tells_of_this_weeks_digests_waiting_in_the_outbox(runner, smtp):
    failed, fresh = team(name="Failed Fran"), team(name="Fresh Fred")
    smtp.refuse_next = 1
    send_digest(runner)  # one of the two is refused (451): failed, to be retried
    assert len(smtp.messages) == 1
    (refused,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed"))
    db.session.execute(  # and a retry that is not due yet
        OutboxMessage.__table__.update().values(due_at=utcnow() + timedelta(minutes=5))
    )
    db.session.commit()
    dry = send_digest(runner, MONDAY, "--dry-run")
    assert "skipped (failed before: tried again after a pause): 1" in dry.output, dry.output
    assert "skipped (already sent this week): 1" in dry.output
    assert refused.to_address in (failed.email, fresh.email)
    assert len(smtp.messages) == 1


def test_a_big_team_gets_a_digest_of_the_longest_idle_fifty_and_a_link_to_the_rest(
    app, client, auth, runner, smtp
):
    """Thousands of lines made digests of half a megabyte (Gmail clips after 102 kB)."""
    names = tuple(f"Stuck {n:02}" for n in range(55))
    sponsor = team(stalled=names)
    assert "sent: 1" in send_digest(runner).output
    (message,) = smtp.to(sponsor.email)
    assert message["Subject"] == "Willing weekly: 55 stalled recruits"
    text, html = parts(message)
    assert sum(name in text for name in names) == 50
    assert "…and 5 more stalled recruits on your dashboard" in text
    assert "…and 5 more." in html and "See every stalled recruit on your dashboard" in html
    link = next(w for w in text.split() if "status=stalled" in w)
    auth.login(sponsor)
    page = client.get(relative(link)).text
    assert sum(name in page for name in names) == 50  # the dashboard's first page of 50


def test_a_backlog_alone_sends_a_digest_and_a_fresh_waiting_review_alone_does_not(runner, smtp):
    fresh = team(name="Fresh Fay", stalled=())
    track = db.session.scalar(select(Track).where(Track.owner_id == fresh.id))
    recruit = UserFactory(sponsor=fresh, track=track, enrolled_at=MONDAY - timedelta(days=3))
    SubmissionFactory(
        recruit=recruit,
        assignment=track.assignments[0],
        submitted_at=MONDAY - timedelta(hours=47),  # waiting, but not for 48 hours yet
    )
    old = team(name="Old Olga", stalled=(), waiting=1)  # waiting three days: a backlog
    result = send_digest(runner)
    assert "sent: 1" in result.output and "skipped (nothing to report): 1" in result.output
    assert smtp.to(fresh.email) == []
    (message,) = smtp.to(old.email)
    assert message["Subject"] == "Willing weekly: 1 review waiting"


@pytest.mark.parametrize(
    ("waited", "sends"),
    [(timedelta(hours=48), False), (timedelta(hours=48, seconds=1), True)],
    ids=["exactly 48 hours", "48 hours and a second"],
)
def test_a_backlog_is_a_hand_in_waiting_longer_than_48_hours(runner, smtp, waited, sends):
    sponsor = team(name="Edge Eddie", stalled=())
    track = db.session.scalar(select(Track).where(Track.owner_id == sponsor.id))
    recruit = UserFactory(sponsor=sponsor, track=track, enrolled_at=MONDAY - timedelta(days=3))
    SubmissionFactory(
        recruit=recruit, assignment=track.assignments[0], submitted_at=MONDAY - waited
    )
    result = send_digest(runner)
    assert result.exit_code == 0, result.output
    assert len(smtp.to(sponsor.email)) == (1 if sends else 0)


def test_each_digest_has_one_message_id_per_sponsor_and_week(runner, smtp):
    first, second = team(name="First"), team(name="Second")
    send_digest(runner)
    send_digest(runner, MONDAY + timedelta(days=7))
    ids = {(m["X-Envelope-To"], m["Message-ID"]) for m in smtp.messages}
    assert ids == {
        (first.email, f"<digest-{first.id}-2026-11-30@127.0.0.1>"),
        (second.email, f"<digest-{second.id}-2026-11-30@127.0.0.1>"),
        (first.email, f"<digest-{first.id}-2026-12-07@127.0.0.1>"),
        (second.email, f"<digest-{second.id}-2026-12-07@127.0.0.1>"),
    }


@pytest.mark.parametrize(
    ("sunday_night", "monday_morning"),
    [
        # Spring forward: London's Monday 30 March 2026 begins at 23:00 UTC on Sunday.
        (datetime(2026, 3, 29, 22, 59, tzinfo=UTC), datetime(2026, 3, 29, 23, 0, tzinfo=UTC)),
        # Fall back: its Monday 26 October begins at midnight UTC again.
        (datetime(2026, 10, 25, 23, 59, tzinfo=UTC), datetime(2026, 10, 26, 0, 0, tzinfo=UTC)),
    ],
    ids=["spring forward", "fall back"],
)
def test_a_daylight_saving_week_gets_its_digest_once_from_its_own_monday(
    runner, smtp, sunday_night, monday_morning
):
    last_week = sunday_night - timedelta(days=6)
    with time_machine.travel(last_week - timedelta(days=1)):  # the team as it was then
        sponsor = team(tz="Europe/London", as_of=last_week)
    send_digest(runner, last_week)  # last week's
    assert len(smtp.to(sponsor.email)) == 1
    assert "already sent this week" in send_digest(runner, sunday_night).output
    for hours in range(0, 30, 3):  # a scheduler running every three hours, all Monday
        send_digest(runner, monday_morning + timedelta(hours=hours))
    assert len(smtp.to(sponsor.email)) == 2


def test_changing_the_time_zone_mid_week_sends_no_second_digest(runner, smtp):
    """Auckland's Monday is Pago Pago's Sunday: moving there after this week's digest
    put the sponsor back in last week, whose digest had not been sent."""
    sponsor = team(tz="Pacific/Auckland")
    monday_in_auckland = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # Mon 30 Nov, 01:00
    assert "sent: 1" in send_digest(runner, monday_in_auckland).output
    sponsor.timezone = "Pacific/Pago_Pago"  # where it is Sunday 29 November, 01:00
    db.session.commit()
    for hours in (1, 12, 24, 48):
        again = send_digest(runner, monday_in_auckland + timedelta(hours=hours))
        assert again.exit_code == 0, again.output
    assert len(smtp.to(sponsor.email)) == 1
    week_earlier = send_digest(runner, monday_in_auckland + timedelta(hours=1))
    assert (
        "skipped (this week's went out already, counted in their time zone before a change): 1"
        in week_earlier.output.splitlines()
    )
    next_monday_in_pago_pago = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    send_digest(runner, next_monday_in_pago_pago)
    assert len(smtp.to(sponsor.email)) == 2


def test_changing_the_digest_day_mid_week_sends_no_second_digest(runner, smtp):
    sponsor = team()
    send_digest(runner)  # Monday's
    sponsor.digest_weekday = 3  # Thursday from now on
    db.session.commit()
    send_digest(runner, MONDAY + timedelta(days=3))
    assert len(smtp.to(sponsor.email)) == 1
    send_digest(runner, MONDAY + timedelta(days=10))  # next Thursday
    assert len(smtp.to(sponsor.email)) == 2


def test_each_line_of_the_digest_says_what_the_sponsor_needs_in_their_own_time_zone(
    app, runner, smtp
):
    """Stalled: the step, the last check-in on the sponsor's calendar, a link to the
    check-in form. Waiting: oldest first, and only hand-ins still waiting of recruits
    still on the team."""
    from tests.factories import CheckInFactory

    sponsor = team(name="Kiri Kiwi", tz="Pacific/Auckland", stalled=())
    track = db.session.scalar(select(Track).where(Track.owner_id == sponsor.id))
    stu = UserFactory(
        name="Stuck Stu", sponsor=sponsor, track=track, enrolled_at=MONDAY - timedelta(days=20)
    )
    # 23:30 UTC on Friday 20 November is Saturday 21 November in Auckland (UTC+13).
    called = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    CheckInFactory(recruit=stu, sponsor=sponsor, happened_at=called, snooze_until=called)

    def waiting(name, days, status="submitted", archived=False):  # type: ignore[no-untyped-def]
        recruit = UserFactory(
            name=name,
            sponsor=sponsor,
            track=track,
            enrolled_at=MONDAY - timedelta(days=10),
            archived_at=MONDAY - timedelta(days=1) if archived else None,
        )
        SubmissionFactory(
            recruit=recruit,
            assignment=track.assignments[0],
            status=status,
            submitted_at=MONDAY - timedelta(days=days),
            decided_at=None if status == "submitted" else MONDAY - timedelta(days=days - 1),
            decided_by_id=None if status == "submitted" else sponsor.id,
        )

    waiting("Newer Nia", 3)  # recorded first, waiting less long
    waiting("Older Ola", 5)
    waiting("Approved Amy", 6, status="approved")
    waiting("Gone Gary", 4, archived=True)
    result = send_digest(runner)
    assert result.exit_code == 0, result.output
    (message,) = smtp.to(sponsor.email)
    assert message["Subject"] == "Willing weekly: 1 stalled recruit, 2 reviews waiting"
    text_part, html_part = parts(message)
    assert "- Stuck Stu: “Step 1 title”, idle " in text_part
    assert "last check-in: Sat 21 Nov 2026" in text_part
    stu_link = app.config["BASE_URL"] + f"/recruits/{stu.id}#check-in"
    assert f"Log a check-in: {stu_link}" in text_part and stu_link in html_part
    older = db.session.scalar(
        select(Submission)
        .join(User, User.id == Submission.recruit_id)
        .where(User.name == "Older Ola")
    )
    review_link = app.config["BASE_URL"] + f"/review/{older.id}"
    assert "- Older Ola: “Step 1 title”, waiting 5 days" in text_part
    assert f"Review: {review_link}" in text_part and review_link in html_part
    for body in (text_part, html_part):
        assert body.index("Older Ola") < body.index("Newer Nia")
        assert "waiting 5 days" in body and "waiting 3 days" in body
        assert "Approved Amy" not in body and "Gone Gary" not in body


def test_a_message_of_another_kind_with_its_own_key_is_not_a_digest_week(runner, smtp):
    """Partner and group reminders will carry keys of their own: the digest's "no week
    earlier than one already recorded" reads digests only."""
    from tests.factories import OutboxMessageFactory

    sponsor = team()
    OutboxMessageFactory(
        kind=MessageKind.DECIDED, recipient=sponsor, dedupe_key="reminder:1:2099-01-05"
    )
    result = send_digest(runner)
    assert "sent: 1" in result.output, result.output
    assert len(smtp.to(sponsor.email)) == 1


def test_a_run_prints_one_line_per_outcome_and_nothing_else(runner, smtp):
    sent = team(name="Sent Sam")
    quiet = team(name="Quiet Quin", stalled=())  # a recruit who started yesterday
    UserFactory(sponsor=quiet, enrolled_at=MONDAY - timedelta(days=1))
    team(name="No Mail Nora", email_digest=False)
    result = send_digest(runner)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "sent: 1",
        f"  {sent.email}",
        "skipped (nothing to report): 1",
        "skipped (unsubscribed): 1",
        "failed: 0",
    ]
    again = send_digest(runner)
    assert again.output.splitlines() == [
        "sent: 0",
        "skipped (already sent this week): 1",
        "skipped (nothing to report): 1",
        "skipped (unsubscribed): 1",
        "failed: 0",
    ]


def test_a_digest_run_reads_per_batch_and_writes_one_statement_per_digest(runner, smtp):
    """No query per recruit, per waiting hand-in or per sponsor: twice the sponsors
    (each with stalled recruits and a backlog) cost only one more write per digest."""

    def statements_for_a_week(as_of):  # type: ignore[no-untyped-def]
        with count_queries() as statements:
            result = send_digest(runner, as_of)
        assert result.exit_code == 0, result.output
        return len(statements), result.output

    for n in range(2):
        team(name=f"First {n}", stalled=("Stuck A", "Stuck B"), waiting=2)
    first, first_output = statements_for_a_week(MONDAY)
    for n in range(2):
        team(name=f"Second {n}", stalled=("Stuck A", "Stuck B"), waiting=2)
    week_later = MONDAY + timedelta(days=7)
    second, second_output = statements_for_a_week(week_later)
    assert "sent: 2" in first_output and "sent: 4" in second_output
    assert second - first == 2


def test_the_longest_silent_recruit_comes_first(runner, smtp):
    sponsor = team(name="Order Ora", stalled=())
    track = db.session.scalar(select(Track).where(Track.owner_id == sponsor.id))
    for name, days in (("Ten Days Tia", 10), ("Thirty Days Tom", 30), ("Twenty Days Ted", 20)):
        UserFactory(
            name=name, sponsor=sponsor, track=track, enrolled_at=MONDAY - timedelta(days=days)
        )
    send_digest(runner)
    (message,) = smtp.to(sponsor.email)
    text_part = parts(message)[0]
    order = sorted(("Ten Days Tia", "Thirty Days Tom", "Twenty Days Ted"), key=text_part.index)
    assert order == ["Thirty Days Tom", "Twenty Days Ted", "Ten Days Tia"]


def test_a_sponsor_whose_time_zone_is_unknown_gets_the_digest_on_utcs_monday(runner, smtp):
    """A zone the tz database no longer knows (renamed, or typed by hand): UTC."""
    sponsor = team(tz="Mars/Olympus_Mons")
    sunday_night = send_digest(runner, datetime(2026, 11, 29, 23, 59, tzinfo=UTC))
    assert sunday_night.exit_code == 0, sunday_night.output
    assert "sent: 1" in sunday_night.output  # last week's, which had not gone
    monday = send_digest(runner, datetime(2026, 11, 30, 0, 0, tzinfo=UTC))
    assert "sent: 1" in monday.output, monday.output
    weeks = sorted(m["Message-ID"] for m in smtp.to(sponsor.email))
    assert weeks == [
        f"<digest-{sponsor.id}-2026-11-23@127.0.0.1>",
        f"<digest-{sponsor.id}-2026-11-30@127.0.0.1>",
    ]


def test_a_dry_run_names_every_reason_a_digest_is_already_somebody_elses(runner, smtp):
    """Sent, given up, cancelled (unsubscribed after it was queued), queued, failed and
    waiting, held by a live run: each is reported once, whatever order the rows come in."""
    from app.services.digest import digest_key

    sponsors = [team(name=f"Sponsor {n}") for n in range(6)]
    statuses = ["sent", "gave_up", "cancelled", "pending", "failed", "sending"]
    for sponsor, status in zip(sponsors, statuses, strict=True):
        row = claimed_digest(sponsor, lease_ends=utcnow() + timedelta(minutes=5))
        row.status = status
        row.claim_token = "live-run" if status == "sending" else None
    db.session.commit()
    dry = send_digest(runner, MONDAY, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert sorted(line for line in dry.output.splitlines() if line.startswith("skipped")) == sorted(
        [
            "skipped (already sent this week): 1",
            "skipped (refused by the mail server, or failing for days: not tried again): 1",
            "skipped (unsubscribed): 1",
            "skipped (in the outbox: the mail worker or a later run sends it): 1",
            "skipped (failed before: tried again after a pause): 1",
            "skipped (being sent by another run): 1",
        ]
    )
    real = send_digest(runner, MONDAY)  # the same, for real: nothing is due yet
    assert "sent: 0" in real.output and smtp.messages == []
    assert digest_key(sponsors[0].id, MONDAY.date()) in {
        k for (k,) in db.session.execute(select(OutboxMessage.dedupe_key))
    }


def test_a_run_that_loses_its_claim_mid_run_sends_nothing_more_and_says_so(app, runner, smtp):
    """Another sender took the rest over while this one was slow: it skips them."""
    from app.mail.transport import Transport
    from app.services.digest import run_digest

    for n in range(3):
        team(name=f"Sponsor {n}")
    saved = app.config["MAIL_LEASE_SECONDS"]
    app.config["MAIL_LEASE_SECONDS"] = 0.5  # renewed, and so re-checked, when under 0.25 s

    class SlowAndRobbed(Transport):
        robbed = False

        def send(self, sender, recipient, data):  # type: ignore[no-untyped-def]
            super().send(sender, recipient, data)
            time.sleep(0.3)
            if not self.robbed:  # meanwhile another sender took the other two over
                SlowAndRobbed.robbed = True
                with db.engine.begin() as other:
                    other.execute(
                        OutboxMessage.__table__.update()
                        .where(OutboxMessage.to_address != recipient)
                        .values(claim_token="thief")
                    )

    try:
        with SlowAndRobbed() as transport:
            summary = run_digest(db.session, MONDAY, transport)
    finally:
        app.config["MAIL_LEASE_SECONDS"] = saved
    assert len(summary.sent) == 1 and len(smtp.messages) == 1
    assert dict(summary.skipped) == {"taken over by another run": 2}


def test_a_digest_another_run_inserts_first_is_left_to_it(app, runner, smtp):
    """Two runs compose the same week's digest at once: the key that is already there
    when this run's insert lands belongs to the other run, which sends it."""
    from sqlalchemy import event

    from app.services.digest import digest_key

    sponsor = team()
    other_run = claimed_digest(sponsor, lease_ends=utcnow() + timedelta(minutes=5))
    row = {c.name: getattr(other_run, c.name) for c in OutboxMessage.__table__.columns}
    db.session.delete(other_run)
    db.session.commit()

    def the_other_run_inserts_first(conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if statement.lstrip().startswith("INSERT INTO outbox_messages") and not conn.info.get(
            "other"
        ):
            with db.engine.connect() as other:
                other.info["other"] = True
                other.execute(OutboxMessage.__table__.insert().values(row))
                other.commit()

    event.listen(db.engine, "before_cursor_execute", the_other_run_inserts_first)
    try:
        result = send_digest(runner)
    finally:
        event.remove(db.engine, "before_cursor_execute", the_other_run_inserts_first)
    assert result.exit_code == 0, result.output
    assert "sent: 0" in result.output
    assert "skipped (being sent by another run): 1" in result.output.splitlines()
    keys = db.session.scalars(select(OutboxMessage.claim_token)).all()
    assert keys == ["dead-run"] and smtp.messages == []
    assert row["dedupe_key"] == digest_key(sponsor.id, MONDAY.date())
