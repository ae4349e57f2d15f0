"""Friendly error pages instead of stack traces or bare status lines."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.services.errors import NotFound

MESSAGES = {
    400: ("Something was wrong with that request", "Please go back and try again."),
    403: ("Not allowed", "You don't have access to this page."),
    404: ("Page not found", "There is nothing here, or it isn't yours to see."),
    405: ("Not allowed", "That page can't be used this way."),
    413: (
        "File too large",
        "That upload is too large: attachments can be up to 10 MB. Nothing was handed in. "
        "Go back: your answer is still in the form; choose a smaller file or leave it out.",
    ),
    500: ("Something went wrong", "We couldn't finish that. Nothing was half-saved; try again."),
}


def _render(status: int, detail: str | None = None):  # type: ignore[no-untyped-def]
    title, text = MESSAGES.get(status, ("Error", "Something went wrong."))
    return render_template(
        "errors/error.html", status=status, title=title, text=detail or text
    ), status


DRAIN_LIMIT = 64 * 1024 * 1024


def _drain_request_body() -> None:
    """Read (and drop) what the client is still sending, so it gets to read our 413
    page instead of a reset connection; past DRAIN_LIMIT we give up and let it close."""
    stream = request.environ.get("wsgi.input")
    length = request.content_length or 0
    if stream is None or not 0 < length <= DRAIN_LIMIT:
        return
    remaining = length
    try:
        while remaining > 0:
            chunk = stream.read(min(65536, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
    except OSError:
        pass


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        return _render(
            400, "Your form expired or came from elsewhere. Reload the page and send it again."
        )

    @app.errorhandler(NotFound)
    def not_found(error: NotFound):  # type: ignore[no-untyped-def]
        """A service found nothing this user may see: the same page as an unknown URL."""
        return _render(404)

    @app.errorhandler(413)
    def too_large(error: HTTPException):  # type: ignore[no-untyped-def]
        _drain_request_body()
        return _render(413)

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
