"""The partner pages: the list with who to ask, asking, a partnership's page (terms,
days, check-ins, replies, renewal, ending) and the emailed invitation's link. Only the
two partners reach a partnership: services.partners answers NotFound to anyone else."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app.extensions import db
from app.forms_common import ConfirmForm, page_number, refuse_beside
from app.models import utcnow
from app.partners import bp
from app.partners.forms import (
    AcceptForm,
    AskForm,
    CheckInForm,
    EndForm,
    RenewalForm,
    ReplyForm,
    TermsForm,
    parse_day,
)
from app.services import partner_views
from app.services import partners as service
from app.services.errors import InvalidTransition


def _refused(form, refused: InvalidTransition, fallback: str) -> None:  # type: ignore[no-untyped-def]
    refuse_beside(form, str(refused), refused.field, fallback)


@bp.route("/partners")
@login_required
def index():
    listing = partner_views.partner_list(db.session, current_user, utcnow())
    return render_template("partners/index.html", listing=listing, form=AskForm())


@bp.route("/partners/ask", methods=["GET", "POST"])
@login_required
def ask():
    form = AskForm(partner=request.args.get("partner", ""))
    person = None
    if form.partner_id() is not None:
        person = service.asked_person(db.session, form.partner_id())
    if form.validate_on_submit():
        try:
            partnership = service.ask(
                db.session,
                current_user,
                form.terms(),
                partner_id=form.partner_id(),
                email="" if form.partner_id() else form.email.data or "",
            )
        except InvalidTransition as refused:
            _refused(form, refused, "email")
        else:
            who = partnership.asked.name if partnership.asked else partnership.invite_email
            flash(f"Request sent to {who}.", "success")
            return redirect(url_for("partners.show", partnership_id=partnership.id))
    status = 400 if request.method == "POST" else 200
    return render_template("partners/ask.html", form=form, person=person), status


def _render_show(partnership_id: int, status: int = 200, **forms):  # type: ignore[no-untyped-def]
    view = partner_views.partnership_page(
        db.session, current_user, partnership_id, utcnow(), page_number()
    )
    # Only the forms the page shows (each costs its share of a busy page).
    check_in_form = forms.get("check_in_form") or (CheckInForm() if view.running else None)
    if check_in_form is not None:
        days = list(view.open_days)
        posted = parse_day(check_in_form.day.data) if "check_in_form" in forms else None
        if posted is not None and posted not in days:
            days.insert(0, posted)  # a refused day stays chosen, its message beside it
        check_in_form.day.choices = [SelectChoice(d.isoformat(), f"{d:%A %d %B}") for d in days]
        if request.method == "GET" or "check_in_form" not in forms:
            check_in_form.said.data = check_in_form.said.data or view.said
    answering = view.renewal_open and view.me.id not in view.renewal_answers
    return render_template(
        "partners/show.html",
        view=view,
        check_in_form=check_in_form,
        accept_form=forms.get("accept_form") or (AcceptForm() if view.waiting_for_me else None),
        renewal_form=forms.get("renewal_form") or (RenewalForm() if answering else None),
        end_form=forms.get("end_form") or (EndForm() if view.running else None),
        refused_replies=forms.get("reply_forms", {}),
        confirm=ConfirmForm() if view.pending else None,
    ), status


@bp.route("/partners/<id:partnership_id>")
@login_required
def show(partnership_id: int):
    return _render_show(partnership_id)


def _back(partnership_id: int, anchor: str = ""):  # type: ignore[no-untyped-def]
    return redirect(url_for("partners.show", partnership_id=partnership_id) + anchor)


@bp.route("/partners/<id:partnership_id>/terms", methods=["GET", "POST"])
@login_required
def terms(partnership_id: int):
    """A counter-proposal to a request, or a change to running terms."""
    partnership = service.get_partnership(db.session, current_user, partnership_id)
    form = TermsForm()
    if request.method == "GET":
        standing = (
            service.pending_agreement(db.session, partnership)
            or (service.accepted_agreements(db.session, partnership.id) or [None])[-1]
        )
        if standing is not None:
            form.fill_from(standing, current_user.id, partnership.asker_id)
    elif form.validate_on_submit():
        try:
            service.propose(db.session, current_user, partnership_id, form.terms())
        except InvalidTransition as refused:
            _refused(form, refused, "rules")
        else:
            flash("Proposed: it takes effect when your partner accepts.", "success")
            return _back(partnership_id)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "partners/terms.html",
        form=form,
        partnership=partnership,
        partner=partnership.other(current_user.id),
    ), status


@bp.route("/partners/<id:partnership_id>/accept", methods=["POST"])
@login_required
def accept(partnership_id: int):
    form = AcceptForm()
    if form.validate_on_submit():
        try:
            service.accept(
                db.session, current_user, partnership_id, my_handle=form.my_handle.data or ""
            )
        except InvalidTransition as refused:
            flash(str(refused), "error")
        else:
            flash("Accepted: you are accountability partners.", "success")
            return _back(partnership_id)
        return _back(partnership_id)
    service.get_partnership(db.session, current_user, partnership_id)
    return _render_show(partnership_id, 400, accept_form=form)


def _one_button(partnership_id: int, action, done: str):  # type: ignore[no-untyped-def]
    service.get_partnership(db.session, current_user, partnership_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired: try again.", "error")
        return _back(partnership_id), 400
    try:
        action(db.session, current_user, partnership_id)
    except InvalidTransition as refused:
        flash(str(refused), "error")
    else:
        flash(done, "success")
    return _back(partnership_id)


@bp.route("/partners/<id:partnership_id>/decline", methods=["POST"])
@login_required
def decline(partnership_id: int):
    return _one_button(partnership_id, service.decline, "Declined.")


@bp.route("/partners/<id:partnership_id>/withdraw", methods=["POST"])
@login_required
def withdraw(partnership_id: int):
    return _one_button(partnership_id, service.withdraw, "Withdrawn.")


@bp.route("/partners/<id:partnership_id>/check-in", methods=["POST"])
@login_required
def check_in(partnership_id: int):
    service.get_partnership(db.session, current_user, partnership_id)
    form = CheckInForm()
    if form.validate_on_submit():
        try:
            service.check_in(
                db.session,
                current_user,
                partnership_id,
                day=parse_day(form.day.data),
                said=form.said.data or "",
                did=form.did.data or "",
                next_step=form.next_step.data or "",
                note=form.note.data or "",
            )
        except InvalidTransition as refused:
            _refused(form, refused, "day")
        else:
            flash("Checked in. Your partner will see it.", "success")
            return _back(partnership_id, "#check-ins")
    return _render_show(partnership_id, 400, check_in_form=form)


@bp.route("/partners/check-ins/<id:check_in_id>/reply", methods=["POST"])
@login_required
def reply(check_in_id: int):
    entry = service.get_check_in(db.session, current_user, check_in_id)
    form = ReplyForm(prefix=f"reply-{check_in_id}")
    if form.validate_on_submit():
        try:
            service.reply(db.session, current_user, check_in_id, form.body.data or "")
        except InvalidTransition as refused:
            _refused(form, refused, "body")
        else:
            flash("Reply posted.", "success")
            return _back(entry.partnership_id, f"#check-in-{check_in_id}")
    return _render_show(entry.partnership_id, 400, reply_forms={check_in_id: form})


@bp.route("/partners/<id:partnership_id>/renew", methods=["POST"])
@login_required
def renew(partnership_id: int):
    service.get_partnership(db.session, current_user, partnership_id)
    form = RenewalForm()
    if form.validate_on_submit():
        try:
            partnership = service.answer_renewal(
                db.session,
                current_user,
                partnership_id,
                renew=form.renew.data == "yes",
                how_it_went=form.how_it_went.data or "",
            )
        except InvalidTransition as refused:
            _refused(form, refused, "renew")
        else:
            if form.renew.data != "yes":
                flash("Noted: the partnership ends at the end of its term.", "success")
            elif partnership.term_started_on and partnership.term_started_on > service.today_of(
                current_user, utcnow()
            ):
                flash("Renewed by you both: a new term starts when this one ends.", "success")
            else:
                flash("Renewed: it goes on once your partner renews too.", "success")
            return _back(partnership_id)
    return _render_show(partnership_id, 400, renewal_form=form)


@bp.route("/partners/<id:partnership_id>/end", methods=["POST"])
@login_required
def end(partnership_id: int):
    service.get_partnership(db.session, current_user, partnership_id)
    form = EndForm()
    if form.validate_on_submit():
        try:
            service.end(db.session, current_user, partnership_id, form.note.data or "")
        except InvalidTransition as refused:
            _refused(form, refused, "note")
        else:
            flash("The partnership has ended. It stays here for you both to read.", "success")
            return _back(partnership_id)
    return _render_show(partnership_id, 400, end_form=form)


@bp.route("/partners/invitation/<token>")
def invitation(token: str):
    """The emailed link: signed in, the request becomes the visitor's to answer; else
    what it is, and links to register (as nobody's recruit) or log in, coming back here."""
    partnership = service.invitation(db.session, token)
    if current_user.is_authenticated:
        try:
            partnership = service.claim_invitation(db.session, current_user, token)
        except InvalidTransition as refused:
            flash(str(refused), "error")
            return redirect(url_for("partners.index"))
        return redirect(url_for("partners.show", partnership_id=partnership.id))
    here = url_for("partners.invitation", token=token)
    return render_template("partners/invitation.html", partnership=partnership, here=here)
