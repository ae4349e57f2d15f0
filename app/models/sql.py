"""Portable SQL helpers: GREATEST and days between two times (the dashboard), and
several INSERTs in one round trip (a decision)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from app.models.base import UTCDateTime


class greatest(FunctionElement[Any]):  # noqa: N801 - reads like the SQL function it is
    """The latest of several timestamps (none may be NULL: SQLite's MAX would give NULL)."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(greatest)
def _greatest_default(element: greatest, compiler: Any, **kw: Any) -> str:
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: Any, **kw: Any) -> str:
    # Timestamps are ISO strings in SQLite, so the scalar MAX() orders them correctly.
    return f"MAX({compiler.process(element.clauses, **kw)})"


class days_between(FunctionElement[float]):  # noqa: N801
    """(later - earlier) in days, as a float."""

    type = Float()
    inherit_cache = True


@compiles(days_between)
def _days_between_default(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - "
        f"{compiler.process(earlier, **kw)})) / 86400.0)"
    )


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    later_sql, earlier_sql = compiler.process(later, **kw), compiler.process(earlier, **kw)
    return f"(julianday({later_sql}) - julianday({earlier_sql}))"


# A prebuilt INSERT and the values for its bind parameters (names unique to its table).
Write = tuple[Insert, dict[str, Any]]
_TOGETHER: dict[tuple[Insert, ...], Insert] = {}


def insert_together(session: Session, *writes: Write) -> None:
    """Run independent INSERTs (none reads another's row) in the caller's transaction.

    On PostgreSQL they go as one statement, all but the last as data-modifying WITH
    queries: one round trip instead of several, which is what a write costs there
    (bench/: the approve POST). SQLite has no INSERT inside WITH, and no round trips.
    The statements are built once (with bind parameters), and so is each combination.
    """
    if session.get_bind().dialect.name != "postgresql":
        for statement, values in writes:
            session.execute(statement, values)
        return
    statements = tuple(statement for statement, _ in writes)
    combined = _TOGETHER.get(statements)
    if combined is None:
        *first, combined = statements
        for index, statement in enumerate(first):
            combined = combined.add_cte(statement.cte(f"insert_{index}"))
        _TOGETHER[statements] = combined
    session.execute(combined, {name: v for _, values in writes for name, v in values.items()})
