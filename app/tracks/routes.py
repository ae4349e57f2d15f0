"""The sponsor's tracks: list and create, edit, reorder, archive and restore steps, and
put a recruit on another track. Every id in a URL is looked up among the sponsor's own."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app.extensions import db
from app.forms_common import ConfirmForm, form_status
from app.services import tracks as service
from app.services.errors import InvalidTransition
from app.services.people import get_own_recruit
from app.tracks import bp
from app.tracks.forms import AssignmentForm, AssignTrackForm, MoveForm, TrackForm


@bp.before_request
@login_required
def _login_first() -> None:
    """Every page here belongs to a logged-in sponsor."""


def _own_track(track_id: int):  # type: ignore[no-untyped-def]
    return service.get_own_track(db.session, current_user, track_id)


def _own_assignment(assignment_id: int):  # type: ignore[no-untyped-def]
    return service.get_own_assignment(db.session, current_user, assignment_id)


@bp.route("/tracks", methods=["GET", "POST"])
def index():
    form = TrackForm()
    if form.validate_on_submit():
        track = service.create_track(
            db.session, current_user, name=form.name.data, description=form.description.data
        )
        flash(f"Track “{track.name}” created. Now add its first assignment.", "success")
        return redirect(url_for("tracks.detail", track_id=track.id))
    return render_template(
        "tracks/index.html",
        form=form,
        tracks=service.tracks_of(db.session, current_user),
        sponsor_track=service.sponsor_default_track(db.session, current_user),
        confirm_form=ConfirmForm(),
    ), form_status(form)


@bp.route("/tracks/copy-sponsor", methods=["POST"])
def copy_sponsor_track():
    """Duplicate the system: start from a copy of your sponsor's default track."""
    form = ConfirmForm()
    source = service.sponsor_default_track(db.session, current_user)
    if not form.validate_on_submit() or source is None:
        flash("Your sponsor has no default track to copy.", "error")
        return redirect(url_for("tracks.index"))
    copy = service.duplicate_track(db.session, current_user, source)
    flash(f"Copied “{source.name}”. Change it as you like.", "success")
    return redirect(url_for("tracks.detail", track_id=copy.id))


@bp.route("/tracks/<id:track_id>", methods=["GET", "POST"])
def detail(track_id: int):
    track = _own_track(track_id)
    form = TrackForm(obj=track)
    if form.validate_on_submit():
        service.update_track(
            db.session, track, name=form.name.data, description=form.description.data
        )
        flash("Track saved.", "success")
        return redirect(url_for("tracks.detail", track_id=track.id))
    active = [a for a in track.assignments if a.position is not None]
    archived = [a for a in track.assignments if a.position is None]
    return render_template(
        "tracks/detail.html",
        track=track,
        form=form,
        active=active,
        archived=archived,
        confirm_form=ConfirmForm(),
    ), form_status(form)


@bp.route("/tracks/<id:track_id>/default", methods=["POST"])
def make_default(track_id: int):
    track = _own_track(track_id)
    if ConfirmForm().validate_on_submit():
        service.make_default(db.session, current_user, track)
        flash(f"New recruits will now start on “{track.name}”.", "success")
    return redirect(url_for("tracks.detail", track_id=track.id))


@bp.route("/tracks/<id:track_id>/assignments/new", methods=["GET", "POST"])
def new_assignment(track_id: int):
    track = _own_track(track_id)
    form = AssignmentForm()
    if form.validate_on_submit():
        service.add_assignment(
            db.session,
            track,
            title=form.title.data,
            instructions=form.instructions.data,
            deliverable=form.deliverable.data,
            stall_threshold_days=form.stall_threshold_days.data,
        )
        flash("Assignment added.", "success")
        return redirect(url_for("tracks.detail", track_id=track.id))
    return render_template(
        "tracks/assignment_form.html", form=form, track=track, assignment=None
    ), form_status(form)


@bp.route("/assignments/<id:assignment_id>/edit", methods=["GET", "POST"])
def edit_assignment(assignment_id: int):
    assignment = _own_assignment(assignment_id)
    form = AssignmentForm(obj=assignment)
    if form.validate_on_submit():
        service.edit_assignment(
            db.session,
            assignment,
            title=form.title.data,
            instructions=form.instructions.data,
            deliverable=form.deliverable.data,
            stall_threshold_days=form.stall_threshold_days.data,
        )
        flash("Assignment saved.", "success")
        return redirect(url_for("tracks.detail", track_id=assignment.track_id))
    return render_template(
        "tracks/assignment_form.html", form=form, track=assignment.track, assignment=assignment
    ), form_status(form)


@bp.route("/assignments/<id:assignment_id>/move", methods=["POST"])
def move_assignment(assignment_id: int):
    assignment = _own_assignment(assignment_id)
    form = MoveForm()
    if form.validate_on_submit():
        try:
            service.move_assignment(db.session, assignment, form.direction.data)
        except InvalidTransition as exc:
            flash(str(exc), "error")
    return redirect(url_for("tracks.detail", track_id=assignment.track_id, _anchor="assignments"))


@bp.route("/assignments/<id:assignment_id>/archive", methods=["POST"])
def archive_assignment(assignment_id: int):
    assignment = _own_assignment(assignment_id)
    if ConfirmForm().validate_on_submit():
        try:
            service.archive_assignment(db.session, assignment)
            flash(f"“{assignment.title}” archived. Its submissions are kept.", "success")
        except InvalidTransition as exc:
            flash(str(exc), "error")
    return redirect(url_for("tracks.detail", track_id=assignment.track_id))


@bp.route("/assignments/<id:assignment_id>/restore", methods=["POST"])
def restore_assignment(assignment_id: int):
    assignment = _own_assignment(assignment_id)
    if ConfirmForm().validate_on_submit():
        try:
            service.restore_assignment(db.session, assignment)
            flash(f"“{assignment.title}” is back, at the end of the track.", "success")
        except InvalidTransition as exc:
            flash(str(exc), "error")
    return redirect(url_for("tracks.detail", track_id=assignment.track_id))


@bp.route("/recruits/<id:recruit_id>/track", methods=["POST"])
def assign_track(recruit_id: int):
    """Put a recruit on another of your tracks."""
    recruit = get_own_recruit(db.session, current_user, recruit_id)
    form = AssignTrackForm()
    form.track_id.choices = [
        SelectChoice(t.id, t.name) for t in service.tracks_of(db.session, current_user)
    ]
    if form.validate_on_submit():
        track = _own_track(form.track_id.data)
        service.assign_track(db.session, current_user, recruit, track)
        flash(f"{recruit.name} is now on “{track.name}”.", "success")
    else:
        flash("Choose one of your tracks.", "error")
    return redirect(url_for("dashboard.recruit", recruit_id=recruit.id))
