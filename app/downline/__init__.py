"""The team below the first level: who needs a new sponsor, and adopting them."""

from flask import Blueprint

bp = Blueprint("downline", __name__, url_prefix="/downline")

from app.downline import routes  # noqa: E402,F401
