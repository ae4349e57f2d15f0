"""The review decision (feedback and exactly one of approve or send back) and the
sponsor's saved feedback."""

from __future__ import annotations

from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms_common import AppForm, strip
from app.models import MAX_SNIPPET_CHARS


class DecisionForm(AppForm):
    feedback = TextAreaField(
        "Feedback for your recruit",
        description="Optional when you approve; required when you ask for changes.",
        validators=[Length(max=10000, message="Keep feedback under 10,000 characters.")],
    )
    approve = SubmitField("Approve and unlock the next step")
    request_changes = SubmitField("Send back: ask for changes")

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        """Exactly one of the two buttons: feedback alone decides nothing."""
        valid = super().validate(extra_validators)
        if bool(self.approve.data) == bool(self.request_changes.data):
            self.form_errors.append(
                "Choose what to do: approve it, or send it back with your feedback."
            )
            return False
        return valid


class SnippetForm(AppForm):
    text = TextAreaField(
        "A line of feedback to reuse",
        description="For example: “Great start! Add the phone number of each person.”",
        filters=[strip],
        validators=[
            DataRequired("Write the feedback to save."),
            Length(
                max=MAX_SNIPPET_CHARS,
                message=f"Keep a saved line under {MAX_SNIPPET_CHARS:,} characters.",
            ),
        ],
    )
