"""Two portable SQL helpers the dashboard needs: GREATEST and days between two times."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
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
