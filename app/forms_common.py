"""Small pieces shared by the forms of several blueprints."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto, _is_submitted
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import FileField, SelectChoice, SelectField, StringField, ValidationError

from app.form_html import render_widget
from app.services.accounts import timezone_names


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def no_control_characters(_form, field) -> None:  # type: ignore[no-untyped-def]
    """Refuse invisible control characters in one-line fields (newlines, NUL, …)."""
    if field.data and any(ord(ch) < 32 or ord(ch) == 127 for ch in field.data):
        raise ValidationError("Remove the invisible control characters from this field.")


MAX_PAGE = 100_000


def page_number() -> int:
    """The ?page= of a list, as a page that exists in SQL's range (1 to MAX_PAGE)."""
    return min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)


def form_status(form: FlaskForm) -> int:
    """400 for a form that was sent and refused (it is shown again with its errors), else 200."""
    return 400 if request.method == "POST" and form.errors else 200


def is_safe_next(target: str | None) -> bool:
    """A `next` URL is safe only when it is a path on this site, with no control
    character (a CR or LF would end the Location header: a 500, or a header injected)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def text_only(value: object) -> object:
    """Filter for every text field: a non-text value counts as empty, and NUL characters
    (which nobody types, and PostgreSQL refuses in text) are dropped."""
    if value is None:
        return None
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "")


class AppForm(FlaskForm):
    """The base of every form: HTML form posts only, and text fields that only hold text."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):  # type: ignore[no-untyped-def]
            if formdata is not _Auto or not _is_submitted():
                return super().wrap_formdata(form, formdata)
            # Our forms are HTML forms: no JSON bodies (Flask-WTF would read them as form
            # data), and file parts count only under the names of file fields.
            file_fields = {
                name for name, field in form._fields.items() if isinstance(field, FileField)
            }
            files = MultiDict(
                (name, upload)
                for name, upload in request.files.items(multi=True)
                if name in file_fields
            )
            return CombinedMultiDict((files, request.form))

        def render_field(self, field, render_kw):  # type: ignore[no-untyped-def]
            return render_widget(field, render_kw)  # WTForms' HTML, written faster

        def bind_field(self, form, unbound_field, options):  # type: ignore[no-untyped-def]
            if issubclass(unbound_field.field_class, StringField):
                # Before the field's own filters (strip, ...): options replace the
                # field's keyword arguments, so they must carry those too.
                own = unbound_field.kwargs.get("filters", ())
                options["filters"] = [text_only, *own, *options.get("filters", ())]
            return super().bind_field(form, unbound_field, options)


class ConfirmForm(AppForm):
    """A form with nothing but its CSRF token, for one-button actions."""


def timezone_field() -> SelectField:
    return SelectField(
        "Time zone",
        choices=[SelectChoice(name) for name in timezone_names()],
        default="UTC",
        validate_choice=True,
    )


def refuse_beside(form, message: str, field_name: str | None, fallback: str) -> None:  # type: ignore[no-untyped-def]
    """Put a service's refusal beside the field it names (else beside `fallback`), where
    the re-rendered form shows it with what was typed."""
    field = getattr(form, field_name or "", None) or getattr(form, fallback)
    field.errors = [*list(field.errors or []), message]
