"""The claim/lease mechanism (app/mail/lease.py), on the real database, one sender
played against another in the same process."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.mail import lease
from app.mail.worker import writer
from app.models import MessageKind, OutboxMessage, utcnow
from tests.factories import OutboxMessageFactory


@pytest.fixture
def connection(app):
    with writer() as autocommit:
        yield autocommit


@pytest.fixture
def config(app):
    saved = dict(app.config)
    yield app.config
    app.config.update(saved)


def statuses() -> list[tuple[int, str]]:
    db.session.expire_all()
    return db.session.execute(select(OutboxMessage.id, OutboxMessage.status)).all()


def test_a_claim_takes_due_messages_oldest_first_and_no_more_than_asked(connection):
    old = OutboxMessageFactory(due_at=utcnow() - timedelta(minutes=5))
    new = OutboxMessageFactory(due_at=utcnow() - timedelta(minutes=1))
    later = OutboxMessageFactory(due_at=utcnow() + timedelta(minutes=5))
    first = lease.claim_due(connection, limit=1)
    assert [item.id for item in first.items] == [old.id]
    second = lease.claim_due(connection, limit=10)
    assert [item.id for item in second.items] == [new.id]  # not the claimed one, not `later`
    assert lease.claim_due(connection, limit=10).items == []
    db.session.refresh(later)
    assert later.status == "pending"


def test_a_claim_records_its_time_and_its_lease_on_the_real_clock(connection, config):
    config["MAIL_LEASE_SECONDS"] = 120
    message = OutboxMessageFactory()
    before = utcnow()
    claim = lease.claim_due(connection, limit=5)
    db.session.refresh(message)
    assert message.status == "sending" and message.claim_token == claim.token
    assert before <= message.claimed_at <= utcnow()
    assert message.due_at - message.claimed_at == timedelta(seconds=120)


def test_only_the_holder_records_and_a_lapsed_claim_is_taken_over(connection, config):
    config["MAIL_LEASE_SECONDS"] = 0.3
    message = OutboxMessageFactory()
    dead = lease.claim_due(connection, limit=5)
    assert lease.claim_due(connection, limit=5).items == []  # the lease holds
    time.sleep(0.35)
    heir = lease.claim_due(connection, limit=5)
    assert [item.id for item in heir.items] == [message.id]
    assert not dead.keeps(connection, dead.items[0])  # the dead one learns it lost it
    assert lease.record_sent(connection, dead, dead.items[0]) is False
    db.session.refresh(message)
    assert message.status == "sending" and message.claim_token == heir.token
    assert lease.record_sent(connection, heir, heir.items[0]) is True
    db.session.refresh(message)
    assert (message.status, message.data, message.attempts) == ("sent", None, 1)


def test_a_sender_renews_before_its_lease_runs_short(connection, config):
    config["MAIL_LEASE_SECONDS"] = 0.6  # renewed when under half is left
    OutboxMessageFactory()
    claim = lease.claim_due(connection, limit=5)
    time.sleep(0.35)
    before = utcnow()
    assert claim.keeps(connection, claim.items[0])  # renews: 0.6 s from now
    assert 0.5 < claim.seconds_left() <= 0.6  # counted from the renewal
    db.session.expire_all()
    (due_at,) = db.session.scalars(select(OutboxMessage.due_at)).all()
    assert before + timedelta(seconds=0.6) <= due_at <= utcnow() + timedelta(seconds=0.6)
    time.sleep(0.35)  # past the first lease, within the renewed one
    assert lease.claim_due(connection, limit=5).items == []


def test_failures_wait_longer_each_time_and_stop_after_the_give_up_time(connection, config):
    config.update(MAIL_RETRY_SECONDS=60, MAIL_GIVE_UP_HOURS=72)
    message = OutboxMessageFactory(created_at=utcnow() - timedelta(hours=71))
    waits = []
    for _ in range(3):
        db.session.execute(
            OutboxMessage.__table__.update().values(due_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        claim = lease.claim_due(connection, limit=5)
        before = utcnow()
        status = lease.record_failed(connection, claim, claim.items[0], "SMTPDataError: 451")
        assert status == "failed"
        db.session.refresh(message)
        waits.append(round((message.due_at - before).total_seconds() / 60))
    assert waits == [1, 2, 4]
    assert (message.status, message.attempts) == ("failed", 3) and message.data
    message.created_at = utcnow() - timedelta(hours=72)  # failing for three days now
    message.due_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    claim = lease.claim_due(connection, limit=5)
    assert lease.record_failed(connection, claim, claim.items[0], "451 again") == "gave_up"
    db.session.refresh(message)
    assert (message.status, message.attempts, message.data) == ("gave_up", 4, None)
    db.session.execute(OutboxMessage.__table__.update().values(due_at=utcnow()))
    db.session.commit()
    assert lease.claim_due(connection, limit=5).items == []  # nobody tries again


def test_a_permanent_refusal_gives_up_at_once_and_a_stale_reset_link_after_an_hour(
    connection, config
):
    refused = OutboxMessageFactory()
    reset = OutboxMessageFactory(
        kind=MessageKind.PASSWORD_RESET, created_at=utcnow() - timedelta(minutes=61)
    )
    claim = lease.claim_due(connection, limit=5)
    by_id = {item.id: item for item in claim.items}
    assert (
        lease.record_failed(
            connection, claim, by_id[refused.id], "550 no such user", permanent=True
        )
        == "gave_up"
    )
    assert lease.record_failed(connection, claim, by_id[reset.id], "timed out") == "gave_up"
    assert sorted(statuses()) == sorted([(refused.id, "gave_up"), (reset.id, "gave_up")])


def test_released_messages_go_back_unchanged_for_someone_else(connection, config):
    config["MAIL_RETRY_SECONDS"] = 60
    fresh, failed_before = OutboxMessageFactory(), OutboxMessageFactory(attempts=2)
    failed_once = OutboxMessageFactory(attempts=1)
    claim = lease.claim_due(connection, limit=5)
    before = utcnow()
    lease.release(connection, claim, claim.items, "not tried: stopping")
    after = utcnow()
    assert sorted(statuses()) == sorted(
        [(fresh.id, "pending"), (failed_before.id, "failed"), (failed_once.id, "failed")]
    )
    rows = db.session.execute(
        select(OutboxMessage.due_at, OutboxMessage.last_error, OutboxMessage.attempts)
    ).all()
    pause = timedelta(seconds=60)  # one retry pause: not at once, not as a second failure
    assert all(before + pause <= due_at <= after + pause for due_at, _e, _a in rows)
    assert sorted((error, attempts) for _d, error, attempts in rows) == [
        ("not tried: stopping", 0),
        ("not tried: stopping", 1),
        ("not tried: stopping", 2),
    ]
    config["MAIL_RETRY_SECONDS"] = 0
    db.session.execute(update(OutboxMessage).values(due_at=utcnow()))
    db.session.commit()
    assert {item.id for item in lease.claim_due(connection, limit=5).items} == {
        fresh.id,
        failed_before.id,
        failed_once.id,
    }


def test_new_messages_inserted_claimed_skip_a_key_that_exists(connection):
    existing = OutboxMessageFactory(kind=MessageKind.DIGEST, dedupe_key="digest:1:2026-11-30")
    rows = [
        {
            "kind": MessageKind.DIGEST,
            "recipient_id": None,
            "to_address": f"s{n}@example.com",
            "subject": "Weekly",
            "data": b"Subject: Weekly\r\n\r\nx\r\n",
            "dedupe_key": f"digest:{n}:2026-11-30",
        }
        for n in (1, 2)
    ]
    claim = lease.claim_new(connection, rows)
    assert [item.dedupe_key for item in claim.items] == ["digest:2:2026-11-30"]
    db.session.refresh(existing)
    assert existing.status == "pending"
    assert lease.claim_new(connection, rows).items == []  # a second run gets none of them


@pytest.mark.parametrize(
    ("timeout", "lease_seconds", "too_short"),
    # A send takes at most 14 timeouts; the lease must hold two sends and 30 s of skew each.
    [(10, 339, True), (10, 340, False), (1, 87, True), (1, 88, False), (1, 1000, False)],
)
def test_a_lease_shorter_than_two_slow_sends_is_flagged_and_the_worker_warns(
    app, config, runner, caplog, timeout, lease_seconds, too_short
):
    config.update(MAIL_TIMEOUT=timeout, MAIL_LEASE_SECONDS=lease_seconds)
    assert lease.lease_too_short() is too_short
    assert lease.safety_margin(lease.lease_length()) == min(lease_seconds / 2, 14 * timeout + 30)
    result = runner.invoke(args=["mail", "work", "--once"])
    assert result.exit_code == 0, result.output
    warned = any("under twice the longest send" in r.getMessage() for r in caplog.records)
    assert warned is too_short


def test_a_take_over_takes_only_the_messages_named_and_only_if_still_open(connection):
    """A digest run takes over its own week's rows: never another message that happens
    to be due, never one that was sent, given up or cancelled meanwhile."""
    past = utcnow() - timedelta(minutes=1)
    wanted = OutboxMessageFactory(status="failed", attempts=1, due_at=past)
    bystander = OutboxMessageFactory(due_at=past)
    finished = [
        OutboxMessageFactory(status=status, attempts=1, due_at=past)
        for status in ("sent", "gave_up", "cancelled")
    ]
    claim = lease.take_over(connection, [wanted.id, *(m.id for m in finished)])
    assert [item.id for item in claim.items] == [wanted.id]
    assert sorted(statuses()) == sorted(
        [(wanted.id, "sending"), (bystander.id, "pending")] + [(m.id, m.status) for m in finished]
    )


def test_an_error_is_kept_to_2000_characters(connection, config):
    config["MAIL_RETRY_SECONDS"] = 60
    message = OutboxMessageFactory()
    claim = lease.claim_due(connection, limit=1)
    lease.record_failed(connection, claim, claim.items[0], "x" * 5000)
    db.session.refresh(message)
    assert (message.status, message.last_error) == ("failed", "x" * 2000)


def test_a_claim_takes_the_earliest_due_not_the_earliest_written(connection):
    """A retry that came due an hour ago goes before a message due since, whatever
    order they were written in."""
    newer = OutboxMessageFactory(due_at=utcnow() - timedelta(minutes=5))
    retry = OutboxMessageFactory(status="failed", attempts=1, due_at=utcnow() - timedelta(hours=1))
    assert [item.id for item in lease.claim_due(connection, limit=1).items] == [retry.id]
    assert [item.id for item in lease.claim_due(connection, limit=1).items] == [newer.id]


def test_finished_messages_never_crowd_a_claim_out(connection):
    """Sent, given-up and cancelled rows keep their old due time: the claim's LIMIT must
    count only open messages, or a long history would starve the new ones."""
    long_ago = utcnow() - timedelta(days=30)
    for status in ("sent", "gave_up", "cancelled") * 3:
        OutboxMessageFactory(status=status, attempts=1, due_at=long_ago)
    waiting = OutboxMessageFactory(due_at=utcnow() - timedelta(seconds=1))
    assert [item.id for item in lease.claim_due(connection, limit=2).items] == [waiting.id]
