"""The whole team below the first level: the roll-up of every level and its drill-down
(services.rollup), and adopting the people stranded when someone with recruits left
(services.team). Ids outside one's own downline are a 404."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.downline import bp
from app.extensions import db
from app.forms_common import ConfirmForm, page_number
from app.models import utcnow
from app.services import rollup as team_rollup
from app.services import team
from app.services.errors import InvalidTransition


@bp.route("/")
@login_required
def rollup():
    return _rollup(None)


@bp.route("/<id:person_id>")
@login_required
def drill(person_id: int):
    return _rollup(person_id)


def _rollup(root_id: int | None):  # type: ignore[no-untyped-def]
    found = team_rollup.rollup(
        db.session,
        current_user,
        utcnow(),
        root_id=root_id,
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template("downline/rollup.html", rollup=found, now=found.now)


@bp.route("/needs-a-sponsor")
@login_required
def stranded():
    root_id = request.args.get("from", type=int)
    found = team.stranded(
        db.session,
        current_user,
        root_id=root_id,
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "downline/stranded.html", found=found, root_id=root_id, confirm_form=ConfirmForm()
    )


@bp.route("/people/<id:recruit_id>/adopt", methods=["POST"])
@login_required
def adopt(recruit_id: int):
    if ConfirmForm().validate_on_submit():
        try:
            recruit = team.adopt(db.session, current_user, recruit_id)
        except InvalidTransition as exc:
            flash(str(exc), "error")
        else:
            flash(
                f"{recruit.name} is on your team now: their waiting hand-ins wait for you.",
                "success",
            )
            return redirect(url_for("dashboard.recruit", recruit_id=recruit.id))
    return redirect(url_for("downline.stranded"))


@bp.route("/departed/<id:root_id>/adopt-all", methods=["POST"])
@login_required
def adopt_all(root_id: int):
    if ConfirmForm().validate_on_submit():
        moved = team.adopt_all(db.session, current_user, root_id)
        if moved:
            flash(
                f"{moved} {'person is' if moved == 1 else 'people are'} on your team now.",
                "success",
            )
        else:
            flash("They were all adopted a moment ago: nothing to do.", "info")
    return redirect(url_for("dashboard.team"))
