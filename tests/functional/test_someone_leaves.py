"""Someone with recruits leaves (PRODUCT.md, "The whole team"): no more email for them,
their people "need a new sponsor" on the dashboard of the nearest active sponsor above,
and adopting moves them with their track, approvals and waiting hand-ins.

The upline is Ursula, her recruit Kim sponsors Rita and Otto; Kim leaves."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, OutboxMessage, Submission, SubmissionStatus, User, utcnow
from app.services import team
from app.services.errors import InvalidTransition
from tests.conftest import deliver_mail, post_form
from tests.factories import SubmissionFactory, UserFactory, make_track
from tests.smtp import parts


def world():
    ursula = UserFactory(name="Upline Ursula")
    kim = UserFactory(name="Kim Leaving", sponsor=ursula)
    track = make_track(kim, 3)
    enrolled = utcnow() - timedelta(days=20)
    rita = UserFactory(name="Recruit Rita", sponsor=kim, track=track, enrolled_at=enrolled)
    otto = UserFactory(name="Recruit Otto", sponsor=kim, track=track, enrolled_at=enrolled)
    first, second, _third = track.assignments
    SubmissionFactory(
        recruit=rita,
        assignment=first,
        status=SubmissionStatus.APPROVED,
        submitted_at=utcnow() - timedelta(days=10),
        decided_at=utcnow() - timedelta(days=9),
    )
    waiting = SubmissionFactory(
        recruit=rita,
        assignment=second,
        answer="Rita's private answer",
        submitted_at=utcnow() - timedelta(days=2),
    )
    return ursula, kim, rita, otto, track, waiting


def archive(client, auth, sponsor, person):
    auth.login(sponsor)
    response = post_form(client, f"/recruits/{person.id}/archive", page=f"/recruits/{person.id}")
    assert response.status_code == 302


def text_of(html: str) -> str:
    """The page's words as a reader sees them (tags out, spaces folded)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split()).replace(" .", ".")


def test_who_left_gets_no_email_of_any_kind(client, auth, runner, smtp):
    ursula, kim, rita, otto, track, _waiting = world()
    control = UserFactory(name="Carla Control")  # a sponsor who stays, with a stalled recruit
    UserFactory(
        sponsor=control, track=make_track(control, 1), enrolled_at=utcnow() - timedelta(days=30)
    )
    # A notice already waits in the outbox for Kim (Otto handed in before she left).
    auth.login(otto)
    post_form(
        client,
        f"/homework/{track.assignments[0].id}/hand-in",
        {"answer": "Otto's answer"},
        page="/homework",
        content_type="multipart/form-data",
    )
    auth.logout()
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient_id == kim.id))
    archive(client, auth, ursula, kim)
    auth.logout()
    # Rita hands in again after Kim left (her step came back with changes meanwhile).
    waiting = db.session.scalar(
        select(Submission).where(
            Submission.recruit_id == rita.id, Submission.status == SubmissionStatus.SUBMITTED
        )
    )
    waiting.status = SubmissionStatus.CHANGES_REQUESTED
    waiting.decided_at = utcnow()
    waiting.feedback = "More, please."
    db.session.commit()
    auth.login(rita)
    response = post_form(
        client,
        f"/homework/{track.assignments[1].id}/hand-in",
        {"answer": "Rita, second try"},
        page="/homework",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    # Kim's recruits are stalled and waiting: a digest would have gone to her.
    digest = runner.invoke(
        args=["digest", "send", "--as-of", (utcnow() + timedelta(days=8)).isoformat()]
    )
    assert digest.exit_code == 0, digest.output
    deliver_mail(runner)
    assert smtp.to(kim.email) == []
    assert len(smtp.to(control.email)) == 1  # the others' email still goes


def test_the_upline_sees_who_needs_a_new_sponsor_with_names_and_counts_only(client, auth):
    ursula, kim, rita, otto, _track, _waiting = world()
    archive(client, auth, ursula, kim)
    page = text_of(client.get("/").text)
    assert "Needs a new sponsor" in page
    assert "Kim Leaving left: 2 people need a new sponsor." in page
    listing = client.get(f"/downline/needs-a-sponsor?from={kim.id}")
    html = text_of(listing.text)
    assert "Recruit Rita" in html and "Recruit Otto" in html
    assert "2 people" in html
    assert "Rita's private answer" not in html  # names and counts below the first level
    # Rita's row says one hand-in waits (for whoever adopts her).
    row = html.split("Recruit Rita", 1)[1]
    assert row.split("Recruit Otto")[0].strip().startswith("Kim Leaving")
    # Nobody else's dashboard lists them.
    stranger = UserFactory(name="Stranger Sue")
    auth.logout()
    auth.login(stranger)
    assert "Recruit Rita" not in client.get("/downline/needs-a-sponsor").text


def test_adopting_keeps_track_approvals_and_moves_waiting_hand_ins_to_the_adopter(client, auth):
    ursula, kim, rita, _otto, track, waiting = world()
    archive(client, auth, ursula, kim)
    assert "Rita's private answer" not in client.get("/review").text
    response = post_form(
        client, f"/downline/people/{rita.id}/adopt", page="/downline/needs-a-sponsor"
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/recruits/{rita.id}")
    page = client.get(response.headers["Location"]).text
    assert "Recruit Rita is on your team now" in unescape(page)
    assert "from Kim Leaving, who left the business" in unescape(page)
    db.session.expire_all()
    moved = db.session.get(User, rita.id)
    assert moved.sponsor_id == ursula.id and moved.track_id == track.id
    # The waiting hand-in is Ursula's to review now, and approving it opens step 3.
    assert "Recruit Rita" in client.get("/review").text
    url = f"/review/{waiting.id}"
    response = post_form(client, url, {"feedback": "", "approve": "1"}, page=url)
    assert response.status_code == 302
    auth.logout()
    auth.login(rita)
    homework = client.get("/homework").text
    assert "2 of 3 done" in homework
    assert "Instructions for step 3 only" in homework
    # The audit log has one entry, by the adopter.
    (entry,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "adopted", AuditEvent.subject_id == rita.id)
    )
    assert entry.actor_id == ursula.id


def test_adopt_all_then_restoring_who_left_takes_nobody_back(client, auth):
    ursula, kim, rita, otto, _track, _waiting = world()
    archive(client, auth, ursula, kim)
    response = post_form(client, f"/downline/departed/{kim.id}/adopt-all")
    assert response.status_code == 302
    page = text_of(client.get("/").text)
    assert "2 people are on your team now." in page
    assert "Needs a new sponsor" not in page
    response = post_form(client, f"/recruits/{kim.id}/restore", page=f"/recruits/{kim.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert {
        p.sponsor_id for p in (db.session.get(User, rita.id), db.session.get(User, otto.id))
    } == {ursula.id}
    assert db.session.get(User, kim.id).archived_at is None


def test_a_chain_of_departures_strands_nobody(client, auth):
    """Kim had archived Lee (who sponsors Pat) and never adopted Pat; then Kim left."""
    ursula, kim, rita, otto, _track, _waiting = world()
    lee = UserFactory(name="Lee Left Earlier", sponsor=kim, archived_at=utcnow())
    pat = UserFactory(name="Pat Below Lee", sponsor=lee)
    archive(client, auth, ursula, kim)
    assert "Kim Leaving left: 3 people need a new sponsor." in text_of(client.get("/").text)
    listing = text_of(client.get("/downline/needs-a-sponsor").text)
    assert "Pat Below Lee" in listing and "Lee Left Earlier" in listing
    post_form(client, f"/downline/people/{pat.id}/adopt", page="/downline/needs-a-sponsor")
    db.session.expire_all()
    assert db.session.get(User, pat.id).sponsor_id == ursula.id
    assert db.session.get(User, lee.id).sponsor_id == kim.id  # who left stays where they were


def test_a_second_adoption_of_the_same_person_gets_a_message(client, auth):
    ursula, kim, rita, _otto, _track, _waiting = world()
    archive(client, auth, ursula, kim)
    page = client.get("/downline/needs-a-sponsor").text  # two tabs: both show the button
    post_form(client, f"/downline/people/{rita.id}/adopt", page="/downline/needs-a-sponsor")
    from tests.conftest import csrf_token

    response = client.post(
        f"/downline/people/{rita.id}/adopt",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert "Recruit Rita is already on your team." in unescape(response.text)
    assert (
        len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "adopted")).all()) == 1
    )


def test_racing_adoptions_one_wins_and_the_other_is_told(app):
    ursula, kim, rita, _otto, _track, _waiting = world()
    kim.archived_at = utcnow()
    db.session.commit()
    ursula_id, rita_id = ursula.id, rita.id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def adopt() -> None:
        with app.app_context():
            session = db.session
            adopter = session.get(User, ursula_id)
            barrier.wait()
            try:
                team.adopt(session, adopter, rita_id)
                outcomes.append("adopted")
            except InvalidTransition as exc:
                outcomes.append(str(exc))
            finally:
                session.remove()

    threads = [threading.Thread(target=adopt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes.count("adopted") == 1, outcomes
    other = next(o for o in outcomes if o != "adopted")
    assert other in (
        "Recruit Rita is already on your team.",
        "Recruit Rita was adopted a moment ago: nothing to do.",
    )
    assert (
        len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "adopted")).all()) == 1
    )


def test_a_sponsor_who_keeps_hand_ins_waiting_over_a_week_shows_on_their_sponsors_dashboard(
    client, auth
):
    ursula, kim, rita, otto, track, waiting = world()
    waiting.submitted_at = utcnow() - timedelta(days=12)
    db.session.commit()
    SubmissionFactory(recruit=otto, assignment=track.assignments[0], submitted_at=utcnow())
    auth.login(ursula)
    page = text_of(client.get("/").text)
    assert "Your sponsors' reviews waiting over a week" in page
    assert "Kim Leaving has 2 hand-ins waiting, the oldest waiting 12 days." in page
    assert "Rita's private answer" not in page
    # Coaching only: Ursula can't open or decide Kim's recruits' hand-ins.
    assert client.get(f"/review/{waiting.id}").status_code == 404


def test_a_wait_of_a_week_or_less_is_nobody_elses_business(client, auth):
    ursula, _kim, _rita, _otto, _track, waiting = world()
    waiting.submitted_at = utcnow() - timedelta(days=6, hours=23)
    db.session.commit()
    auth.login(ursula)
    assert "reviews waiting over a week" not in client.get("/").text


@pytest.mark.parametrize("days", [7.5, 30])
def test_a_wait_just_over_a_week_or_far_over_makes_the_coaching_list(db, days):
    """needs_coaching reads the facts for `now` (an injected clock, not the real one)."""
    from app.services.standing import standings

    now = datetime(2026, 12, 1, tzinfo=UTC)
    ursula, kim, _rita, _otto, _track, waiting = world()
    waiting.submitted_at = now - timedelta(days=days)
    db.session.commit()
    first_level = standings(db.session, [ursula.id], now, team=True)
    (coached,) = team.needs_coaching(first_level, now)
    assert coached.recruit_id == kim.id and coached.facts.team_waiting == 1


def test_the_weekly_digest_tells_the_upline_who_to_coach(runner, smtp):
    ursula, kim, _rita, otto, track, waiting = world()
    waiting.submitted_at = utcnow() - timedelta(days=12)
    db.session.commit()
    SubmissionFactory(recruit=otto, assignment=track.assignments[0], submitted_at=utcnow())
    result = runner.invoke(args=["digest", "send", "--as-of", utcnow().isoformat()])
    assert result.exit_code == 0, result.output
    (message,) = smtp.to(ursula.email)
    text, html = parts(message)
    assert "Kim Leaving has 2 hand-ins waiting, the oldest 12 days" in text
    assert "Kim Leaving</strong> has 2 hand-ins waiting, the oldest 12 days" in html
    assert "1 sponsor to coach" in message["Subject"]
    assert "Rita's private answer" not in text + html
    # Kim's own digest lists the hand-ins as hers to review.
    (kims,) = smtp.to(kim.email)
    assert "Recruit Rita" in parts(kims)[0]


def test_a_hand_in_of_a_recruit_who_left_is_nobodys_wait(client, auth):
    """The review queue leaves out archived recruits' hand-ins: so does coaching."""
    ursula, kim, rita, _otto, _track, waiting = world()
    waiting.submitted_at = utcnow() - timedelta(days=12)
    rita.archived_at = utcnow()
    db.session.commit()
    auth.login(ursula)
    assert "reviews waiting over a week" not in client.get("/").text


def test_a_restore_between_the_list_and_the_adoption_keeps_the_recruit_with_them(app):
    ursula, kim, rita, _otto, _track, _waiting = world()
    kim.archived_at = utcnow()
    db.session.commit()
    listed = team.stranded(db.session, ursula).rows  # the page Ursula sees
    kim.archived_at = None  # Kim comes back before Ursula clicks
    db.session.commit()
    assert team._move(db.session, ursula, listed, utcnow()) == 0
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, rita.id).sponsor_id == kim.id


def test_adopt_all_from_a_stale_page_says_there_is_nothing_left(client, auth):
    ursula, kim, *_rest = world()
    archive(client, auth, ursula, kim)
    page = client.get("/").text
    post_form(client, f"/downline/departed/{kim.id}/adopt-all")
    from tests.conftest import csrf_token

    response = client.post(
        f"/downline/departed/{kim.id}/adopt-all",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert "They were all adopted a moment ago: nothing to do." in response.text
    assert "0 people" not in response.text


def test_no_nudge_goes_in_the_name_of_someone_who_left(client, auth, runner):
    ursula, kim, rita, otto, _track, _waiting = world()
    from app.services.nudges import nudge_now, run_nudges

    otto_id = otto.id
    run_nudges(db.session, utcnow() + timedelta(days=30))  # Otto is silent: a nudge waits
    queued = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge")).all()
    assert {m.recipient_id for m in queued} == {otto_id}
    ursula, kim = db.session.merge(ursula), db.session.merge(kim)
    archive(client, auth, ursula, kim)
    db.session.expire_all()
    assert {
        m.status
        for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge"))
    } == {"cancelled"}
    with pytest.raises(InvalidTransition, match="You left the business"):
        nudge_now(db.session, db.session.get(User, kim.id), otto_id, utcnow())
    page = client.get("/downline/needs-a-sponsor").text
    assert "Recruit Otto" in page
    # Her leaving is no "recruit sponsors a team of their own" line any more.
    assert "sponsors a team of their own" not in client.get("/").text


def test_who_left_cannot_decide_their_old_recruits_hand_ins(client, auth):
    """Their hand-ins wait for the adopter (PRODUCT.md): the one who left, logging in
    again, sees why and cannot approve one; the adopter then can."""
    ursula, kim, rita, _otto, _track, waiting = world()
    archive(client, auth, ursula, kim)
    auth.logout()
    auth.login(kim)
    url = f"/review/{waiting.id}"
    page = unescape(client.get(url).text)
    assert "You have left the business" in page and "Approve" not in page
    refused = post_form(client, url, {"feedback": "", "approve": "1"}, page="/review")
    assert refused.status_code == 400
    assert "You have left the business" in unescape(refused.text)
    db.session.expire_all()
    assert db.session.get(Submission, waiting.id).status == SubmissionStatus.SUBMITTED
    stranger = SubmissionFactory()  # someone else's still looks absent
    assert client.get(f"/review/{stranger.id}").status_code == 404
    auth.logout()
    auth.login(ursula)
    post_form(client, f"/downline/people/{rita.id}/adopt", page="/downline/needs-a-sponsor")
    approved = post_form(client, url, {"feedback": "", "approve": "1"}, page=url)
    assert approved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Submission, waiting.id).status == SubmissionStatus.APPROVED


def test_nobody_joins_through_the_invite_link_of_someone_who_left(client, auth):
    ursula, kim, *_rest = world()
    link = f"/join/{kim.invite_token}"
    archive(client, auth, ursula, kim)
    auth.logout()
    page = client.get(link)
    assert page.status_code == 404
    assert "has left the business" in unescape(page.text)
    refused = post_form(
        client,
        link,
        {
            "name": "Late Larry",
            "email": "larry@example.com",
            "password": "a long enough passphrase",
            "confirm": "a long enough passphrase",
            "timezone": "UTC",
        },
        page="/register",
    )
    assert refused.status_code == 404
    assert db.session.scalar(select(User).where(User.email == "larry@example.com")) is None
