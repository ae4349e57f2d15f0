"""Issue "foundation": a sponsor registers, shares the invite link, a recruit joins."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import invite_link, log_in, register
from tests.factories import UserFactory


def test_sponsor_registers_invites_a_recruit_and_logs_out(
    live_server: str, page: Page, new_context
) -> None:
    # The sponsor registers without an invite and lands on their home page.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(f"{live_server}/register")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    register(
        page,
        name="Sponsor Sofia",
        email="sofia@example.com",
        password="twelve chars and more",
        timezone="Europe/Berlin",
    )
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("status")).to_contain_text("Welcome to Willing, Sponsor Sofia!")

    # The invite link sits in a read-only field; the copy button copies it.
    link = invite_link(page, live_server)
    copy = page.get_by_role("button", name="Copy invite link")
    copy.click()
    expect(page.get_by_role("button", name="Copied!")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link

    # A second person, with their own cookies, opens the link and joins.
    recruit = new_context().new_page()
    recruit.goto(link)
    expect(recruit.get_by_role("heading", name="Join Sponsor Sofia's team")).to_be_visible()
    register(
        recruit,
        name="Recruit Ravi",
        email="ravi@example.com",
        password="another long password",
        button="Join the team",
    )
    # Straight to their homework (Sofia has no track yet), with a recruit's menu.
    expect(recruit).to_have_url(f"{live_server}/homework")
    expect(recruit.get_by_text("Sponsor Sofia hasn't given you an assignment yet.")).to_be_visible()
    menu = recruit.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Start your own team")).to_be_visible()
    expect(menu.get_by_role("link", name="Reviews")).to_have_count(0)

    # The sponsor sees the recruit after a reload.
    page.reload()
    recruits = page.get_by_role("region", name=re.compile(r"^Your recruits"))
    expect(recruits.get_by_role("cell", name="Recruit Ravi", exact=True)).to_be_visible()

    # The time zone chosen at registration is the one on the account.
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")

    # Logging out shows the login page; the start page is the logged-out welcome.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server}/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("You are logged out.")
    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", name="Homework that shows who is willing")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    # The recruit's own session is untouched by the sponsor logging out.
    recruit.reload()
    expect(recruit.get_by_text("Sponsor Sofia hasn't given you an assignment yet.")).to_be_visible()


def test_invite_link_with_an_unknown_token_says_so(live_server: str, page: Page) -> None:
    response = page.goto(f"{live_server}/join/not-a-real-token")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="This invite link doesn't work")).to_be_visible()


def _copy_button_after_login(page: Page, base_url: str):  # type: ignore[no-untyped-def]
    UserFactory(name="Sponsor Sofia", email="sofia@example.com")
    page.clock.install()  # the label's 2-second timer runs on Playwright's clock
    log_in(page, base_url, "sofia@example.com")
    page.wait_for_load_state("load")  # the copy script is deferred: wait until it runs
    return page.locator("button[data-copy-target='invite-link']")


def test_copy_button_says_copied_then_returns_to_its_label(live_server: str, page: Page) -> None:
    button = _copy_button_after_login(page, live_server)
    expect(button).to_have_text("Copy invite link")
    button.click()
    expect(button).to_have_text("Copied!")
    page.clock.run_for(2_500)
    expect(button).to_have_text("Copy invite link")


def test_copy_button_label_survives_a_quick_second_click(live_server: str, page: Page) -> None:
    button = _copy_button_after_login(page, live_server)
    button.click()
    expect(button).to_have_text("Copied!")
    page.clock.run_for(500)
    button.click()
    page.clock.run_for(5_000)
    expect(button).to_have_text("Copy invite link", timeout=1_000)


def test_password_rule_is_the_password_fields_description(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/register")
    password = page.get_by_label("Password", exact=True)
    rule = re.compile(r"^At least 12 characters")
    expect(page.get_by_text(rule)).to_be_visible()
    expect(password).to_have_accessible_description(rule, timeout=1_000)
