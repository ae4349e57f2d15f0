"""Issue "the core loop": a sponsor writes a track, a recruit works through it step by step."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.models import SubmissionStatus, utcnow
from tests.browser.helpers import invite_link, log_in, register
from tests.factories import SubmissionFactory, UserFactory, make_team

STEPS = [
    (
        "Write your why",
        "Write down **why** you joined, in three sentences: ALPHA-ONLY-STEP-ONE.",
        "Three sentences.",
    ),
    (
        "List fifty names",
        "Make a list of fifty people you know: BRAVO-SECRET-STEP-TWO.",
        "The list, as an attachment.",
    ),
    (
        "Book three calls",
        "Book three calls with your sponsor on the line: CHARLIE-SECRET-STEP-THREE.",
        "The dates of the calls.",
    ),
]
PHONE = {"width": 375, "height": 667}


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    """A valid PNG, small enough to write by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x1f\x6f\x5c" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def write_track(page: Page, base_url: str) -> None:
    """Create a track on /tracks and add the three STEPS through the forms."""
    page.goto(f"{base_url}/tracks")
    page.get_by_label("Track name").fill("Fast start")
    page.get_by_role("button", name="Create track").click()
    expect(page.get_by_role("heading", name="Fast start", exact=True)).to_be_visible()
    expect(page.get_by_text("Default for new recruits")).to_be_visible()
    for title, instructions, deliverable in STEPS:
        page.get_by_role("link", name="Add an assignment").click()
        expect(page.get_by_role("heading", name="New assignment")).to_be_visible()
        page.get_by_label("Title").fill(title)
        page.get_by_label("Instructions").fill(instructions)
        page.get_by_label("What to hand in").fill(deliverable)
        page.get_by_role("button", name="Add assignment").click()
        expect(page.get_by_role("status")).to_have_text("Assignment added.")
    steps = page.get_by_role("region", name="Assignments, in order").get_by_role("listitem")
    expect(steps).to_have_count(3)
    for index, (title, _instructions, _deliverable) in enumerate(STEPS):
        expect(steps.nth(index)).to_contain_text(title)


def step(page: Page, index: int):  # type: ignore[no-untyped-def]
    """The recruit's step `index` (0-based) on /homework."""
    return page.locator("ol.steps > li").nth(index)


def hand_in(page: Page, title: str, answer: str, attachment: Path | None = None) -> None:
    page.get_by_label("Your answer").fill(answer)
    if attachment is not None:
        page.get_by_label("Attachment (optional)").set_input_files(attachment)
    page.get_by_role("button", name=f"Hand in “{title}”").click()
    expect(page.get_by_role("status")).to_have_text("Handed in. Your sponsor will review it.")
    expect(page.get_by_text("Waiting for Sponsor Sam's review since")).to_be_visible()


def open_review(page: Page, base_url: str, recruit_name: str, title: str) -> None:
    page.goto(f"{base_url}/review")
    page.get_by_role("link", name=f"Review {recruit_name}'s “{title}”").click()
    expect(page.get_by_role("heading", name=f"{recruit_name}: {title}")).to_be_visible()


def test_sponsor_writes_a_track_and_reviews_a_recruit_through_it(
    live_server: str, page: Page, new_context, tmp_path: Path
) -> None:
    UserFactory(name="Sponsor Sam", email="sam@example.com")
    log_in(page, live_server, "sam@example.com")
    write_track(page, live_server)
    link = invite_link(page, live_server)

    # The recruit joins and sees only the first step's instructions.
    recruit = new_context().new_page()
    recruit.goto(link)
    register(recruit, name="Recruit Rosa", email="rosa@example.com", button="Join the team")
    recruit.get_by_role("link", name="My homework", exact=True).click()
    expect(recruit.get_by_role("heading", name="My homework")).to_be_visible()
    expect(step(recruit, 0)).to_contain_text("Current")
    # The instructions are rendered Markdown.
    expect(step(recruit, 0).locator(".instructions strong")).to_have_text("why")
    expect(step(recruit, 0)).to_contain_text("ALPHA-ONLY-STEP-ONE")
    expect(step(recruit, 0)).to_contain_text("Three sentences.")
    for index in (1, 2):
        expect(step(recruit, index)).to_contain_text(f"Locked {STEPS[index][0]}")
    html = recruit.content()
    for _title, instructions, deliverable in STEPS[1:]:
        assert instructions not in html
        assert deliverable not in html
    assert "BRAVO-SECRET-STEP-TWO" not in html
    assert "CHARLIE-SECRET-STEP-THREE" not in html
    expect(recruit.get_by_role("button", name=re.compile("^Hand in"))).to_have_count(1)

    # First attempt, with a PNG attached.
    png = tmp_path / "why.png"
    png.write_bytes(tiny_png())
    hand_in(recruit, STEPS[0][0], "I want time with my kids.", attachment=png)

    # The sponsor downloads the attachment and sends the work back.
    open_review(page, live_server, "Recruit Rosa", STEPS[0][0])
    expect(page.get_by_text("I want time with my kids.")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download why.png").click()
    download = download_info.value
    assert download.suggested_filename == "why.png"
    assert Path(download.path()).read_bytes() == png.read_bytes()
    page.get_by_label("Feedback for your recruit").fill("Say more about the kids, please.")
    page.get_by_role("button", name="Send back: ask for changes").click()
    expect(page.get_by_role("status")).to_have_text("Sent back to Recruit Rosa with your feedback.")
    expect(page.get_by_role("heading", name="Waiting for your review (0)")).to_be_visible()

    # The recruit sees the feedback and hands in again.
    recruit.reload()
    expect(recruit.locator("figure.feedback blockquote")).to_have_text(
        "Say more about the kids, please."
    )
    hand_in(recruit, STEPS[0][0], "I want to be home when my kids come back from school.")

    # The sponsor approves the second attempt; the first one is listed below it.
    open_review(page, live_server, "Recruit Rosa", STEPS[0][0])
    expect(page.get_by_role("heading", name="Attempt 2")).to_be_visible()
    expect(page.get_by_role("heading", name="Earlier attempts")).to_be_visible()
    page.get_by_role("button", name="Approve and unlock the next step").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Approved. Recruit Rosa's next step is open: “{STEPS[1][0]}”."
    )

    # Step 2 is open for the recruit now; step 3 is still locked.
    recruit.reload()
    expect(step(recruit, 0)).to_contain_text(f"Done {STEPS[0][0]}")
    expect(step(recruit, 1)).to_contain_text(f"Current {STEPS[1][0]}")
    expect(step(recruit, 1)).to_contain_text("BRAVO-SECRET-STEP-TWO")
    expect(step(recruit, 2)).to_contain_text(f"Locked {STEPS[2][0]}")
    expect(recruit.get_by_role("progressbar", name="1 of 3 steps done")).to_be_visible()
    assert "CHARLIE-SECRET-STEP-THREE" not in recruit.content()


def _assert_no_horizontal_scroll(page: Page) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"] + 1, f"page is {scroll_width}px wide on a phone"


def test_homework_page_fits_a_phone(live_server: str, new_context) -> None:
    _upline, sponsor, track, recruit, _other = make_team()
    SubmissionFactory(
        recruit=recruit,
        assignment=track.assignments[0],
        answer="A first try " * 40,
        status=SubmissionStatus.CHANGES_REQUESTED,
        decided_at=utcnow(),
        decided_by=sponsor,
        feedback="Try again with more detail.",
    )
    page = new_context(viewport=PHONE).new_page()
    log_in(page, live_server, recruit.email)
    page.goto(f"{live_server}/homework")
    expect(page.locator("figure.feedback blockquote")).to_have_text("Try again with more detail.")
    expect(page.get_by_label("Attachment (optional)")).to_be_visible()
    _assert_no_horizontal_scroll(page)


# A shared Google Doc: the kind of link recruits hand in, with no place to wrap.
LONG_LINK = (
    "https://docs.google.com/document/d/1aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefghij"
    "/edit?usp=sharing"
)


@pytest.mark.parametrize("viewer", ["recruit", "sponsor"])
def test_long_links_fit_a_phone(live_server: str, new_context, viewer: str) -> None:
    _upline, sponsor, track, recruit, other = make_team()
    SubmissionFactory(
        recruit=recruit,
        assignment=track.assignments[0],
        link=LONG_LINK,
        status=SubmissionStatus.CHANGES_REQUESTED,
        decided_at=utcnow(),
        decided_by=sponsor,
        feedback=f"Share it with edit rights: {LONG_LINK}",
    )
    waiting = SubmissionFactory(recruit=other, assignment=track.assignments[0], link=LONG_LINK)
    page = new_context(viewport=PHONE).new_page()
    if viewer == "recruit":
        log_in(page, live_server, recruit.email)
        page.goto(f"{live_server}/homework")
        expect(page.locator("figure.feedback blockquote")).to_contain_text(
            "Share it with edit rights"
        )
    else:
        log_in(page, live_server, sponsor.email)
        page.goto(f"{live_server}/review/{waiting.id}")
        expect(page.get_by_role("heading", name="Attempt 1")).to_be_visible()
    expect(page.get_by_role("link", name=LONG_LINK)).to_have_count(1)
    _assert_no_horizontal_scroll(page)


def test_every_error_of_a_field_is_announced(live_server: str, page: Page) -> None:
    _upline, _sponsor, _track, recruit, _other = make_team()
    log_in(page, live_server, recruit.email)
    page.goto(f"{live_server}/homework")
    page.get_by_label("Your answer").fill("My answer.")
    link = page.get_by_label("Link (optional)")
    link.fill("javascript:alert(1)")
    page.get_by_role("button", name=re.compile("^Hand in")).click()
    errors = page.locator(".field.has-error .error")
    # One clear line (it was two: "starts with http(s)://" and "not a web address").
    expect(errors).to_have_text(["Use a link that starts with http:// or https://."])
    messages = errors.all_inner_texts()
    expect(link).to_have_attribute("aria-invalid", "true")
    duplicate_ids = page.evaluate(
        """() => {
            const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
            return ids.filter((id, i) => ids.indexOf(id) !== i);
        }"""
    )
    assert duplicate_ids == []
    expect(link).to_have_accessible_description(" ".join(messages), timeout=1_000)
