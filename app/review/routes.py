"""The sponsor's review queue and the review page, where a hand-in is approved (which
opens the next step) or sent back with feedback, once; and their saved feedback."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.forms_common import ConfirmForm, form_status, page_number
from app.review import bp
from app.review.forms import DecisionForm, SnippetForm
from app.services import review as service
from app.services import snippets
from app.services.errors import AlreadyDecided, InvalidTransition


@bp.before_request
@login_required
def _login_first() -> None:
    """The sponsor's own pages."""


@bp.route("/review")
def queue():
    page = page_number()
    return render_template(
        "review/queue.html",
        queue=service.review_queue(db.session, current_user, page, current_app.config["PAGE_SIZE"]),
    )


def _render_review(submission, form: DecisionForm, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "review/review.html",
        submission=submission,
        attempts=service.attempts_of(db.session, submission),
        snippets=snippets.snippets_of(db.session, current_user),
        form=form,
        decision_refused=service.decision_refused(current_user),
    ), status


@bp.route("/review/<id:submission_id>", methods=["GET", "POST"])
def review(submission_id: int):
    form = DecisionForm()
    if not form.validate_on_submit():
        submission = service.get_reviewable(db.session, current_user, submission_id)
        return _render_review(submission, form, 400 if request.method == "POST" else 200)
    decision = service.Decision.APPROVE if form.approve.data else service.Decision.REQUEST_CHANGES
    try:
        # decide() looks the submission up among the sponsor's own: anyone else's is a 404.
        outcome = service.decide(
            db.session, current_user, submission_id, decision, form.feedback.data or ""
        )
    except AlreadyDecided as exc:
        flash(str(exc), "error")
        return redirect(url_for("review.review", submission_id=submission_id))
    except InvalidTransition as exc:
        form.feedback.errors = [str(exc)]
        submission = service.get_reviewable(db.session, current_user, submission_id)
        return _render_review(submission, form, 400)
    if not outcome.approved:
        flash(f"Sent back to {outcome.recruit_name} with your feedback.", "success")
    elif outcome.opened_title:
        flash(
            f"Approved. {outcome.recruit_name}'s next step is open: “{outcome.opened_title}”.",
            "success",
        )
    else:
        flash(f"Approved. {outcome.recruit_name} has finished the track.", "success")
    return redirect(url_for("review.next_hand_in"))


@bp.route("/review/next")
def next_hand_in():
    """The longest-waiting hand-in, where a decision leads (the queue when none is left).
    Its own request, so that the decision itself stays a few statements."""
    waiting = service.next_waiting(db.session, current_user)
    if waiting is None:
        return redirect(url_for("review.queue"))
    return redirect(url_for("review.review", submission_id=waiting))


@bp.route("/review/feedback", methods=["GET", "POST"])
def saved_feedback():
    """The sponsor's reusable lines of feedback: list, add."""
    form = SnippetForm()
    if form.validate_on_submit():
        try:
            snippets.save_snippet(db.session, current_user, form.text.data)
        except InvalidTransition as exc:
            form.text.errors = [str(exc)]
        else:
            flash("Saved. It is one click away on every review page.", "success")
            return redirect(url_for("review.saved_feedback"))
    return render_template(
        "review/feedback.html",
        form=form,
        snippets=snippets.snippets_of(db.session, current_user),
        confirm_form=ConfirmForm(),
    ), form_status(form)


@bp.route("/review/feedback/<id:snippet_id>/delete", methods=["POST"])
def delete_saved_feedback(snippet_id: int):
    if ConfirmForm().validate_on_submit():
        snippets.delete_snippet(db.session, current_user, snippet_id)
        flash("Deleted the saved feedback.", "success")
    return redirect(url_for("review.saved_feedback"))
