"""Friendly error pages instead of stack traces or bare status lines."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: ("Something was wrong with that request", "Please go back and try again."),
    403: ("Not allowed", "You don't have access to this page."),
    404: ("Page not found", "There is nothing here, or it isn't yours to see."),
    405: ("Not allowed", "That page can't be used this way."),
    413: ("File too large", "That upload is too large. Attachments can be up to 10 MB."),
    500: ("Something went wrong", "We couldn't finish that. Nothing was half-saved; try again."),
}


def _render(status: int, detail: str | None = None):  # type: ignore[no-untyped-def]
    title, text = MESSAGES.get(status, ("Error", "Something went wrong."))
    return render_template(
        "errors/error.html", status=status, title=title, text=detail or text
    ), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        return _render(
            400, "Your form expired or came from elsewhere. Reload the page and send it again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        if error.code in MESSAGES:
            return _render(error.code)
        return error

    @app.errorhandler(500)
    def server_error(error: Exception):  # type: ignore[no-untyped-def]
        from app.extensions import db

        db.session.rollback()
        return _render(500)
