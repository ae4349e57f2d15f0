"""Login throttling (ASVS V2.2): after 10 failures in 15 minutes for one account, further
tries wait; one address gets 100 (an office behind one NAT shares it, and one person
must not lock everyone else out). Failures live in the database, so the limits hold
across gunicorn workers and machines.

An attempt is counted before its password is checked: its row is written (and
committed) first, then the rows are counted with it. Of any number of concurrent tries,
each sees a count at least as high as its own place in line, so no more than the
limit ever reach the password check; the others are refused and take their row back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from app.models import LoginFailure, normalize_email

MAX_FAILURES_PER_ACCOUNT = 10
MAX_FAILURES_PER_ADDRESS = 100
WINDOW = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Attempt:
    """A login attempt let through to the password check, counted as a failure until
    it is known to have succeeded."""

    row_id: int
    email: str
    address: str
    now: datetime


class Throttled(Exception):
    """Too many failures: the message says how many minutes to wait."""

    def __init__(self, minutes: int) -> None:
        super().__init__(
            f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        self.minutes = minutes


def begin(session: Session, email: str, address: str, now: datetime) -> Attempt:
    """Count one attempt; Throttled if the account or the address is over its limit."""
    email, address = normalize_email(email)[:254], address[:64]
    row = LoginFailure(email=email, address=address, created_at=now)
    session.add(row)
    session.commit()
    wait = _minutes_to_wait(session, email, address, now)
    if wait:
        session.execute(delete(LoginFailure).where(LoginFailure.id == row.id))
        session.commit()
        raise Throttled(wait)
    return Attempt(row.id, email, address, now)


def _minutes_to_wait(session: Session, email: str, address: str, now: datetime) -> int:
    since = now - WINDOW
    waits = []
    for column, value, limit in (
        (LoginFailure.email, email, MAX_FAILURES_PER_ACCOUNT),
        (LoginFailure.address, address, MAX_FAILURES_PER_ADDRESS),
    ):
        count, oldest = session.execute(
            select(func.count(LoginFailure.id), func.min(LoginFailure.created_at)).where(
                column == value, LoginFailure.created_at > since
            )
        ).one()
        if count > limit and oldest is not None:
            waits.append(oldest + WINDOW - now)
    if not waits:
        return 0
    return max(1, math.ceil(max(waits).total_seconds() / 60))


def failed(session: Session, attempt: Attempt) -> None:
    """The password was wrong: the attempt's row stays counted; old rows are dropped."""
    session.execute(
        delete(LoginFailure).where(
            or_(LoginFailure.email == attempt.email, LoginFailure.address == attempt.address),
            LoginFailure.created_at < attempt.now - FORGET_AFTER,
        )
    )
    session.commit()


def succeeded(session: Session, attempt: Attempt) -> None:
    """A successful login clears that account's failures (not the address's others)."""
    session.execute(delete(LoginFailure).where(LoginFailure.email == attempt.email))
    session.commit()
