"""The README's screenshots, taken from the demo data (`make screenshots`).

A fresh SQLite database in a temporary folder, migrated and seeded exactly as
`make run` seeds it, served on a free port; Playwright drives Debian's Chromium
(/usr/bin/chromium) through five pages and writes PNGs to docs/screenshots/:

- recruit-first-page.png: a recruit's start page (their sent-back step), 1280 x 800
- review-page.png: the sponsor's next hand-in to review, 1280 wide, the whole page
- dashboard-phone.png: the sponsor's team page on a phone, 390 x 844
- meeting-page.png: the demo sponsor's mastermind group's coming meeting (the hot seat,
  everyone's answers with last time's goals, comments and cheers), 1280 x 1100
- partnership-page.png: the demo sponsor's partnership with her own sponsor (the strip
  of days, consistency, the latest check-ins and replies), 1280 x 1100

Run it again after a change to those pages; the images are committed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services import demo  # noqa: E402
from config import DevelopmentConfig  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def log_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="willing-screenshots-"))

    class Config(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'demo.sqlite3'}"
        UPLOAD_FOLDER = str(folder / "uploads")
        MAIL_FILE_DIR = str(folder / "mail")

    app = create_app(Config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(ROOT / "migrations"))
        logins = {login.role: login.email for login in demo.seed_demo(db.session)}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])

            recruit = browser.new_page(viewport=DESKTOP)
            log_in(recruit, base, logins["Recruit with changes requested"])
            recruit.goto(f"{base}/")  # where a recruit lands
            recruit.screenshot(path=OUT / "recruit-first-page.png")

            sponsor = browser.new_page(viewport=DESKTOP)
            log_in(sponsor, base, logins["Sponsor (reviews homework)"])
            sponsor.goto(f"{base}/review/next")
            sponsor.screenshot(path=OUT / "review-page.png", full_page=True)

            partner = browser.new_page(viewport={"width": 1280, "height": 1100})
            log_in(partner, base, logins["Sponsor (reviews homework)"])
            partner.goto(f"{base}/partners")
            running = partner.locator(".partner-list li", has_text="running until").first
            running.get_by_role("link").click()
            partner.get_by_role("heading", name="Check-in days").wait_for()
            partner.screenshot(path=OUT / "partnership-page.png")

            group = browser.new_page(viewport={"width": 1280, "height": 1100})
            log_in(group, base, logins["Sponsor (reviews homework)"])
            group.goto(f"{base}/groups")
            group.get_by_role("region", name="Your groups").get_by_role("link").first.click()
            group.get_by_role("link", name="The agenda so far").click()
            group.get_by_role("heading", name="Hot seat", exact=True).wait_for()
            group.screenshot(path=OUT / "meeting-page.png")

            whole_team = browser.new_page(viewport={"width": 1280, "height": 800})
            log_in(whole_team, base, logins["Sponsor (reviews homework)"])
            whole_team.goto(f"{base}/")
            whole_team.get_by_role("link", name="See your whole team, every level").click()
            whole_team.get_by_role("heading", name="Your whole team").wait_for()
            whole_team.screenshot(path=OUT / "rollup-page.png")

            phone = browser.new_page(viewport=PHONE, device_scale_factor=2)
            log_in(phone, base, logins["Sponsor (reviews homework)"])
            phone.goto(f"{base}/")
            phone.screenshot(path=OUT / "dashboard-phone.png")
            browser.close()
    finally:
        server.shutdown()
    for name in (
        "recruit-first-page",
        "review-page",
        "dashboard-phone",
        "partnership-page",
        "rollup-page",
        "meeting-page",
    ):
        print(OUT / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
