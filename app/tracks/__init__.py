"""The sponsor's tracks: write, order and archive assignments; put recruits on a track."""

from flask import Blueprint

bp = Blueprint("tracks", __name__)

from app.tracks import routes  # noqa: E402,F401
