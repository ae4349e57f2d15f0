"""The mastermind pages: my groups, starting one, joining by its link, a group's page,
the four-question update, a meeting's page (the agenda; the host records attendance and
notes there), comments and cheers, and the host's and members' actions. Only members
reach a group: services.groups answers NotFound to anyone else."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app.extensions import db
from app.forms_common import ConfirmForm, refuse_beside
from app.groups import bp
from app.groups.forms import CommentForm, GroupForm, MemberForm, NotesForm, UpdateForm
from app.models import utcnow
from app.models.mastermind import MAX_ANSWER_CHARS
from app.services import calendar_feed as calendar
from app.services import group_views, groups, meetings
from app.services.errors import InvalidTransition
from app.services.meeting_schedule import clock_change_warning
from app.services.people import zone_of

MAX_INDEX = 5000  # about a century of weekly meetings: further is no meeting at all


def _refused(form, refused: InvalidTransition, fallback: str) -> None:  # type: ignore[no-untyped-def]
    refuse_beside(form, str(refused), refused.field, fallback)


def _to_group(group_id: int, anchor: str = ""):  # type: ignore[no-untyped-def]
    return redirect(url_for("groups.show", group_id=group_id) + anchor)


@bp.route("/groups")
@login_required
def index():
    return render_template(
        "groups/index.html", mine=group_views.my_groups(db.session, current_user)
    )


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def create():
    form = GroupForm()
    warning = None
    if form.validate_on_submit():
        settings = form.settings()
        try:
            group = groups.create(db.session, current_user, settings)
        except InvalidTransition as refused:
            _refused(form, refused, "name")
        else:
            flash(
                f"{group.name} is started. Share its invite link: it meets once 3 have joined.",
                "success",
            )
            if warning := _clock_change_warning(form):
                flash(warning, "info")
            return _to_group(group.id)
    if not form.errors.get("weekday") and not form.errors.get("time"):
        warning = _clock_change_warning(form)
    status = 400 if request.method == "POST" else 200
    return render_template("groups/new.html", form=form, warning=warning), status


def _clock_change_warning(form: GroupForm) -> str | None:
    """A warning beside the time when a clock change skips or repeats it on that weekday."""
    try:
        weekday = int(form.weekday.data or "")
    except ValueError:
        return None
    if form.time.data is None or not 0 <= weekday <= 6:
        return None
    return clock_change_warning(weekday, form.time.data, zone_of(current_user), utcnow())


@bp.route("/groups/join/<token>", methods=["GET", "POST"])
def join(token: str):
    """The group's invite link: what the group is, and a button to join (signed in), or
    links to register or log in and come back."""
    group = groups.group_by_token(db.session, token)
    form = ConfirmForm()
    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=url_for("groups.join", token=token)))
        if form.validate_on_submit():
            try:
                groups.join(db.session, current_user, token)
            except InvalidTransition as refused:
                flash(str(refused), "error")
                return redirect(url_for("groups.join", token=token))
            flash(f"Welcome to {group.name}.", "success")
            return _to_group(group.id)
        flash("The form expired: try again.", "error")
        return redirect(url_for("groups.join", token=token)), 400
    count = groups.member_count(db.session, group.id)
    here = url_for("groups.join", token=token)
    return render_template("groups/join.html", group=group, count=count, form=form, here=here)


@bp.route("/groups/<id:group_id>")
@login_required
def show(group_id: int):
    view = group_views.group_page(db.session, current_user, group_id, utcnow())
    member_form = MemberForm()
    member_form.member.choices = [
        SelectChoice(str(person.id), person.name)
        for person, _score in view.members
        if person.id != current_user.id
    ]
    return render_template(
        "groups/show.html", view=view, confirm=ConfirmForm(), member_form=member_form
    )


@bp.route("/groups/<id:group_id>/update", methods=["GET", "POST"])
@login_required
def update(group_id: int):
    try:
        context = group_views.update_context(db.session, current_user, group_id, utcnow())
    except InvalidTransition as refused:
        flash(str(refused), "error")
        return _to_group(group_id)
    form = UpdateForm()
    if request.method == "GET" and context.mine is not None:
        for name, _question in meetings.QUESTIONS:
            getattr(form, name).data = getattr(context.mine, name)
        form.editing.data = str(context.mine.id)
    if form.validate_on_submit():
        try:
            meetings.post_update(
                db.session, current_user, group_id, form.answers(), editing=form.editing_id()
            )
        except InvalidTransition as refused:
            _refused(form, refused, "successes")
        else:
            flash("Your update is in. You can edit it until the meeting starts.", "success")
            return _to_group(group_id)
    status = 400 if request.method == "POST" else 200
    return render_template("groups/update.html", form=form, context=context), status


def _meeting(group_id: int, index: int, status: int = 200, **forms):  # type: ignore[no-untyped-def]
    if index > MAX_INDEX:
        raise groups.NotFound("No such meeting.")
    view = group_views.meeting_page(db.session, current_user, group_id, index, utcnow())
    swap_form = MemberForm()
    swap_form.member.choices = [SelectChoice(str(p.id), p.name) for p in view.members]
    return render_template(
        "groups/meeting.html",
        view=view,
        swap_form=swap_form,
        notes_form=forms.get("notes_form") or NotesForm(notes=view.row.notes if view.row else ""),
        refused_comments=forms.get("comments", {}),
        comment_max_chars=MAX_ANSWER_CHARS,
    ), status


@bp.route("/groups/<id:group_id>/meetings/<int:index>")
@login_required
def meeting(group_id: int, index: int):
    return _meeting(group_id, index)


@bp.route("/groups/<id:group_id>/meetings/<int:index>/record", methods=["POST"])
@login_required
def record(group_id: int, index: int):
    if index > MAX_INDEX:
        raise groups.NotFound("No such meeting.")
    meetings.readable(db.session, current_user, group_id, index)
    form = NotesForm()
    if form.validate_on_submit():
        attendance = {}
        for key, value in request.form.items():
            if key.startswith("attendance-") and value:
                try:
                    attendance[int(key.removeprefix("attendance-"))] = value
                except ValueError:
                    continue
        try:
            meetings.record_meeting(
                db.session,
                current_user,
                group_id,
                index,
                attendance=attendance,
                notes=form.notes.data or "",
            )
        except InvalidTransition as refused:
            _refused(form, refused, "notes")
        else:
            flash("Recorded. Every member gets the summary.", "success")
            return redirect(url_for("groups.meeting", group_id=group_id, index=index))
    return _meeting(group_id, index, 400, notes_form=form)


@bp.route("/groups/<id:group_id>/meetings/<int:index>/hot-seat", methods=["POST"])
@login_required
def swap(group_id: int, index: int):
    if index > MAX_INDEX:
        raise groups.NotFound("No such meeting.")
    meetings.readable(db.session, current_user, group_id, index)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            meetings.swap_hot_seat(db.session, current_user, group_id, index, form.member_id())
        except InvalidTransition as refused:
            flash(str(refused), "error")
        else:
            flash("The hot seat is swapped.", "success")
    else:
        flash("The form expired: try again.", "error")
    return redirect(url_for("groups.meeting", group_id=group_id, index=index))


@bp.route("/groups/updates/<id:update_id>/comments", methods=["POST"])
@login_required
def comment(update_id: int):
    target = meetings.update_of_my_group(db.session, current_user, update_id)
    form = CommentForm(prefix=f"comment-{update_id}")
    group_id, index = target
    if form.validate_on_submit():
        try:
            meetings.comment(
                db.session,
                current_user,
                update_id,
                body=form.body.data or "",
                cheer=bool(form.cheer.data),
            )
        except InvalidTransition as refused:
            _refused(form, refused, "body")
        else:
            flash("Cheered!" if form.cheer.data else "Comment posted.", "success")
            return redirect(
                url_for("groups.meeting", group_id=group_id, index=index) + f"#update-{update_id}"
            )
    return _meeting(group_id, index, 400, comments={update_id: form})


def _member_action(group_id: int, action, done: str):  # type: ignore[no-untyped-def]
    groups.membership(db.session, current_user, group_id)
    form = MemberForm()
    if not form.validate_on_submit():
        flash("The form expired: try again.", "error")
        return _to_group(group_id), 400
    try:
        action(db.session, current_user, group_id, form.member_id())
    except InvalidTransition as refused:
        flash(str(refused), "error")
        return _to_group(group_id)
    flash(done, "success")
    return _to_group(group_id)


@bp.route("/groups/<id:group_id>/remove", methods=["POST"])
@login_required
def remove(group_id: int):
    return _member_action(group_id, groups.remove, "Removed from the group.")


@bp.route("/groups/<id:group_id>/host", methods=["POST"])
@login_required
def hand_over(group_id: int):
    return _member_action(group_id, groups.hand_over, "Hosting is handed over.")


def _one_button(group_id: int, action, done: str, to_list: bool = False):  # type: ignore[no-untyped-def]
    groups.membership(db.session, current_user, group_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired: try again.", "error")
        return _to_group(group_id), 400
    try:
        action(db.session, current_user, group_id)
    except InvalidTransition as refused:
        flash(str(refused), "error")
        return _to_group(group_id)
    flash(done, "success")
    return redirect(url_for("groups.index")) if to_list else _to_group(group_id)


@bp.route("/groups/<id:group_id>/leave", methods=["POST"])
@login_required
def leave(group_id: int):
    return _one_button(group_id, groups.leave, "You left the group.", to_list=True)


@bp.route("/groups/<id:group_id>/archive", methods=["POST"])
@login_required
def archive(group_id: int):
    return _one_button(group_id, groups.archive, "The group is archived: still readable.")


@bp.route("/groups/<id:group_id>/new-link", methods=["POST"])
@login_required
def new_link(group_id: int):
    return _one_button(group_id, groups.new_link, "A new invite link: the old one stops working.")


# --- The private calendar feed (made, renewed and turned off from Settings) -----------


@bp.route("/calendar/<token>.ics")
def calendar_feed(token: str):
    """The feed a calendar app subscribes to: no session, the secret URL is the key."""
    owner = calendar.owner_of(db.session, token)
    body = calendar.feed(db.session, owner)
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'inline; filename="willing.ics"',
            "Cache-Control": "private, max-age=900",
        },
    )


@bp.route("/calendar/link", methods=["POST"])
@login_required
def calendar_link():
    if ConfirmForm().validate_on_submit():
        calendar.new_token(db.session, current_user)
        flash("Your calendar link is ready: add it to your calendar app.", "success")
    else:
        flash("The form expired: try again.", "error")
    return redirect(url_for("dashboard.settings") + "#calendar")


@bp.route("/calendar/off", methods=["POST"])
@login_required
def calendar_off():
    if ConfirmForm().validate_on_submit():
        calendar.turn_off(db.session, current_user)
        flash("The calendar feed is off: the old link shows nothing any more.", "success")
    else:
        flash("The form expired: try again.", "error")
    return redirect(url_for("dashboard.settings") + "#calendar")
