"""How the app uses its database connections: cheap on the busiest pages, still safe.

1. A pooled connection is pinged only if it sat idle for over PING_AFTER_IDLE.
SQLAlchemy's pool_pre_ping pings on every checkout, which on PostgreSQL was one of
five round trips of a page (bench/: ~10 % of the track page's throughput). Idle
connections are the ones a server restart or a firewall timeout leaves dead, and they
are still pinged and replaced before a request gets them. A connection that dies while
in steady use fails the request on it, as it would have mid-request anyway; SQLAlchemy
then discards the rest of the pool.

2. A request that only read ends with COMMIT, not ROLLBACK.

psycopg drops every prepared statement of a connection when it sees a ROLLBACK (the
rolled-back transaction may have dropped what they refer to). Flask-SQLAlchemy ends
each request by closing its session, which rolls back, so on PostgreSQL every query of
every page was parsed and planned anew (bench/: 0.2 ms a query, 10-15 % of a page).
For a transaction that ran nothing but SELECTs, COMMIT and ROLLBACK have the same
effect; ending it with COMMIT lets psycopg prepare the hot queries once a connection.

Anything else (a write, a text() statement, pending ORM changes, an exception) is left
to the usual rollback: this never commits work a view did not commit itself.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

PING_AFTER_IDLE = 2.0  # seconds
_WROTE = "willing_transaction_wrote"
_IDLE_SINCE = "willing_idle_since"


def _note_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _watch_idle_connections(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":  # a file: nothing between us that can go stale
        return

    def ping_if_idle(
        dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)  # pool_pre_ping's own ping
        except Exception as exc:  # noqa: BLE001 - any failure: replace the connection
            raise DisconnectionError(str(exc)) from exc
        if not alive:  # the pool throws this one away and checks out another
            raise DisconnectionError("the database closed this pooled connection")

    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", ping_if_idle)


def _note_begin(connection: Connection) -> None:
    connection.info[_WROTE] = False


def _note_statement(
    connection: Connection,
    _cursor: Any,
    _statement: str,
    _parameters: Any,
    context: Any,
    _executemany: bool,
) -> None:
    compiled = getattr(context, "compiled", None)
    if compiled is None or not getattr(compiled.statement, "is_select", False):
        connection.info[_WROTE] = True


def register(app: Flask) -> None:
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    _watch_idle_connections(engine)
    event.listen(engine, "begin", _note_begin)
    event.listen(engine, "before_cursor_execute", _note_statement)

    # Registered after Flask-SQLAlchemy's teardown, so it runs before the session closes.
    @app.teardown_appcontext
    def _commit_if_only_read(exc: BaseException | None) -> None:
        if exc is not None or not db.session.registry.has():
            return
        session = db.session()
        if not session.in_transaction() or session.new or session.dirty or session.deleted:
            return
        if session.connection().info.get(_WROTE, True):
            return
        try:
            session.commit()
        except SQLAlchemyError:  # the session's close rolls back, as it always did
            app.logger.warning("could not end a read-only transaction", exc_info=True)
