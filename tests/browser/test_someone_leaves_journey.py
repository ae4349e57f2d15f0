"""Someone leaves: the upline logs "left the business" for a sponsor of hers, adopts one
of the people stranded below, then the rest at once, and sees her whole team."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from app.models import utcnow
from tests.browser.helpers import log_in
from tests.factories import SubmissionFactory, UserFactory, make_track


def test_upline_archives_a_sponsor_adopts_their_recruits_and_sees_the_whole_team(
    live_server: str, page: Page
) -> None:
    uma = UserFactory(name="Upline Uma")
    kim = UserFactory(name="Kim Leaving", sponsor=uma)
    track = make_track(kim, 3)
    enrolled = utcnow() - timedelta(days=10)
    rita = UserFactory(name="Recruit Rita", sponsor=kim, track=track, enrolled_at=enrolled)
    UserFactory(name="Recruit Otto", sponsor=kim, track=track, enrolled_at=enrolled)
    SubmissionFactory(recruit=rita, assignment=track.assignments[0])

    log_in(page, live_server, uma.email)
    expect(page.get_by_text("1 of your recruits sponsors a team of their own.")).to_be_visible()
    page.get_by_role("link", name="Kim Leaving").first.click()
    page.get_by_label("Outcome").select_option("Left the business (archive)")
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_text("Check-in with Kim Leaving saved.")).to_be_visible()

    page.get_by_role("link", name="← Your team").click()
    stranded = page.get_by_role("region", name="Needs a new sponsor")
    expect(stranded).to_contain_text("Kim Leaving left: 2 people need a new sponsor.")
    stranded.get_by_role("link", name="See who").click()
    expect(page.get_by_role("heading", name="Needs a new sponsor")).to_be_visible()
    row = page.get_by_role("row", name="Recruit Rita")
    expect(row).to_contain_text("Kim Leaving")
    row.get_by_role("button", name="Adopt Recruit Rita").click()
    expect(page.get_by_text("Recruit Rita is on your team now")).to_be_visible()
    expect(page.get_by_role("heading", name="Recruit Rita")).to_be_visible()

    page.get_by_role("link", name="Reviews").first.click()
    expect(page.get_by_text("Recruit Rita").first).to_be_visible()  # her hand-in waits for Uma

    page.get_by_role("link", name="Team", exact=True).click()
    page.get_by_role("button", name="Adopt all 1 from Kim Leaving").click()
    expect(page.get_by_text("1 person is on your team now.")).to_be_visible()
    expect(page.get_by_role("region", name="Needs a new sponsor")).to_have_count(0)
