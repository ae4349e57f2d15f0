"""The sponsor's morning: filter to stalled, log a check-in, see them leave the list."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from app.models import utcnow
from tests.browser.helpers import log_in
from tests.factories import SubmissionFactory, UserFactory, make_track


def test_sponsor_checks_in_with_a_stalled_recruit(live_server: str, page: Page) -> None:
    sponsor = UserFactory(name="Dana Dashboard")
    track = make_track(sponsor, 3)
    long_ago = utcnow() - timedelta(days=20)
    UserFactory(name="Quiet Quentin", sponsor=sponsor, track=track, enrolled_at=long_ago)
    UserFactory(name="Silent Sally", sponsor=sponsor, track=track, enrolled_at=long_ago)
    busy = UserFactory(name="Busy Bea", sponsor=sponsor, track=track, enrolled_at=utcnow())
    SubmissionFactory(recruit=busy, assignment=track.assignments[0])

    log_in(page, live_server, sponsor.email)
    counts = page.get_by_role("region", name="At a glance")
    expect(counts).to_contain_text("2 stalled")
    page.get_by_label("Status").select_option("Stalled")
    page.get_by_role("button", name="Show recruits").click()
    table = page.locator("table.recruits")
    expect(table.get_by_role("row")).to_have_count(3)  # header + two stalled
    expect(table).not_to_contain_text("Busy Bea")

    page.get_by_role("link", name="Log a check-in with Quiet Quentin").click()
    expect(page.get_by_role("heading", name="Quiet Quentin")).to_be_visible()
    page.get_by_label("How").select_option("Text")
    page.get_by_label("Outcome").select_option("Reached them")
    page.get_by_label("Note").fill("Busy week at work, will do step 1 on Saturday.")
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_text("Check-in with Quiet Quentin saved.")).to_be_visible()
    expect(page.get_by_text("Check-in (Text): reached")).to_be_visible()

    page.get_by_role("link", name="← Your team").click()
    page.get_by_label("Status").select_option("Stalled")
    page.get_by_role("button", name="Show recruits").click()
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table).to_contain_text("Silent Sally")
    expect(table).not_to_contain_text("Quiet Quentin")
    expect(counts).to_contain_text("1 stalled")
