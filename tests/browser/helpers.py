"""Steps a person takes through the real pages, shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.factories import DEFAULT_PASSWORD


def register(
    page: Page,
    *,
    name: str,
    email: str,
    password: str = DEFAULT_PASSWORD,
    timezone: str = "UTC",
    button: str = "Create account",
) -> None:
    """Fill the registration form already on the page and send it: a sponsor-to-be lands
    on their team page, someone joining through an invite on their homework."""
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_label("Time zone").select_option(timezone)
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to Willing, {name}!")


def log_in(page: Page, base_url: str, email: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def invite_link(page: Page, base_url: str) -> str:
    """The invite link from the read-only field on the team page."""
    page.goto(f"{base_url}/team")
    field = page.get_by_role("textbox", name="Invite link", exact=True)
    expect(field).to_have_id("invite-link")
    expect(field).not_to_be_editable()
    link = field.input_value()
    assert link.startswith(f"{base_url}/join/"), link
    return link
