"""The hand-in form: an answer, an optional http(s) link and an optional attachment."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import TextAreaField, URLField
from wtforms.validators import URL, DataRequired, Length, Optional, StopValidation

from app.forms_common import AppForm, strip

MAX_ANSWER_LENGTH = 20_000
# What the file picker offers (the server still checks every file by its content).
ACCEPTED_FILES = ",".join(
    [
        ".pdf", ".png", ".jpg", ".jpeg", ".webp", ".docx", ".txt",
        "application/pdf", "image/png", "image/jpeg", "image/webp", "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ]
)  # fmt: skip


def http_only(_form, field) -> None:  # type: ignore[no-untyped-def]
    """Stops the chain: one clear line, not this and "doesn't look like a web address"."""
    if field.data and not field.data.lower().startswith(("http://", "https://")):
        raise StopValidation("Use a link that starts with http:// or https://.")


class HandInForm(AppForm):
    answer = TextAreaField(
        "Your answer",
        validators=[
            DataRequired("Write your answer before handing in."),
            Length(
                max=MAX_ANSWER_LENGTH,
                message=f"Keep your answer under {MAX_ANSWER_LENGTH:,} characters.",
            ),
        ],
    )
    link = URLField(
        "Link (optional)",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=2000, message="That link is too long."),
            http_only,
            URL(require_tld=False, message="That doesn't look like a web address."),
        ],
    )
    attachment = FileField(
        "Attachment (optional)",
        description="PDF, PNG, JPEG, WebP, DOCX or plain text, up to 10 MB.",
    )
