"""Email the user sees in the app: unsubscribe links and this week's digest preview."""

from flask import Blueprint

bp = Blueprint("email", __name__)

from app.mailbox import routes  # noqa: E402,F401
