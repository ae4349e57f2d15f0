"""The claim/lease mechanism (app/mail/lease.py), on the real database, one sender
played against another in the same process."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

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
    assert claim.keeps(connection, claim.items[0])  # renews: 0.6 s from now
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
    config["MAIL_RETRY_SECONDS"] = 0
    fresh, failed_before = OutboxMessageFactory(), OutboxMessageFactory(attempts=2)
    claim = lease.claim_due(connection, limit=5)
    lease.release(connection, claim, claim.items, "not tried: stopping")
    assert sorted(statuses()) == sorted([(fresh.id, "pending"), (failed_before.id, "failed")])
    assert {item.id for item in lease.claim_due(connection, limit=5).items} == {
        fresh.id,
        failed_before.id,
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
