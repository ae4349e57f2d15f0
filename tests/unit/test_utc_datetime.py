"""UTCDateTime: times go in aware and come back aware in UTC, the same moment, on both
databases; SQLite's text timestamps are read in one parse, whatever wrote them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from app.extensions import db
from app.models import User
from app.models.base import _sqlite_utc
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("stored", "moment"),
    [
        ("2026-09-18 21:18:34.056709", datetime(2026, 9, 18, 21, 18, 34, 56709, UTC)),
        ("2026-09-18 21:18:34", datetime(2026, 9, 18, 21, 18, 34, tzinfo=UTC)),
        ("2026-09-18T21:18:34+00:00", datetime(2026, 9, 18, 21, 18, 34, tzinfo=UTC)),
        ("2026-09-18 16:18:34-05:00", datetime(2026, 9, 18, 21, 18, 34, tzinfo=UTC)),
        ("2026-09-19 06:48:34+09:30", datetime(2026, 9, 18, 21, 18, 34, tzinfo=UTC)),
        ("2026-09-18T21:18:34Z", datetime(2026, 9, 18, 21, 18, 34, tzinfo=UTC)),
        ("2026-09-18", datetime(2026, 9, 18, tzinfo=UTC)),
        (None, None),
    ],
)
def test_sqlite_text_reads_as_the_same_moment_in_utc(stored, moment):
    read = _sqlite_utc(stored)
    assert read == moment
    assert read is None or read.tzinfo is UTC


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_a_time_saved_in_any_zone_loads_as_the_same_moment_in_utc(app, moment, offset_minutes):
    """Through the real column, on SQLite and PostgreSQL."""
    zone = timezone(timedelta(minutes=offset_minutes))
    user = UserFactory(created_at=moment.astimezone(zone))
    db.session.expire_all()
    loaded = db.session.scalar(select(User.created_at).where(User.id == user.id))
    assert loaded == moment and loaded.tzinfo is UTC
    db.session.execute(delete(User).where(User.id == user.id))
    db.session.commit()
