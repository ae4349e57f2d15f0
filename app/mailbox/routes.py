"""Unsubscribe links (one click, no login) and this week's digest as the email says it."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup

from app.extensions import csrf, db
from app.mail.unsubscribe import EmailKind, read_invitation_opt_out_token, read_unsubscribe_token
from app.mailbox import bp
from app.models import User, utcnow
from app.services.accounts import set_email_preference
from app.services.digest import digest_email, digest_for, local_week
from app.services.partners import opt_out_of_invitations


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; RFC 8058 one-click posts carry no CSRF token
def unsubscribe(token: str):
    """GET asks to confirm (link scanners must not unsubscribe); POST turns the email off."""
    decoded = read_unsubscribe_token(token)
    user = db.session.get(User, decoded[0]) if decoded else None
    if decoded is None or user is None:
        return render_template("mailbox/unsubscribe.html", invalid=True), 404
    kind = decoded[1]
    done = request.method == "POST"
    if done:
        set_email_preference(db.session, user, kind, enabled=False)
    return render_template(
        "mailbox/unsubscribe.html", invalid=False, done=done, label=EmailKind.LABEL[kind]
    )


@bp.route("/invitations/stop/<token>", methods=["GET", "POST"])
@csrf.exempt  # as unsubscribe: the signed token is the proof, one-click posts carry no CSRF
def stop_invitations(token: str):
    """An invited address asks for no more partner invitations (it has no account, so no
    settings): GET asks to confirm, POST records it."""
    email = read_invitation_opt_out_token(token)
    if email is None:
        return render_template("mailbox/stop_invitations.html", invalid=True), 404
    done = request.method == "POST"
    if done:
        opt_out_of_invitations(db.session, email)
    return render_template("mailbox/stop_invitations.html", invalid=False, done=done, email=email)


@bp.route("/digest")
@login_required
def digest_preview():
    """This week's digest exactly as the email says it."""
    now = utcnow()
    digest = digest_for(db.session, current_user, now)
    _week_start, due = local_week(current_user, now)
    email = digest_email(digest)
    html_body = email.html.split("<body>", 1)[-1].rsplit("</body>", 1)[0]
    body = Markup(html_body)  # noqa: S704 - our own autoescaped template  # nosec B704
    return render_template(
        "mailbox/digest_preview.html", digest=digest, email=email, body=body, due=due
    )
