"""Declarative base, constraint naming convention and the UTC time column type."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Alembic needs stable names to drop or alter constraints later (SQLite batch mode too).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only kind we store)."""
    return datetime.now(UTC)


def _sqlite_utc(value: str | None) -> datetime | None:
    """SQLite's text timestamp (naive UTC, as process_bind_param stores it) read as an
    aware UTC time in one parse: `datetime.replace(tzinfo=...)` on every loaded value
    cost three times the parse (a page of a hundred check-ins felt it)."""
    if value is None:
        return None
    if len(value) == 10:  # a date alone: its midnight
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    tail = value[10:]
    if "+" in tail or "-" in tail or tail.endswith("Z"):  # written with an offset
        return datetime.fromisoformat(value).astimezone(UTC)
    return datetime.fromisoformat(value + "+00:00")


class _SQLiteUTCDateTime(sqlite.DATETIME):
    def result_processor(self, dialect: Dialect, coltype: object):  # type: ignore[no-untyped-def]
        return _sqlite_utc


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC that refuses naive datetimes and always loads aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect):  # type: ignore[no-untyped-def]
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteUTCDateTime())
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} refused: pass an aware datetime")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC there, aware elsewhere.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is UTC:
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
