"""Every page of the demo, as its people see it: each form field has a label that names
it, no two elements share an id (a label's `for` would find the wrong one), and each
button says what it does. A crawl from the home page of the demo sponsor and of a demo
recruit follows every link on the site, up to a limit."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from app.services.demo import DEMO_PASSWORD
from tests.factories import UserFactory, make_partnership

PAGES_PER_PERSON = 120
NOT_FOLLOWED = ("/logout", "/static/", "/email/", "/calendar/", "/invite/", "/register")


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.links: list[str] = []
        self.fields: list[dict[str, str | None]] = []  # inputs that need a label
        self.inside_label = 0
        self.buttons: list[str] = []
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if attr.get("id"):
            self.ids.append(attr["id"])  # type: ignore[arg-type]
        if tag == "label":
            self.inside_label += 1
            if attr.get("for"):
                self.label_for.add(attr["for"])  # type: ignore[arg-type]
        elif tag == "a" and attr.get("href"):
            self.links.append(attr["href"])  # type: ignore[arg-type]
        elif tag in ("input", "select", "textarea"):
            kind = (attr.get("type") or "text") if tag == "input" else tag
            if kind not in ("hidden", "submit", "button", "image", "reset"):
                self.fields.append({**attr, "_wrapped": "1" if self.inside_label else ""})
        elif tag == "button":
            self._button = [attr.get("aria-label") or ""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.inside_label -= 1
        elif tag == "button" and self._button is not None:
            self.buttons.append(" ".join("".join(self._button).split()))
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)


def crawl(client, start: str = "/") -> dict[str, Page]:  # type: ignore[no-untyped-def]
    seen: dict[str, Page] = {}
    queue = [start]
    while queue and len(seen) < PAGES_PER_PERSON:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path, follow_redirects=True)
        if response.status_code != 200 or not response.mimetype == "text/html":
            seen[path] = Page()
            continue
        page = Page()
        page.feed(response.text)
        seen[path] = page
        for href in page.links:
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not href.startswith("/"):
                continue
            if href.startswith(NOT_FOLLOWED) or href in seen:
                continue
            queue.append(href)
    return seen


def problems_of(pages: dict[str, Page]) -> list[str]:
    found = []
    for path, page in pages.items():
        twice = [i for i, n in Counter(page.ids).items() if n > 1 and i != "csrf_token"]
        if twice:
            found.append(f"{path}: ids used twice: {twice}")
        for field in page.fields:
            labelled = (
                field["_wrapped"]
                or field.get("aria-label")
                or field.get("aria-labelledby")
                or (field.get("id") and field["id"] in page.label_for)
            )
            if not labelled:
                found.append(f"{path}: a field without a label: {field}")
        for text in page.buttons:
            if len(text) < 2:
                found.append(f"{path}: a button that says nothing: {text!r}")
    return found


@pytest.mark.parametrize(
    "email", ["sponsor@example.com", "willing@example.com", "upline@example.com"]
)
def test_every_page_labels_its_fields_and_uses_each_id_once(client, auth, seeded_demo, email):
    assert auth.login(email, DEMO_PASSWORD).status_code == 302
    pages = crawl(client)
    shown = [path for path, page in pages.items() if page.ids]
    assert len(shown) >= 15, shown  # the crawl saw the site, not only a login page
    problems = problems_of(pages)
    assert not problems, "\n".join(problems)


def test_the_partnership_page_with_both_its_forms_uses_each_id_once(client, auth):
    """The check-in form (open on a scheduled day) and the ending form both have a
    note: the ending one's label named the check-in's box."""
    pat = UserFactory()
    partnership = make_partnership(pat, UserFactory(), cadence="daily", weekdays=frozenset())
    auth.login(pat)
    page = Page()
    html = client.get(f"/partners/{partnership.id}").text
    page.feed(html)
    assert "Post my check-in" in html and "End the partnership now" in html
    assert problems_of({"/partners/<id>": page}) == []
    assert '<label for="end-note">A note for your partner</label>' in html
