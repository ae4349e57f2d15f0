"""app/form_html.py writes form fields faster than WTForms: the HTML must be the same.

Every field of every form in the app is rendered both ways (ours through the forms'
Meta, WTForms' own through its default Meta), with awkward values and attributes, and
after a refused post (errors, the typed text kept)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, SelectField, SelectMultipleField
from wtforms.meta import DefaultMeta

import app as app_package
from app.form_html import attributes, field_block
from app.forms_common import AppForm


def every_form_class() -> list[type[AppForm]]:
    found = {}
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        if module.name.endswith(".forms") or module.name == "app.forms_common":
            for _name, cls in inspect.getmembers(importlib.import_module(module.name)):
                if inspect.isclass(cls) and issubclass(cls, AppForm) and cls is not AppForm:
                    found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[name] for name in sorted(found)]


FORMS = every_form_class()
AWKWARD = 'Tom & "Jerry" <b>O\'Neil</b> → ñ'
ATTRIBUTES = [
    {},
    {"rows": 3, "aria-describedby": "x-help x-error", "aria-invalid": "true"},
    {"class_": "wide", "data_max_chars": 280, "placeholder": AWKWARD, "autocomplete": "off"},
    {"disabled": True, "readonly": False, "required": False, "id": "other-id"},
    {"value": Markup('already "safe" &amp;')},
]


def wtforms_html(field, render_kw: dict) -> str:  # type: ignore[no-untyped-def]
    return str(DefaultMeta().render_field(field, dict(render_kw)))


def with_choices(form: AppForm) -> AppForm:
    """Choices a view sets at request time, so every select has options to write."""
    for field in form:
        if isinstance(field, SelectField | SelectMultipleField | RadioField) and not field.choices:
            field.choices = [("1", "One & only"), ("2", '"Two"'), ("3", "None <yet>")]
    return form


def rendered_fields(form: AppForm):  # type: ignore[no-untyped-def]
    for field in form:
        yield field
        if isinstance(field, RadioField):
            yield from field  # each option is a field of its own


def test_the_forms_are_all_found():
    names = {cls.__name__ for cls in FORMS}
    assert {"CheckInForm", "EndForm", "TermsForm", "ConfirmForm"} <= names
    assert len(FORMS) >= 25


@pytest.mark.parametrize("form_class", FORMS, ids=lambda cls: cls.__name__)
def test_every_field_renders_as_wtforms_renders_it(app, form_class):
    with app.test_request_context("/"):
        empty = with_choices(form_class())
        for field in rendered_fields(empty):
            for render_kw in ATTRIBUTES:
                assert str(field(**render_kw)) == wtforms_html(field, render_kw), field.name


@pytest.mark.parametrize("form_class", FORMS, ids=lambda cls: cls.__name__)
def test_a_refused_post_renders_as_wtforms_renders_it(app, form_class):
    """Posted values (kept in the fields), chosen options, checked boxes, errors."""
    with app.test_request_context("/", method="POST"):
        probe = with_choices(form_class(meta={"csrf": False}))
        posted = MultiDict()
        for field in probe:
            if isinstance(field, SelectField | SelectMultipleField | RadioField):
                posted.add(field.name, "2")
            else:
                posted.add(field.name, AWKWARD if field.type != "BooleanField" else "y")
        form = with_choices(form_class(formdata=posted, meta={"csrf": False}))
        form.validate()
        for field in rendered_fields(form):
            for render_kw in ATTRIBUTES[:3]:
                assert str(field(**render_kw)) == wtforms_html(field, render_kw), field.name


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(
        st.sampled_from(["id", "class_", "data_x_y", "aria_label", "title", "rows", "for"]),
        st.one_of(st.booleans(), st.integers(), st.text(max_size=12)),
        max_size=5,
    )
)
def test_attributes_are_written_as_wtforms_writes_them(params):
    from wtforms.widgets import html_params

    assert attributes(params) == str(html_params(**params))


def test_the_field_block_announces_help_and_errors_with_the_input(app):
    from app.partners.forms import EndForm

    with app.test_request_context("/"):
        form = EndForm()
        form.note.errors = ["Say why <in> a sentence."]
        html = str(field_block(form.note, rows=3))
    assert '<div class="field has-error">' in html
    assert '<label for="end-note">A note for your partner</label>' in html
    assert 'aria-describedby="end-note-help end-note-error"' in html
    assert 'aria-invalid="true"' in html
    assert '<p class="error">Say why &lt;in&gt; a sentence.</p>' in html
    assert 'id="end-note-help">Why you are ending it; they will read it.</small>' in html


def test_an_id_given_to_the_field_is_its_labels_and_its_helps(app):
    """`field(form.member, id="host-member")`: the label used to name the field's own
    id, which nothing on the page had."""
    from app.partners.forms import EndForm

    with app.test_request_context("/"):
        html = str(field_block(EndForm().note, extra={"id": "ending"}))
    assert '<label for="ending">' in html and 'id="ending"' in html
    assert 'aria-describedby="ending-help"' in html and 'id="ending-help"' in html
