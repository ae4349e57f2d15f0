"""The recruit's side: their track, one open step at a time, and the hand-in form."""

from flask import Blueprint

bp = Blueprint("homework", __name__)

from app.homework import routes  # noqa: E402,F401
