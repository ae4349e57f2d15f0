"""A distributor's own page: their sponsor, their invite link, their recruits."""

from flask import Blueprint

bp = Blueprint("people", __name__)

from app.people import routes  # noqa: E402,F401
