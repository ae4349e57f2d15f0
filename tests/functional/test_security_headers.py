"""Security headers on every response (issue 7, part 4; ASVS V14.4).

Every GET route of the authorization matrix (its URLs filled the same way) is asked by
all six roles, so allowed pages, redirects and 404s alike are checked; every POST
route is sent an empty form by a person allowed to use it (the form-error pages);
and the static files, a 404, a 405, the CSRF 400, the 413 of an oversized upload and
the 500 page are added. Each response must carry a Content-Security-Policy that
allows no inline script or style, `X-Content-Type-Options: nosniff` and
`Referrer-Policy: same-origin`; each HTML page must hold no inline <script>, no
<style> block, no on*= handler and no style= attribute (the CSP would block them).
HSTS is sent in production only.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from app import create_app
from app.extensions import db
from config import ProductionConfig, TestingConfig
from tests.functional.test_authorization_matrix import LOGIN, ROUTES, Case, request_as
from tests.trust_world import ANONYMOUS, OWNER, ROLES, InlineCode, build_world, client_as

REQUIRED_CSP = ("default-src 'self'", "frame-ancestors 'none'")
# An attachment shown in the browser is stricter still: sandboxed, nothing loads.
ATTACHMENT_CSP = ("sandbox;", "default-src 'none'", "frame-ancestors 'none'")
FORBIDDEN_CSP = ("'unsafe-inline'", "'unsafe-eval'")


def header_problems(response, *, hsts: bool = False) -> list[str]:  # type: ignore[no-untyped-def]
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    attachment = csp.startswith("sandbox;")  # homework.attachment's own, stricter policy
    for part in ATTACHMENT_CSP if attachment else REQUIRED_CSP:
        if part not in csp:
            problems.append(f"CSP lacks {part!r} (CSP: {csp!r})")
    for part in FORBIDDEN_CSP:
        if part in csp:
            problems.append(f"CSP allows {part}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.headers.get("Referrer-Policy") != "same-origin":
        problems.append("no Referrer-Policy: same-origin")
    if hsts != ("Strict-Transport-Security" in response.headers):
        problems.append("HSTS missing" if hsts else "HSTS sent outside production")
    if response.mimetype == "text/html":
        problems += InlineCode.find(response.get_data(as_text=True))
    return problems


def oversized_upload(size: int, csrf_token: str = "") -> tuple[str, bytes]:
    """A multipart body with a `size`-byte attachment (built here, not spooled to disk)."""
    boundary = "----willing-test-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{csrf_token}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachment"; '
        'filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n'
    ).encode()
    body += b"a" * size + f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


def allowed_role(case: Case) -> str:
    """Someone the case lets through (not refused with a 404 or sent to log in)."""
    if case.writes:
        return next(role for role in ROLES if role in case.writes)
    return next((r for r in ROLES if case.expect[r] not in (400, 404, LOGIN)), ANONYMOUS)


def test_every_response_carries_the_security_headers(app, record_property):
    world = build_world()
    clients = {role: client_as(app, world, role) for role in ROLES}
    responses = []

    for (endpoint, method), cases in sorted(ROUTES.items()):
        for case in cases:
            if method == "GET":
                for role in ROLES:
                    client = clients[role][0]
                    responses.append((f"GET {endpoint} as {role}", client.get(case.url(world))))
                continue
            # The form sent empty (only its CSRF token): mostly the page with its errors.
            role = allowed_role(case)
            empty = Case(case.url, case.expect)
            response, before, after = request_as(*client_as(app, world, role), world, method, empty)
            responses.append((f"{method} {endpoint} (empty form) as {role}", response))
            if before != after:
                world = build_world()
                clients = {role: client_as(app, world, role) for role in ROLES}

    anonymous, (owner, owner_token) = clients[ANONYMOUS][0], clients[OWNER]
    content_type, too_big = oversized_upload(app.config["MAX_CONTENT_LENGTH"] + 1, owner_token)
    hand_in = f"/homework/{world.steps[0]}/hand-in"
    extras = [
        ("the 413 page", owner.post(hand_in, data=too_big, content_type=content_type), 413),
        ("a static file", anonymous.get("/static/style.css"), 200),
        ("a 404 page", anonymous.get("/no/such/page"), 404),
        ("a 404 page, logged in", owner.get("/recruits/999999"), 404),
        ("a 405 page", anonymous.get("/logout"), 405),
        ("the CSRF 400 page", anonymous.post("/login", data={"email": "a@example.com"}), 400),
    ]
    for label, response, status in extras:
        assert response.status_code == status, label
        responses.append((label, response))
    problems = []
    for label, response in responses:
        problems += [f"{label} ({response.status_code}): {p}" for p in header_problems(response)]
        response.close()
    record_property("responses_checked", len(responses))
    assert not problems, "\n".join(problems)


def test_an_upload_over_the_limit_gets_the_friendly_413_page(app):
    world = build_world()
    client, token = client_as(app, world, OWNER)
    content_type, body = oversized_upload(app.config["MAX_CONTENT_LENGTH"] + 1, token)
    response = client.post(
        f"/homework/{world.steps[0]}/hand-in", data=body, content_type=content_type
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "too large" in response.text
    assert "<nav" in response.text  # the site's own page, with a way back
    assert header_problems(response) == []


def test_the_500_page_carries_the_headers_too(database_url):
    class Live(TestingConfig):
        TESTING = False  # let the error handler answer, as in production
        SQLALCHEMY_DATABASE_URI = database_url

    live = create_app(Live)

    @live.get("/_boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    response = live.test_client().get("/_boom")
    assert response.status_code == 500
    assert header_problems(response) == []
    with live.app_context():
        db.engine.dispose()


def test_hsts_in_production_only(database_url, client):
    class Production(ProductionConfig):
        SECRET_KEY = "production-test-key"  # noqa: S105 - a throwaway key for this test
        SQLALCHEMY_DATABASE_URI = database_url

    production = create_app(Production)
    for url in ("/", "/login", "/no/such/page"):
        response = production.test_client().get(url)
        assert header_problems(response, hsts=True) == [], url
        assert "max-age=" in response.headers["Strict-Transport-Security"]
    with production.app_context():
        db.engine.dispose()
    assert "Strict-Transport-Security" not in client.get("/").headers


# --- The 413 over a real socket, from the production server --------------------------


@pytest.fixture
def gunicorn(database_url, tmp_path):
    """`gunicorn wsgi:app` as in production (one worker), on a socket bound here to port 0
    and handed over (fd://): no port is picked, released and hoped to be free still."""
    env = {
        **os.environ,
        "WILLING_ENV": "testing",
        "TEST_DATABASE_URL": database_url,
    }
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port, fd = listener.getsockname()[1], listener.fileno()
    log_path = tmp_path / "gunicorn.log"
    with listener, open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"fd://{fd}"),
                *("--no-control-socket", "wsgi:app"),
            ],
            cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(fd,),
        )
        try:
            deadline = time.monotonic() + 20
            while "Booting worker" not in log_path.read_text():
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"gunicorn did not start: {log_path.read_text()}")
                time.sleep(0.1)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=10)


def _oversized_post(app) -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    """Request head and body of a registration post twice the size limit."""
    content_type, body = oversized_upload(2 * app.config["MAX_CONTENT_LENGTH"])
    head = (
        "POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head, body


def _read_all(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_the_413_page_reaches_a_client_of_the_production_server(app, gunicorn):
    """A client that reads the answer while it uploads gets the 413 page, headers and all."""
    head, body = _oversized_post(app)
    with socket.create_connection(("127.0.0.1", gunicorn), timeout=10) as connection:
        connection.sendall(head)
        try:
            connection.sendall(body)
        except OSError:
            pass  # the server answered and stopped reading; the answer is still there
        answer = _read_all(connection)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"too large" in answer
    assert b"frame-ancestors 'none'" in answer


def test_a_client_that_sends_everything_first_still_gets_the_413_page(app, gunicorn):
    """Like a browser form post: the whole upload, then read. Before df93389 the app
    answered without reading the body and gunicorn's close reset the connection
    (BrokenPipeError here); the 413 handler now drains the upload first."""
    head, body = _oversized_post(app)
    with socket.create_connection(("127.0.0.1", gunicorn), timeout=10) as connection:
        connection.sendall(head + body)  # the whole upload first, like a browser form post
        answer = _read_all(connection)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
