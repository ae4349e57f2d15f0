"""The partner pages: the list with suggestions, a partnership's page, an invitation."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.partners import bp
from app.services import partners as service
from app.services.errors import InvalidTransition


@bp.route("/partners")
@login_required
def index():
    return render_template("partners/index.html")


@bp.route("/partners/<id:partnership_id>")
@login_required
def show(partnership_id: int):
    partnership = service.get_partnership(db.session, current_user, partnership_id)
    return render_template("partners/show.html", partnership=partnership)


@bp.route("/partners/invitation/<token>")
def invitation(token: str):
    partnership = service.invitation(db.session, token)
    if current_user.is_authenticated:
        try:
            partnership = service.claim_invitation(db.session, current_user, token)
        except InvalidTransition as refused:
            flash(str(refused), "error")
            return redirect(url_for("partners.index"))
        return redirect(url_for("partners.show", partnership_id=partnership.id))
    return render_template("partners/invitation.html", partnership=partnership, token=token)
