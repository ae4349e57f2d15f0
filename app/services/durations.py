"""How long ago, in words: for pages and emails alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.models import utcnow


def duration_since(value: datetime | None, now: datetime | None = None) -> str:
    """'3 days', '5 hours', '12 minutes': how long ago, in the largest whole unit."""
    if value is None:
        return ""
    return duration_words((now or utcnow()) - value.astimezone(UTC))


def duration_words(length: timedelta) -> str:
    """'3 days', '5 hours', '12 minutes': a length of time in its largest whole unit."""
    seconds = max(0, int(length.total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"
