"""No page reads a whole table to find its rows: every statement the demo's pages run,
for the demo sponsor and a demo recruit, is planned by SQLite with an index on each
table it reads (EXPLAIN QUERY PLAN has no bare "SCAN <table>"). SQLite plans from the
schema, not from the size of the data, so what it plans here it plans at scale; the
bench measures PostgreSQL's plans at scale."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models.base import Base
from app.services.demo import DEMO_PASSWORD
from tests.functional.test_page_structure import crawl

# Tables a page may read whole: a handful of rows by nature, not growing with the team.
SMALL_TABLES = {"alembic_version"}
BARE_SCAN = re.compile(r"^SCAN (\w+)$")


@contextmanager
def selects_run():  # type: ignore[no-untyped-def]
    seen: dict[str, tuple] = {}

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.setdefault(statement, tuple(parameters or ()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def full_scans(statements: dict[str, tuple]) -> list[str]:
    tables = {table.name for table in Base.metadata.sorted_tables} - SMALL_TABLES
    found = []
    connection = db.session.connection()
    for statement, parameters in statements.items():
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        for *_ids, detail in plan:
            match = BARE_SCAN.match(detail)
            # The plan names a table by its alias in the statement (users_1, ...).
            name = match and re.sub(r"_\d+$", "", match.group(1))
            if name and (name in tables or match.group(1) in tables):
                found.append(f"{detail}: {' '.join(statement.split())[:300]}")
    return found


@pytest.mark.parametrize("email", ["sponsor@example.com", "willing@example.com"])
def test_no_page_reads_a_whole_table(client, auth, seeded_demo, email):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plans are read here; the bench measures PostgreSQL's at scale")
    assert auth.login(email, DEMO_PASSWORD).status_code == 302
    with selects_run() as statements:
        pages = crawl(client)
    assert len(pages) >= 20 and len(statements) >= 25
    scans = full_scans(statements)
    assert not scans, "\n".join(scans)
