"""Email the user sees in the app: unsubscribe links, this week's digest, delivery."""

from flask import Blueprint

bp = Blueprint("email", __name__)

from app.mailbox import routes  # noqa: E402,F401
