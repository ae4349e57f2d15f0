"""Login throttling (ASVS V2.2): after 10 failures in 15 minutes, for one account or
from one address, further tries wait. Failures live in the database, so the limit
holds across gunicorn workers and machines."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select

from app.extensions import db
from app.models import LoginFailure, utcnow

MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)


def minutes_to_wait(email: str, address: str, now: datetime | None = None) -> int:
    """0 if a login may be tried now, else how many minutes until it may."""
    now = now or utcnow()
    since = now - WINDOW
    waits = []
    for column, value in (
        (LoginFailure.email, email.strip().lower()),
        (LoginFailure.address, address),
    ):
        count, oldest = db.session.execute(
            select(func.count(LoginFailure.id), func.min(LoginFailure.created_at)).where(
                column == value, LoginFailure.created_at > since
            )
        ).one()
        if count >= MAX_FAILURES and oldest is not None:
            waits.append(oldest + WINDOW - now)
    if not waits:
        return 0
    return max(1, math.ceil(max(waits).total_seconds() / 60))


def record_failure(email: str, address: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    normalized = email.strip().lower()[:254]
    db.session.add(LoginFailure(email=normalized, address=address[:64], created_at=now))
    # Old failures are no use: forget this account's and address's older than a day.
    db.session.execute(
        delete(LoginFailure).where(
            or_(LoginFailure.email == normalized, LoginFailure.address == address[:64]),
            LoginFailure.created_at < now - timedelta(days=1),
        )
    )
    db.session.commit()


def forget_failures(email: str) -> None:
    """A successful login clears that account's failures (not the address's others)."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == email.strip().lower()))
    db.session.commit()
