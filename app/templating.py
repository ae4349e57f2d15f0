"""Jinja filters and globals: times in the viewer's zone, Markdown, durations."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from flask_login import current_user

from app.services.durations import duration_since
from app.services.markdown import render_markdown


def viewer_zone() -> ZoneInfo:
    name = getattr(current_user, "timezone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(value: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """A stored UTC time shown in the viewer's own time zone."""
    if value is None:
        return ""
    try:
        local = value.astimezone(viewer_zone())
    except OverflowError:  # the far edge of the calendar: show it in UTC
        local = value.astimezone(UTC)
    return f"{local.strftime(fmt)} {local.tzname()}"


def register(app: Flask) -> None:
    app.add_template_filter(local_time, "localtime")
    app.add_template_filter(duration_since, "since")
    app.add_template_filter(render_markdown, "markdown")
