"""Accounts over HTTP: register (with or without an invite), log in and out, profile,
password change, and the forgotten-password link. The rules live in services.accounts."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
)
from app.extensions import db
from app.forms_common import form_status, is_safe_next
from app.models import User, utcnow
from app.services import accounts, sessions
from app.services.errors import EmailTaken, InvalidResetLink, InviteInvalid
from app.services.throttle import Throttled


def establish_session(user: User, remember: bool = False) -> None:
    """A fresh server-side session for this login (nothing carried over from before)."""
    config = current_app.config
    lifetime = (
        config["REMEMBER_COOKIE_DURATION"] if remember else config["SESSION_ABSOLUTE_LIFETIME"]
    )
    sessions.start(db.session, user, remember=remember, lifetime=lifetime)
    session.clear()
    login_user(user, remember=remember, duration=config["REMEMBER_COOKIE_DURATION"])


@bp.route("/register", methods=["GET", "POST"])
def register():
    return _register(invite_token=None)


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):
    """Register through a sponsor's invite link."""
    return _register(invite_token=token)


def _register(invite_token: str | None):  # type: ignore[no-untyped-def]
    sponsor = None
    if invite_token is not None:
        try:
            sponsor = accounts.find_sponsor_by_invite(db.session, invite_token)
        except InviteInvalid as refused:
            return render_template("auth/invite_invalid.html", left=refused.left), 404
    if current_user.is_authenticated:
        flash("You already have an account and are logged in.", "info")
        return redirect(url_for("dashboard.home"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_user(
                db.session,
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                timezone=form.timezone.data,
                invite_token=invite_token,
            )
        except EmailTaken as exc:
            form.email.errors = [str(exc)]
        except InviteInvalid as refused:
            return render_template("auth/invite_invalid.html", left=refused.left), 404
        else:
            establish_session(user)
            flash(f"Welcome to Willing, {user.name}!", "success")
            # Through an invite: straight to the first assignment (the landing rule);
            # through a partner's invitation (?next=), back to it (no sponsor is set).
            target = request.args.get("next", "")
            if invite_token is None and is_safe_next(target):
                return redirect(target)
            return redirect(url_for("homework.track" if user.sponsor_id else "dashboard.home"))
    return render_template("auth/register.html", form=form, sponsor=sponsor), form_status(form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = accounts.log_in(
                db.session,
                form.email.data,
                form.password.data,
                address=request.remote_addr or "unknown",
                now=utcnow(),
            )
        except Throttled as exc:
            form.password.errors = [str(exc)]
            # Retry-After (RFC 9110): scripts and proxies learn the wait too.
            headers = {"Retry-After": str(exc.minutes * 60)}
            return render_template("auth/login.html", form=form), 429, headers
        if user is not None:
            establish_session(user, remember=form.remember.data)
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("dashboard.home"))
        form.password.errors = ["That email and password don't match an account."]
    return render_template("auth/login.html", form=form), form_status(form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        sessions.end(db.session, current_user)
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Edit name, time zone and phone."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        accounts.update_profile(
            db.session,
            current_user,
            name=form.name.data,
            timezone=form.timezone.data,
            phone=form.phone.data or "",
        )
        flash("Your profile is saved.", "success")
        return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html", form=form, password_form=ChangePasswordForm()
    ), form_status(form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if request.method == "GET":
        return redirect(url_for("auth.account"))
    if form.validate_on_submit():
        if accounts.change_password(
            db.session, current_user, form.current_password.data, form.new_password.data
        ):
            flash("Your password is changed. Other devices have been logged out.", "success")
            return redirect(url_for("auth.account"))
        form.current_password.errors = ["That is not your current password."]
    return render_template(
        "auth/account.html", form=ProfileForm(obj=current_user), password_form=form
    ), 400


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(db.session, form.email.data)
        return render_template("auth/forgot_sent.html", email=form.email.data)
    return render_template("auth/forgot.html", form=form), form_status(form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        accounts.user_for_reset_token(db.session, token)
    except InvalidResetLink as exc:
        return render_template("auth/reset_invalid.html", reason=str(exc)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db.session, token, form.new_password.data)
        except InvalidResetLink as exc:
            return render_template("auth/reset_invalid.html", reason=str(exc)), 400
        logout_user()
        flash(
            "Your password is changed and every other session is logged out. Log in now.", "success"
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), form_status(form)
