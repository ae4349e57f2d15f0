"""app/connections.py: read-only requests end with COMMIT, idle connections are pinged.

Both are speed-ups (bench/); these tests hold them to what matters to a user: no work
is ever committed that a view did not commit, and a connection the database dropped
is replaced before a page needs it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import OperationalError

from app import connections
from app.extensions import db
from app.models import User
from tests.factories import UserFactory, make_team


@pytest.fixture
def transaction_ends(app):
    """'commit' / 'rollback', in order, for every transaction the app's engine ends."""
    ends: list[str] = []

    def on_commit(_conn) -> None:  # type: ignore[no-untyped-def]
        ends.append("commit")

    def on_rollback(_conn) -> None:  # type: ignore[no-untyped-def]
        ends.append("rollback")

    event.listen(db.engine, "commit", on_commit)
    event.listen(db.engine, "rollback", on_rollback)
    yield ends
    event.remove(db.engine, "commit", on_commit)
    event.remove(db.engine, "rollback", on_rollback)


def test_a_page_that_only_reads_ends_its_transaction_with_commit(client, auth, transaction_ends):
    _upline, _sponsor, _track, recruit, _ = make_team()
    auth.login(recruit)
    client.get("/homework")  # touches the session's last_seen_at: a write, rolled back or not
    transaction_ends.clear()
    assert client.get("/homework").status_code == 200
    assert transaction_ends == ["commit"]


def test_work_a_view_left_uncommitted_is_still_rolled_back(app, transaction_ends):
    """The teardown must never commit a write (or pending ORM change) a view left behind."""
    user = UserFactory(name="Before")
    user_id = user.id
    db.session.remove()
    transaction_ends.clear()

    with app.app_context():  # a view that writes with Core and never commits
        db.session.execute(update(User).where(User.id == user_id).values(name="Core write"))
    with app.app_context():  # a view that changes an object and never commits
        db.session.get(User, user_id).name = "ORM change"
    with app.app_context():  # a view that wrote with text() and then only read
        db.session.execute(
            text("UPDATE users SET name = 'Text write' WHERE id = :id"), {"id": user_id}
        )
        db.session.execute(select(User.id)).all()

    assert db.session.scalar(select(User.name).where(User.id == user_id)) == "Before"
    assert transaction_ends.count("commit") == 0


def _terminate_other_backends() -> None:
    """Kill every server process of the app's pool, as a database restart would (from a
    connection of its own, so the pool holds only dead ones afterwards)."""
    import psycopg

    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as killer:
        killer.execute(
            # the timeout waits for each process to be gone: without it the app could
            # reach one before it had acted on the signal, and the tests below went flaky
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite connections are a file handle: nothing to go stale")
    yield
    db.engine.dispose()  # the rest of the killed connections, for the tests after this one


def test_an_idle_connection_the_database_dropped_is_replaced_before_a_page_uses_it(
    client, auth, monkeypatch, postgres_only
):
    _upline, sponsor, _track, _recruit, _ = make_team()
    auth.login(sponsor)
    db.session.remove()
    _terminate_other_backends()
    monkeypatch.setattr(connections, "PING_AFTER_IDLE", 0.0)  # every connection counts as idle
    assert client.get("/").status_code == 200


def test_without_the_idle_ping_that_page_would_have_failed(
    client, auth, monkeypatch, postgres_only
):
    """The check above can fail: a dropped connection handed out unpinged breaks the page."""
    _upline, sponsor, _track, _recruit, _ = make_team()
    auth.login(sponsor)
    db.session.remove()
    _terminate_other_backends()
    monkeypatch.setattr(connections, "PING_AFTER_IDLE", 1e9)
    with pytest.raises(OperationalError):
        client.get("/")
    assert client.get("/").status_code == 200  # and the pool heals at once
