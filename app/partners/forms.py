"""The partners' forms: the terms (asking, countering, changing), answering, a check-in,
a reply, renewal and ending. The rules that need the database live in services.partners;
its refusals are shown beside the field they name."""

from __future__ import annotations

from datetime import date

from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms_common import AppForm, no_control_characters, strip
from app.models import CHANNEL_LABELS
from app.models.partnership import (
    MAX_CHECK_IN_CHARS,
    MAX_HANDLE_CHARS,
    MAX_NOTE_CHARS,
    MAX_RULES_CHARS,
)
from app.services.partner_schedule import DEFAULT_TERM_MONTHS, MAX_TERM_MONTHS, WEEKDAY_NAMES
from app.services.partners import Terms

CADENCES = [
    SelectChoice("weekdays", "On chosen weekdays (for example Monday and Friday)"),
    SelectChoice("daily", "Every day"),
    SelectChoice("every_other_day", "Every other day"),
    SelectChoice("weekly", "Once a week, on one weekday"),
]
DID_CHOICES = [
    SelectChoice("yes", "Yes"),
    SelectChoice("partly", "Partly"),
    SelectChoice("no", "No"),
]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _weekday(value: object) -> int:
    return int(value)  # type: ignore[call-overload]


class TermsForm(AppForm):
    rules = TextAreaField(
        "Your rules",
        description="What you will talk about, and how you will call each other out.",
        filters=[strip],
        validators=[Length(max=MAX_RULES_CHARS)],
    )
    cadence = SelectField("How often you check in", choices=CADENCES, default="weekdays")
    weekdays = CheckboxesField(
        "Which weekdays",
        choices=[SelectChoice(str(i), name) for i, name in enumerate(WEEKDAY_NAMES)],
        default=["0", "4"],
        description="For a weekly check-in, choose one; for chosen weekdays, one or more.",
        validate_choice=False,
    )
    channel = SelectField(
        "How you keep in touch",
        choices=[SelectChoice(c.value, label) for c, label in CHANNEL_LABELS.items()],
    )
    my_handle = StringField(
        "Your handle for it",
        description="A phone number, an email address, a profile name…",
        filters=[strip],
        validators=[Length(max=MAX_HANDLE_CHARS), no_control_characters],
    )
    their_handle = StringField(
        "Their handle, if you know it",
        filters=[strip],
        validators=[Length(max=MAX_HANDLE_CHARS), no_control_characters],
    )
    term_months = IntegerField(
        "Term in months",
        default=DEFAULT_TERM_MONTHS,
        description=f"3 to 6 suggested; at most {MAX_TERM_MONTHS}. You can renew at the end.",
        validators=[
            InputRequired("Say how many months."),
            NumberRange(1, MAX_TERM_MONTHS, f"A term runs 1 to {MAX_TERM_MONTHS} months."),
        ],
    )
    note = TextAreaField(
        "A note with it (optional)",
        filters=[strip],
        validators=[Length(max=MAX_NOTE_CHARS)],
    )

    def validate_weekdays(self, field) -> None:  # type: ignore[no-untyped-def]
        try:
            days = {_weekday(v) for v in field.data or []}
        except (TypeError, ValueError):
            raise ValidationError("Choose weekdays from the list.") from None
        if any(not 0 <= d <= 6 for d in days):
            raise ValidationError("Choose weekdays from the list.")

    def terms(self) -> Terms:
        return Terms(
            rules=self.rules.data or "",
            cadence=self.cadence.data or "",
            weekdays=frozenset(_weekday(v) for v in self.weekdays.data or []),
            channel=self.channel.data or "",
            my_handle=self.my_handle.data or "",
            their_handle=self.their_handle.data or "",
            term_months=self.term_months.data or 0,
            note=self.note.data or "",
        )

    def fill_from(self, agreement, user_id: int, asker_id: int) -> None:  # type: ignore[no-untyped-def]
        """Start from the terms as they stand (a counter-proposal or a change)."""
        mine_is_asker = user_id == asker_id
        self.rules.data = agreement.rules
        self.cadence.data = agreement.cadence
        self.weekdays.data = [str(d) for d in sorted(agreement.weekday_set)]
        self.channel.data = agreement.channel
        self.my_handle.data = agreement.asker_handle if mine_is_asker else agreement.asked_handle
        self.their_handle.data = agreement.asked_handle if mine_is_asker else agreement.asker_handle
        self.term_months.data = agreement.term_months


class AskForm(TermsForm):
    partner = HiddenField()  # a suggested person's id
    email = EmailField(
        "Their email address",
        description="Someone not on Willing yet gets an invitation to register.",
        filters=[strip],
        validators=[Optional(), Length(max=254), no_control_characters],
    )

    def partner_id(self) -> int | None:
        try:
            value = int(self.partner.data or "")
        except ValueError:
            return None
        return value if 0 < value < 2**31 else None

    def validate_email(self, field) -> None:  # type: ignore[no-untyped-def]
        if self.partner_id() is None and not field.data:
            raise ValidationError("Type the email address of the person to ask.")
        if field.data and ("@" not in field.data or field.data.startswith("@")):
            raise ValidationError("That doesn't look like an email address.")


class AcceptForm(AppForm):
    my_handle = StringField(
        "Your handle for it (optional)",
        filters=[strip],
        validators=[Length(max=MAX_HANDLE_CHARS), no_control_characters],
    )
    accept = SubmitField("Accept these terms")


def parse_day(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class CheckInForm(AppForm):
    day = SelectField("The day this check-in is for", validate_choice=False)
    said = TextAreaField(
        "What I said I would do",
        filters=[strip],
        validators=[Length(max=MAX_CHECK_IN_CHARS)],
    )
    did = RadioField(
        "Did I do it?", choices=DID_CHOICES, validators=[InputRequired("Say yes, partly or no.")]
    )
    next_step = TextAreaField(
        "What I will do next",
        filters=[strip],
        validators=[InputRequired("Say what you will do next."), Length(max=MAX_CHECK_IN_CHARS)],
    )
    note = TextAreaField(
        "A note or a win (optional)", filters=[strip], validators=[Length(max=MAX_NOTE_CHARS)]
    )

    def validate_day(self, field) -> None:  # type: ignore[no-untyped-def]
        if parse_day(field.data) is None:
            raise ValidationError("Choose the day this check-in is for.")


class ReplyForm(AppForm):
    body = TextAreaField(
        "Your reply",
        filters=[strip],
        validators=[InputRequired("Write your reply first."), Length(max=MAX_NOTE_CHARS)],
    )


class RenewalForm(AppForm):
    renew = RadioField(
        "Renew for another term?",
        choices=[
            SelectChoice("yes", "Yes, renew"),
            SelectChoice("no", "No, let it end at the term's end"),
        ],
        validators=[InputRequired("Say yes or no.")],
    )
    how_it_went = StringField(
        "How it went, in a line",
        filters=[strip],
        validators=[
            InputRequired("Say in a line how it went."),
            Length(max=300),
            no_control_characters,
        ],
    )


class EndForm(AppForm):
    note = TextAreaField(
        "A note for your partner",
        id="end-note",  # the check-in form on the same page has a note of its own
        description="Why you are ending it; they will read it.",
        filters=[strip],
        validators=[InputRequired("Leave your partner a note."), Length(max=MAX_NOTE_CHARS)],
    )
