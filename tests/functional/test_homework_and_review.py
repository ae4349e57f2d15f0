"""The loop through HTTP: hand in, refusals, attachments, review decisions."""

from __future__ import annotations

import io
import zipfile
from html import unescape

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.models import Submission, SubmissionStatus
from tests.conftest import post_form
from tests.factories import SubmissionFactory, make_team

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def hand_in(client, assignment, answer="My answer", **extra):
    return post_form(
        client,
        f"/homework/{assignment.id}/hand-in",
        {"answer": answer, **extra},
        page="/homework",
        content_type="multipart/form-data",
    )


def submissions(db) -> int:
    return db.session.scalar(select(func.count(Submission.id)))


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def test_recruit_sees_current_step_and_only_titles_of_locked_ones(client, auth):
    _upline, _sponsor, _track, recruit, _other = make_team(3)
    auth.login(recruit)
    html = client.get("/homework").text
    assert "Instructions for step 1 only" in html
    assert "Step 2 title" in html and "Step 3 title" in html
    assert "Instructions for step 2 only" not in html
    assert "Instructions for step 3 only" not in html
    assert "0 of 3 done" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"answer": ""}, "Write your answer before handing in."),
        ({"answer": "x" * 20001}, "Keep your answer under 20,000 characters."),
        ({"link": "javascript:alert(1)"}, "Use a link that starts with http:// or https://."),
        ({"link": "ftp://example.com/x"}, "Use a link that starts with http:// or https://."),
    ],
)
def test_bad_hand_in_is_refused_beside_the_field(client, auth, db, data, message):
    _upline, _sponsor, track, recruit, _other = make_team(2)
    auth.login(recruit)
    response = hand_in(client, track.assignments[0], **{"answer": "Typed text", **data})
    assert response.status_code == 400
    assert message in unescape(response.text)
    if data.get("answer", "Typed text") == "Typed text":
        assert "Typed text" in response.text
    assert submissions(db) == 0


def test_attachment_checked_by_content_and_served_only_as_download(client, auth, db):
    _upline, sponsor, track, recruit, other = make_team(2)
    auth.login(recruit)
    fake = hand_in(
        client, track.assignments[0], attachment=(io.BytesIO(b"MZ\x00\x01exe"), "cv.pdf")
    )
    assert "Attach a PDF, PNG, JPEG, WebP, DOCX or plain text file." in fake.text
    assert submissions(db) == 0

    response = hand_in(client, track.assignments[0], attachment=(io.BytesIO(PNG), "../../me.png"))
    assert response.status_code == 302
    submission = db.session.scalar(select(Submission))
    assert submission.attachment_type == "image/png"
    assert "/" not in submission.attachment_path and "me" not in submission.attachment_path
    download = client.get(f"/submissions/{submission.id}/attachment")
    assert download.status_code == 200
    assert download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "me.png" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()
    auth.logout()

    auth.login(sponsor)
    sponsor_download = client.get(f"/submissions/{submission.id}/attachment")
    assert sponsor_download.status_code == 200
    sponsor_download.close()
    auth.logout()
    auth.login(other)
    assert client.get(f"/submissions/{submission.id}/attachment").status_code == 404


@pytest.mark.parametrize(
    ("content", "filename", "stored_type"),
    [
        (docx_bytes(), "plan.docx", "application/vnd.openxmlformats-officedocument"),
        ("Notes in plain text, with ünïcode ✓\n".encode(), "notes.txt", "text/plain"),
    ],
    ids=["docx", "text"],
)
def test_docx_and_text_are_accepted(client, auth, db, content, filename, stored_type):
    _upline, sponsor, track, recruit, _other = make_team(2)
    auth.login(recruit)
    response = hand_in(client, track.assignments[0], attachment=(io.BytesIO(content), filename))
    assert response.status_code == 302
    submission = db.session.scalar(select(Submission))
    assert submission.attachment_type.startswith(stored_type)
    assert submission.attachment_name == filename and submission.attachment_size == len(content)
    download = client.get(f"/submissions/{submission.id}/attachment", buffered=True)
    assert download.data == content


def test_locked_waiting_and_finished_hand_ins_are_refused(client, auth, db):
    _upline, sponsor, track, recruit, _other = make_team(2)
    first, second = track.assignments
    auth.login(recruit)
    locked = hand_in(client, second)
    assert locked.status_code == 409
    assert "still locked" in locked.text
    assert hand_in(client, first).status_code == 302
    again = hand_in(client, first)
    assert "already waiting for your sponsor" in unescape(again.text)
    assert submissions(db) == 1

    for step in (first, second):
        waiting = db.session.scalar(select(Submission).where(Submission.status == "submitted"))
        if waiting is None:
            SubmissionFactory(
                recruit=recruit,
                assignment=step,
                status=SubmissionStatus.APPROVED,
                decided_at=step.created_at,
                feedback="",
            )
        else:
            waiting.status, waiting.decided_at = SubmissionStatus.APPROVED, waiting.submitted_at
            db.session.commit()
    finished = hand_in(client, second)
    assert "You have finished your track" in finished.text
    assert "You have finished every assignment" in client.get("/homework").text


def test_review_queue_request_changes_then_approve_unlocks_next_step(client, auth, db):
    _upline, sponsor, track, recruit, _other = make_team(3)
    first = track.assignments[0]
    auth.login(recruit)
    hand_in(client, first, answer="Attempt one")
    auth.logout()

    auth.login(sponsor)
    queue = client.get("/review").text
    assert "Recruit Rita" in queue and "Step 1 title" in queue
    submission = db.session.scalar(select(Submission))
    url = f"/review/{submission.id}"
    no_feedback = post_form(client, url, {"feedback": "", "request_changes": "1"}, page=url)
    assert "feedback is required" in no_feedback.text
    db.session.refresh(submission)
    assert submission.status == "submitted"
    post_form(client, url, {"feedback": "Add more detail", "request_changes": "1"}, page=url)
    auth.logout()

    auth.login(recruit)
    page = client.get("/homework").text
    assert "Changes requested: Add more detail" in page
    assert "Instructions for step 2 only" not in page
    hand_in(client, first, answer="Attempt two")
    auth.logout()

    auth.login(sponsor)
    second_attempt = db.session.scalar(select(Submission).where(Submission.attempt == 2))
    review_page = client.get(f"/review/{second_attempt.id}").text
    assert "Attempt one" in review_page and "Add more detail" in review_page
    url = f"/review/{second_attempt.id}"
    post_form(client, url, {"feedback": "", "approve": "1"}, page=url)
    again = post_form(client, url, {"feedback": "", "request_changes": "1"}, page="/review")
    assert "already decided" in client.get(again.headers["Location"]).text
    auth.logout()

    auth.login(recruit)
    page = client.get("/homework").text
    assert "Instructions for step 2 only" in page
    assert "1 of 3 done" in page
    assert "Instructions for step 3 only" not in page


def test_an_absurd_page_number_is_not_a_500(client, auth):
    _upline, sponsor, _track, _recruit, _other = make_team(1)
    auth.login(sponsor)
    for url in ("/review?page=184467440737095518", "/?page=184467440737095518", "/review?page=-3"):
        assert client.get(url).status_code == 200, url


def test_the_database_refuses_a_hand_in_filed_under_another_sponsor(db):
    """submissions.sponsor_id feeds the review queue; a wrong copy would show the hand-in
    to a stranger, so the composite foreign key refuses it outright."""
    upline, _sponsor, track, recruit, _ = make_team()
    db.session.add(
        Submission(
            recruit_id=recruit.id,
            sponsor_id=upline.id,
            assignment_id=track.assignments[0].id,
            attempt=1,
            answer="mine",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()  # (PostgreSQL already refuses at the flush inside commit)
    db.session.rollback()


@pytest.mark.parametrize(
    "buttons",
    [{}, {"approve": "1", "request_changes": "1"}],
    ids=["feedback but no button", "both buttons"],
)
def test_a_review_without_one_clear_decision_changes_nothing(client, auth, db, buttons):
    """Feedback with neither button used to count as "ask for changes"."""
    from app.models import AuditEvent, OutboxMessage

    _upline, sponsor, track, recruit, _other = make_team(2)
    waiting = SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    auth.login(sponsor)
    response = post_form(
        client,
        f"/review/{waiting.id}",
        {"feedback": "Looks thin to me", **buttons},
        page=f"/review/{waiting.id}",
    )
    assert response.status_code == 400
    html = unescape(response.text)
    assert "Choose what to do: approve it, or send it back with your feedback." in html
    assert "Looks thin to me" in html  # the typed feedback is kept
    db.session.refresh(waiting)
    assert waiting.status == SubmissionStatus.SUBMITTED and waiting.feedback == ""
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


@pytest.mark.parametrize(
    ("typed", "saved"),
    [("  https://example.com/notes  ", "https://example.com/notes"), ("\r", None), (" ", None)],
)
def test_a_link_is_saved_without_the_blanks_around_it(client, auth, db, typed, saved):
    """Every field's own filters (strip) were lost: the base form's NUL filter replaced
    them, and a link of a lone carriage return was saved as the link."""
    _upline, _sponsor, track, recruit, _other = make_team(1)
    auth.login(recruit)
    assert hand_in(client, track.assignments[0], link=typed).status_code == 302
    assert db.session.scalar(select(Submission.link)) == saved
