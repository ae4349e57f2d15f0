"""A form sent with something wrong answers 400, shows the message beside the field,
keeps what was typed, and saves nothing: the same on every form."""

from __future__ import annotations

from html import unescape

import pytest

from tests.conftest import post_form
from tests.factories import make_team
from tests.trust_world import state

CASES = [
    # (who, page, url, data, message, typed text that must come back)
    (
        "recruit",
        "/account",
        "/account",
        {"name": " ", "timezone": "UTC"},
        "Tell us your name",
        None,
    ),
    (
        "recruit",
        "/account",
        "/account",
        {"name": "Kept Name", "timezone": "Mars/Olympus"},
        "Not a valid choice",
        "Kept Name",
    ),
    (
        "sponsor",
        "/tracks",
        "/tracks",
        {"name": "", "description": "Kept words"},
        "Give the track a name",
        "Kept words",
    ),
    (
        "sponsor",
        "/tracks/{track}/assignments/new",
        "/tracks/{track}/assignments/new",
        {"title": "", "instructions": "Kept instructions", "deliverable": "x"},
        "Give the assignment a title",
        "Kept instructions",
    ),
    (
        "sponsor",
        "/tracks/{track}",
        "/tracks/{track}",
        {"name": "x" * 121, "description": ""},
        "Keep the name under 120 characters",
        None,
    ),
    (
        "sponsor",
        "/assignments/{step}/edit",
        "/assignments/{step}/edit",
        {"title": "Kept title", "instructions": "", "deliverable": "x"},
        "Write the instructions for this step",
        "Kept title",
    ),
    (
        "sponsor",
        "/settings",
        "/settings",
        {"stall_threshold_days": "0", "digest_weekday": "0", "timezone": "UTC"},
        "Enter a number of days from 1 to 365",
        None,
    ),
    (
        "anonymous",
        "/register",
        "/register",
        {
            "name": "Kept Newcomer",
            "email": "not-an-email",
            "password": "x",
            "confirm": "x",
            "timezone": "UTC",
        },
        "Enter a valid email address",
        "Kept Newcomer",
    ),
    (
        "anonymous",
        "/login",
        "/login",
        {"email": "kept@example.com", "password": "not the password"},
        "That email and password don't match an account",
        "kept@example.com",
    ),
    (
        "anonymous",
        "/forgot-password",
        "/forgot-password",
        {"email": "kept-not-an-email"},
        "Enter a valid email address",
        "kept-not-an-email",
    ),
]


@pytest.mark.parametrize(
    ("who", "page", "url", "data", "message", "kept"), CASES, ids=[c[2] + " " + c[4] for c in CASES]
)
def test_a_rejected_form_answers_400_with_its_message_and_saves_nothing(
    client, auth, who, page, url, data, message, kept
):
    _upline, sponsor, track, recruit, _other = make_team(2)
    ids = {"track": track.id, "step": track.assignments[0].id}
    if who != "anonymous":
        auth.login(sponsor if who == "sponsor" else recruit)
    before = state()
    response = post_form(client, url.format(**ids), data, page=page.format(**ids))
    assert response.status_code == 400
    html = unescape(response.text)
    assert message in html
    if kept:
        assert kept in html
    if url != "/login":  # a failed login is counted (that is the throttle), nothing else
        assert state() == before


@pytest.mark.parametrize("action", ["archive", "restore", "delete", "copy"])
def test_a_track_button_without_its_csrf_token_answers_400_and_changes_nothing(
    client, auth, action
):
    _upline, sponsor, track, _recruit, _other = make_team(1)
    auth.login(sponsor)
    before = state()
    response = client.post(f"/tracks/{track.id}/{action}", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert "Your form expired or came from elsewhere" in response.text
    assert state() == before
