"""Registering, logging in and out, profile and password: through the real forms."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import func, select

from app.models import User
from tests.conftest import PASSWORD, csrf_token, post_form
from tests.factories import TrackFactory, UserFactory

GOOD = {
    "name": "Nora New",
    "email": "Nora@Example.com",
    "password": "a long enough passphrase",
    "confirm": "a long enough passphrase",
    "timezone": "Europe/Paris",
}


def register(client, url="/register", **overrides):
    page = client.get(url)
    return client.post(url, data={**GOOD, **overrides, "csrf_token": csrf_token(page.text)})


def user_count(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_register_logs_in_and_has_no_sponsor(client, db):
    response = register(client)
    assert response.status_code == 302
    home = client.get("/").text  # nobody's recruit: the team page, to start a team
    assert "Start your own team: 0 of 3 done" in home
    assert "you have no sponsor" in home
    assert 'value="Nora New"' in client.get("/account").text
    user = db.session.scalar(select(User))
    assert user.email == "nora@example.com"
    assert user.timezone == "Europe/Paris"
    assert user.password_hash != GOOD["password"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "NORA@example.COM"}, "email", "already exists"),
        ({"password": "short", "confirm": "short"}, "password", "12 to 256 characters"),
        ({"confirm": "something else entirely"}, "confirm", "don't match"),
        ({"name": "x" * 101}, "name", "under 100 characters"),
        ({"name": "   "}, "name", "Tell us your name"),
        ({"email": "not-an-email"}, "email", "valid email address"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Not a valid choice"),
        ({"name": "Bad\x07Name"}, "name", "control characters"),
    ],
)
def test_bad_registration_shows_message_beside_the_field_and_keeps_input(
    client, db, overrides, field, message
):
    UserFactory(email="nora@example.com")
    before = user_count(db)
    if "email" not in overrides:
        overrides = {**overrides, "email": "someone.else@example.com"}
    response = register(client, **overrides)
    assert response.status_code == 400
    html = unescape(response.text)
    error_at = html.find(f'id="{field}-error"')
    assert error_at != -1, f"no error beside {field}"
    assert message in html[error_at : error_at + 300]
    assert user_count(db) == before
    if field != "name" and "name" not in overrides:
        assert 'value="Nora New"' in html  # what was typed is kept


def test_login_wrong_password_and_unknown_email_get_the_same_message(client):
    UserFactory(email="real@example.com")
    for email in ("real@example.com", "ghost@example.com"):
        page = client.get("/login")
        response = client.post(
            "/login",
            data={
                "email": email,
                "password": "wrong password!!",
                "csrf_token": csrf_token(page.text),
            },
        )
        assert "That email and password don't match an account." in unescape(response.text)
        assert f'value="{email}"' in response.text


def test_login_is_case_insensitive_and_logout_ends_the_session(client, auth):
    UserFactory(email="case@example.com", name="Casey")
    response = auth.login("CASE@Example.com")
    assert response.status_code == 302
    assert 'value="Casey"' in client.get("/account").text
    auth.logout()
    assert client.get("/tracks").status_code == 302  # back to the login page
    assert "Homework that shows who is willing" in client.get("/").text


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/tracks", "/tracks"),
        ("https://evil.example.com/", "/"),
        ("//evil.example.com/", "/"),
        ("/\\evil.example.com", "/"),
        ("javascript:alert(1)", "/"),
        ("/\r\nLocation: https://evil.example", "/"),
        ("/\tevil", "/"),
    ],
)
def test_next_redirect_only_goes_to_our_own_paths(client, next_url, expected):
    UserFactory(email="nexter@example.com")
    page = client.get("/login", query_string={"next": next_url})
    response = client.post(
        "/login",
        data={
            "email": "nexter@example.com",
            "password": PASSWORD,
            "next": next_url,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_forms_refuse_a_missing_csrf_token(client):
    response = client.post("/register", data=GOOD)
    assert response.status_code == 400
    assert "Your form expired" in response.text


def test_edit_profile(client, auth, db):
    user = UserFactory(name="Old Name")
    auth.login(user)
    response = post_form(
        client, "/account", {"name": "New Name", "timezone": "Asia/Tokyo"}, page="/account"
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.timezone) == ("New Name", "Asia/Tokyo")
    bad = post_form(client, "/account", {"name": "", "timezone": "Asia/Tokyo"}, page="/account")
    assert "Tell us your name" in bad.text
    db.session.refresh(user)
    assert user.name == "New Name"


def test_change_password_ends_other_sessions(app, client, auth, db):
    user = UserFactory()
    auth.login(user)
    other_device = app.test_client()
    page = other_device.get("/login")
    other_device.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert other_device.get("/account").status_code == 200

    new = {"new_password": "brand new passphrase", "confirm": "brand new passphrase"}
    wrong = post_form(
        client, "/account/password", {"current_password": "not my password", **new}, page="/account"
    )
    assert "That is not your current password." in wrong.text
    response = post_form(
        client, "/account/password", {"current_password": PASSWORD, **new}, page="/account"
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # this device stays logged in
    assert other_device.get("/account").status_code == 302  # the other one is logged out
    auth.logout()
    assert auth.login(user.email, "brand new passphrase").status_code == 302


def test_invite_registration_sets_sponsor_and_default_track(client, db):
    sponsor = UserFactory(name="Sally Sponsor")
    track = TrackFactory(owner=sponsor, is_default=True)
    page = client.get(f"/join/{sponsor.invite_token}")
    assert "Join Sally Sponsor's team" in unescape(page.text)
    register(client, url=f"/join/{sponsor.invite_token}", email="recruit@example.com")
    recruit = db.session.scalar(select(User).where(User.email == "recruit@example.com"))
    assert recruit.sponsor_id == sponsor.id
    assert recruit.track_id == track.id
    assert recruit.enrolled_at is not None
    landing = client.get("/", follow_redirects=True)  # a recruit lands on their homework
    assert landing.request.path == "/homework" and "Sally Sponsor" in landing.text


def test_unknown_or_regenerated_invite_shows_a_clear_page(client, auth, db):
    sponsor = UserFactory()
    old_token = sponsor.invite_token
    response = client.get("/join/no-such-token")
    assert response.status_code == 404
    assert "This invite link doesn" in response.text

    auth.login(sponsor)
    assert old_token in client.get("/").text
    post_form(client, "/invite/regenerate")
    db.session.refresh(sponsor)
    assert sponsor.invite_token != old_token
    assert sponsor.invite_token in client.get("/").text
    auth.logout()
    token = csrf_token(client.get("/register").text)
    gone = client.post(
        f"/join/{old_token}", data={**GOOD, "email": "late@example.com", "csrf_token": token}
    )
    assert gone.status_code == 404
    assert "This invite link doesn" in gone.text
    assert db.session.scalar(select(User).where(User.email == "late@example.com")) is None


def test_sponsor_sees_their_recruits_listed(client, auth):
    sponsor = UserFactory()
    UserFactory(name="First Recruit", sponsor=sponsor)
    UserFactory(name="Somebody Else's Recruit")
    auth.login(sponsor)
    home = client.get("/").text
    assert "First Recruit" in home
    assert "Somebody Else" not in home


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    from app import create_app
    from config import ProductionConfig

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(SystemExit, match="set SECRET_KEY"):
        create_app(ProductionConfig)


def test_error_pages_are_friendly(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "<nav" in response.text


def test_an_unexpected_error_shows_a_friendly_500_page(database_url):
    from app import create_app
    from app.extensions import db as database
    from config import TestingConfig

    class Live(TestingConfig):
        TESTING = False  # let the error handler answer, as in production
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Live)

    @app.get("/_boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    response = app.test_client().get("/_boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "boom" not in response.text
    with app.app_context():
        database.engine.dispose()


def test_a_reset_link_used_from_two_browsers_at_once_works_once(app, db):
    """The second browser's request runs entirely while the first one is between
    checking the link and writing the new password: exactly one of them may win."""
    from sqlalchemy import event

    from app.services.accounts import reset_token

    user = UserFactory(email="twice@example.com")
    link = f"/reset-password/{reset_token(user)}"
    first, second = app.test_client(), app.test_client()
    tokens = [csrf_token(browser.get(link).text) for browser in (first, second)]
    answers = {}

    def second_browser_goes_first(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE USERS SET PASSWORD_HASH") and not answers:
            answers["second"] = None  # once: the second browser's own UPDATE passes through
            answers["second"] = second.post(
                link,
                data={
                    "new_password": "the second browser's phrase",
                    "confirm": "the second browser's phrase",
                    "csrf_token": tokens[1],
                },
            )

    event.listen(db.engine, "before_cursor_execute", second_browser_goes_first)
    try:
        answers["first"] = first.post(
            link,
            data={
                "new_password": "the first browser's phrase",
                "confirm": "the first browser's phrase",
                "csrf_token": tokens[0],
            },
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", second_browser_goes_first)
    assert answers["second"].status_code == 302
    assert answers["first"].status_code == 400
    assert "already used" in answers["first"].text
    from app.services.accounts import authenticate

    db.session.expire_all()
    assert authenticate(db.session, user.email, "the second browser's phrase") is not None
    assert authenticate(db.session, user.email, "the first browser's phrase") is None
