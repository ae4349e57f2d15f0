"""Issue "the core loop for real people", phones: at 390 px the review queue and the
dashboard are stacks of cards, and every row's main action is on screen."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from app.models import utcnow
from tests.browser.helpers import log_in
from tests.factories import SubmissionFactory, UserFactory, make_track

PHONE = {"width": 390, "height": 844}


def inside_the_screen(page: Page, locator) -> None:  # type: ignore[no-untyped-def]
    count = locator.count()
    assert count > 0
    for index in range(count):
        element = locator.nth(index)
        element.scroll_into_view_if_needed()
        box = element.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert box["height"] >= 44 or element.evaluate("e => e.tagName") == "A", box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_every_rows_main_action_is_on_a_phones_screen(live_server: str, new_context) -> None:
    sponsor = UserFactory(name="Sponsor Sam")
    track = make_track(sponsor, 3)
    long_ago = utcnow() - timedelta(days=30)
    for n in range(3):  # stalled: a check-in button each
        UserFactory(
            name=f"Quiet Recruit With A Long Name {n}",
            sponsor=sponsor,
            track=track,
            enrolled_at=long_ago,
        )
    for n in range(3):  # waiting: a line in the queue each
        recruit = UserFactory(
            name=f"Waiting Recruit {n}", sponsor=sponsor, track=track, enrolled_at=long_ago
        )
        SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    page = new_context(viewport=PHONE).new_page()
    log_in(page, live_server, sponsor.email)

    page.goto(f"{live_server}/review")
    inside_the_screen(page, page.get_by_role("link", name="Review "))
    inside_the_screen(page, page.locator('td[data-label="Recruit"] a'))  # names, as links
    queue = page.locator("table.stack")
    assert queue.evaluate("t => getComputedStyle(t).display") == "block"  # cards, not a grid
    expect(queue.locator('td[data-label="Waiting"]').first).to_be_visible()

    page.goto(f"{live_server}/")
    table = page.locator("table.recruits")
    inside_the_screen(page, table.get_by_role("link", name="Log a check-in with"))
    inside_the_screen(page, table.get_by_role("link", name="Review Waiting Recruit"))
    inside_the_screen(page, table.locator("td:first-child a"))  # the names, as links
    assert table.evaluate("t => getComputedStyle(t).display") == "block"
    inside_the_screen(page, page.locator("a.count"))  # the count cards, as links
    for label in ("Status", "Whose move"):
        expect(table.locator(f'td[data-label="{label}"]').first).to_be_visible()
