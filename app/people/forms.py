from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for one-button actions."""
