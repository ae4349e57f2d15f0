from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.people import bp
from app.people.forms import ConfirmForm
from app.services import accounts, people
from app.services.progress import load_progress
from app.services.tracks import tracks_of


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return render_template("people/welcome.html")
    page = max(1, request.args.get("page", 1, type=int))
    per_page = current_app.config["PAGE_SIZE"]
    total = people.count_recruits(db.session, current_user)
    return render_template(
        "people/home.html",
        invite_url=url_for("auth.join", token=current_user.invite_token, _external=True),
        rows=people.recruit_rows(db.session, current_user, page, per_page),
        total=total,
        page=page,
        pages=max(1, -(-total // per_page)),
        progress=load_progress(db.session, current_user),
        tracks=tracks_of(db.session, current_user),
        confirm_form=ConfirmForm(),
    )


@bp.route("/invite/regenerate", methods=["POST"])
@login_required
def regenerate_invite():
    form = ConfirmForm()
    if form.validate_on_submit():
        accounts.regenerate_invite(current_user)
        flash("You have a new invite link. The old one no longer works.", "success")
    return redirect(url_for("people.home"))
