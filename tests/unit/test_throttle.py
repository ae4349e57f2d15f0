"""Login throttling's own rules (app/services/throttle.py) on the real database: the
wait it announces and the housekeeping of old failures. The limits themselves are
exercised through the login form in tests/functional/test_sessions_and_login.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import LoginFailure
from app.services import throttle

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def fail(email: str, address: str, at: datetime) -> None:
    db.session.add(LoginFailure(email=email, address=address, created_at=at))
    db.session.commit()


def remaining() -> list[tuple[str, str, datetime]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(LoginFailure.email, LoginFailure.address, LoginFailure.created_at)
    ).all()
    return sorted((email, address, at) for email, address, at in rows)


@pytest.mark.parametrize(
    ("seconds_left", "message"),
    [
        (30, "Try again in 1 minute."),
        (60, "Try again in 1 minute."),
        (61, "Try again in 2 minutes."),
        (15 * 60, "Try again in 15 minutes."),
    ],
)
def test_the_locked_out_person_is_told_how_long_to_wait_in_whole_minutes(
    app, seconds_left, message
):
    """The account's oldest counted failure leaves the window in `seconds_left`."""
    oldest = NOW - throttle.WINDOW + timedelta(seconds=seconds_left)
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
        fail("kim@example.com", "198.51.100.7", oldest)
    with pytest.raises(throttle.Throttled) as refused:
        throttle.begin(db.session, "Kim@Example.com", "198.51.100.7", NOW)
    assert str(refused.value) == f"Too many failed attempts. {message}"
    assert refused.value.minutes == int(message.split()[3])  # the Retry-After, in minutes
    # The refused try took its row back: the ten failures are what is left.
    assert remaining() == [("kim@example.com", "198.51.100.7", oldest)] * 10


def test_a_failure_drops_the_account_and_the_address_failures_older_than_a_day(app):
    day_old = NOW - throttle.FORGET_AFTER
    fail("kim@example.com", "203.0.113.1", day_old - timedelta(seconds=1))  # this account
    fail("lee@example.com", "198.51.100.7", day_old - timedelta(seconds=1))  # this address
    fail("kim@example.com", "203.0.113.1", day_old)  # exactly a day: kept
    fail("kim@example.com", "203.0.113.1", NOW - timedelta(hours=23))
    # Somebody else's old row waits for their own next failure: the delete goes through
    # the account's and the address's indexes, never the whole table.
    fail("zed@example.com", "192.0.2.9", day_old - timedelta(hours=1))
    attempt = throttle.begin(db.session, "kim@example.com", "198.51.100.7", NOW)
    throttle.failed(db.session, attempt)
    assert remaining() == sorted(
        [
            ("kim@example.com", "203.0.113.1", day_old),
            ("kim@example.com", "203.0.113.1", NOW - timedelta(hours=23)),
            ("kim@example.com", "198.51.100.7", NOW),  # the failure just counted
            ("zed@example.com", "192.0.2.9", day_old - timedelta(hours=1)),
        ]
    )


def test_a_success_clears_the_account_and_leaves_the_address_others_counted(app):
    for _ in range(3):
        fail("kim@example.com", "198.51.100.7", NOW - timedelta(minutes=5))
        fail("lee@example.com", "198.51.100.7", NOW - timedelta(minutes=5))
    attempt = throttle.begin(db.session, "kim@example.com", "198.51.100.7", NOW)
    throttle.succeeded(db.session, attempt)
    db.session.expire_all()
    emails = db.session.scalars(select(LoginFailure.email)).all()
    assert emails == ["lee@example.com"] * 3
