from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from app.forms_common import no_nul


class DecisionForm(FlaskForm):
    feedback = TextAreaField(
        "Feedback for your recruit",
        description="Optional when you approve; required when you ask for changes.",
        validators=[Length(max=10000, message="Keep feedback under 10,000 characters."), no_nul],
    )
    approve = SubmitField("Approve and unlock the next step")
    request_changes = SubmitField("Send back: ask for changes")
