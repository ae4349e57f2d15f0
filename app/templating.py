"""Jinja filters and globals: times in the viewer's zone, Markdown, durations."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, g
from flask_login import current_user
from markupsafe import Markup

from app.extensions import db
from app.form_html import field_block
from app.services.durations import duration_since, duration_words
from app.services.markdown import render_markdown
from app.services.partner_views import TEMPLATE_FILTERS
from app.services.people import dial_string, zone_named
from app.services.sessions import menu_of
from app.services.uploads import PREVIEW_IMAGE_TYPES


def viewer_zone() -> ZoneInfo:
    """The viewer's zone, looked up once a request (a page shows dozens of times)."""
    cached = g.get("viewer_zone")
    if cached is not None:
        return cached
    zone = zone_named(getattr(current_user, "timezone", None))
    g.viewer_zone = zone
    return zone


def local_time(value: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """A stored UTC time shown in the viewer's own time zone."""
    if value is None:
        return ""
    try:
        local = value.astimezone(viewer_zone())
    except OverflowError:  # the far edge of the calendar: show it in UTC
        local = value.astimezone(UTC)
    return f"{local.strftime(fmt)} {local.tzname()}"


def time_ago(value: datetime | None, now: datetime | None = None, *, since: bool = False) -> Markup:
    """'3 days ago' (or, with `since`, 'for 3 days') on one line, the exact time in the
    viewer's zone on hover."""
    if value is None:
        return Markup("")
    words = duration_since(value, now)
    if words == "less than a minute":
        words = "for a moment" if since else "just now"
    else:
        words = f"for {words}" if since else f"{words} ago"
    return Markup('<time class="ago" datetime="{}" title="{}">{}</time>').format(
        value.astimezone(UTC).isoformat(timespec="minutes"), local_time(value), words
    )


def register(app: Flask) -> None:
    app.add_template_filter(local_time, "localtime")
    app.add_template_filter(time_ago, "ago")
    app.add_template_filter(dial_string, "dial")
    app.jinja_env.globals["PREVIEW_IMAGE_TYPES"] = PREVIEW_IMAGE_TYPES
    app.jinja_env.globals["field_block"] = field_block  # the `field` macro of _forms.html
    app.jinja_env.globals["menu_of"] = lambda user: menu_of(db.session, user)
    app.add_template_filter(duration_since, "since")
    app.add_template_filter(duration_words, "duration")
    app.add_template_filter(render_markdown, "markdown")
    for name, function in TEMPLATE_FILTERS.items():
        app.add_template_filter(function, name)
