"""Accountability partners in a real browser: Mia asks her sponsor, Sam accepts on his
phone, both check in, Sam replies, and both see the strip of days."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in
from tests.factories import UserFactory

PHONE = {"width": 390, "height": 844}


def test_ask_accept_check_in_twice_reply_and_see_the_strip(
    live_server: str, page: Page, new_context
) -> None:
    sam = UserFactory(name="Sam Sponsor", email="sam@example.com")
    UserFactory(name="Mia Recruit", email="mia@example.com", sponsor=sam)

    # Mia finds her sponsor first on the list, with why, and asks him.
    log_in(page, live_server, "mia@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Partners").click()
    find = page.get_by_role("region", name="Find a partner")
    expect(find).to_contain_text("Your sponsor: has a vested interest in your success.")
    find.get_by_role("link", name="Ask Sam Sponsor").click()
    page.get_by_label("Your rules").fill("Call each other out, kindly.")
    page.get_by_label("How often you check in").select_option("daily")
    page.get_by_label("How you keep in touch").select_option("video")
    page.get_by_label("Your handle for it").fill("mia.zoom")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("status")).to_contain_text("Request sent to Sam Sponsor.")
    expect(
        page.get_by_role("heading", name="Waiting for Sam Sponsor to answer your request")
    ).to_be_visible()

    # Sam, on his phone, accepts with his own handle.
    sam_page = new_context(viewport=PHONE).new_page()
    log_in(sam_page, live_server, "sam@example.com")
    sam_page.goto(f"{live_server}/partners")
    expect(sam_page.get_by_text("waiting for your answer")).to_be_visible()
    sam_page.get_by_role("link", name="Mia Recruit").click()
    expect(sam_page.get_by_role("heading", name="Mia Recruit proposes these terms")).to_be_visible()
    sam_page.get_by_label("Your handle for it (optional)").fill("sam.zoom")
    sam_page.get_by_role("button", name="Accept these terms").click()
    expect(sam_page.get_by_role("status")).to_contain_text("you are accountability partners")
    # Nothing on the phone is wider than the screen.
    assert sam_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Both check in for today.
    for person, promise in ((page, "Call three people"), (sam_page, "Review Mia's list")):
        person.reload()
        form = person.get_by_role("region", name="Check in")
        form.get_by_label("What I said I would do").fill(promise)
        form.get_by_label("Yes").check()
        form.get_by_label("What I will do next").fill(f"{promise}, again")
        form.get_by_role("button", name="Post my check-in").click()
        expect(person.get_by_role("status")).to_contain_text("Checked in.")

    # Sam replies under Mia's check-in; Mia reads it.
    mias = sam_page.locator("article.check-in", has_text="Mia Recruit, for")
    mias.get_by_text("Reply", exact=True).click()
    mias.get_by_label("Your reply").fill("Proud of you, Mia!")
    mias.get_by_role("button", name="Reply to this check-in").click()
    expect(sam_page.get_by_role("status")).to_contain_text("Reply posted.")
    page.reload()
    mine = page.locator("article.check-in", has_text="You, for")
    expect(mine).to_contain_text("Sam Sponsor replied")
    expect(mine).to_contain_text("Proud of you, Mia!")

    # The strip: today made for both, the next days coming; each one's consistency.
    days = page.get_by_role("region", name="Check-in days")
    mine_strip = days.get_by_role("list", name="Your scheduled days")
    expect(mine_strip.locator("li").first).to_contain_text("made")
    expect(mine_strip.locator("li").nth(1)).to_contain_text("coming")
    expect(
        days.get_by_role("list", name="Sam Sponsor’s scheduled days").locator("li").first
    ).to_contain_text("made")
    expect(days).to_contain_text("1 of the last 1 on time (100%) · streak 1")
    expect(page.get_by_role("region", name="Your terms")).to_contain_text(
        "Mia Recruit mia.zoom; Sam Sponsor sam.zoom"
    )
