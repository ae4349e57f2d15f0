import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.conftest import post_form
from tests.factories import make_team


def test_every_main_page_renders_for_a_sponsor(client, auth):
    _upline, sponsor, track, recruit, _other = make_team()
    auth.login(sponsor)
    for url in [
        "/",
        "/tracks",
        f"/tracks/{track.id}",
        "/review",
        "/homework",
        "/account",
        f"/tracks/{track.id}/assignments/new",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url


def test_recruit_hands_in_and_sponsor_approves(client, auth):
    _upline, sponsor, track, recruit, _other = make_team()
    auth.login(recruit)
    first = track.assignments[0]
    page = client.get("/homework").text
    assert "Instructions for step 1 only" in page
    assert "Instructions for step 2 only" not in page
    response = post_form(
        client, f"/homework/{first.id}/hand-in", {"answer": "Done it"}, page="/homework"
    )
    assert response.status_code == 302
    assert "Waiting for your sponsor" in client.get("/homework").text
    auth.logout()
    auth.login(sponsor)
    queue = client.get("/review").text
    assert "Recruit Rita" in queue


@pytest.mark.parametrize("run", [1, 2])
def test_every_test_runs_with_foreign_keys_enforced(db, run):
    """Twice, so the second run comes after a clean-up: emptying the tables once turned
    SQLite's key checks off for every later test."""
    with pytest.raises(IntegrityError):
        db.session.execute(
            text(
                "INSERT INTO tracks (owner_id, name, description, is_default, version, created_at)"
                " VALUES (987654, 'orphan', '', false, 1, '2026-11-25 12:00:00')"
            )
        )
        db.session.commit()
    db.session.rollback()
