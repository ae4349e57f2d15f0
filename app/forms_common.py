"""Small pieces shared by the forms of several blueprints."""

from __future__ import annotations

from urllib.parse import urlsplit

from wtforms import ValidationError


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def no_control_characters(_form, field) -> None:  # type: ignore[no-untyped-def]
    """Refuse invisible control characters in one-line fields (newlines, NUL, …)."""
    if field.data and any(ord(ch) < 32 or ord(ch) == 127 for ch in field.data):
        raise ValidationError("Remove the invisible control characters from this field.")


def no_nul(_form, field) -> None:  # type: ignore[no-untyped-def]
    """Multi-line text may hold newlines and tabs, never NUL (PostgreSQL refuses it)."""
    if field.data and "\x00" in field.data:
        raise ValidationError("Remove the NUL characters from this text.")


def is_safe_next(target: str | None) -> bool:
    """A `next` URL is safe only when it is a path on this site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
