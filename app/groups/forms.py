"""The mastermind forms: a group's settings, the four questions, a comment or cheer,
the hot seat's swap, a meeting's attendance and notes, choosing a member."""

from __future__ import annotations

from wtforms import (
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, Optional

from app.forms_common import AppForm, no_control_characters, strip
from app.models.mastermind import MAX_ANSWER_CHARS
from app.services.groups import GroupSettings
from app.services.meetings import Answers
from app.services.partner_schedule import WEEKDAY_NAMES

CADENCES = [
    SelectChoice("weekly", "Every week"),
    SelectChoice("every_two_weeks", "Every two weeks"),
    SelectChoice("monthly", "Once a month (the same weekday of the month)"),
]


class GroupForm(AppForm):
    name = StringField(
        "Name",
        filters=[strip],
        validators=[
            InputRequired("Give the group a name."),
            Length(max=100),
            no_control_characters,
        ],
    )
    purpose = TextAreaField(
        "Purpose",
        filters=[strip],
        validators=[Length(max=2000)],
        description="What the group is for, in a line or two.",
    )
    cadence = SelectField("How often it meets", choices=CADENCES, default="weekly")
    weekday = SelectField(
        "Weekday",
        choices=[SelectChoice(str(i), name) for i, name in enumerate(WEEKDAY_NAMES)],
        default="3",
    )
    time = TimeField(
        "Time (your time zone)",
        validators=[InputRequired("Enter a time such as 19:00.")],
        format=["%H:%M", "%H:%M:%S"],
    )
    location = StringField(
        "Where",
        description="A place, or a video-call link.",
        filters=[strip],
        validators=[Length(max=300), no_control_characters],
    )

    def settings(self) -> GroupSettings:
        at = self.time.data
        return GroupSettings(
            name=self.name.data or "",
            purpose=self.purpose.data or "",
            cadence=self.cadence.data or "",
            weekday=int(self.weekday.data or 0),
            minute=at.hour * 60 + at.minute if at else -1,
            location=self.location.data or "",
        )


class UpdateForm(AppForm):
    successes = TextAreaField(
        "What successes did you have?", filters=[strip], validators=[Length(max=MAX_ANSWER_CHARS)]
    )
    challenges = TextAreaField(
        "What challenges or obstacles did you face?",
        filters=[strip],
        validators=[Length(max=MAX_ANSWER_CHARS)],
    )
    opportunities = TextAreaField(
        "What opportunities did you come across?",
        filters=[strip],
        validators=[Length(max=MAX_ANSWER_CHARS)],
    )
    goals = TextAreaField(
        "What is your next set of goals?",
        filters=[strip],
        validators=[Length(max=MAX_ANSWER_CHARS)],
    )
    editing = StringField(validators=[Optional()])  # hidden: the update this form edits

    def answers(self) -> Answers:
        return Answers(
            self.successes.data or "",
            self.challenges.data or "",
            self.opportunities.data or "",
            self.goals.data or "",
        )

    def editing_id(self) -> int | None:
        try:
            value = int(self.editing.data or "")
        except ValueError:
            return None
        return value if 0 < value < 2**31 else None


class CommentForm(AppForm):
    body = TextAreaField("Your comment", filters=[strip], validators=[Length(max=MAX_ANSWER_CHARS)])
    post = SubmitField("Post the comment")
    cheer = SubmitField("Cheer")


class MemberForm(AppForm):
    member = SelectField("Member", validate_choice=False)

    def member_id(self) -> int:
        """The chosen member's id, or 0 (nobody) for anything that isn't one."""
        try:
            value = int(self.member.data or "")
        except ValueError:
            return 0
        return value if 0 < value < 2**31 else 0


ATTENDANCE_CHOICES = [
    SelectChoice("present", "Present"),
    SelectChoice("absent", "Absent"),
    SelectChoice("excused", "Excused"),
]


class NotesForm(AppForm):
    notes = TextAreaField(
        "The host's notes",
        description="What was decided; everyone gets them with the answers by email.",
        filters=[strip],
        validators=[Length(max=MAX_ANSWER_CHARS)],
    )


def attendance_field(label: str) -> RadioField:
    return RadioField(label, choices=ATTENDANCE_CHOICES, validators=[Optional()])
