"""The kinds of email a user can turn off, and the signed one-click links that do it."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.mail.compose import absolute_url


class EmailKind:
    """The kinds of email a user can turn off, each with its own unsubscribe link."""

    DIGEST = "digest"
    HAND_IN = "hand_in"
    DECISION = "decision"
    JOIN = "join"
    PREFERENCE = {
        DIGEST: "email_digest",
        HAND_IN: "email_on_hand_in",
        DECISION: "email_on_decision",
        JOIN: "email_on_join",
    }
    # The outbox kinds (MessageKind) each preference covers.
    MESSAGES = {
        DIGEST: ("digest",),
        HAND_IN: ("handed_in",),
        DECISION: ("decided",),
        JOIN: ("joined",),
    }
    LABEL = {
        DIGEST: "the weekly digest",
        HAND_IN: "emails when a recruit hands in",
        DECISION: "emails when your sponsor reviews your homework",
        JOIN: "emails when someone joins through your invite link",
    }


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A signed token that turns off one kind of email for one user; it never expires."""
    return _serializer().dumps({"u": user_id, "k": kind})


def unsubscribe_link(user_id: int, kind: str) -> str:
    return absolute_url("email.unsubscribe", token=unsubscribe_token(user_id, kind))


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, kind) from a valid token, else None."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") not in EmailKind.PREFERENCE:
        return None
    user_id = data.get("u")
    return (user_id, data["k"]) if isinstance(user_id, int) else None
