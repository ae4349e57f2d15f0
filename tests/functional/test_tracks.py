"""The sponsor writes, orders, archives and copies tracks through the web forms."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from app.models import Assignment, Submission, Track, utcnow
from app.services import tracks as service
from app.services.errors import InvalidTransition
from tests.conftest import post_form
from tests.factories import AssignmentFactory, SubmissionFactory, UserFactory, make_track
from tests.trust_world import state

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


# --- Whole tracks: the list's counts, archive and restore, delete, copy, preview ------


def list_items(html: str) -> list[str]:
    """The text of each list item of a page, tags dropped, spaces collapsed."""
    items = re.findall(r"<li>(.*?)</li>", html, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def item_for(html: str, name: str) -> str:
    (item,) = [item for item in list_items(html) if item.startswith(name + " ")]
    return item


def test_the_list_shows_active_steps_and_recruits_on_each_track(client, auth, db):
    sponsor = UserFactory()
    busy = make_track(sponsor, 3)
    AssignmentFactory(track=busy, position=None, archived_at=utcnow(), title="Put away")
    empty = make_track(sponsor, 1, default=False)
    for _ in range(2):
        UserFactory(sponsor=sponsor, track=busy, enrolled_at=utcnow())
    UserFactory(sponsor=sponsor, track=busy, enrolled_at=utcnow(), archived_at=utcnow())
    auth.login(sponsor)
    html = client.get("/tracks").text
    assert "3 steps · 2 recruits on it" in item_for(html, busy.name)
    assert "1 step · 0 recruits on it" in item_for(html, empty.name)


def test_archive_is_refused_while_recruits_are_on_the_track_then_archive_and_restore(
    client, auth, db
):
    sponsor = UserFactory()
    home = make_track(sponsor, 1)
    track = make_track(sponsor, 2, default=False)
    first, second = (UserFactory(sponsor=sponsor, track=track) for _ in range(2))
    auth.login(sponsor)
    page = f"/tracks/{track.id}"
    assert "Archive this track" in client.get(page).text
    refused = post_form(client, f"/tracks/{track.id}/archive", page=page)
    assert refused.headers["Location"] == page
    assert "can't be archived: 2 recruits are on it" in unescape(client.get(page).text)
    db.session.refresh(track)
    assert track.archived_at is None

    first.archived_at = utcnow()  # an archived recruit may stay on an archived track
    db.session.commit()
    post_form(client, f"/tracks/{track.id}/archive", page=page)
    assert "1 recruit is on it" in client.get(page).text
    post_form(client, f"/recruits/{second.id}/track", {"track_id": home.id}, page=page)

    archived = post_form(client, f"/tracks/{track.id}/archive", page=page)
    assert archived.headers["Location"] == "/tracks"
    db.session.refresh(track)
    assert track.archived_at is not None
    html = client.get("/tracks").text.split("<h1>Your tracks</h1>")[1]  # after the flash
    active, put_away = html.split('id="archived-tracks-heading"')
    assert track.name not in active and track.name in put_away
    assert f"Restore “{track.name}”" in unescape(put_away)

    post_form(client, f"/tracks/{track.id}/restore", page="/tracks")
    db.session.refresh(track)
    assert track.archived_at is None and not track.is_default
    assert 'id="archived-tracks-heading"' not in client.get("/tracks").text


def test_archiving_the_unused_default_ends_it_being_the_default(client, auth, db):
    """New recruits then start with no homework, and the list says so; they get a track
    as soon as the sponsor makes one the default."""
    sponsor = UserFactory()
    default = make_track(sponsor, 1)
    other = make_track(sponsor, 1, default=False)
    auth.login(sponsor)
    post_form(client, f"/tracks/{default.id}/archive", page="/tracks")
    db.session.refresh(default)
    assert (default.is_default, default.archived_at is not None) == (False, True)
    html = unescape(client.get("/tracks").text)
    assert "It was your default track" in html
    assert "None of your tracks is the default" in html
    auth.logout()

    from app.services import accounts

    newcomer = accounts.register_user(
        db.session,
        name="Nell",
        email="nell@example.com",
        password="long enough pass phrase",
        invite_token=sponsor.invite_token,
    )
    assert newcomer.track_id is None
    service.make_default(db.session, sponsor, other)
    db.session.refresh(newcomer)
    assert newcomer.track_id == other.id


def test_an_archived_track_is_neither_default_nor_offered_for_a_recruit(client, auth, db):
    sponsor = UserFactory()
    default = make_track(sponsor, 1)
    archived = make_track(sponsor, 1, default=False)
    archived.archived_at = utcnow()
    recruit = UserFactory(sponsor=sponsor, track=default, enrolled_at=utcnow())
    db.session.commit()
    auth.login(sponsor)
    page = client.get(f"/recruits/{recruit.id}").text
    assert f'value="{default.id}"' in page and f'value="{archived.id}"' not in page
    post_form(client, f"/recruits/{recruit.id}/track", {"track_id": archived.id})
    assert "Choose one of your tracks." in client.get(f"/recruits/{recruit.id}").text
    post_form(client, f"/tracks/{archived.id}/default", page="/tracks")
    detail = unescape(client.get(f"/tracks/{archived.id}").text)
    assert "is archived: restore it before making it the default" in detail
    assert "Make this the default" not in detail and "Restore this track" in detail
    db.session.refresh(recruit)
    db.session.refresh(archived)
    assert (recruit.track_id, archived.is_default) == (default.id, False)
    with pytest.raises(InvalidTransition, match="restore it before putting anyone on it"):
        service.assign_track(db.session, sponsor, recruit, archived)


def test_delete_a_track_nobody_used_after_confirming(client, auth, db):
    sponsor = UserFactory()
    make_track(sponsor, 1)
    unused = make_track(sponsor, 2, default=False)
    AssignmentFactory(track=unused, position=None, archived_at=utcnow())
    name, track_id = unused.name, unused.id
    auth.login(sponsor)
    assert "Delete this track…" in client.get(f"/tracks/{track_id}").text
    confirm = unescape(client.get(f"/tracks/{track_id}/delete").text)
    assert f"Delete “{name}” for good" in confirm
    assert "with its 3 assignments" in confirm  # the archived one goes too
    assert db.session.get(Track, track_id) is not None, "the page alone deletes nothing"
    response = post_form(client, f"/tracks/{track_id}/delete", page="/tracks")
    assert response.headers["Location"] == "/tracks"
    assert db.session.get(Track, track_id) is None
    left = db.session.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.track_id == track_id)
    )
    assert left == 0
    assert f"“{name}” deleted." in unescape(client.get("/tracks").text)


def test_a_track_somebody_used_is_never_deleted(client, auth, db):
    """Somebody on it now (even archived), somebody once on it, or a hand-in to it: the
    delete is refused with a pointer to archiving, and the track and its steps stay."""
    sponsor = UserFactory()
    home = make_track(sponsor, 1)
    on_it, was_on_it, handed_in = (make_track(sponsor, 1, default=False) for _ in range(3))
    UserFactory(sponsor=sponsor, track=on_it, archived_at=utcnow())
    mover = UserFactory(sponsor=sponsor, track=home, enrolled_at=utcnow())
    service.assign_track(db.session, sponsor, mover, was_on_it)
    service.assign_track(db.session, sponsor, mover, home)
    SubmissionFactory(assignment=handed_in.assignments[0])
    auth.login(sponsor)
    for track in (on_it, was_on_it, handed_in):
        page = f"/tracks/{track.id}"
        assert "Delete this track" not in client.get(page).text
        confirm = unescape(client.get(f"{page}/delete").text)
        assert "so it can't be deleted" in confirm
        assert "Archive this track instead" in confirm and "for good" not in confirm
        before = state()
        response = post_form(client, f"{page}/delete", page=page)
        assert response.headers["Location"] == page
        assert "Archive it instead" in unescape(client.get(page).text)
        assert state() == before


def test_the_delete_check_runs_at_delete_time_under_the_lock(db):
    """A recruit who joins after the confirmation page was shown still stops the delete:
    the service checks again once it holds the track, and the join marks the track."""
    from app.services import accounts

    sponsor = UserFactory()
    track = make_track(sponsor, 1)
    assert service.deletion_refusal(db.session, track) is None  # what the page saw
    joined = accounts.register_user(
        db.session,
        name="Jo",
        email="jo@example.com",
        password="long enough pass phrase",
        invite_token=sponsor.invite_token,
    )
    joined.archived_at, joined.track_id = utcnow(), None  # and even left again
    db.session.commit()
    with pytest.raises(InvalidTransition, match="Archive it instead"):
        service.delete_track(db.session, track)
    assert db.session.get(Track, track.id).ever_enrolled


def test_copy_one_of_your_own_tracks(client, auth, db):
    sponsor = UserFactory()
    source = make_track(sponsor, 3)
    first, second, third = source.assignments
    service.move_assignment(db.session, third, "up")
    service.archive_assignment(db.session, first)
    UserFactory(sponsor=sponsor, track=source)
    auth.login(sponsor)
    response = post_form(client, f"/tracks/{source.id}/copy", page=f"/tracks/{source.id}")
    copy = db.session.scalar(select(Track).where(Track.id != source.id))
    assert response.headers["Location"] == f"/tracks/{copy.id}"
    assert copy.name == f"Copy of {source.name}"
    assert not copy.is_default and copy.owner_id == sponsor.id
    assert titles_in_order(db, copy) == ["Step 3 title", "Step 2 title"]
    assert titles_in_order(db, source) == ["Step 3 title", "Step 2 title"]  # untouched
    db.session.refresh(source)
    assert source.is_default
    assert f"Copied “{source.name}”" in unescape(client.get(f"/tracks/{copy.id}").text)


def test_preview_shows_the_track_as_a_recruit_sees_it_on_day_one(client, auth, db):
    sponsor = UserFactory(name="Sponsor Sam")
    track = make_track(sponsor, 3)
    AssignmentFactory(
        track=track, position=None, archived_at=utcnow(), title="Old step", instructions="Gone"
    )
    recruit = UserFactory(sponsor=sponsor, track=track, enrolled_at=utcnow())
    auth.login(recruit)
    recruit_page = client.get("/homework").text
    auth.logout()
    auth.login(sponsor)
    before = state()
    html = client.get(f"/tracks/{track.id}/preview").text
    assert state() == before
    assert "Preview: this is what a recruit sees" in html
    assert "Instructions for step 1 only" in html
    assert "Instructions for step 2" not in html and "Instructions for step 3" not in html
    assert "Old step" not in html
    assert html.count("badge current") == 1 and html.count("badge locked") == 2
    assert "/hand-in" not in html and "Hand in “" not in unescape(html)
    assert "nothing can be handed in or saved" in html
    # The steps are the recruit's own page's steps, to the letter.
    steps = re.compile(r'<ol class="steps">.*?</ol>', re.S)
    preview_steps = re.sub(r"<form.*?</form>", "", steps.search(html).group(0), flags=re.S)
    recruit_steps = re.sub(r"<form.*?</form>", "", steps.search(recruit_page).group(0), flags=re.S)
    strip_note = re.compile(r'\s*<p class="flash">Here the recruit finds.*?</p>', re.S)
    assert strip_note.sub("", preview_steps).split() == recruit_steps.split()
    assert 'Your sponsor: <strong class="sponsor-name">Sponsor Sam</strong>' in html


def test_a_track_without_steps_previews_as_the_recruits_empty_page(client, auth, db):
    sponsor = UserFactory(name="Sponsor Sam")
    track = make_track(sponsor, 0)
    auth.login(sponsor)
    html = unescape(client.get(f"/tracks/{track.id}/preview").text)
    assert "Sponsor Sam hasn't given you an assignment yet." in html
