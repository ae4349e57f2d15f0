"""The sponsor writes, orders, archives and copies tracks through the web forms."""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from app.models import Assignment, Submission, Track
from tests.conftest import post_form
from tests.factories import SubmissionFactory, UserFactory, make_track

STEP = {"title": "Say hello", "instructions": "Write **hello**", "deliverable": "One word"}


def titles_in_order(db, track) -> list[str]:
    return list(
        db.session.scalars(
            select(Assignment.title)
            .where(Assignment.track_id == track.id, Assignment.position.is_not(None))
            .order_by(Assignment.position)
        )
    )


def test_create_track_add_steps_and_render_markdown(client, auth, db):
    sponsor = UserFactory()
    auth.login(sponsor)
    response = post_form(
        client, "/tracks", {"name": "Starter", "description": "Hi"}, page="/tracks"
    )
    track = db.session.scalar(select(Track))
    assert response.headers["Location"] == f"/tracks/{track.id}"
    assert track.is_default, "a sponsor's first track is their default"
    url = f"/tracks/{track.id}/assignments/new"
    for title in ("One", "Two"):
        assert post_form(client, url, {**STEP, "title": title}, page=url).status_code == 302
    assert titles_in_order(db, track) == ["One", "Two"]
    page = client.get(f"/tracks/{track.id}").text
    assert "Move down" in page and "Archive" in page


def test_assignment_form_errors_keep_what_was_typed(client, auth, db):
    sponsor = UserFactory()
    track = make_track(sponsor, 1)
    auth.login(sponsor)
    url = f"/tracks/{track.id}/assignments/new"
    response = post_form(client, url, {**STEP, "title": "", "stall_threshold_days": "0"}, page=url)
    html = unescape(response.text)
    assert "Give the assignment a title." in html
    assert "Use a number of days from 1 to 365." in html
    assert "Write **hello**" in html
    assert titles_in_order(db, track) == ["Step 1 title"]


def test_move_archive_restore_through_buttons(client, auth, db):
    sponsor = UserFactory()
    track = make_track(sponsor, 3)
    first, second, third = track.assignments
    handed_in = SubmissionFactory(assignment=second, answer="My answer to step 2")
    auth.login(sponsor)
    page = f"/tracks/{track.id}"
    post_form(client, f"/assignments/{third.id}/move", {"direction": "up"}, page=page)
    assert titles_in_order(db, track) == ["Step 1 title", "Step 3 title", "Step 2 title"]
    post_form(client, f"/assignments/{first.id}/move", {"direction": "up"}, page=page)
    assert titles_in_order(db, track) == ["Step 1 title", "Step 3 title", "Step 2 title"]
    post_form(client, f"/assignments/{second.id}/archive", page=page)
    assert titles_in_order(db, track) == ["Step 1 title", "Step 3 title"]
    assert "Archived assignments" in client.get(page).text
    kept = db.session.get(Submission, handed_in.id)  # archiving kept the hand-in, whole
    assert (kept.assignment_id, kept.answer, kept.status) == (
        second.id,
        "My answer to step 2",
        "submitted",
    )
    review = client.get(f"/review/{handed_in.id}")
    assert review.status_code == 200 and "My answer to step 2" in review.text
    post_form(client, f"/assignments/{second.id}/restore", page=page)
    assert titles_in_order(db, track) == ["Step 1 title", "Step 3 title", "Step 2 title"]


def test_edit_assignment_keeps_submissions(client, auth, db):
    sponsor = UserFactory()
    track = make_track(sponsor, 1)
    step = track.assignments[0]
    submission = SubmissionFactory(assignment=step, answer="kept")
    auth.login(sponsor)
    url = f"/assignments/{step.id}/edit"
    post_form(client, url, {**STEP, "title": "Renamed"}, page=url)
    db.session.refresh(step)
    assert step.title == "Renamed"
    db.session.refresh(submission)
    assert submission.answer == "kept"


def test_duplicate_the_system_copies_the_sponsors_default(client, auth, db):
    upline = UserFactory()
    source = make_track(upline, 3)
    sponsor = UserFactory(sponsor=upline)
    auth.login(sponsor)
    assert "Duplicate the system" in client.get("/tracks").text
    response = post_form(client, "/tracks/copy-sponsor", page="/tracks")
    copy = db.session.scalar(select(Track).where(Track.owner_id == sponsor.id))
    assert response.headers["Location"] == f"/tracks/{copy.id}"
    assert titles_in_order(db, copy) == titles_in_order(db, source)
    assert copy.is_default
    post_form(client, f"/tracks/{copy.id}", {"name": "Mine now", "description": ""}, page="/tracks")
    db.session.refresh(source)
    assert source.name != "Mine now"


def test_make_default_and_assign_a_recruit_to_another_track(client, auth, db):
    sponsor = UserFactory()
    first = make_track(sponsor, 1)
    second = make_track(sponsor, 2, default=False)
    recruit = UserFactory(sponsor=sponsor, track=first)
    auth.login(sponsor)
    post_form(client, f"/tracks/{second.id}/default", page="/tracks")
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.is_default, second.is_default) == (False, True)
    post_form(client, f"/recruits/{recruit.id}/track", {"track_id": second.id})
    db.session.refresh(recruit)
    assert recruit.track_id == second.id


def test_markdown_is_sanitised(client, auth, db):
    sponsor = UserFactory()
    track = make_track(sponsor, 0)
    recruit = UserFactory(sponsor=sponsor, track=track, enrolled_at=track.created_at)
    evil = (
        "<script>alert(1)</script> [click](javascript:alert(2)) "
        '<img src=x onerror="alert(3)"> **bold**'
    )
    auth.login(sponsor)
    url = f"/tracks/{track.id}/assignments/new"
    post_form(client, url, {**STEP, "instructions": evil}, page=url)
    auth.logout()
    auth.login(recruit)
    html = client.get("/homework").text
    assert "<strong>bold</strong>" in html
    assert "<script>alert" not in html
    assert 'href="javascript:' not in html
    assert "<img" not in html
