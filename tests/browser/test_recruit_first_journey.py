"""Issue "the core loop for real people", recruit first: joining lands on the first
assignment; saved feedback goes into a review with one click; registration starts in
the browser's time zone. At a desktop and a phone size where the journey is a page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in, register
from tests.factories import FeedbackSnippetFactory, SubmissionFactory, make_team

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", SIZES)
def test_joining_opens_the_first_assignment_with_its_hand_in_form(
    live_server: str, new_context, size: str
) -> None:
    _upline, sponsor, _track, _recruit, _other = make_team()
    page = new_context(viewport=SIZES[size]).new_page()
    page.goto(f"{live_server}/join/{sponsor.invite_token}")
    register(page, name="Nina Newcomer", email="nina@example.com", button="Join the team")
    expect(page).to_have_url(f"{live_server}/homework")
    expect(page.get_by_text("Instructions for step 1 only")).to_be_visible()
    expect(page.get_by_label("Your answer")).to_be_visible()
    expect(page.get_by_role("button", name="Hand in “Step 1 title”")).to_be_visible()
    expect(page.get_by_text("Sponsor Sam")).to_be_visible()
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Start your own team")).to_be_visible()
    expect(menu.get_by_role("link", name="Tracks")).to_have_count(0)
    expect(page.get_by_text("Your invite link")).to_have_count(0)


@pytest.mark.parametrize("size", SIZES)
def test_a_saved_line_goes_into_the_feedback_with_one_click(
    live_server: str, new_context, size: str
) -> None:
    _upline, sponsor, track, recruit, _other = make_team()
    waiting = SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    FeedbackSnippetFactory(owner=sponsor, text="Great start! Add how you know each person.")
    page = new_context(viewport=SIZES[size]).new_page()
    log_in(page, live_server, sponsor.email)
    page.goto(f"{live_server}/review/{waiting.id}")
    expect(page.get_by_role("link", name="Reviews 1 waiting")).to_be_visible()
    feedback = page.get_by_label("Feedback for your recruit")
    feedback.fill("Thanks, Rita.")
    page.get_by_role("button", name="Insert: “Great start! Add how you know each person.”").click()
    expect(feedback).to_have_value("Thanks, Rita.\nGreat start! Add how you know each person.")
    expect(page.locator("[data-snippet-copy]")).to_be_hidden()  # the script shows the buttons
    page.get_by_role("button", name="Send back: ask for changes").click()
    expect(page.get_by_role("status")).to_contain_text("Sent back to Recruit Rita")


def test_registration_starts_in_the_browsers_time_zone(live_server: str, new_context) -> None:
    page = new_context(timezone_id="Asia/Tokyo").new_page()
    page.goto(f"{live_server}/register")
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    page.get_by_label("Your name").fill("Tomo Tokyo")
    page.get_by_label("Email").fill("tomo@example.com")
    page.get_by_label("Password", exact=True).fill("violet tractor harmonica 93")
    page.get_by_label("Repeat password").fill("violet tractor harmonica 93")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
