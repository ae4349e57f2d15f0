"""Issue "the core loop for real people", no lost work: what a recruit typed survives
a send-back, a too-long answer and a too-large file; the decision buttons look like
the app's buttons. Each at a desktop and a phone size."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from app.models import SubmissionStatus, utcnow
from tests.browser.helpers import log_in
from tests.factories import SubmissionFactory, make_team

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
TWELVE_NAMES = "\n".join(f"{n}. Name number {n}" for n in range(1, 13))
ACCENT = "rgb(31, 111, 92)"  # --accent in style.css
ERROR_RED = "rgb(164, 38, 44)"  # --bad
ELEVEN_MB_PDF = {
    "name": "names.pdf",
    "mimeType": "application/pdf",
    "buffer": b"%PDF-" + b"0" * (11 * 1024 * 1024),
}


def sent_back_team():  # type: ignore[no-untyped-def]
    _upline, sponsor, track, recruit, _other = make_team()
    SubmissionFactory(
        recruit=recruit,
        assignment=track.assignments[0],
        answer=TWELVE_NAMES,
        status=SubmissionStatus.CHANGES_REQUESTED,
        decided_at=utcnow(),
        decided_by=sponsor,
        feedback="Great start: add eight more names.",
    )
    return sponsor, track, recruit


def new_recruit_on_homework(live_server: str, new_context, **context):  # type: ignore[no-untyped-def]
    """A new recruit of a fresh team, logged in, on their homework page."""
    _upline, _sponsor, _track, recruit, _other = make_team()
    page = new_context(**context).new_page()
    log_in(page, live_server, recruit.email)
    page.goto(f"{live_server}/homework")
    return page


def answer_box(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_label("Your answer")


@pytest.mark.parametrize("size", SIZES)
def test_a_sent_back_step_opens_with_the_last_answer_and_the_feedback_as_feedback(
    live_server: str, new_context, size: str
) -> None:
    sponsor, _track, recruit = sent_back_team()
    page = new_context(viewport=SIZES[size]).new_page()
    log_in(page, live_server, recruit.email)
    page.goto(f"{live_server}/homework")
    expect(answer_box(page)).to_have_value(TWELVE_NAMES)
    feedback = page.locator("figure.feedback")
    expect(feedback).to_contain_text(f"{sponsor.name} asked for changes")
    expect(feedback.locator("blockquote")).to_have_text("Great start: add eight more names.")
    assert feedback.evaluate("e => getComputedStyle(e).color") != ERROR_RED
    answer_box(page).press("End")
    answer_box(page).type("\n13. Name number 13")
    page.get_by_role("button", name="Hand in “Step 1 title”").click()
    expect(page.get_by_role("status")).to_have_text("Handed in. Your sponsor will review it.")
    expect(page.get_by_text("12. Name number 12").first).to_be_attached()


@pytest.mark.parametrize("size", SIZES)
def test_an_answer_over_the_limit_is_refused_beside_the_field_with_the_text_kept(
    live_server: str, new_context, size: str
) -> None:
    page = new_recruit_on_homework(live_server, new_context, viewport=SIZES[size])
    pasted = "x" * 25_000
    answer_box(page).focus()
    page.keyboard.insert_text(pasted)  # as a paste: no maxlength cuts it to 20,000
    expect(page.locator("#answer-counter")).to_have_text("25,000 / 20,000 characters")
    page.get_by_role("button", name="Hand in “Step 1 title”").click()
    expect(page.get_by_role("alert")).to_contain_text("Keep your answer under 20,000 characters")
    expect(page.get_by_role("status")).to_have_count(0)  # nothing was handed in
    assert len(answer_box(page).input_value()) == 25_000


def test_without_javascript_the_server_refuses_a_long_answer_and_keeps_it(
    live_server: str, new_context
) -> None:
    page = new_recruit_on_homework(live_server, new_context, java_script_enabled=False)
    answer_box(page).focus()
    page.keyboard.insert_text("y" * 25_000)
    page.get_by_role("button", name="Hand in “Step 1 title”").click()
    expect(page.locator("#answer-error")).to_have_text("Keep your answer under 20,000 characters.")
    assert answer_box(page).input_value() == "y" * 25_000


@pytest.mark.parametrize("size", SIZES)
def test_a_file_over_the_limit_is_refused_before_it_uploads(
    live_server: str, new_context, size: str
) -> None:
    page = new_recruit_on_homework(live_server, new_context, viewport=SIZES[size])
    picker = page.get_by_label("Attachment (optional)")
    assert "application/pdf" in (picker.get_attribute("accept") or "")
    answer_box(page).fill("My fifty names are in the file.")
    posts: list[str] = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )
    picker.set_input_files(ELEVEN_MB_PDF)
    expect(page.get_by_role("alert")).to_contain_text("That file is 11.0 MB")
    assert picker.evaluate("input => input.files.length") == 0
    assert posts == []
    expect(answer_box(page)).to_have_value("My fifty names are in the file.")


def test_without_javascript_a_file_over_the_limit_gets_a_page_that_says_go_back(
    live_server: str, new_context
) -> None:
    page = new_recruit_on_homework(live_server, new_context, java_script_enabled=False)
    answer_box(page).fill("My fifty names are in the file.")
    page.get_by_label("Attachment (optional)").set_input_files(ELEVEN_MB_PDF)
    page.get_by_role("button", name="Hand in “Step 1 title”").click()
    expect(page.get_by_role("heading", name="File too large")).to_be_visible()
    expect(page.get_by_text("Go back: your answer is still in the form")).to_be_visible()
    page.go_back()
    expect(answer_box(page)).to_have_value("My fifty names are in the file.")


@pytest.mark.parametrize("size", SIZES)
def test_the_decision_buttons_are_the_apps_buttons_approve_first(
    live_server: str, new_context, size: str
) -> None:
    _upline, sponsor, track, recruit, _other = make_team()
    waiting = SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    page = new_context(viewport=SIZES[size]).new_page()
    log_in(page, live_server, sponsor.email)
    page.goto(f"{live_server}/review/{waiting.id}")
    approve = page.get_by_role("button", name="Approve and unlock the next step")
    send_back = page.get_by_role("button", name="Send back: ask for changes")
    style = (
        "e => { const s = getComputedStyle(e);"
        " return [s.backgroundColor, s.color, s.borderTopColor, parseFloat(s.minHeight)]; }"
    )
    background, color, border, min_height = approve.evaluate(style)
    assert (background, color, border) == (ACCENT, "rgb(255, 255, 255)", ACCENT)
    assert min_height >= 44
    background, color, border, min_height = send_back.evaluate(style)
    assert (background, color, border) == ("rgb(255, 255, 255)", ACCENT, ACCENT)
    assert min_height >= 44
    approve_box, send_back_box = approve.bounding_box(), send_back.bounding_box()
    assert approve_box and send_back_box
    assert (approve_box["y"], approve_box["x"]) <= (send_back_box["y"], send_back_box["x"])
    assert send_back_box["x"] + send_back_box["width"] <= SIZES[size]["width"]
