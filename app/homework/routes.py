"""The recruit's pages: their track (done steps, the open one, locked titles), the
hand-in form, and attachments, which only the recruit and their sponsor can see."""

from __future__ import annotations

import os

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.homework import bp
from app.homework.forms import ACCEPTED_FILES, MAX_ANSWER_LENGTH, HandInForm
from app.models import utcnow
from app.services import group_views
from app.services import homework as service
from app.services.errors import InvalidTransition
from app.services.progress import load_progress
from app.services.sessions import menu_of
from app.services.uploads import ATTACHMENT_POLICY, INLINE_TYPES, UploadRejected


@bp.before_request
@login_required
def _login_first() -> None:
    """The recruit's own pages."""


def _render_track(form: HandInForm, status: int = 200, progress=None):  # type: ignore[no-untyped-def]
    return render_template(
        "homework/track.html",
        progress=progress or load_progress(db.session, current_user),
        form=form,
        sponsor=current_user.sponsor,
        max_answer=MAX_ANSWER_LENGTH,
        accepted_files=ACCEPTED_FILES,
        max_attachment_bytes=current_app.config["MAX_ATTACHMENT_BYTES"],
        next_meeting=group_views.next_meeting_of(db.session, current_user, utcnow())
        if menu_of(db.session, current_user).in_group
        else None,
    ), status


@bp.route("/homework")
def track():
    """The recruit's track; a sent-back step's form starts from the last answer."""
    progress = load_progress(db.session, current_user)
    form = HandInForm()
    previous = service.answer_to_revise(progress)
    if previous is not None:
        form.answer.data, form.link.data = previous.answer, previous.link
    return _render_track(form, progress=progress)


@bp.route("/homework/<id:assignment_id>/hand-in", methods=["POST"])
def hand_in(assignment_id: int):
    form = HandInForm()
    if not form.validate_on_submit():
        return _render_track(form, 400)
    upload = None
    if form.attachment.data and form.attachment.data.filename:
        upload = service.Upload(form.attachment.data.stream, form.attachment.data.filename)
    try:
        service.hand_in(
            db.session,
            current_user,
            assignment_id,
            answer=form.answer.data,
            link=form.link.data,
            upload=upload,
            upload_folder=current_app.config["UPLOAD_FOLDER"],
            max_attachment_bytes=current_app.config["MAX_ATTACHMENT_BYTES"],
            quota_bytes=current_app.config["ATTACHMENT_QUOTA_BYTES"],
        )
    except UploadRejected as exc:
        form.attachment.errors = [str(exc)]
        return _render_track(form, 400)
    except InvalidTransition as exc:
        flash(str(exc), "error")
        return _render_track(form, 409)
    flash("Handed in. Your sponsor will review it.", "success")
    return redirect(url_for("homework.track"))


@bp.route("/submissions/<id:submission_id>/attachment")
def attachment(submission_id: int):
    """The file, only for the recruit and their sponsor: images and PDFs shown in the
    browser when asked (`?inline=1`), sandboxed; anything else always a download."""
    submission = service.get_viewable_submission(db.session, current_user, submission_id)
    if not submission.attachment_path:
        abort(404)
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], submission.attachment_path)
    if not os.path.isfile(path):
        abort(404)
    content_type = submission.attachment_type or "application/octet-stream"
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=not (request.args.get("inline") and content_type in INLINE_TYPES),
        download_name=submission.attachment_name or "attachment",
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = ATTACHMENT_POLICY
    return response
