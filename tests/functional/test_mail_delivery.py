"""Mail under faults, with real SMTP servers on 127.0.0.1 and real processes: a server
that never answers, one that drops the connection mid-message, a slow one; two workers
at once; two digest runs overlapping past the lease; a run killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import MessageKind, OutboxMessage, Submission, utcnow
from app.services.accounts import request_password_reset
from tests.conftest import deliver_mail, mail_server_for, post_form
from tests.factories import SubmissionFactory, UserFactory, make_track
from tests.smtp import DroppingServer, HungServer, MailServer

ROOT = Path(__file__).resolve().parents[2]
MONDAY = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def short_timeout(app):
    saved = app.config["MAIL_TIMEOUT"]
    app.config["MAIL_TIMEOUT"] = 0.5
    yield 0.5
    app.config["MAIL_TIMEOUT"] = saved


def stalled_team(count: int):
    """`count` sponsors, each with a stalled recruit as of MONDAY: a digest each."""
    sponsors = []
    for n in range(count):
        sponsor = UserFactory(name=f"Sponsor {n}")
        UserFactory(
            name=f"Stuck {n}",
            sponsor=sponsor,
            track=make_track(sponsor, 1),
            enrolled_at=MONDAY - timedelta(days=20),
        )
        sponsors.append(sponsor)
    return [(s.id, s.email) for s in sponsors]


def timed(action):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def test_a_hand_in_and_a_decision_return_at_once_with_a_hung_mail_server(
    app, client, auth, runner, short_timeout
):
    """The requests only record their messages; the worker meets the hung server, gives
    up in seconds, and delivers both once the server is back on the same port."""
    sponsor = UserFactory(name="Sam Sponsor")
    track = make_track(sponsor, 2)
    recruit = UserFactory(name="Rita Recruit", sponsor=sponsor, track=track, enrolled_at=utcnow())
    other = UserFactory(sponsor=sponsor, track=track, enrolled_at=utcnow())
    waiting = SubmissionFactory(recruit=other, assignment=track.assignments[0])
    recipients = sorted([sponsor.email, other.email])  # the hand-in note, the decision note
    with mail_server_for(app, HungServer()) as hung:
        auth.login(recruit)
        handed, seconds = timed(
            lambda: post_form(
                client,
                f"/homework/{track.assignments[0].id}/hand-in",
                {"answer": "Done"},
                page="/homework",
                content_type="multipart/form-data",
            )
        )
        assert handed.status_code == 302 and seconds < 1.0, seconds
        auth.logout()
        auth.login(sponsor)
        decided, seconds = timed(
            lambda: post_form(
                client, f"/review/{waiting.id}", {"approve": "1", "feedback": ""}, page="/review"
            )
        )
        assert decided.status_code == 302 and seconds < 1.0, seconds
        assert db.session.scalar(select(func.count(Submission.id))) == 2

        worker, seconds = timed(lambda: runner.invoke(args=["mail", "work", "--once"]))
        assert worker.exit_code == 1 and "sent: 0, failed: 2" in worker.output, worker.output
        assert seconds < 3 * short_timeout + 2, seconds
        assert hung.connections >= 2
        port = hung.port
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert sorted(statuses) == ["failed", "failed"]

    with mail_server_for(app, MailServer(port=port)) as back:
        assert "sent: 2, failed: 0" in deliver_mail(runner)
        deliver_mail(runner)
    assert sorted(m["To"].addresses[0].addr_spec for m in back.messages) == recipients


def test_a_digest_run_meeting_a_hung_server_stops_in_seconds_and_loses_nothing(
    app, runner, short_timeout
):
    sponsors = stalled_team(6)
    with mail_server_for(app, HungServer()) as hung:
        run, seconds = timed(
            lambda: runner.invoke(args=["digest", "send", "--as-of", MONDAY.isoformat()])
        )
        port = hung.port
    assert run.exit_code == 1, run.output
    assert seconds < 3 * short_timeout + 3, seconds  # three timeouts, not six, not hours
    assert "failed: 3" in run.output and "stopped early" in run.output
    assert "skipped (not tried: the run stopped): 3" in run.output
    rows = db.session.execute(select(OutboxMessage.status, OutboxMessage.attempts)).all()
    assert sorted(rows) == [("failed", 1)] * 3 + [("pending", 0)] * 3

    with mail_server_for(app, MailServer(port=port)) as back:
        again = runner.invoke(args=["digest", "send", "--as-of", MONDAY.isoformat()])
        assert again.exit_code == 0 and "sent: 6" in again.output, again.output
        runner.invoke(args=["digest", "send", "--as-of", MONDAY.isoformat()])
    assert sorted(len(back.to(email)) for _id, email in sponsors) == [1] * 6


def test_failures_add_up_across_a_runs_claims_and_a_stop_hands_back_the_next_claim(
    app, runner, short_timeout
):
    """A run holds two claims: the week's digests it takes over (failed before) and the
    new ones. Failures of both are counted; a stop in the first hands back the second."""
    saved = {key: app.config[key] for key in ("MAIL_RETRY_SECONDS", "MAIL_MAX_SERVER_FAULTS")}
    app.config.update(MAIL_RETRY_SECONDS=0)  # a failed digest is due again at once

    def run():  # type: ignore[no-untyped-def]
        return runner.invoke(args=["digest", "send", "--as-of", MONDAY.isoformat()])

    try:
        with mail_server_for(app, HungServer()):
            stalled_team(2)
            first = run()
            assert "failed: 2" in first.output and "stopped" not in first.output, first.output
            stalled_team(2)
            second = run()  # two taken over, two new: four failures, two in a row each
            assert "failed: 4" in second.output and "stopped" not in second.output
            app.config.update(MAIL_MAX_SERVER_FAULTS=1)
            late_ids = [sponsor_id for sponsor_id, _email in stalled_team(2)]
            third = run()
        assert third.exit_code == 1
        assert "failed: 1" in third.output and "stopped early" in third.output
        # Three of the taken-over claim and the two new digests: back, untried.
        assert "skipped (not tried: the run stopped): 5" in third.output, third.output
        late = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient_id.in_(late_ids))
        ).all()
        assert [(m.status, m.attempts, m.claim_token) for m in late] == [("pending", 0, None)] * 2
        assert all(m.last_error.startswith("not tried: the mail server failed 1 ") for m in late)
        assert all(m.due_at <= utcnow() for m in late)
    finally:
        app.config.update(saved)


def test_a_server_that_drops_the_connection_mid_message_gets_it_again_later(app, runner):
    sponsor = UserFactory()
    track = make_track(sponsor, 1)
    SubmissionFactory(
        recruit=UserFactory(sponsor=sponsor, track=track), assignment=track.assignments[0]
    )

    request_password_reset(db.session, sponsor.email)
    with mail_server_for(app, DroppingServer()) as dropping:
        run = runner.invoke(args=["mail", "work", "--once"])
        port = dropping.port
    assert run.exit_code == 1 and "failed: 1" in run.output
    (row,) = db.session.scalars(select(OutboxMessage)).all()
    assert row.status == "failed" and "Disconnected" in row.last_error
    with mail_server_for(app, MailServer(port=port)) as back:
        deliver_mail(runner)
        deliver_mail(runner)
    assert [m["Subject"] for m in back.messages] == ["Choose a new Willing password"]


def test_the_timeout_bounds_a_send_to_a_server_that_never_answers(app, short_timeout):
    from app.mail.transport import SendFailed, Transport

    with HungServer() as hung:
        config = {**app.config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": hung.port}
        with Transport(config) as transport:
            started = time.monotonic()
            with pytest.raises(SendFailed) as failure:
                transport.send("a@example.com", "b@example.com", b"Subject: x\r\n\r\nx\r\n")
    assert failure.value.server_fault
    assert short_timeout <= time.monotonic() - started < short_timeout + 1.5


# --- Several senders at once, in real processes ------------------------------------


def flask(database_url: str, port: int, *args: str, **env: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "WILLING_ENV": "testing",
        "TEST_DATABASE_URL": database_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "FLASK_APP": "wsgi",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finished(process: subprocess.Popen, timeout: float = 120) -> str:
    output = process.communicate(timeout=timeout)[0]
    return output


def outbox_of(count: int, recipient, due_at: datetime) -> None:  # type: ignore[no-untyped-def]
    """`count` messages waiting in the outbox from `due_at`, each with its own subject."""
    rows = [
        {
            "kind": MessageKind.HANDED_IN,
            "recipient_id": recipient.id,
            "to_address": recipient.email,
            "subject": f"Message {n}",
            "data": f"Subject: Message {n}\r\nTo: {recipient.email}\r\n\r\nBody {n}\r\n".encode(),
            "status": "pending",
            "attempts": 0,
            "due_at": due_at,
            "created_at": utcnow(),
            "last_error": "",
        }
        for n in range(count)
    ]
    db.session.execute(insert(OutboxMessage), rows)
    db.session.commit()


def test_two_workers_at_once_deliver_each_of_500_messages_once(app, database_url):
    """Two long-running workers, started before the messages are due, so both are polling
    when they are: they claim side by side (in batches of 2, so their claims meet all the
    time), and SIGTERM stops them."""
    outbox_of(500, UserFactory(), due_at=utcnow() + timedelta(seconds=4))
    with MailServer(delay=0.002) as server:
        workers = [
            flask(
                database_url,
                server.port,
                "mail",
                "work",
                MAIL_BATCH_SIZE="2",
                MAIL_POLL_SECONDS="0.05",
            )
            for _ in range(2)
        ]
        server.wait_for(500, timeout=90)
        time.sleep(0.5)  # anything sent twice would arrive by now
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [finished(worker) for worker in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    subjects = [m["Subject"] for m in server.messages]
    assert len(subjects) == 500 and len(set(subjects)) == 500, outputs
    sent = [int(out.rsplit("sent: ", 1)[1].split(",")[0]) for out in outputs]
    assert sum(sent) == 500 and min(sent) > 50, outputs  # both took their share
    batches = [
        int(line.split(" sent ")[1].split(",")[0])
        for line in "".join(outputs).splitlines()
        if " sent " in line
    ]
    assert max(batches) <= 2, batches  # a claim holds no more than a batch
    assert (
        db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "sent")
        )
        == 500
    )


LEASE = "2"  # seconds: the lease, shortened so a test can outlast it


def digest_run(database_url: str, port: int, as_of: datetime, lease: str) -> subprocess.Popen:
    """`flask digest send --as-of ...` in a process of its own, with a short lease."""
    return flask(
        database_url,
        port,
        "digest",
        "send",
        "--as-of",
        as_of.isoformat(),
        MAIL_LEASE_SECONDS=lease,
    )


def test_two_digest_runs_overlapping_past_the_lease_send_each_digest_once(app, database_url):
    """The first run is slowed down by the server (0.25 s a message, 30 digests); the
    second starts while it sends, after the lease the first run took its claims with has
    ended (had it not renewed them), and with --as-of 31 minutes later. Leases run on the
    real clock and are renewed before each send: the second run takes nothing over."""
    sponsors = stalled_team(30)
    with MailServer(delay=0.25) as server:
        first = digest_run(database_url, server.port, MONDAY, LEASE)
        server.wait_for(3, timeout=60)
        time.sleep(float(LEASE) + 0.5)
        assert first.poll() is None, "the second run must start while the first one sends"
        second = digest_run(database_url, server.port, MONDAY + timedelta(minutes=31), LEASE)
        second_output = finished(second)
        first_output = finished(first)
    assert first.returncode == 0 and "sent: 30" in first_output, first_output
    assert second.returncode == 0 and "sent: 0" in second_output, second_output
    busy = int(second_output.split("skipped (being sent by another run): ")[1].split()[0])
    assert busy > 0, second_output  # it saw live claims of the first run, and left them
    assert sorted(len(server.to(email)) for _id, email in sponsors) == [1] * 30


def test_a_run_killed_mid_batch_loses_nothing_after_the_lease(app, database_url):
    lease = "5"
    sponsors = stalled_team(12)
    with MailServer(delay=0.15) as server:
        run = digest_run(database_url, server.port, MONDAY, lease)
        server.wait_for(4, timeout=60)
        assert server.waiting.wait(10)  # the next message is in the middle of its SMTP dialogue
        run.send_signal(signal.SIGKILL)
        finished(run)
        delivered = len(server.messages)
        assert 4 <= delivered < 12

        too_soon = flask(
            database_url, server.port, "mail", "work", "--once", MAIL_LEASE_SECONDS=lease
        )
        assert "sent: 0" in finished(too_soon)  # the dead run's lease still holds
        time.sleep(float(lease) + 0.2)
        after = flask(database_url, server.port, "mail", "work", "--once", MAIL_LEASE_SECONDS=lease)
        after_output = finished(after)
    assert after.returncode == 0 and f"sent: {12 - delivered}" in after_output, after_output
    assert sorted(len(server.to(email)) for _id, email in sponsors) == [1] * 12
    rows = db.session.scalars(select(OutboxMessage.status)).all()
    assert rows == ["sent"] * 12


# --- What a sender does with each kind of answer -----------------------------------


def recorded(kind: str = MessageKind.PASSWORD_RESET) -> list[tuple[str, int]]:
    db.session.expire_all()
    return db.session.execute(
        select(OutboxMessage.status, OutboxMessage.attempts).where(OutboxMessage.kind == kind)
    ).all()


def test_a_permanent_refusal_is_given_up_at_once_and_never_retried(app, runner, smtp):
    user = UserFactory()
    request_password_reset(db.session, user.email)
    smtp.refuse_next, smtp.refusal = 1, "550 5.1.1 No such user here"
    first = runner.invoke(args=["mail", "work", "--once"])
    assert first.exit_code == 1 and "failed: 1" in first.output
    assert recorded() == [("gave_up", 1)]
    assert "sent: 0, failed: 0" in deliver_mail(runner)
    assert smtp.messages == []


def test_a_temporary_refusal_is_tried_again_and_sent_once(app, runner, smtp):
    user = UserFactory()
    request_password_reset(db.session, user.email)
    smtp.refuse_next = 2  # 451 twice
    deliver_mail(runner)
    deliver_mail(runner)
    assert recorded() == [("failed", 2)]
    deliver_mail(runner)
    assert recorded() == [("sent", 3)] and len(smtp.to(user.email)) == 1


def test_international_addresses_go_as_smtp_can_carry_them(app, runner):
    """A non-ASCII domain goes in its IDNA form; a non-ASCII local part needs a server
    that speaks SMTPUTF8, and one that doesn't refuses it for good (no retries)."""
    domain = UserFactory(email="ana@bücher.example.com")
    local = UserFactory(email="jörg@example.com")
    for user in (domain, local):
        request_password_reset(db.session, user.email)
    with mail_server_for(app, MailServer()) as plain:
        deliver_mail(runner)
    assert [m["X-Envelope-To"] for m in plain.messages] == ["ana@xn--bcher-kva.example.com"]
    rows = dict(db.session.execute(select(OutboxMessage.to_address, OutboxMessage.status)).all())
    assert rows["jörg@example.com"] == "gave_up"

    db.session.execute(  # the first link is ten minutes old: ask for another
        OutboxMessage.__table__.update().values(created_at=utcnow() - timedelta(minutes=10))
    )
    db.session.commit()
    request_password_reset(db.session, local.email)
    with mail_server_for(app, MailServer(smtputf8=True)) as modern:
        deliver_mail(runner)
    (message,) = modern.messages
    assert message["X-Envelope-To"] == "jörg@example.com"
    assert message["To"].addresses[0].addr_spec == "jörg@example.com"


def test_turning_an_email_off_cancels_what_still_waits(app, client, auth, runner, smtp):
    from tests.conftest import csrf_token
    from tests.functional.test_email import hand_in_as

    sponsor = UserFactory(name="Quiet Quentin")
    track = make_track(sponsor, 1)
    recruit = UserFactory(sponsor=sponsor, track=track, enrolled_at=utcnow())
    hand_in_as(client, auth, recruit, track.assignments[0])
    assert recorded(MessageKind.HANDED_IN) == [("pending", 0)]
    from app.mail.unsubscribe import EmailKind, unsubscribe_token

    page = f"/unsubscribe/{unsubscribe_token(sponsor.id, EmailKind.HAND_IN)}"
    assert (
        client.post(page, data={"csrf_token": csrf_token(client.get("/login").text)}).status_code
        == 200
    )
    deliver_mail(runner)
    assert smtp.messages == []
    assert recorded(MessageKind.HANDED_IN) == [("cancelled", 0)]


def test_a_recruit_who_turns_decision_emails_off_gets_none_still_waiting(
    app, client, auth, runner, smtp
):
    from app.mail.unsubscribe import EmailKind, unsubscribe_token
    from app.services import review
    from tests.conftest import csrf_token

    sponsor = UserFactory(name="Sponsor Sue")
    track = make_track(sponsor, 2)
    recruit = UserFactory(sponsor=sponsor, track=track, enrolled_at=utcnow())
    waiting = SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    review.decide(db.session, sponsor, waiting.id, review.Decision.APPROVE, "Good.")
    assert recorded(MessageKind.DECIDED) == [("pending", 0)]
    page = f"/unsubscribe/{unsubscribe_token(recruit.id, EmailKind.DECISION)}"
    token = csrf_token(client.get("/login").text)
    assert client.post(page, data={"csrf_token": token}).status_code == 200
    deliver_mail(runner)
    assert smtp.messages == []
    assert recorded(MessageKind.DECIDED) == [("cancelled", 0)]


def test_a_flood_of_reset_requests_mails_one_link(app, client, runner, smtp):
    from tests.conftest import csrf_token

    user = UserFactory()
    for _ in range(5):
        token = csrf_token(client.get("/forgot-password").text)
        answer = client.post("/forgot-password", data={"email": user.email, "csrf_token": token})
        assert answer.status_code == 200 and "belongs to an account" in answer.text
    deliver_mail(runner)
    assert len(smtp.to(user.email)) == 1
