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
    PARTNER_REMINDER = "partner_reminder"
    PARTNER_CHECK_IN = "partner_check_in"
    PARTNER_REQUEST = "partner_request"
    PARTNER_RENEWAL = "partner_renewal"
    GROUP_REMINDER = "group_reminder"
    GROUP_SUMMARY = "group_summary"
    NUDGE = "nudge"
    PREFERENCE = {
        DIGEST: "email_digest",
        HAND_IN: "email_on_hand_in",
        DECISION: "email_on_decision",
        JOIN: "email_on_join",
        PARTNER_REMINDER: "email_partner_reminders",
        PARTNER_CHECK_IN: "email_on_partner_check_in",
        PARTNER_REQUEST: "email_on_partner_request",
        PARTNER_RENEWAL: "email_on_partner_renewal",
        GROUP_REMINDER: "email_group_reminders",
        GROUP_SUMMARY: "email_group_summaries",
        NUDGE: "email_nudges",
    }
    # The outbox kinds (MessageKind) each preference covers.
    MESSAGES = {
        DIGEST: ("digest",),
        HAND_IN: ("handed_in",),
        DECISION: ("decided",),
        JOIN: ("joined",),
        PARTNER_REMINDER: ("partner_reminder",),
        PARTNER_CHECK_IN: ("partner_check_in",),
        PARTNER_REQUEST: ("partner_request",),
        PARTNER_RENEWAL: ("partner_renewal",),
        GROUP_REMINDER: ("group_reminder",),
        GROUP_SUMMARY: ("group_summary",),
        NUDGE: ("nudge",),
    }
    LABEL = {
        DIGEST: "the weekly digest",
        HAND_IN: "emails when a recruit hands in",
        DECISION: "emails when your sponsor reviews your homework",
        JOIN: "emails when someone joins through your invite link",
        PARTNER_REMINDER: "check-in reminders on your partner days",
        PARTNER_CHECK_IN: "emails when your accountability partner checks in or replies",
        PARTNER_REQUEST: "emails about partner requests, changes of terms and endings",
        PARTNER_RENEWAL: "emails about renewing your partnerships",
        GROUP_REMINDER: "reminders to post your mastermind update",
        GROUP_SUMMARY: "mastermind meeting summaries",
        NUDGE: "gentle nudges from your sponsor when a step has been quiet",
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


# --- "Don't invite me again": for an address with no account (no preference to hold) ---


def _invitation_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="invitation-opt-out")


def invitation_opt_out_token(email: str) -> str:
    """A signed token that stops partner invitations to one address; it never expires."""
    return _invitation_serializer().dumps({"e": email})


def invitation_opt_out_link(email: str) -> str:
    return absolute_url("email.stop_invitations", token=invitation_opt_out_token(email))


def read_invitation_opt_out_token(token: str) -> str | None:
    """The address from a valid token, else None."""
    try:
        data = _invitation_serializer().loads(token)
    except BadSignature:
        return None
    email = data.get("e") if isinstance(data, dict) else None
    return email if isinstance(email, str) and "@" in email else None
