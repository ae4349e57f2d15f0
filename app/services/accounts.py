"""Accounts: registration, login checks, password and profile changes."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from zoneinfo import available_timezones

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.mail import messages, outbox
from app.mail.unsubscribe import EmailKind
from app.models import AuditAction, MessageKind, User, normalize_email, utcnow
from app.models.user import DEFAULT_NUDGE_AFTER_DAYS
from app.services import audit, sessions, throttle, tracks
from app.services.errors import EmailTaken, InvalidResetLink, InviteInvalid

# A real hash to compare against when the account does not exist, so a miss costs
# the same time as a wrong password.
_DUMMY_HASH: dict[str, str] = {}


def timezone_names() -> list[str]:
    """Every IANA time zone name, sorted, for the profile form."""
    return sorted(available_timezones())


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def email_taken(session: Session, email: str) -> bool:
    """True when an account already uses this address, in any letter case."""
    return bool(session.scalar(select(func.count()).where(User.email == normalize_email(email))))


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def find_sponsor_by_invite(session: Session, token: str) -> User:
    """The distributor whose current invite link carries this token."""
    usable = token and "\x00" not in token and len(token) <= 64
    sponsor = session.scalar(select(User).where(User.invite_token == token)) if usable else None
    if sponsor is None:
        raise InviteInvalid("This invite link is not valid any more.")
    if sponsor.archived_at is not None:  # they left the business: nobody joins under them
        raise InviteInvalid("Whoever sent this invite link has left the business.", left=True)
    return sponsor


def register_user(
    session: Session,
    *,
    name: str,
    email: str,
    password: str,
    timezone: str = "UTC",
    invite_token: str | None = None,
    now: datetime | None = None,
) -> User:
    """Create an account; through an invite it joins the sponsor and their default track,
    and the sponsor hears of it (unless they turned that email off)."""
    now = now or utcnow()
    sponsor = find_sponsor_by_invite(session, invite_token) if invite_token else None
    password_hash = hash_password(password)  # before the track's lock: it takes a while
    default_track_id = tracks.enrol_newcomer(session, sponsor) if sponsor else None
    user = User(
        name=name.strip(),
        email=email,
        password_hash=password_hash,
        timezone=timezone,
        sponsor_id=sponsor.id if sponsor else None,
        track_id=default_track_id,
        enrolled_at=now if default_track_id else None,
        created_at=now,
    )
    session.add(user)
    try:
        session.flush()  # the id, for the sponsor's link to the new recruit
        if sponsor is not None and sponsor.email_on_join and sponsor.archived_at is None:
            outbox.enqueue(
                session,
                messages.join_notice(
                    sponsor, user, has_homework=tracks.has_steps(session, default_track_id)
                ),
                kind=MessageKind.JOINED,
                recipient=sponsor,
            )
        session.commit()
    except IntegrityError as exc:  # the unique email constraint won a race
        session.rollback()
        raise EmailTaken("An account with this email already exists.") from exc
    return user


def log_in(session: Session, email: str, password: str, address: str, now: datetime) -> User | None:
    """The account these credentials open, or None; throttle.Throttled past the limits.

    The attempt is counted before the password is checked (see services.throttle), and
    a miss costs about the time of a wrong password, so timing tells no account apart.
    """
    attempt = throttle.begin(session, email, address, now)
    user = authenticate(session, email, password)
    if user is None:
        throttle.failed(session, attempt)
    else:
        throttle.succeeded(session, attempt)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The account for these credentials, or None; similar time either way."""
    user = find_by_email(session, email)
    if user is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        if method not in _DUMMY_HASH:
            _DUMMY_HASH[method] = generate_password_hash("not-a-real-password", method=method)
        check_password_hash(_DUMMY_HASH[method], password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def change_password(session: Session, user: User, current_password: str, new_password: str) -> bool:
    """Set a new password if the current one is right; ends the user's other sessions."""
    if not check_password_hash(user.password_hash, current_password):
        return False
    user.password_hash = hash_password(new_password)
    sessions.end_all(session, user, keep_current=True)
    session.commit()
    return True


def update_profile(session: Session, user: User, *, name: str, timezone: str, phone: str) -> None:
    user.name = name.strip()
    user.timezone = timezone
    user.phone = phone.strip()
    session.commit()


def regenerate_invite(session: Session, user: User) -> str:
    """Give the user a new invite token; the old link stops working at once."""
    from app.models.user import new_invite_token

    user.invite_token = new_invite_token()
    audit.record(session, user, AuditAction.INVITE_REGENERATED)
    session.commit()
    return user.invite_token


def update_settings(
    session: Session,
    user: User,
    *,
    stall_threshold_days: int,
    digest_weekday: int,
    timezone: str,
    email_digest: bool,
    email_on_hand_in: bool,
    email_on_decision: bool,
    email_on_join: bool,
    email_partner_reminders: bool,
    partner_reminder_minute: int,
    email_on_partner_check_in: bool,
    email_on_partner_request: bool,
    email_on_partner_renewal: bool,
    email_group_reminders: bool = True,
    email_group_summaries: bool = True,
    email_nudges: bool = True,
    nudges_on: bool = True,
    nudge_after_days: int = DEFAULT_NUDGE_AFTER_DAYS,
    nudge_wording: str = "",
) -> None:
    """The user's settings: stall threshold, weekly email day, time zone, which emails
    (and when, locally, a partner reminder comes: a minute of the day)."""
    wanted = {
        "stall_threshold_days": stall_threshold_days,
        "digest_weekday": digest_weekday,
        "timezone": timezone,
        "email_digest": email_digest,
        "email_on_hand_in": email_on_hand_in,
        "email_on_decision": email_on_decision,
        "email_on_join": email_on_join,
        "email_partner_reminders": email_partner_reminders,
        "partner_reminder_minute": partner_reminder_minute,
        "email_on_partner_check_in": email_on_partner_check_in,
        "email_on_partner_request": email_on_partner_request,
        "email_on_partner_renewal": email_on_partner_renewal,
        "email_group_reminders": email_group_reminders,
        "email_group_summaries": email_group_summaries,
        "email_nudges": email_nudges,
        "nudges_on": nudges_on,
        "nudge_after_days": nudge_after_days,
        "nudge_wording": nudge_wording.strip(),
    }
    changed = [f"{k}: {getattr(user, k)} → {v}" for k, v in wanted.items() if getattr(user, k) != v]
    for kind, preference in EmailKind.PREFERENCE.items():
        if getattr(user, preference) and not wanted[preference]:
            outbox.cancel(session, user.id, EmailKind.MESSAGES[kind])
    for name, value in wanted.items():
        setattr(user, name, value)
    if changed:
        audit.record(session, user, AuditAction.SETTINGS_CHANGED, detail="; ".join(changed))
    session.commit()


def set_email_preference(session: Session, user: User, kind: str, *, enabled: bool) -> None:
    """Turn one kind of email on or off (from settings or an unsubscribe link)."""
    setattr(user, EmailKind.PREFERENCE[kind], enabled)
    if not enabled:
        outbox.cancel(session, user.id, EmailKind.MESSAGES[kind])
    session.commit()


RESET_MAX_AGE = timedelta(hours=1)
RESET_EMAIL_EVERY = timedelta(minutes=2)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    """Changes whenever the password does, so a reset link works only once."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: User) -> str:
    return _reset_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def request_password_reset(session: Session, email: str) -> None:
    """Email a reset link if an account has this address; nothing otherwise (the page
    says the same either way, so it tells nobody which addresses have accounts)."""
    user = find_by_email(session, email)
    if user is None or outbox.recently_sent(
        session, user.id, MessageKind.PASSWORD_RESET, RESET_EMAIL_EVERY
    ):
        return  # one link at a time: a flood of requests mails nobody a flood of links
    outbox.enqueue(
        session,
        messages.password_reset(user, reset_token(user)),
        kind=MessageKind.PASSWORD_RESET,
        recipient=user,
    )
    session.commit()


def user_for_reset_token(session: Session, token: str, now: datetime | None = None) -> User:
    """The account a reset link is for; InvalidResetLink if expired, used, forged or orphaned."""
    try:
        data, signed_at = _reset_serializer().loads(token, return_timestamp=True)
    except BadSignature as exc:
        raise InvalidResetLink("This reset link is not valid.") from exc
    if (now or utcnow()) - signed_at > RESET_MAX_AGE:
        raise InvalidResetLink("This reset link has expired: links work for one hour.")
    user = session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or data.get("p") != _password_fingerprint(user):
        raise InvalidResetLink(ALREADY_USED)
    return user


ALREADY_USED = "This reset link was already used or is not valid any more."


def reset_password(
    session: Session, token: str, new_password: str, now: datetime | None = None
) -> User:
    """Set the new password through a reset link, once, and end every session.

    The UPDATE changes the password only if it is still the one the link was made
    for: of two browsers using one link at the same moment, one wins and the other
    gets InvalidResetLink, whatever the order of their reads.
    """
    user = user_for_reset_token(session, token, now)
    changed = session.execute(
        update(User)
        .where(User.id == user.id, User.password_hash == user.password_hash)
        .values(password_hash=hash_password(new_password))
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        session.rollback()
        raise InvalidResetLink(ALREADY_USED)
    sessions.end_all(session, user, now=now)
    session.commit()
    session.refresh(user)
    return user
