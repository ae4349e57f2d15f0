"""Every route that takes an id, asked with somebody else's id: 404, and nothing changes.

The people around one team: the sponsor (owner of the track and reviewer), their
recruit (owner of the submission), another recruit of the same sponsor, another
sponsor, and the sponsor's own upline, who sees no homework of their second level.
"""

from __future__ import annotations

import io
import secrets
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import Base
from tests.conftest import post_form
from tests.factories import SubmissionFactory, UserFactory, make_team, make_track


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, to prove a refused request changed nothing."""
    state = {}
    for table in Base.metadata.sorted_tables:
        rows = _db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        state[table.name] = [tuple(row) for row in rows]
    return state


@pytest.fixture
def world(tmp_path):
    upline, sponsor, track, recruit, other_recruit = make_team(3)
    other_sponsor = UserFactory(name="Other Sponsor")
    make_track(other_sponsor, 2)
    submission = SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    return {
        "upline": upline,
        "sponsor": sponsor,
        "track": track,
        "assignment": track.assignments[1],
        "recruit": recruit,
        "other_recruit": other_recruit,
        "other_sponsor": other_sponsor,
        "submission": submission,
    }


ATTACHMENT = b"The recruit's own notes: ATTACHMENT-BYTES-7f3a\n"


def store_attachment(app, submission) -> None:  # type: ignore[no-untyped-def]
    """A real stored file behind the submission, as a hand-in leaves it."""
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16)
    (folder / stored).write_bytes(ATTACHMENT)
    submission.attachment_path = stored
    submission.attachment_name = "notes.txt"
    submission.attachment_type = "text/plain"
    submission.attachment_size = len(ATTACHMENT)
    _db.session.commit()


@pytest.mark.parametrize("who", ["recruit", "sponsor"])
def test_the_attachment_is_served_to_its_recruit_and_their_sponsor(app, client, auth, world, who):
    """The other side of the 404s below: the file exists, and its two people get it."""
    store_attachment(app, world["submission"])
    auth.login(world[who])
    response = client.get(f"/submissions/{world['submission'].id}/attachment", buffered=True)
    assert response.status_code == 200
    assert response.data == ATTACHMENT
    assert response.headers["Content-Disposition"].startswith("attachment;")


# (method, url template, form data, people who must get 404)
SPONSOR_ONLY = ["recruit", "other_recruit", "other_sponsor", "upline"]
ROUTES = [
    ("GET", "/tracks/{track}", None, SPONSOR_ONLY),
    ("POST", "/tracks/{track}", {"name": "Hijacked", "description": ""}, SPONSOR_ONLY),
    ("POST", "/tracks/{track}/default", {}, SPONSOR_ONLY),
    ("GET", "/tracks/{track}/assignments/new", None, SPONSOR_ONLY),
    (
        "POST",
        "/tracks/{track}/assignments/new",
        {"title": "Injected", "instructions": "x", "deliverable": "x"},
        SPONSOR_ONLY,
    ),
    ("GET", "/assignments/{assignment}/edit", None, SPONSOR_ONLY),
    (
        "POST",
        "/assignments/{assignment}/edit",
        {"title": "Hijacked", "instructions": "x", "deliverable": "x"},
        SPONSOR_ONLY,
    ),
    ("POST", "/assignments/{assignment}/move", {"direction": "up"}, SPONSOR_ONLY),
    ("POST", "/assignments/{assignment}/archive", {}, SPONSOR_ONLY),
    ("POST", "/assignments/{assignment}/restore", {}, SPONSOR_ONLY),
    (
        "POST",
        "/recruits/{recruit}/track",
        {"track_id": "{track}"},
        ["recruit", "other_recruit", "other_sponsor", "upline"],
    ),
    ("GET", "/recruits/{recruit}", None, SPONSOR_ONLY),
    (
        "POST",
        "/recruits/{recruit}/check-ins",
        {"happened_at": "2026-01-01T10:00", "channel": "call", "outcome": "left"},
        SPONSOR_ONLY,
    ),
    ("POST", "/recruits/{recruit}/archive", {}, SPONSOR_ONLY),
    ("POST", "/recruits/{recruit}/restore", {}, SPONSOR_ONLY),
    ("GET", "/review/{submission}", None, SPONSOR_ONLY),
    ("POST", "/review/{submission}", {"feedback": "", "approve": "1"}, SPONSOR_ONLY),
    (
        "GET",
        "/submissions/{submission}/attachment",
        None,
        ["other_recruit", "other_sponsor", "upline"],
    ),
    (
        "POST",
        "/homework/{assignment}/hand-in",
        {"answer": "sneaky"},
        ["sponsor", "other_sponsor", "upline"],
    ),
]


def _fill(template: str, world: dict) -> str:
    ids = {name: getattr(obj, "id", None) for name, obj in world.items()}
    return template.format(**ids)


CASES = [(m, u, d, who) for m, u, d, people in ROUTES for who in people]


@pytest.mark.parametrize(
    ("method", "url", "data", "who"), CASES, ids=[f"{m} {u} as {w}" for m, u, _d, w in CASES]
)
def test_somebody_elses_id_is_404_and_changes_nothing(
    app, client, auth, world, method, url, data, who
):
    if "attachment" in url:
        store_attachment(app, world["submission"])
    auth.login(world[who])
    before = snapshot()
    target = _fill(url, world)
    if method == "GET":
        response = client.get(target)
    else:
        form = {k: _fill(str(v), world) for k, v in (data or {}).items()}
        response = post_form(client, target, form, content_type="multipart/form-data")
    assert response.status_code == 404, response.text[:500]
    assert "Page not found" in response.text
    _db.session.expire_all()
    assert snapshot() == before


def test_the_owner_gets_through(client, auth, world):
    """The same routes work for the right person (so the 404s above mean something)."""
    auth.login(world["sponsor"])
    assert client.get(f"/tracks/{world['track'].id}").status_code == 200
    assert client.get(f"/review/{world['submission'].id}").status_code == 200
    auth.logout()
    auth.login(world["recruit"])
    attachment = (io.BytesIO(b"hello"), "a.txt")
    response = post_form(
        client,
        f"/homework/{world['track'].assignments[0].id}/hand-in",
        {"answer": "x", "attachment": attachment},
        content_type="multipart/form-data",
    )
    assert response.status_code == 409  # their own step, but it's already waiting


def test_upline_does_not_see_second_level_homework(client, auth, world):
    auth.login(world["upline"])
    assert "Recruit Rita" not in client.get("/").text
    assert "Recruit Rita" not in client.get("/review").text
