"""Accountability partners: finding one, the agreement, check-ins, renewal and ending."""

from flask import Blueprint

bp = Blueprint("partners", __name__)

from app.partners import routes  # noqa: E402,F401
