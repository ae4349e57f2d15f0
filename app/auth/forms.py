"""The account forms: register, log in, profile, forgotten and changed passwords."""

from __future__ import annotations

import re

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.extensions import db
from app.forms_common import AppForm, no_control_characters, strip, timezone_field
from app.services.accounts import email_taken
from app.services.passwords import MAX_LENGTH as MAX_PASSWORD_LENGTH
from app.services.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from app.services.passwords import is_common

PHONE = re.compile(r"\+?[0-9 ().\-]+")
PASSWORD_HELP = f"At least {MIN_PASSWORD_LENGTH} characters. A few words you'll remember work well."


def not_common(_form, field) -> None:  # type: ignore[no-untyped-def]
    if field.data and is_common(field.data):
        raise ValidationError(
            "That password is on the list of the most common ones. Choose another."
        )


def _new_password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message="Choose a password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"Use {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.",
            ),
            not_common,
        ],
        description=PASSWORD_HELP,
    )


def _name_field() -> StringField:
    return StringField(
        "Your name",
        filters=[strip],
        validators=[
            DataRequired(message="Tell us your name."),
            Length(max=100, message="Keep your name under 100 characters."),
            no_control_characters,
        ],
    )


def _email_field() -> EmailField:
    return EmailField(
        "Email",
        filters=[strip],
        validators=[
            DataRequired(message="Enter your email address."),
            Length(max=254, message="That email address is too long."),
            Email(message="Enter a valid email address, like name@example.com."),
        ],
    )


def _repeat_field(label: str, password_field: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message="Repeat the password."),
            EqualTo(password_field, message="The two passwords don't match."),
        ],
    )


class RegistrationForm(AppForm):
    name = _name_field()
    email = _email_field()
    password = _new_password_field("Password")
    confirm = _repeat_field("Repeat password", "password")
    timezone = timezone_field()
    invite = HiddenField()

    def validate_email(self, field: EmailField) -> None:
        if email_taken(db.session, field.data):
            raise ValidationError("An account with this email already exists. Log in instead?")


class LoginForm(AppForm):
    email = EmailField("Email", filters=[strip], validators=[DataRequired("Enter your email.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me logged in on this device for 30 days")
    next = HiddenField()


def phone_number(_form, field) -> None:  # type: ignore[no-untyped-def]
    """Digits with the usual separators; enough digits to be dialled."""
    if field.data and not PHONE.fullmatch(field.data):
        raise ValidationError(
            "Enter a phone number: digits, spaces, + - ( ) and dots only, e.g. +1 555 0100."
        )
    if field.data and not 6 <= sum(c.isdigit() for c in field.data) <= 20:
        raise ValidationError("A phone number has 6 to 20 digits.")


class ProfileForm(AppForm):
    name = _name_field()
    timezone = timezone_field()
    phone = StringField(
        "Phone (optional)",
        description="Your sponsor can then call or text you from their phone with one tap.",
        filters=[strip],
        validators=[Length(max=40, message="At most 40 characters."), phone_number],
    )


class ForgotPasswordForm(AppForm):
    email = _email_field()


class ResetPasswordForm(AppForm):
    new_password = _new_password_field("New password")
    confirm = _repeat_field("Repeat new password", "new_password")


class ChangePasswordForm(AppForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    new_password = _new_password_field("New password")
    confirm = _repeat_field("Repeat new password", "new_password")
