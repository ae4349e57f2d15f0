"""The sponsor's pages: the dashboard and its CSV, a recruit's page with check-ins,
archive and restore, the invite link and settings. Recruits are looked up among the
sponsor's own (services.people), so anybody else's id is a 404."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.dashboard import bp
from app.dashboard.forms import CheckInForm, FilterForm, SettingsForm
from app.extensions import db
from app.forms_common import ConfirmForm, form_status, is_safe_next, page_number
from app.models import utcnow
from app.services import accounts, audit, checkins, group_views, nudges
from app.services.dashboard import (
    build_dashboard,
    dashboard_csv,
    filter_and_sort,
    legend,
    onboarding,
)
from app.services.errors import InvalidTransition
from app.services.partner_summaries import summaries
from app.services.people import get_own_recruit, starts_on_homework
from app.services.progress import load_progress
from app.services.sessions import menu_of
from app.services.standing import Status, standings
from app.services.timeline import timeline
from app.services.tracks import tracks_of
from app.templating import local_time, viewer_zone


def _filters() -> tuple[FilterForm, Status | None]:
    form = FilterForm(request.args)
    if not form.validate():
        form = FilterForm(formdata=None)
    status = Status(form.status.data) if form.status.data else None
    return form, status


@bp.route("/")
def home():
    """Where a person lands: a recruit with nobody of their own yet on their next step,
    a sponsor on their team."""
    if not current_user.is_authenticated:
        return render_template("dashboard/welcome.html")
    if starts_on_homework(current_user, menu_of(db.session, current_user).is_sponsor):
        return redirect(url_for("homework.track"))
    return _team_page()


@bp.route("/team")
@login_required
def team():
    """The team page, for everyone ("Start your own team" leads here)."""
    return _team_page()


def _team_page():  # type: ignore[no-untyped-def]
    form, status = _filters()
    page = page_number()
    now = utcnow()
    board = build_dashboard(
        db.session,
        current_user,
        now,
        status=status,
        query=form.q.data or "",
        sort=form.sort.data,
        page=page,
        per_page=current_app.config["PAGE_SIZE"],
    )
    my_progress = load_progress(db.session, current_user)
    return render_template(
        "dashboard/home.html",
        board=board,
        legend=legend(),
        setup=onboarding(menu_of(db.session, current_user)),
        filters=form,
        now=now,
        invite_url=url_for("auth.join", token=current_user.invite_token, _external=True),
        my_progress=my_progress,
        my_next=my_progress.current,
        confirm_form=ConfirmForm(),
        Status=Status,
        next_meeting=_next_meeting(now),
    )


def _next_meeting(now):  # type: ignore[no-untyped-def]
    """The home page's meeting card (asked only of someone in a group: the menu knows)."""
    if not menu_of(db.session, current_user).in_group:
        return None
    return group_views.next_meeting_of(db.session, current_user, now)


@bp.route("/dashboard.csv")
@login_required
def export_csv():
    form, status = _filters()
    now = utcnow()
    rows = filter_and_sort(
        standings(db.session, [current_user.id], now),
        status,
        form.q.data or "",
        form.sort.data,
    )
    partners = summaries(db.session, [s.recruit_id for s in rows], now)
    body = "\ufeff" + dashboard_csv(
        rows, lambda t: local_time(t, "%Y-%m-%d %H:%M") if t else "", partners
    )
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="willing-recruits.csv"'},
    )


@bp.route("/invite/regenerate", methods=["POST"])
@login_required
def regenerate_invite():
    if ConfirmForm().validate_on_submit():
        accounts.regenerate_invite(db.session, current_user)
        flash("You have a new invite link. The old one no longer works.", "success")
    return redirect(url_for("dashboard.team", _anchor="invite-heading"))


def _own_recruit(recruit_id: int):  # type: ignore[no-untyped-def]
    return get_own_recruit(db.session, current_user, recruit_id)


def _to_utc(local: datetime) -> datetime:
    """A naive date-time typed by the viewer, in their zone, as UTC."""
    return local.replace(tzinfo=viewer_zone()).astimezone(UTC)


def _render_recruit(recruit, form: CheckInForm, status: int = 200):  # type: ignore[no-untyped-def]
    now = utcnow()
    standing = standings(db.session, [current_user.id], now, recruit.id)[0]
    # Loading the tracks first puts the recruit's track in the identity map for timeline().
    tracks = tracks_of(db.session, current_user)
    audit_events = audit.trail(db.session, recruit)
    return render_template(
        "dashboard/recruit.html",
        recruit=recruit,
        standing=standing,
        events=timeline(db.session, recruit, audit_events),
        audit_events=audit_events,
        audit_labels=audit.LABELS,
        form=form,
        tracks=tracks,
        confirm_form=ConfirmForm(),
        now=now,
    ), status


@bp.route("/recruits/<id:recruit_id>")
@login_required
def recruit(recruit_id: int):
    recruit = _own_recruit(recruit_id)
    form = CheckInForm(happened_at=utcnow().astimezone(viewer_zone()).replace(tzinfo=None))
    return _render_recruit(recruit, form)


@bp.route("/recruits/<id:recruit_id>/check-ins", methods=["POST"])
@login_required
def check_in(recruit_id: int):
    recruit = _own_recruit(recruit_id)
    form = CheckInForm()
    if not form.validate_on_submit():
        return _render_recruit(recruit, form, 400)
    snooze = form.snooze_until.data
    try:
        checkins.log_check_in(
            db.session,
            current_user,
            recruit.id,
            happened_at=_to_utc(form.happened_at.data),
            channel=form.channel.data,
            outcome=form.outcome.data,
            note=form.note.data or "",
            snooze_until=_to_utc(datetime.combine(snooze, time())) if snooze else None,
        )
    except InvalidTransition as exc:
        target = form.happened_at if exc.field == "happened_at" else form.snooze_until
        target.errors = [*target.errors, str(exc)]
        db.session.rollback()
        return _render_recruit(recruit, form, 400)
    flash(f"Check-in with {recruit.name} saved.", "success")
    back = request.form.get("next")
    return redirect(
        back if is_safe_next(back) else url_for("dashboard.recruit", recruit_id=recruit.id)
    )


@bp.route("/recruits/<id:recruit_id>/archive", methods=["POST"])
@login_required
def archive(recruit_id: int):
    recruit = _own_recruit(recruit_id)
    if ConfirmForm().validate_on_submit():
        checkins.archive_recruit(db.session, current_user, recruit.id)
        flash(f"{recruit.name} is archived. Their history is kept.", "success")
    return redirect(url_for("dashboard.recruit", recruit_id=recruit.id))


@bp.route("/recruits/<id:recruit_id>/nudge", methods=["POST"])
@login_required
def nudge(recruit_id: int):
    recruit = _own_recruit(recruit_id)
    if ConfirmForm().validate_on_submit():
        try:
            nudges.nudge_now(db.session, current_user, recruit.id, utcnow())
        except InvalidTransition as exc:
            flash(str(exc), "error")
        else:
            flash(f"Nudge sent to {recruit.name}, in your name.", "success")
    return redirect(url_for("dashboard.recruit", recruit_id=recruit.id, _anchor="nudge"))


@bp.route("/recruits/<id:recruit_id>/restore", methods=["POST"])
@login_required
def restore(recruit_id: int):
    recruit = _own_recruit(recruit_id)
    if ConfirmForm().validate_on_submit():
        checkins.restore_recruit(db.session, current_user, recruit.id)
        flash(f"{recruit.name} is back on your dashboard.", "success")
    return redirect(url_for("dashboard.recruit", recruit_id=recruit.id))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    minute = current_user.partner_reminder_minute
    form = SettingsForm(obj=current_user, partner_reminder_time=time(minute // 60, minute % 60))
    if form.validate_on_submit():
        accounts.update_settings(
            db.session,
            current_user,
            stall_threshold_days=form.stall_threshold_days.data,
            digest_weekday=form.digest_weekday.data,
            timezone=form.timezone.data,
            email_digest=form.email_digest.data,
            email_on_hand_in=form.email_on_hand_in.data,
            email_on_decision=form.email_on_decision.data,
            email_on_join=form.email_on_join.data,
            email_partner_reminders=form.email_partner_reminders.data,
            partner_reminder_minute=form.reminder_minute(minute),
            email_on_partner_check_in=form.email_on_partner_check_in.data,
            email_on_partner_request=form.email_on_partner_request.data,
            email_on_partner_renewal=form.email_on_partner_renewal.data,
            email_group_reminders=form.email_group_reminders.data,
            email_group_summaries=form.email_group_summaries.data,
            email_nudges=form.email_nudges.data,
            nudges_on=form.nudges_on.data,
            nudge_after_days=form.nudge_after_days.data,
            nudge_wording=form.nudge_wording.data or "",
        )
        flash("Settings saved.", "success")
        return redirect(url_for("dashboard.settings"))
    return render_template(
        "dashboard/settings.html", form=form, confirm=ConfirmForm()
    ), form_status(form)
