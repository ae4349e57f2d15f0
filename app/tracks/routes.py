"""The sponsor's tracks: list (with counts) and create, copy, preview, archive, restore
and delete unused tracks; edit, reorder, archive and restore steps; put a recruit on
another track. Every id in a URL is looked up among the sponsor's own."""

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

NO_DEFAULT_NOW = (
    " It was your default track: until you make another one the default, new recruits"
    " start with no homework."
)


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
    summaries = service.track_summaries(db.session, current_user)
    active = [s for s in summaries if not s.track.is_archived]
    return render_template(
        "tracks/index.html",
        form=form,
        tracks=active,
        archived_tracks=[s for s in summaries if s.track.is_archived],
        has_default=any(s.track.is_default for s in active),
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
        deletable=service.deletion_refusal(db.session, track) is None,
        confirm_form=ConfirmForm(),
    ), form_status(form)


@bp.route("/tracks/<id:track_id>/default", methods=["POST"])
def make_default(track_id: int):
    track = _own_track(track_id)
    if ConfirmForm().validate_on_submit():
        try:
            service.make_default(db.session, current_user, track)
            flash(f"New recruits will now start on “{track.name}”.", "success")
        except InvalidTransition as exc:
            flash(str(exc), "error")
    return redirect(url_for("tracks.detail", track_id=track.id))


@bp.route("/tracks/<id:track_id>/copy", methods=["POST"])
def copy_track(track_id: int):
    """A copy of one of your own tracks, to change without touching the original."""
    track = _own_track(track_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("tracks.detail", track_id=track.id))
    copy = service.copy_track(db.session, current_user, track)
    flash(f"Copied “{track.name}” as “{copy.name}”. Change it as you like.", "success")
    return redirect(url_for("tracks.detail", track_id=copy.id))


@bp.route("/tracks/<id:track_id>/preview")
def preview(track_id: int):
    """The track as a recruit sees it on their first day; nothing here can be sent."""
    track = _own_track(track_id)
    return render_template(
        "tracks/preview.html",
        track=track,
        progress=service.preview(db.session, track),
        sponsor=current_user,
        preview=True,
    )


@bp.route("/tracks/<id:track_id>/archive", methods=["POST"])
def archive_track(track_id: int):
    track = _own_track(track_id)
    if ConfirmForm().validate_on_submit():
        try:
            was_default = service.archive_track(db.session, track)
        except InvalidTransition as exc:
            flash(str(exc), "error")
            return redirect(url_for("tracks.detail", track_id=track.id))
        flash(
            f"“{track.name}” archived: it is under “Archived tracks”, ready to restore."
            + (NO_DEFAULT_NOW if was_default else ""),
            "success",
        )
    return redirect(url_for("tracks.index"))


@bp.route("/tracks/<id:track_id>/restore", methods=["POST"])
def restore_track(track_id: int):
    track = _own_track(track_id)
    if ConfirmForm().validate_on_submit():
        try:
            service.restore_track(db.session, track)
            flash(f"“{track.name}” is back in your tracks.", "success")
        except InvalidTransition as exc:
            flash(str(exc), "error")
    return redirect(url_for("tracks.index"))


@bp.route("/tracks/<id:track_id>/delete", methods=["GET", "POST"])
def delete_track(track_id: int):
    """GET asks for confirmation (or says why the track must be kept); POST deletes."""
    track = _own_track(track_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template(
            "tracks/delete.html",
            track=track,
            steps=len(track.assignments),  # archived ones go too
            refusal=service.deletion_refusal(db.session, track),
            confirm_form=form,
        )
    name = track.name
    try:
        was_default = service.delete_track(db.session, track)
    except InvalidTransition as exc:
        flash(str(exc), "error")
        return redirect(url_for("tracks.detail", track_id=track_id))
    flash(f"“{name}” deleted." + (NO_DEFAULT_NOW if was_default else ""), "success")
    return redirect(url_for("tracks.index"))


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
    """Put a recruit on another of your tracks (archived ones are not offered)."""
    recruit = get_own_recruit(db.session, current_user, recruit_id)
    form = AssignTrackForm()
    form.track_id.choices = [
        SelectChoice(t.id, t.name)
        for t in service.tracks_of(db.session, current_user)
        if not t.is_archived
    ]
    if form.validate_on_submit():
        track = _own_track(form.track_id.data)
        try:
            service.assign_track(db.session, current_user, recruit, track)
            flash(f"{recruit.name} is now on “{track.name}”.", "success")
        except InvalidTransition as exc:
            flash(str(exc), "error")
    else:
        flash("Choose one of your tracks.", "error")
    return redirect(url_for("dashboard.recruit", recruit_id=recruit.id))
