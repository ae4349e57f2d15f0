"""Sessions that really end, throttled logins, password rules, storage quota, audit log."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AuditEvent, LoginFailure, Submission, User, UserSession, utcnow
from tests.conftest import PASSWORD, csrf_token, post_form
from tests.factories import SubmissionFactory, UserFactory, make_team, make_track


def login(client, email, password=PASSWORD, remember=False, address="10.1.1.1"):
    page = client.get("/login")
    data = {"email": email, "password": password, "csrf_token": csrf_token(page.text)}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_cookie_copied_before_logout_is_refused_after(app, client):
    user = UserFactory()
    login(client, user.email)
    stolen = session_cookie(client)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/account").status_code == 200
    post_form(client, "/logout")
    assert client.get("/account").status_code == 302
    assert thief.get("/account").status_code == 302  # the server ended that session


def test_login_starts_a_new_session(app, client):
    user = UserFactory()
    client.get("/login")
    before = session_cookie(client)
    login(client, user.email)
    assert session_cookie(client) != before
    assert db.session.scalar(select(func.count(UserSession.id))) == 1
    login(app.test_client(), user.email)
    keys = db.session.scalars(select(UserSession.key_hash)).all()
    assert len(set(keys)) == 2


def test_idle_timeout_and_absolute_lifetime(app, client):
    user = UserFactory()
    login(client, user.email)
    assert client.get("/account").status_code == 200
    db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=11)))
    db.session.commit()
    assert client.get("/account").status_code == 200  # 11 idle hours: still in
    db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=12)))
    db.session.commit()
    assert client.get("/account").status_code == 302  # 12 idle hours: out

    other = app.test_client()
    login(other, user.email)
    db.session.execute(
        update(UserSession)
        .where(UserSession.ended_at.is_(None))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert other.get("/account").status_code == 302


def test_cookie_flags_and_remember_me_only_when_asked(app, client):
    user = UserFactory()
    response = login(client, user.email)
    cookies = response.headers.getlist("Set-Cookie")
    session_header = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_header and "SameSite=Lax" in session_header
    assert not any(c.startswith("remember_token=") for c in cookies)
    post_form(client, "/logout")

    remembered = login(client, user.email, remember=True)
    remember_header = next(
        c for c in remembered.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    )
    assert "HttpOnly" in remember_header
    expires = client.get_cookie("remember_token").expires
    assert timedelta(days=29) < expires - utcnow() <= timedelta(days=30)
    login_row = db.session.scalar(select(UserSession).where(UserSession.ended_at.is_(None)))
    assert login_row.remember
    assert login_row.expires_at - login_row.created_at <= timedelta(days=30)


@pytest.fixture
def production_app(app, database_url):  # type: ignore[no-untyped-def]
    """The app as production builds it (ProductionConfig), on the test database."""
    from app import create_app
    from config import ProductionConfig

    class Production(ProductionConfig):
        SECRET_KEY = "a-production-secret-for-this-test"  # noqa: S105
        SQLALCHEMY_DATABASE_URI = database_url

    production = create_app(Production)
    yield production
    with production.app_context():
        db.engine.dispose()


def test_production_cookies_are_secure_and_passwords_hashed_with_scrypt(production_app):
    """What a browser receives from a production app, and what it stores."""
    client = production_app.test_client()
    page = client.get("/register", base_url="https://willing.example.com")
    response = client.post(
        "/register",
        base_url="https://willing.example.com",
        headers={"Referer": "https://willing.example.com/register"},
        data={
            "name": "Pru Production",
            "email": "pru@example.com",
            "password": "a production passphrase",
            "confirm": "a production passphrase",
            "timezone": "UTC",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.status_code == 302
    session_header = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")
    )
    assert "; Secure" in session_header and "; HttpOnly" in session_header
    assert "SameSite=Lax" in session_header
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    with production_app.app_context():
        stored = db.session.scalar(
            select(User.password_hash).where(User.email == "pru@example.com")
        )
        db.session.remove()
    assert stored.startswith("scrypt:")
    client = production_app.test_client()  # a new browser: the account exists now
    page = client.get("/login", base_url="https://willing.example.com")
    remembered = client.post(
        "/login",
        base_url="https://willing.example.com",
        headers={"Referer": "https://willing.example.com/login"},
        data={
            "email": "pru@example.com",
            "password": "a production passphrase",
            "remember": "y",
            "csrf_token": csrf_token(page.text),
        },
    )
    remember_header = next(
        c for c in remembered.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    )
    assert "; Secure" in remember_header and "; HttpOnly" in remember_header


def test_a_remember_me_cookie_dies_with_its_session(app, client):
    user = UserFactory()
    login(client, user.email, remember=True)
    remember = client.get_cookie("remember_token").value
    device = app.test_client()
    device.set_cookie("remember_token", remember)
    assert device.get("/account").status_code == 200  # the cookie alone logs in
    post_form(client, "/logout")
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember)
    assert fresh.get("/account").status_code == 302


def test_ten_failures_lock_the_account_for_everyone_with_a_clear_wait(client, db):
    user = UserFactory()
    for attempt in range(10):
        response = login(client, user.email, "wrong password!", address=f"10.0.0.{attempt}")
        assert "don't match" in unescape(response.text)
    locked = login(client, user.email, PASSWORD, address="10.9.9.9")
    assert locked.status_code == 429
    assert "Too many failed attempts. Try again in 15 minutes." in locked.text
    assert locked.headers["Retry-After"] == "900"
    ghost = "nobody@example.com"
    for attempt in range(10):
        login(client, ghost, "wrong password!", address=f"10.0.1.{attempt}")
    assert "Too many failed attempts" in login(client, ghost, "x" * 12, address="10.9.9.8").text
    for failure in db.session.scalars(select(LoginFailure)):
        failure.created_at -= timedelta(minutes=15)  # a quarter of an hour later
    db.session.commit()
    assert login(client, user.email, PASSWORD).status_code == 302


def test_one_address_is_throttled_only_after_a_hundred_failures(client):
    """An office behind one NAT shares an address: ten wrong passwords from a colleague
    (the old per-address limit) must not lock everyone else out."""
    user = UserFactory()
    for attempt in range(10):
        login(client, f"guess{attempt}@example.com", "wrong password!", address="10.6.6.6")
    assert login(client, user.email, PASSWORD, address="10.6.6.6").status_code == 302
    post_form(client, "/logout")
    for attempt in range(10, 100):
        login(client, f"guess{attempt}@example.com", "wrong password!", address="10.6.6.6")
    blocked = login(client, user.email, PASSWORD, address="10.6.6.6")
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.text
    assert login(client, user.email, PASSWORD, address="10.7.7.7").status_code == 302


GOOD = {"name": "Pat", "timezone": "UTC"}


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("q1w2e3r4t5y6", False),  # on the common list
        ("QWERTY123456", False),  # the list ignores case
        ("ünïcødé passwörd ✓", True),
        ("密码很长很长很长很长很长", True),
        ("x" * 128, True),
        ("y" * 256, True),
        ("z" * 257, False),
    ],
)
def test_password_rules(client, db, password, accepted):
    page = client.get("/register")
    response = client.post(
        "/register",
        data={
            **GOOD,
            "email": "pat@example.com",
            "password": password,
            "confirm": password,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert (response.status_code == 302) is accepted, unescape(response.text)[-2000:]
    if not accepted:
        html = unescape(response.text)
        assert "most common ones" in html or "Use 12 to 256 characters" in html


def test_the_attachment_quota_counts_every_attempt_so_far(app, client, auth, db):
    """The quota is a running total over all of a recruit's hand-ins, sent-back ones too."""
    _upline, sponsor, track, recruit, _other = make_team(1)
    # Put back by the app fixture. Small files: the test client spools a body over 500 kB
    # to a temporary file it never closes.
    app.config["ATTACHMENT_QUOTA_BYTES"] = 512 * 1024
    step = track.assignments[0]

    def hand_in(kilobytes: int):  # type: ignore[no-untyped-def]
        return post_form(
            client,
            f"/homework/{step.id}/hand-in",
            {"answer": "notes", "attachment": (io.BytesIO(b"a" * kilobytes * 1024), "notes.txt")},
            page="/homework",
            content_type="multipart/form-data",
        )

    def send_back() -> None:
        waiting = db.session.scalar(select(Submission).where(Submission.status == "submitted"))
        waiting.status, waiting.decided_at, waiting.feedback = "changes_requested", utcnow(), "More"
        db.session.commit()

    auth.login(recruit)
    for _ in range(2):
        assert hand_in(200).status_code == 302
        send_back()
    refused = hand_in(150)  # 200 + 200 + 150 kB > 512 kB
    assert refused.status_code == 400
    message = "Your attachments would pass your 0.5 MB of storage (0.1 MB left)."
    assert message in unescape(refused.text)
    assert db.session.scalar(select(func.count(Submission.id))) == 2
    assert hand_in(100).status_code == 302  # 500 kB in all: still fits
    assert db.session.scalar(select(func.sum(Submission.attachment_size))) == 500 * 1024


def test_too_large_a_request_gets_a_friendly_413(app, client, auth):
    _upline, _sponsor, track, recruit, _other = make_team(1)
    auth.login(recruit)
    app.config["MAX_CONTENT_LENGTH"] = 2000  # the same check, without a 10 MB body
    response = post_form(
        client,
        f"/homework/{track.assignments[0].id}/hand-in",
        {"answer": "x", "attachment": (io.BytesIO(b"a" * 3000), "huge.txt")},
        page="/homework",
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "File too large" in response.text


def test_the_audit_log_records_who_did_what_and_shows_it(app, client, auth, db):
    _upline, sponsor, track, recruit, _other = make_team(2)
    auth.login(sponsor)
    post_form(
        client,
        f"/recruits/{recruit.id}/check-ins",
        {
            "happened_at": utcnow().strftime("%Y-%m-%dT%H:%M"),
            "channel": "call",
            "outcome": "left",
            "note": "moving abroad",
        },
    )
    post_form(client, f"/recruits/{recruit.id}/restore")
    post_form(client, "/invite/regenerate")
    post_form(
        client,
        "/settings",
        {
            "stall_threshold_days": "9",
            "digest_weekday": "0",
            "timezone": "UTC",
            "email_digest": "y",
        },
        page="/settings",
    )
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == [
        "checked_in",
        "archived",
        "restored",
        "invite_regenerated",
        "settings_changed",
    ]
    settings = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings_changed"))
    assert "stall_threshold_days: 7 → 9" in settings.detail
    page = unescape(client.get(f"/recruits/{recruit.id}").text)
    audit = page.split("Audit log", 1)[1]
    assert f"{sponsor.name} archived the recruit" in audit
    assert f"{sponsor.name} logged a check-in: call: left" in audit
    # Never editable through the app: no route of it touches the log but these actions.
    assert not [rule.rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]


@pytest.mark.parametrize("hops", [1, 0], ids=["behind one proxy", "no proxy configured"])
def test_behind_a_proxy_the_throttle_counts_the_real_client_and_links_keep_https(
    app, database_url, hops
):
    """PROXY_HOPS=1 trusts one proxy's X-Forwarded-For and -Proto; without it both are
    ignored (anyone could send them)."""
    from app import create_app
    from config import TestingConfig

    class Proxied(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        PROXY_HOPS = hops

    proxied = create_app(Proxied)
    user = UserFactory()
    # Over https, Flask-WTF also wants a same-site Referer (as browsers send it).
    forwarded = {
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https",
        "Referer": "https://localhost/login",
    }
    client = proxied.test_client()
    page = client.get("/login", headers=forwarded, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    client.post(
        "/login",
        data={
            "email": user.email,
            "password": "wrong password!",
            "csrf_token": csrf_token(page.text),
        },
        headers=forwarded,
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    db.session.expire_all()
    counted = db.session.scalars(select(LoginFailure.address)).all()
    assert counted == (["203.0.113.9"] if hops else ["10.0.0.1"])
    login(client, user.email)
    home = client.get("/", headers=forwarded, environ_base={"REMOTE_ADDR": "10.0.0.1"}).text
    invite = re.search(r'value="([^"]*/join/[^"]+)"', home).group(1)
    assert invite.startswith("https://" if hops else "http://")
    with proxied.app_context():
        db.engine.dispose()


def test_forty_wrong_logins_at_once_are_not_all_checked(app):
    """Counted before the check: of 40 simultaneous tries no more than the limit (10)
    reach the password check; the rest are told to wait."""
    import threading

    from sqlalchemy import event

    email = UserFactory().email
    clients = [app.test_client() for _ in range(40)]
    tokens = [csrf_token(c.get("/login").text) for c in clients]
    start = threading.Barrier(40)
    answers: list[int] = []
    checked: list[int] = []

    def count_checks(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if "FROM users" in statement and "users.email =" in statement:
            checked.append(1)  # the account lookup that comes with each password check

    def attempt(client, token) -> None:  # type: ignore[no-untyped-def]
        start.wait()
        response = client.post(
            "/login",
            data={"email": email, "password": "wrong password!", "csrf_token": token},
            environ_base={"REMOTE_ADDR": "10.4.4.4"},
        )
        answers.append(response.status_code)

    event.listen(db.engine, "before_cursor_execute", count_checks)
    try:
        threads = [
            threading.Thread(target=attempt, args=pair)
            for pair in zip(clients, tokens, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        event.remove(db.engine, "before_cursor_execute", count_checks)
    assert len(answers) == 40
    assert answers.count(400) <= 10 and answers.count(400) + answers.count(429) == 40, answers
    assert len(checked) <= 10, len(checked)
    assert db.session.scalar(select(func.count(LoginFailure.id))) == answers.count(400)


@pytest.fixture
def failing_after_audit(app):  # type: ignore[no-untyped-def]
    """The database fails right after the audit entry is written (a lost connection, a
    full disk): whatever the action wrote must go with it."""
    from sqlalchemy import event

    class DatabaseWentAway(Exception):
        pass

    def fail(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        # (on PostgreSQL a decision's audit row rides in a WITH beside its email's)
        if "INSERT INTO AUDIT_EVENTS" in statement.upper():
            raise DatabaseWentAway("the database went away")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # the friendly 500 page, as in production
    event.listen(db.engine, "after_cursor_execute", fail)
    yield
    event.remove(db.engine, "after_cursor_execute", fail)


def every_row() -> dict:
    from tests.trust_world import state

    return state()[0]


def test_approve_send_back_and_track_moves_are_audited(client, auth, db):
    _upline, sponsor, track, recruit, other = make_team(2)
    second_track = make_track(sponsor, 1, default=False)
    approved = SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    sent_back = SubmissionFactory(recruit=other, assignment=track.assignments[0])
    auth.login(sponsor)
    post_form(client, f"/review/{approved.id}", {"approve": "1"}, page="/review")
    post_form(
        client,
        f"/review/{sent_back.id}",
        {"request_changes": "1", "feedback": "More"},
        page="/review",
    )
    post_form(client, f"/recruits/{other.id}/track", {"track_id": str(second_track.id)})
    rows = db.session.execute(
        select(
            AuditEvent.actor_id, AuditEvent.subject_id, AuditEvent.action, AuditEvent.detail
        ).order_by(AuditEvent.id)
    ).all()
    assert rows == [
        (sponsor.id, recruit.id, "approved", "“Step 1 title”, attempt 1"),
        (sponsor.id, other.id, "changes_requested", "“Step 1 title”, attempt 1"),
        (sponsor.id, other.id, "track_changed", f"to “{second_track.name}”"),
    ]


@pytest.mark.parametrize("action", ["approve", "send back", "move to a track"])
def test_an_action_that_fails_leaves_neither_its_change_nor_its_audit_entry(
    client, auth, db, failing_after_audit, action
):
    _upline, sponsor, track, recruit, _other = make_team(2)
    second_track = make_track(sponsor, 1, default=False)
    waiting = SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    auth.login(sponsor)
    before = every_row()
    url, data = {
        "approve": (f"/review/{waiting.id}", {"approve": "1"}),
        "send back": (f"/review/{waiting.id}", {"request_changes": "1", "feedback": "More"}),
        "move to a track": (f"/recruits/{recruit.id}/track", {"track_id": str(second_track.id)}),
    }[action]
    response = post_form(client, url, data, page="/review")
    assert response.status_code == 500 and "Nothing was half-saved" in response.text
    after = every_row()
    changed = {table for table in after if after[table] != before[table]}
    assert changed <= {"user_sessions"}, changed  # (a login's last-seen time may move)


def test_a_login_lasts_seven_days_and_keep_me_logged_in_thirty_whatever_the_idle_time(app, client):
    """README: 12 idle hours or 7 days end a login; "keep me logged in" promises 30 days
    on this device, so idle hours don't end it, and nothing outlives its 30 days."""
    user = UserFactory()
    login(client, user.email)
    plain = db.session.scalar(select(UserSession).where(UserSession.remember.is_(False)))
    assert plain.expires_at - plain.created_at == timedelta(days=7)
    remembered_client = app.test_client()
    login(remembered_client, user.email, remember=True)
    kept = db.session.scalar(select(UserSession).where(UserSession.remember.is_(True)))
    assert kept.expires_at - kept.created_at == timedelta(days=30)
    db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=13)))
    db.session.commit()
    assert client.get("/account").status_code == 302  # idle 13 hours: out
    assert remembered_client.get("/account").status_code == 200  # kept, as promised
    db.session.execute(
        update(UserSession)
        .where(UserSession.remember.is_(True))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert remembered_client.get("/account").status_code == 302  # 30 days are 30 days
