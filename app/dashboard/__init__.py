"""The sponsor's home: who needs me today, each recruit's story, check-ins, settings."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from app.dashboard import routes  # noqa: E402,F401
