"""URL converters: ids in URLs are database ids, so they stay in the database's range."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

# PostgreSQL's `integer`, the type of every primary key (SQLite's are wider).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<id:name>`: a positive id the database can hold; anything larger is a 404, never a
    500 from the driver ("integer out of range")."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)
