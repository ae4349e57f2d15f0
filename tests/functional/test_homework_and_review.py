"""The loop through HTTP: hand in, refusals, attachments, review decisions."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.models import Submission, SubmissionStatus
from tests.conftest import post_form
from tests.factories import SubmissionFactory, UserFactory, make_team

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
    refused = '<p class="error">Say what needs to change: feedback is required.</p>'
    assert refused in no_feedback.text
    db.session.refresh(submission)
    assert submission.status == "submitted"
    post_form(client, url, {"feedback": "Add more detail", "request_changes": "1"}, page=url)
    auth.logout()

    auth.login(recruit)
    page = client.get("/homework").text
    assert "Sponsor Sam asked for changes" in page and "<blockquote>Add more detail" in page
    # The form starts from the answer sent back.
    assert re.search(r'<textarea[^>]*name="answer"[^>]*>\s*Attempt one</textarea>', page)
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


def test_a_page_past_the_end_of_the_queue_still_counts_the_queue_and_leads_back(client, auth, db):
    _upline, sponsor, track, rita, otto = make_team(2)
    for recruit in (rita, otto):
        SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    SubmissionFactory(  # decided: not in the queue
        recruit=rita,
        assignment=track.assignments[1],
        status=SubmissionStatus.APPROVED,
        decided_at=rita.enrolled_at,
        decided_by_id=sponsor.id,
    )
    SubmissionFactory()  # another sponsor's recruit, waiting: not in this queue
    auth.login(sponsor)
    page = client.get("/review?page=99").text
    assert "Waiting for your review (2)" in page
    assert "This page is past the end of the queue." in page and 'href="/review"' in page
    assert "Nothing is waiting for you" not in page


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


def test_the_review_page_shows_this_recruits_earlier_attempts_on_this_step_newest_first(
    client, auth, db
):
    _upline, sponsor, track, rita, otto = make_team(2)
    first, second = track.assignments
    day = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def attempt(recruit, assignment, number, status="changes_requested"):  # type: ignore[no-untyped-def]
        decided = status != "submitted"
        return SubmissionFactory(
            recruit=recruit,
            assignment=assignment,
            attempt=number,
            answer=f"{recruit.name} on {assignment.title}, attempt {number}",
            status=status,
            submitted_at=day + timedelta(days=number),
            decided_at=day + timedelta(days=number, hours=1) if decided else None,
            decided_by_id=sponsor.id if decided else None,
            feedback="Try again" if decided else "",
        )

    # Recorded out of order, so that only the order of attempts can sort them.
    attempt(rita, first, 2)
    attempt(rita, first, 1)
    waiting = attempt(rita, first, 3, status="submitted")
    attempt(otto, first, 1)  # another recruit, the same step
    attempt(rita, second, 1)  # the same recruit, another step (as if reordered)
    auth.login(sponsor)
    page = client.get(f"/review/{waiting.id}").text
    shown = re.findall(r"Recruit \w+ on Step \d title, attempt \d", page)
    assert shown == [
        "Recruit Rita on Step 1 title, attempt 3",  # the one under review
        "Recruit Rita on Step 1 title, attempt 2",
        "Recruit Rita on Step 1 title, attempt 1",
    ]


@pytest.mark.parametrize(("waiting", "pages"), [(0, 1), (1, 1), (3, 1), (4, 2), (6, 2), (7, 3)])
def test_the_queue_has_as_many_pages_as_its_hand_ins_fill(app, client, auth, waiting, pages):
    app.config["PAGE_SIZE"] = 3  # the app fixture puts the setting back afterwards
    _upline, sponsor, track, _rita, _otto = make_team(1)
    for n in range(waiting):
        SubmissionFactory(
            assignment=track.assignments[0],
            recruit=UserFactory(name=f"Waiting {n}", sponsor=sponsor, track=track),
        )
    auth.login(sponsor)
    first = client.get("/review").text
    if pages == 1:
        assert "Page 1 of" not in first and "Next page" not in first
    else:
        assert f"Page 1 of {pages}" in first
        last = client.get(f"/review?page={pages}").text
        assert f"Page {pages} of {pages}" in last and "Next page" not in last
        on_last = set(re.findall(r"Waiting \d+", last))
        assert len(on_last) == waiting - 3 * (pages - 1)


def test_the_queue_lists_only_this_sponsors_hand_ins_oldest_first_a_page_at_a_time(
    app, client, auth, db
):
    app.config["PAGE_SIZE"] = 3  # the app fixture puts the setting back afterwards
    _upline, sponsor, track, _rita, _otto = make_team(1)
    now = datetime.now(UTC)
    ages = {"Dora": 2, "Abel": 9, "Cleo": 4, "Bert": 6}  # days waiting, written out of order
    for name, days in ages.items():
        SubmissionFactory(
            assignment=track.assignments[0],
            recruit=UserFactory(name=f"{name} Recruit", sponsor=sponsor, track=track),
            attempt=2 if name == "Bert" else 1,
            submitted_at=now - timedelta(days=days, minutes=5),
        )
    stranger = SubmissionFactory(submitted_at=now - timedelta(days=30))  # another sponsor's
    auth.login(sponsor)
    first, second = client.get("/review").text, client.get("/review?page=2").text

    def rows(page: str) -> list[tuple[str, str, str]]:
        cells = r"<td[^>]*><a [^>]*>(\w+) Recruit</a></td>\s*<td[^>]*>Step 1 title</td>\s*"
        return re.findall(cells + r"<td[^>]*>(\d+)</td>\s*<td[^>]*>([^<]+)</td>", page)

    assert rows(first) == [
        ("Abel", "1", "9 days"),
        ("Bert", "2", "6 days"),
        ("Cleo", "1", "4 days"),
    ]
    assert rows(second) == [("Dora", "1", "2 days")]
    assert "Waiting for your review (4)" in first
    assert stranger.recruit.name not in first + second


def test_a_decision_leads_to_the_next_hand_in_in_queue_order_then_to_the_queue(client, auth, db):
    _upline, sponsor, track, rita, otto = make_team(2)
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    older = SubmissionFactory(
        recruit=otto, assignment=track.assignments[0], submitted_at=now - timedelta(days=2)
    )
    newer = SubmissionFactory(
        recruit=rita, assignment=track.assignments[0], submitted_at=now - timedelta(days=1)
    )
    SubmissionFactory(submitted_at=now - timedelta(days=9))  # another sponsor's: never next
    auth.login(sponsor)
    for decided, then in ((newer, older), (older, None)):
        url = f"/review/{decided.id}"
        response = post_form(client, url, {"feedback": "", "approve": "1"}, page=url)
        assert response.headers["Location"] == "/review/next"
        onward = client.get("/review/next")
        assert onward.headers["Location"] == (f"/review/{then.id}" if then else "/review")
    page = client.get(f"/review/{older.id}").text
    assert f'href="/recruits/{otto.id}"' in page


@pytest.mark.parametrize("link", ["ftp://files.example.com/names.txt", "javascript:alert(1)"])
def test_a_bad_link_gets_one_clear_line(client, auth, db, link):
    _upline, _sponsor, track, recruit, _other = make_team(1)
    auth.login(recruit)
    page = hand_in(client, track.assignments[0], link=link).text
    (box,) = re.findall(r'id="link-error">(.*?)</div>', page, re.S)
    errors = re.findall(r'<p class="error">([^<]*)</p>', box)
    assert errors == ["Use a link that starts with http:// or https://."]
