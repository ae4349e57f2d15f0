"""The track and assignment forms, the reorder buttons and the track selector."""

from __future__ import annotations

from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional

from app.forms_common import AppForm, no_control_characters, strip


class TrackForm(AppForm):
    name = StringField(
        "Track name",
        filters=[strip],
        validators=[
            DataRequired("Give the track a name."),
            Length(max=120, message="Keep the name under 120 characters."),
            no_control_characters,
        ],
    )
    description = TextAreaField(
        "Description (optional)",
        filters=[strip],
        validators=[
            Length(max=5000, message="Keep the description under 5,000 characters."),
        ],
    )


class AssignmentForm(AppForm):
    title = StringField(
        "Title",
        filters=[strip],
        validators=[
            DataRequired("Give the assignment a title."),
            Length(max=200, message="Keep the title under 200 characters."),
            no_control_characters,
        ],
    )
    instructions = TextAreaField(
        "Instructions",
        description="Markdown: **bold**, *italic*, lists, [links](https://example.com).",
        validators=[
            DataRequired("Write the instructions for this step."),
            Length(max=20000, message="Keep the instructions under 20,000 characters."),
        ],
    )
    deliverable = TextAreaField(
        "What to hand in",
        filters=[strip],
        validators=[
            DataRequired("Say what the recruit should hand in."),
            Length(max=2000, message="Keep this under 2,000 characters."),
        ],
    )
    stall_threshold_days = IntegerField(
        "Stall threshold for this step, in days (optional)",
        description="Leave empty to use your usual threshold.",
        validators=[
            Optional(),
            NumberRange(min=1, max=365, message="Use a number of days from 1 to 365."),
        ],
    )


class MoveForm(AppForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])


class AssignTrackForm(AppForm):
    track_id = SelectField("Track", coerce=int)
