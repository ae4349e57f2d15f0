"""The sponsor's forms: dashboard filters, a check-in, settings, and one-button confirms."""

from __future__ import annotations

from datetime import date, datetime

from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SearchField,
    SelectChoice,
    SelectField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app.forms_common import AppForm, strip, timezone_field
from app.models import CheckInChannel, CheckInOutcome
from app.services.dashboard import SORTS
from app.services.nudges import DEFAULT_WORDING, WORDING_MAX
from app.services.standing import STATUS_LABELS
from app.services.timeline import CHANNELS

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
OUTCOME_CHOICES = {
    CheckInOutcome.REACHED: "Reached them",
    CheckInOutcome.NO_ANSWER: "No answer",
    CheckInOutcome.PAUSED: "Paused until a date",
    CheckInOutcome.LEFT: "Left the business (archive)",
}


EARLIEST = datetime(2000, 1, 1)
LATEST = datetime(2100, 1, 1)


def plausible_date(_form, field) -> None:  # type: ignore[no-untyped-def]
    """Years far from now are typing slips (and can't be shown in every time zone)."""
    value = field.data
    if value is not None and not (EARLIEST.date() <= _as_date(value) < LATEST.date()):
        raise ValidationError("Enter a date between the year 2000 and 2099.")


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


class FilterForm(AppForm):
    """The dashboard's filters: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Everyone")]
        + [SelectChoice(str(s), label) for s, label in STATUS_LABELS.items()],
        default="",
    )
    q = SearchField("Search by name", filters=[strip], validators=[Length(max=100)])
    sort = SelectField(
        "Sort by", choices=[SelectChoice(k, v) for k, v in SORTS.items()], default="waiting"
    )


class CheckInForm(AppForm):
    happened_at = DateTimeLocalField(
        "When",
        format="%Y-%m-%dT%H:%M",
        validators=[
            DataRequired("Enter when you reached out: a date and a time."),
            plausible_date,
        ],
    )
    channel = SelectField(
        "How", choices=[SelectChoice(str(c), CHANNELS[c]) for c in CheckInChannel]
    )
    outcome = SelectField(
        "Outcome", choices=[SelectChoice(str(k), v) for k, v in OUTCOME_CHOICES.items()]
    )
    snooze_until = DateField(
        "Quiet the stalled flag until (optional)",
        description="Required for “paused”. Empty: one stall threshold from the check-in.",
        validators=[Optional(), plausible_date],
    )
    note = TextAreaField(
        "Note",
        validators=[Length(max=5000, message="Keep the note under 5,000 characters.")],
    )


class ClockTimeField(TimeField):
    """A time of day, with a message that says what to type."""

    def process_formdata(self, valuelist):  # type: ignore[no-untyped-def]
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Enter a time such as 09:00.") from None


class SettingsForm(AppForm):
    stall_threshold_days = IntegerField(
        "Stall threshold (days)",
        description="A recruit whose move it has been this long is flagged as stalled.",
        validators=[
            DataRequired("Enter a number of days from 1 to 365."),
            NumberRange(min=1, max=365, message="Enter a number of days from 1 to 365."),
        ],
    )
    digest_weekday = SelectField(
        "Weekly email day",
        coerce=int,
        choices=[SelectChoice(i, day) for i, day in enumerate(WEEKDAYS)],
    )
    timezone = timezone_field()
    email_digest = BooleanField("Send me the weekly digest of stalled recruits and waiting reviews")
    email_on_hand_in = BooleanField("Email me when a recruit hands in homework")
    email_on_decision = BooleanField("Email me when my sponsor reviews my homework")
    email_on_join = BooleanField("Email me when someone joins through my invite link")
    email_partner_reminders = BooleanField(
        "Remind me by email on my accountability partner check-in days"
    )
    partner_reminder_time = ClockTimeField(
        "Reminder time",
        format=["%H:%M", "%H:%M:%S"],
        description="In your time zone; the reminder comes on each check-in day at this time.",
        validators=[Optional()],
    )
    email_on_partner_check_in = BooleanField(
        "Email me when my accountability partner checks in or replies"
    )
    email_on_partner_request = BooleanField(
        "Email me about partner requests, changes of terms and endings"
    )
    email_on_partner_renewal = BooleanField("Email me when a partnership is up for renewal")
    email_group_reminders = BooleanField(
        "Remind me by email the day before a mastermind meeting if my update isn't in"
    )
    email_group_summaries = BooleanField("Email me each mastermind meeting's summary")
    email_nudges = BooleanField("Let my sponsor's gentle nudges reach me by email")
    nudges_on = BooleanField(
        "Nudge my recruits automatically when they go quiet on an open step",
        description="One email per step, in your name, at most.",
    )
    nudge_after_days = IntegerField(
        "Nudge after this many silent days",
        validators=[
            DataRequired("Enter a number of days from 1 to 60."),
            NumberRange(min=1, max=60, message="Enter a number of days from 1 to 60."),
        ],
    )
    nudge_wording = TextAreaField(
        "Your words in the nudge",
        description="Empty: the default, “" + DEFAULT_WORDING + "”",
        filters=[strip],
        validators=[Length(max=WORDING_MAX, message=f"Keep it under {WORDING_MAX:,} characters.")],
    )

    def reminder_minute(self, stored: int) -> int:
        """The reminder time as a minute of the day (left empty: as it was)."""
        value = self.partner_reminder_time.data
        return stored if value is None else value.hour * 60 + value.minute
