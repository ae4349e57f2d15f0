import re

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
    assert "Waiting for Sponsor Sam&#39;s review since" in client.get("/homework").text
    auth.logout()
    auth.login(sponsor)
    queue = client.get("/review").text
    assert "Recruit Rita" in queue
    submission_id = re.search(r'href="/review/(\d+)"', queue).group(1)
    decided = post_form(
        client,
        f"/review/{submission_id}",
        {"feedback": "", "approve": "1"},
        page=f"/review/{submission_id}",
    )
    assert decided.status_code == 302
    queue_after = client.get("/review").text
    assert "Approved. Recruit Rita&#39;s next step is open: “Step 2 title”." in queue_after
    assert "Waiting for your review (0)" in queue_after
    auth.logout()
    auth.login(recruit)
    page = client.get("/homework").text
    assert "Instructions for step 2 only" in page  # the approval opened step 2


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
