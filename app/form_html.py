"""Form fields as HTML, written the way WTForms writes them, at a fraction of the cost.

WTForms builds every attribute through `Markup.format` and walks `dir()` of a field's
flags for each widget: on a page with a check-in form and a few small forms that was
a fifth of the page's time (the partnership page, measured in bench/). The widgets we
use are rendered here with plain string joins; their HTML is the same, byte for byte,
as WTForms' own (tests/unit/test_form_html.py renders every field of every form both
ways). A widget not listed here is left to WTForms.

`field_block` is the `field` macro of _forms.html (label, input, help, counter and
errors, announced with the input) as one function call instead of a Jinja macro.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup, escape
from wtforms import widgets


def _built(html: str) -> Markup:
    """HTML put together here, every value in it escaped on the way in."""
    return Markup(html)  # noqa: S704 - each value went through escape()  # nosec B704


def clean_key(key: str) -> str:
    """A keyword argument as an attribute name, as WTForms spells it (`class_` is
    `class`, `data_x_y` is `data-x-y`)."""
    key = key.rstrip("_")
    if key.startswith(("data_", "aria_")):
        key = key.replace("_", "-")
    return key


def attributes(params: Mapping[str, Any]) -> str:
    """`html_params` of WTForms: sorted, True as a bare attribute, False left out."""
    out = []
    for key, value in sorted(params.items()):
        key = clean_key(key)
        if value is True:
            out.append(key)
        elif value is not False:
            out.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return " ".join(out)


def _with_flags(field, widget, params: dict, call: bool) -> None:  # type: ignore[no-untyped-def]
    """The field's flags that are also the widget's validation attributes (required,
    maxlength...), unless given: what WTForms adds from `dir(field.flags)`."""
    flags = getattr(field, "flags", None)
    if flags is not None:
        names = widget.validation_attrs
        for name, value in vars(flags).items():
            if name in names and name not in params:
                params[name] = value() if call and callable(value) else value


def _input(field, widget, params: dict) -> Markup:  # type: ignore[no-untyped-def]
    kind = type(widget)
    if kind is widgets.PasswordInput and widget.hide_value:
        params["value"] = ""  # never sent back to the browser
    elif kind is widgets.CheckboxInput and getattr(field, "checked", field.data):
        params.setdefault("checked", True)
    elif kind is widgets.RadioInput and field.checked:
        params.setdefault("checked", True)
    params.setdefault("id", field.id)
    params.setdefault("type", widget.input_type)
    if "value" not in params:
        params["value"] = field._value()
    datalist = getattr(field, "_datalist", None)
    if datalist is not None and "list" not in params:
        params["list"] = datalist if isinstance(datalist, str) else datalist.id
    _with_flags(field, widget, params, call=True)
    params["name"] = field.name
    return _built(f"<input {attributes(params)}>")


def _textarea(field, widget, params: dict) -> Markup:  # type: ignore[no-untyped-def]
    params.setdefault("id", field.id)
    _with_flags(field, widget, params, call=False)
    params["name"] = field.name
    return _built(f"<textarea {attributes(params)}>\r\n{escape(field._value())}</textarea>")


def _select(field, widget, params: dict) -> Markup:  # type: ignore[no-untyped-def]
    if widget.multiple or field.has_groups():
        return widget(field, **params)
    params.setdefault("id", field.id)
    _with_flags(field, widget, params, call=False)
    params["name"] = field.name
    html = [f"<select {attributes(params)}>"]
    for choice in field._iter_choices_normalized():
        value = choice.value
        option = {"value": str(value) if isinstance(value, bool) else value}
        option.update(choice.render_kw or {})
        if choice.selected:
            option["selected"] = True
        label = escape(choice.label or choice.value)
        html.append(f"<option {attributes(option)}>{label}</option>")
    html.append("</select>")
    return _built("".join(html))


_RENDERERS: dict[type, Callable[..., Markup]] = {
    widgets.TextInput: _input,
    widgets.EmailInput: _input,
    widgets.PasswordInput: _input,
    widgets.HiddenInput: _input,
    widgets.NumberInput: _input,
    widgets.URLInput: _input,
    widgets.TelInput: _input,
    widgets.SearchInput: _input,
    widgets.DateInput: _input,
    widgets.TimeInput: _input,
    widgets.CheckboxInput: _input,
    widgets.RadioInput: _input,
    widgets.TextArea: _textarea,
    widgets.Select: _select,
}


def render_widget(field, render_kw: Mapping[str, Any]) -> Markup:  # type: ignore[no-untyped-def]
    """What WTForms' `Meta.render_field` returns for this field, keyword arguments and
    the field's own `render_kw` merged the same way."""
    params = {clean_key(k): v for k, v in render_kw.items()}
    own = getattr(field, "render_kw", None)
    if own is not None:
        params = {**{clean_key(k): v for k, v in own.items()}, **params}
    renderer = _RENDERERS.get(type(field.widget))
    if renderer is None:
        return field.widget(field, **params)
    return renderer(field, field.widget, params)


def field_block(  # type: ignore[no-untyped-def]
    field,
    autocomplete: str | None = None,
    rows: int | None = None,
    counter: bool = False,
    extra: Mapping[str, Any] | None = None,
) -> Markup:
    """A field with its label, help text, live counter and errors, the help and every
    error announced with the input (aria-describedby); `extra` become the input's
    attributes (data_x=... is data-x); `counter` adds the count app.js keeps under a
    field with data-max-chars."""
    params = dict(extra or {})
    field_id = str(params.get("id") or field.id)  # an id given here is the label's too
    described = []
    if field.description:
        described.append(f"{field_id}-help")
    if counter:
        described.append(f"{field_id}-counter")
    if field.errors:
        described.append(f"{field_id}-error")
    if described:
        params["aria-describedby"] = " ".join(described)
    if field.errors:
        params["aria-invalid"] = "true"
    if autocomplete:
        params["autocomplete"] = autocomplete
    if rows:
        params["rows"] = rows
    widget = field(**params)
    if field.type == "BooleanField":
        body = f'<label class="check">{widget} {escape(field.label.text)}</label>'
    else:
        label = f'<label for="{escape(field_id)}">{escape(field.label.text)}</label>'
        body = f"{label}\n  {widget}"
    parts = [f'<div class="field{" has-error" if field.errors else ""}">\n  {body}']
    fid = escape(field_id)
    if field.description:
        parts.append(f'<small class="help" id="{fid}-help">{escape(field.description)}</small>')
    if counter:
        parts.append(f'<small class="help counter" id="{fid}-counter" aria-live="polite"></small>')
    if field.errors:
        errors = "".join(f'<p class="error">{escape(error)}</p>' for error in field.errors)
        parts.append(f'<div class="errors" id="{fid}-error">{errors}</div>')
    return _built("\n  ".join(parts) + "\n</div>")
