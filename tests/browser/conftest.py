"""Browser tests: the app served from a thread, driven by Debian's chromium through Playwright.

`playwright install` cannot download a browser here, so pytest-playwright launches
/usr/bin/chromium. Where it is missing, every test in this folder is skipped, before
anything tries to launch it, unless REQUIRE_BROWSER=1 (CI), which makes them fail.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from app.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING_CHROMIUM = (
    f"Chromium not found at {CHROMIUM}: apt-get install chromium to run the browser tests"
)
# Fail fast: every step of these journeys takes well under a second.
TIMEOUT_MS = 5_000

_HERE = Path(__file__).parent


def _browser_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER", "").strip() == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder `browser`; skip them all when chromium is missing.

    This hook sees the whole session's items, so it picks out the ones under this folder.
    """
    skip = None
    if not CHROMIUM.exists() and not _browser_required():
        skip = pytest.mark.skip(reason=MISSING_CHROMIUM)
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if skip is not None:
                item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """CI (REQUIRE_BROWSER=1) must not pass by skipping: fail before any fixture runs."""
    if _HERE in item.path.parents and not CHROMIUM.exists() and _browser_required():
        pytest.fail(f"REQUIRE_BROWSER=1 but {MISSING_CHROMIUM}", pytrace=False)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config) -> str | None:
    """Same as pytest-playwright's fallback `base_url`, as a plain function.

    pytest-playwright 0.10 defines its fallback as a session fixture on a plugin
    instance, which pytest 9 deprecates with a warning; filterwarnings=error turns
    that warning into an error in every test. The tests pass full URLs anyway.
    """
    return pytestconfig.getoption("--base-url", None) or pytestconfig.getini("base_url") or None


@pytest.fixture(scope="session", autouse=True)
def _expect_timeout() -> None:
    expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The test's app (empty database) served on a free port; yields its base URL.

    Requests run in the server's threads, each in its own app context and database
    session; the factories commit, so what a test creates is visible to them.
    """
    db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        # The test thread's session may hold rows from before the browser changed them.
        db.session.remove()


@pytest.fixture
def new_context(live_server, new_context):  # type: ignore[no-untyped-def]
    """pytest-playwright's context factory, started after (so closed before) the server.

    Closing the browser contexts first ends their keep-alive connections while the
    server still runs. Every context gets a short default timeout.
    """

    def _new_context(**kwargs):  # type: ignore[no-untyped-def]
        context = new_context(**kwargs)
        context.set_default_timeout(TIMEOUT_MS)
        return context

    return _new_context
