"""Fuzzed forms (issue 7, part 6; ASVS V5): hypothesis posts generated data to every form.

Every POST route that takes input gets its own test: unicode (astral plane, RTL marks,
BOM), control characters and NUL, 100 kB strings, missing fields, fields sent twice
(a MultiDict with two values for one key), wrong types (text, floats and huge numbers
in integer and date fields, unknown choices), junk extra fields, and for the token
routes generated tokens in the URL. A valid CSRF token goes with every post, so the
form's own validation is what answers. After every post:

- never a 500 (TESTING lets the exception through; it is reported as a 500);
- a rejected form (any status that is not the form's success) shows a message: an
  error beside a field (class="error"), or for a 4xx a clear page (flash error, the
  error page, the invalid-link page); a form re-rendered with 200 must show the error
  beside its field;
- nothing was saved from a rejected form: every row of every table and the upload
  folder are the same before and after;
- a success redirects on this site only, and the page it leads to renders (< 500).

Examples share the test's database, so each test builds its world once and every
example first puts back what it relies on (an open step, a waiting submission, a
fresh recruit), so no example depends on what an earlier one left behind.

At the end, the same forms deterministically: a NUL in every field of every form (so
PostgreSQL, which refuses NUL in text, sees one on every run, not only when hypothesis
happens to draw it), a file part where text belongs, and a JSON body of every shape.
The regression tests at the very end pin the bugs this file found (all fixed in
df93389: JSON bodies and file parts reaching text fields, NUL reaching PostgreSQL in
emails, links and invite tokens, a track without a description, check-in dates at the
ends of the calendar), each a 500 before.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer
from sqlalchemy import delete, func, select, update
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.extensions import db
from app.mail.unsubscribe import EmailKind, invitation_opt_out_token, unsubscribe_token
from app.models import (
    Assignment,
    FeedbackSnippet,
    LoginFailure,
    OutboxMessage,
    Submission,
    Track,
    User,
    utcnow,
)
from app.services import accounts
from tests.conftest import PASSWORD, csrf_token
from tests.factories import UserFactory
from tests.trust_world import (
    ANONYMOUS,
    OTHER_RECRUIT,
    OWNER,
    SPONSOR,
    InlineCode,
    World,
    build_world,
    client_as,
    difference,
    login,
    state,
)

# Generated inputs per form (the closing note asks for the figure).
EXAMPLES = {
    "registration": 30,
    "join (registration through an invite)": 25,
    "login": 35,
    "account profile": 30,
    "change password": 25,
    "forgot password": 30,
    "reset password": 25,
    "track create": 30,
    "track edit": 25,
    "assignment create": 30,
    "assignment edit": 25,
    "move assignment": 30,
    "hand-in without a file": 30,
    "hand-in with a file": 30,
    "review decision": 30,
    "check-in": 40,
    "settings": 35,
    "saved feedback": 30,
    "assign track": 30,
    "unsubscribe (POST)": 25,
    "stop invitations (POST)": 25,
    "one-button forms (CSRF token only)": 30,
    "dashboard filters (GET form)": 25,
}
GENERATED: Counter[str] = Counter()


def fuzz(form: str) -> Callable:
    return settings(
        max_examples=EXAMPLES[form],
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(scope="module", autouse=True)
def _report_generated_inputs(request):
    yield
    if not GENERATED:
        return
    lines = [f"  {form}: {count}" for form, count in GENERATED.items()]
    lines.append(f"  total: {sum(GENERATED.values())} over {len(GENERATED)} forms")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\ngenerated inputs per form:\n" + "\n".join(lines))


# --- Strategies ---------------------------------------------------------------------

ANY_CHARACTER = st.characters(exclude_categories=("Cs",))  # astral, RTL, controls, NUL
SPECIAL = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\r\n",
    "\x7f\x1b[31m",
    "\u202e\u200fمرحبا\u200e",
    "\ufeffbom",
    "\U0001f600\U0001f4a9\U00010348",
    "\u2028\u2029",
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "' OR '1'='1' --",
    "%00%0d%0a",
    "../../etc/passwd",
    "null",
    "𝕎𝕚𝕝𝕝𝕚𝕟𝕘",
    "Ǆ" * 3,
)
HUGE = st.sampled_from(("a", "é", "\U0001f600", "\u202e", "\x00", "\n", "<")).map(
    lambda ch: ch * 100_000
)
TEXT = st.one_of(st.text(ANY_CHARACTER, max_size=60), st.sampled_from(SPECIAL), HUGE)


@dataclass(frozen=True)
class Values:
    """What a field plausibly holds, and the junk tried in its place."""

    valid: st.SearchStrategy
    junk: st.SearchStrategy = TEXT


def values(*valid: object, junk: st.SearchStrategy = TEXT) -> Values:
    strategies = [v if isinstance(v, st.SearchStrategy) else st.just(v) for v in valid]
    return Values(st.one_of(*strategies), junk)


NUMBER_LIKE = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.integers(-2, 400).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(("1.5", "1e3", " 7 ", "٣", "0x1F", "+5", "-0", "NaN", "7\x00", "")),
    TEXT,
)
DATETIME_JUNK = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)).map(
        lambda moment: moment.isoformat(timespec="minutes")
    ),
    st.sampled_from(
        (
            "0001-01-01T00:00",
            "9999-12-31T23:59",
            "2026-02-30T10:00",
            "2026-13-01T00:00",
            "2026-01-01",
            "2026-01-01T25:00",
            "2026-01-01 10:00",
            "now",
        )
    ),
    NUMBER_LIKE,
)
RECENTLY = st.integers(0, 24 * 400).map(
    lambda hours: (utcnow() - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")
)
DATE_JUNK = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.sampled_from(("0001-01-01", "9999-12-31", "2026-02-30", "31/12/2026")),
    NUMBER_LIKE,
)
SOON = st.integers(1, 400).map(lambda days: (utcnow() + timedelta(days=days)).date().isoformat())
ZONES = values(
    st.sampled_from(("UTC", "Europe/Paris", "Pacific/Kiritimati", "Pacific/Pago_Pago")),
    junk=st.one_of(
        TEXT, st.sampled_from(("utc", "Etc/GMT+12", "Europe/Paris\x00", "../../etc/localtime"))
    ),
)
STRONG_PASSWORD = "violet tractor harmonica 93"  # noqa: S105
PASSWORD_JUNK = st.one_of(
    TEXT,
    st.sampled_from(("short", "password1234", "a" * 257, "\U0001f600" * 12, "\x00" * 12)),
    st.text(ANY_CHARACTER, min_size=12, max_size=40),
)
EMAIL_JUNK = st.one_of(
    TEXT,
    st.sampled_from(
        (
            "a@b",
            "@example.com",
            "a@@example.com",
            "用户@例子.广告",
            "ünïcödé@exämple.com",
            "a\x00@example.com",
            "a@example.com\n",
            "x" * 250 + "@example.com",
        )
    ),
)


NEW_EMAILS = st.uuids().map(lambda u: f"fuzz-{u.hex[:12]}@example.com")
NAMES = values("Nina Newcomer", st.text(ANY_CHARACTER, min_size=1, max_size=100))
CHECKBOX = values(st.sampled_from(("y", "on", "true", "false", "0", "")))
JUNK_FIELDS = st.lists(
    st.tuples(st.sampled_from(("extra", "id", "user_id", "sponsor_id", "is_admin", "")), TEXT),
    max_size=2,
)


@st.composite
def form(draw, **fields: Values):  # type: ignore[no-untyped-def]
    """A form body: some fields tampered with (junk, left out, or sent twice), the rest
    plausible, plus junk extra fields. `chaos` (0-4) sets how many of every four fields
    are tampered with, so whole valid forms and wholly broken ones both come up."""
    chaos = draw(st.sampled_from((0, 0, 1, 2, 3, 4)))
    body: list[tuple[str, object]] = []
    for name, spec in fields.items():
        if draw(st.integers(0, 3)) >= chaos:
            body.append((name, draw(spec.valid)))
            continue
        way = draw(st.sampled_from(("junk", "junk", "twice", "missing")))
        if way == "junk":
            body.append((name, draw(spec.junk)))
        elif way == "twice":
            either = st.one_of(spec.valid, spec.junk)
            body += [(name, draw(either)), (name, draw(either))]
    return body + draw(JUNK_FIELDS)


@st.composite
def new_password_form(draw, first: str, second: str, **others: Values):  # type: ignore[no-untyped-def]
    """A new password and its repetition (equal unless tampered with), and other fields."""
    password = draw(st.sampled_from((STRONG_PASSWORD,) * 3 + ("",)))
    password = password or draw(PASSWORD_JUNK)
    repeat = Values(st.just(password), PASSWORD_JUNK)
    return draw(form(**others, **{first: values(password, junk=PASSWORD_JUNK), second: repeat}))


# --- Posting and checking -----------------------------------------------------------


def _rows(snapshot, ignore: tuple[str, ...]):  # type: ignore[no-untyped-def]
    rows, files = snapshot
    return {name: value for name, value in rows.items() if name not in ignore}, files


def shows_a_message(status: int, html: str) -> bool:
    if 'class="error"' in html:
        return True
    if status == 200:
        return False  # a form shown again must say what is wrong beside the field
    return any(sign in html for sign in ("flash-error", f"Error {status}", "doesn't work"))


def follow(client, response) -> None:  # type: ignore[no-untyped-def]
    """A success redirects on this site, to a page that renders."""
    location = response.headers.get("Location", "")
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), f"redirect off the site: {location!r}"
    assert parts.scheme in ("", "http"), f"redirect to another scheme: {location!r}"
    try:
        page = client.get(location, buffered=True)
    except Exception as exc:  # noqa: BLE001 - TESTING propagates what production shows as 500
        raise AssertionError(f"GET {location} after the success raised {exc!r}") from exc
    assert page.status_code < 500, f"GET {location} after the success: {page.status_code}"


def multipart(body: list[tuple[str, object]]) -> tuple[str, bytes]:
    """The body encoded in memory (the test client would spool a big one to an unclosed
    temporary file); (stream, name, type) tuples become file parts."""
    values: MultiDict = MultiDict()
    for key, value in body:
        if isinstance(value, tuple):
            stream, filename, content_type = value
            value = FileStorage(stream=stream, filename=filename, content_type=content_type)
        values.add(key, value)
    boundary, data = encode_multipart(values)
    return f"multipart/form-data; boundary={boundary}", data


def submit(  # type: ignore[no-untyped-def]
    client,
    url: str,
    body: list[tuple[str, object]],
    *,
    token: str | None,
    success: tuple[int, ...] = (302,),
    ignore: tuple[str, ...] = (),
    never_writes: bool = False,
    encoded: tuple[str, bytes] | None = None,
    headers: dict[str, str] | None = None,
):
    """POST the body (with the CSRF token first) and check what the module docstring says.

    `encoded` (content type, bytes) replaces the multipart encoding of `body`."""
    content_type, data = encoded or multipart(
        ([("csrf_token", token)] if token is not None else []) + body
    )
    before = state()
    try:
        response = client.post(
            url, data=data, content_type=content_type, headers=headers, buffered=True
        )
    except Exception as exc:  # noqa: BLE001 - TESTING propagates what production shows as 500
        raise AssertionError(f"POST {url} raised {exc!r}: a 500 in production") from exc
    after = state()
    status = response.status_code
    assert status < 500, f"POST {url}: {status}"
    rejected = status not in success
    if rejected or never_writes:
        assert _rows(before, ignore) == _rows(after, ignore), (
            f"POST {url} answered {status} but saved: {difference(before, after)}"
        )
    # A token holding "/" (sent as %2F) makes a path with "//", which Werkzeug answers
    # with a permanent redirect to the merged path: no page, nothing saved, no harm.
    if rejected and status not in (301, 308):
        html = response.get_data(as_text=True)
        assert shows_a_message(status, html), f"POST {url}: {status} without a message"
    elif status == 302:
        follow(client, response)
    return response


def sent(body: list[tuple[str, object]], name: str, *, strip: bool = False) -> str | None:
    """What a form saves from the body's field `name`: the first value (as WTForms takes
    it), NUL characters dropped (forms_common.text_only), stripped where the field is."""
    value = next((v for k, v in body if k == name), None)
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "")
    return value.strip() if strip else value


def checked(body: list[tuple[str, object]], name: str) -> bool:
    """How WTForms reads a checkbox: any value but "" and "false" ticks it (a browser sends
    "y" or nothing)."""
    value = next((v for k, v in body if k == name), None)
    return isinstance(value, str) and value not in ("", "false")


def fresh_token(client, page: str = "/login") -> str:
    return csrf_token(client.get(page).text)


def path_token(token: str) -> str:
    return quote(token, safe="")


# --- Accounts -----------------------------------------------------------------------


def registration_form() -> st.SearchStrategy:
    return new_password_form(
        "password",
        "confirm",
        name=NAMES,
        email=values(NEW_EMAILS, junk=EMAIL_JUNK),
        timezone=ZONES,
        invite=values(""),
    )


def test_registration_form(app):
    @fuzz("registration")
    @given(body=registration_form())
    def post(body):
        GENERATED["registration"] += 1
        client = app.test_client()
        response = submit(client, "/register", body, token=fresh_token(client, "/register"))
        if response.status_code == 302:  # what was saved is what was sent
            email = sent(body, "email", strip=True).lower()
            user = db.session.scalar(select(User).where(User.email == email))
            assert (user.name, user.timezone) == (
                sent(body, "name", strip=True),
                sent(body, "timezone") or "UTC",  # a form without the field: the default
            )
            assert user.sponsor_id is None

    post()


def test_join_form(app):
    world = build_world()
    tokens = st.one_of(st.just(world.invite_token), TEXT)

    @fuzz("join (registration through an invite)")
    @given(token=tokens, body=registration_form())
    def post(token, body):
        GENERATED["join (registration through an invite)"] += 1
        client = app.test_client()
        submit(client, f"/join/{path_token(token)}", body, token=fresh_token(client))

    post()


NEXT_URLS = st.sampled_from(
    (
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/%0d%0aSet-Cookie:x=1",
        "/\r\nLocation: https://evil.example",
        "/\x00",
        "http:/evil.example",
        "/ /evil.example",
        "/\t/evil.example",
    )
)


def test_login_form(app):
    world = build_world()
    email = world.emails[OWNER]
    bodies = form(
        email=values(email, email.upper(), f"  {email} ", junk=EMAIL_JUNK),
        password=values(PASSWORD, junk=PASSWORD_JUNK),
        remember=CHECKBOX,
        next=values("", "/homework", "/tracks?x=1#y", junk=st.one_of(NEXT_URLS, TEXT)),
    )

    @fuzz("login")
    @given(body=bodies)
    def post(body):
        GENERATED["login"] += 1
        db.session.execute(delete(LoginFailure))  # throttling is tested elsewhere
        db.session.commit()
        client = app.test_client()
        # A failed login records the failure (that is the throttle), nothing else.
        submit(client, "/login", body, token=fresh_token(client), ignore=("login_failures",))

    post()


def test_account_profile_form(app):
    world = build_world()
    client, token = client_as(app, world, OTHER_RECRUIT)

    phones = values("", "+1 555 0100", " (020) 7946-0000 ", junk=TEXT)

    @fuzz("account profile")
    @given(body=form(name=NAMES, timezone=ZONES, phone=phones))
    def post(body):
        GENERATED["account profile"] += 1
        person = db.session.get(User, world.user_ids[OTHER_RECRUIT])
        before = (person.name, person.timezone, person.phone)
        if submit(client, "/account", body, token=token).status_code == 302:
            db.session.refresh(person)
            # A field left out of the post keeps what it held (WTForms reads it from obj).
            phone = sent(body, "phone", strip=True)
            assert (person.name, person.timezone, person.phone) == (
                sent(body, "name", strip=True) or before[0],
                sent(body, "timezone") or before[1],
                before[2] if phone is None else phone,
            )
            assert 6 <= sum(c.isdigit() for c in person.phone) <= 20 or not person.phone

    post()


def test_change_password_form(app):
    user = UserFactory()
    client = app.test_client()
    login(client, user.email)
    token = fresh_token(client, "/account")
    current = [PASSWORD]

    @st.composite
    def bodies(draw):  # type: ignore[no-untyped-def]
        right = values(current[0], junk=PASSWORD_JUNK)
        return draw(new_password_form("new_password", "confirm", current_password=right))

    @fuzz("change password")
    @given(body=bodies())
    def post(body):
        GENERATED["change password"] += 1
        response = submit(client, "/account/password", body, token=token)
        if response.status_code == 302:
            current[0] = MultiDict(body)["new_password"]

    post()


def test_forgot_password_form(app):
    world = build_world()
    client = app.test_client()
    token = fresh_token(client)
    emails = values(world.emails[OWNER], NEW_EMAILS, junk=EMAIL_JUNK)
    SENT_RESETS: set[str] = set()

    @fuzz("forgot password")
    @given(body=form(email=emails))
    def post(body):
        GENERATED["forgot password"] += 1
        # The same page either way; nothing changes but one email recorded in the outbox,
        # and only when the address is an account's (to that account's address).
        before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
        response = submit(
            client,
            "/forgot-password",
            body,
            token=token,
            success=(200,),
            never_writes=True,
            ignore=("outbox_messages",),
        )
        recorded = db.session.scalars(
            select(OutboxMessage.to_address).where(OutboxMessage.id > before)
        ).all()
        typed = next((value for name, value in body if name == "email"), None)  # WTForms: first
        account = isinstance(typed, str) and typed.strip().lower() in world.emails.values()
        # One link at a time: an account that got one in the last minutes gets no more.
        first = account and typed.strip().lower() not in SENT_RESETS
        expected = [typed.strip().lower()] if first and response.status_code == 200 else []
        assert recorded == expected, (typed, recorded)
        SENT_RESETS.update(recorded)

    post()


def test_reset_password_form(app):
    user = UserFactory()
    forged = URLSafeSerializer("not-our-key", salt="password-reset").dumps({"u": user.id})
    tokens = st.one_of(st.just("VALID"), st.just("VALID"), st.just(forged), TEXT)

    @fuzz("reset password")
    @given(token=tokens, body=new_password_form("new_password", "confirm"))
    def post(token, body):
        GENERATED["reset password"] += 1
        if token == "VALID":
            token = accounts.reset_token(db.session.get(User, user.id))
        client = app.test_client()
        submit(client, f"/reset-password/{path_token(token)}", body, token=fresh_token(client))

    post()


# --- Tracks and assignments -----------------------------------------------------------


def test_track_create_form(app):
    world = build_world()
    client, token = client_as(app, world, SPONSOR)

    @fuzz("track create")
    @given(body=form(name=values("My track"), description=values("", "**Bold** start")))
    def post(body):
        GENERATED["track create"] += 1
        if submit(client, "/tracks", body, token=token).status_code == 302:
            newest = db.session.scalar(select(Track).order_by(Track.id.desc()).limit(1))
            assert (newest.name, newest.description) == (
                sent(body, "name", strip=True),
                sent(body, "description", strip=True) or "",
            )

    post()


def test_a_track_form_without_its_description_is_not_a_500(app):
    """Before df93389: None.strip() in services.tracks.create_track, a 500."""
    world = build_world()
    client, token = client_as(app, world, SPONSOR)
    submit(client, "/tracks", [("name", "No description")], token=token)


def test_track_edit_form(app):
    world = build_world()
    client, token = client_as(app, world, SPONSOR)
    bodies = form(name=values("Renamed"), description=values("", "A [link](https://x.y)"))

    @fuzz("track edit")
    @given(body=bodies)
    def post(body):
        GENERATED["track edit"] += 1
        submit(client, f"/tracks/{world.track}", body, token=token)

    post()


ASSIGNMENT_FORM = form(
    title=values("Write your why"),
    instructions=values(
        "Do **this**.",
        "[x](javascript:alert(1))",
        "<b onclick=x>hi</b>",
        st.text(ANY_CHARACTER.filter(lambda ch: ch != "\x00"), min_size=1, max_size=200),
    ),
    deliverable=values("A paragraph."),
    stall_threshold_days=values("", "5", "365", junk=NUMBER_LIKE),
)


def test_assignment_create_form(app):
    world = build_world()
    client, token = client_as(app, world, SPONSOR)

    @fuzz("assignment create")
    @given(body=ASSIGNMENT_FORM)
    def post(body):
        GENERATED["assignment create"] += 1
        url = f"/tracks/{world.track}/assignments/new"
        if submit(client, url, body, token=token).status_code == 302:
            newest = db.session.scalar(select(Assignment).order_by(Assignment.id.desc()).limit(1))
            threshold = sent(body, "stall_threshold_days", strip=True)
            assert (
                newest.title,
                newest.instructions,
                newest.deliverable,
                newest.stall_threshold_days,
            ) == (
                sent(body, "title", strip=True),
                sent(body, "instructions"),
                sent(body, "deliverable", strip=True),
                int(threshold) if threshold else None,
            )

    post()


def test_assignment_edit_form(app):
    world = build_world()
    client, token = client_as(app, world, SPONSOR)
    recruit, _recruit_token = client_as(app, world, OWNER)

    @fuzz("assignment edit")
    @given(body=ASSIGNMENT_FORM)
    def post(body):
        GENERATED["assignment edit"] += 1
        submit(client, f"/assignments/{world.steps[0]}/edit", body, token=token)
        # The recruit's page renders the (Markdown) instructions of this, their current step.
        page = recruit.get("/homework")
        assert page.status_code == 200
        assert InlineCode.find(page.text) == []  # no handler or javascript: link got through

    post()


def active_positions(track_id: int) -> list[int]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Assignment.position)
            .where(Assignment.track_id == track_id, Assignment.position.is_not(None))
            .order_by(Assignment.position)
        )
    )


def test_move_form(app):
    world = build_world()
    client, token = client_as(app, world, SPONSOR)
    count = len(active_positions(world.track))

    @fuzz("move assignment")
    @given(
        step=st.sampled_from([*world.steps, world.archived_step]),
        body=form(direction=values("up", "down")),
    )
    def post(step, body):
        GENERATED["move assignment"] += 1
        submit(client, f"/assignments/{step}/move", body, token=token)
        assert active_positions(world.track) == list(range(1, count + 1))

    post()


# --- Homework and review ----------------------------------------------------------------


def reopen_current_step(world: World) -> None:
    """Send back whatever the owner has waiting, so their current step takes a hand-in."""
    db.session.execute(
        update(Submission)
        .where(Submission.recruit_id == world.owner, Submission.status == "submitted")
        .values(status="changes_requested", decided_at=utcnow(), feedback="Again, please.")
    )
    db.session.commit()


HAND_IN_FIELDS = {
    "answer": values(
        "My answer.",
        st.text(ANY_CHARACTER.filter(lambda ch: ch != "\x00"), min_size=1, max_size=300),
    ),
    "link": values(
        "",
        "https://example.com/x",
        "https://例子.广告/路径",
        junk=st.one_of(
            TEXT,
            st.sampled_from(
                (
                    "javascript:alert(1)",
                    "http://",
                    "https://exa mple.com",
                    "http://[::1]:99999/",
                    "ftp://example.com",
                    "https://example.com/\x00",
                )
            ),
        ),
    ),
}


def hand_in_url(world: World) -> st.SearchStrategy[str]:
    """Mostly the owner's current step; sometimes a locked one, another's, or none."""
    return st.one_of(
        st.just(world.steps[0]),
        st.just(world.steps[0]),
        st.sampled_from([*world.steps[1:], world.archived_step, 0, 2**31]),
    ).map(lambda step: f"/homework/{step}/hand-in")


def test_hand_in_form_without_a_file(app):
    world = build_world()
    client, token = client_as(app, world, OWNER)

    @fuzz("hand-in without a file")
    @given(url=hand_in_url(world), body=form(**HAND_IN_FIELDS))
    def post(url, body):
        GENERATED["hand-in without a file"] += 1
        reopen_current_step(world)
        if submit(client, url, body, token=token).status_code == 302:
            newest = db.session.scalar(select(Submission).order_by(Submission.id.desc()).limit(1))
            assert (newest.answer, newest.link) == (
                sent(body, "answer"),
                sent(body, "link", strip=True) or None,
            )

    post()


FILE_CONTENTS = st.one_of(
    st.binary(max_size=2048),
    st.text(ANY_CHARACTER, max_size=500).map(lambda text: text.encode("utf-8")),
    st.sampled_from(
        (
            b"",
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
            b"\x89PNG\r\n\x1a\n\x00\x00",
            b"\xff\xd8\xff\xe0",
            b"RIFF\x00\x00\x00\x00WEBPVP8 ",
            b"PK\x03\x04not really a zip",
            b"MZ\x90\x00",
            b"<html><script>alert(1)</script>",
        )
    ),
)
FILE_NAMES = st.one_of(
    st.just("notes.txt"),
    st.text(ANY_CHARACTER, max_size=60),
    st.sampled_from(
        (
            "../../../etc/passwd",
            "..\\..\\boot.ini",
            "a\x00.pdf",
            "résumé\u202egpj.exe",
            ".htaccess",
            "x" * 300 + ".txt",
            'quote".txt',
            "",
        )
    ),
)
FILES = st.builds(
    lambda content, name, kind: (io.BytesIO(content), name, kind),
    FILE_CONTENTS,
    FILE_NAMES,
    st.sampled_from(("text/plain", "application/pdf", "image/png", "text/html", None)),
)


def test_hand_in_form_with_a_file(app):
    world = build_world()
    client, token = client_as(app, world, OWNER)
    plain = st.builds(lambda: (io.BytesIO(b"Plain notes."), "notes.txt", "text/plain"))
    bodies = form(**HAND_IN_FIELDS, attachment=Values(plain, FILES))

    @fuzz("hand-in with a file")
    @given(url=hand_in_url(world), body=bodies)
    def post(url, body):
        GENERATED["hand-in with a file"] += 1
        reopen_current_step(world)
        submit(client, url, body, token=token)
        stored = db.session.scalars(
            select(Submission.attachment_path).where(Submission.attachment_path.is_not(None))
        ).all()
        assert all(re.fullmatch(r"[0-9a-f]{32}", name) for name in stored), stored

    post()


def make_waiting(world: World) -> None:
    """The owner's submission is waiting for review again, whatever the last example did."""
    db.session.execute(
        update(Submission)
        .where(Submission.id == world.submission)
        .values(status="submitted", decided_at=None, decided_by_id=None, feedback="")
    )
    db.session.commit()


def test_review_decision_form(app):
    world = build_world()
    client, token = client_as(app, world, SPONSOR)
    bodies = form(
        feedback=values("", "Good.", "Please redo step 2."),
        approve=values("Approve and unlock the next step"),
        request_changes=values("Send back: ask for changes"),
    )

    @fuzz("review decision")
    @given(body=bodies)
    def post(body):
        GENERATED["review decision"] += 1
        make_waiting(world)
        submit(client, f"/review/{world.submission}", body, token=token)

    post()


# --- The sponsor's follow-up and settings ---------------------------------------------------


def test_check_in_form(app):
    world = build_world()
    client, token = client_as(app, world, SPONSOR)
    bodies = form(
        happened_at=values(RECENTLY, junk=DATETIME_JUNK),
        channel=values(st.sampled_from(("call", "text", "email", "in_person", "other"))),
        outcome=values(st.sampled_from(("reached", "no_answer", "paused", "left"))),
        snooze_until=values("", SOON, junk=DATE_JUNK),
        note=values("", "Talked."),
        next=values("", "/", junk=st.one_of(NEXT_URLS, TEXT)),
    )
    zones = st.sampled_from(("UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu"))

    @fuzz("check-in")
    @given(zone=zones, body=bodies)
    def post(zone, body):
        GENERATED["check-in"] += 1
        sponsor = db.session.get(User, world.sponsor)
        sponsor.timezone = zone
        db.session.commit()
        # A recruit of their own per example: earlier check-ins never mix in.
        recruit = UserFactory(sponsor=sponsor, track_id=world.track, enrolled_at=utcnow())
        response = submit(client, f"/recruits/{recruit.id}/check-ins", body, token=token)
        if response.status_code == 302:
            # What was saved shows on the recruit's page for a viewer in any time zone.
            for other_zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
                db.session.get(User, world.sponsor).timezone = other_zone
                db.session.commit()
                page = client.get(f"/recruits/{recruit.id}")
                assert page.status_code == 200, f"recruit page in {other_zone}"

    post()


def test_settings_form(app):
    world = build_world()
    client, token = client_as(app, world, SPONSOR)
    bodies = form(
        stall_threshold_days=values("7", "1", "365", junk=NUMBER_LIKE),
        digest_weekday=values("0", "3", "6", junk=NUMBER_LIKE),
        timezone=ZONES,
        email_digest=CHECKBOX,
        email_on_hand_in=CHECKBOX,
        email_on_decision=CHECKBOX,
        email_on_join=CHECKBOX,
        email_partner_reminders=CHECKBOX,
        partner_reminder_time=values("09:00", "00:00", "23:59", "07:30:00", junk=NUMBER_LIKE),
        email_on_partner_check_in=CHECKBOX,
        email_on_partner_request=CHECKBOX,
        email_on_partner_renewal=CHECKBOX,
        nudges_on=CHECKBOX,
        nudge_after_days=values("3", "1", "60", junk=NUMBER_LIKE),
        nudge_wording=values("", "  Ten minutes today?  ", junk=TEXT),
        email_nudges=CHECKBOX,
    )

    @fuzz("settings")
    @given(body=bodies)
    def post(body):
        GENERATED["settings"] += 1
        person = db.session.get(User, world.sponsor)
        before = (person.stall_threshold_days, person.digest_weekday, person.timezone)
        minute = person.partner_reminder_minute
        wording_before, days_before = person.nudge_wording, person.nudge_after_days
        if submit(client, "/settings", body, token=token).status_code == 302:
            db.session.refresh(person)
            assert (
                person.stall_threshold_days,
                person.digest_weekday,
                person.timezone,
                person.email_digest,
                person.email_on_hand_in,
                person.email_on_decision,
                person.email_on_join,
            ) == (
                # A field left out keeps what it held.
                int(sent(body, "stall_threshold_days", strip=True) or before[0]),
                int(sent(body, "digest_weekday", strip=True) or before[1]),
                sent(body, "timezone") or before[2],
                checked(body, "email_digest"),
                checked(body, "email_on_hand_in"),
                checked(body, "email_on_decision"),
                checked(body, "email_on_join"),
            )
            time_sent = sent(body, "partner_reminder_time", strip=True)
            hours, minutes = (int(n) for n in time_sent.split(":")[:2]) if time_sent else (0, 0)
            assert person.partner_reminder_minute == (hours * 60 + minutes if time_sent else minute)
            assert (
                person.email_partner_reminders,
                person.email_on_partner_check_in,
                person.email_on_partner_request,
                person.email_on_partner_renewal,
                person.nudges_on,
                person.email_nudges,
            ) == tuple(
                checked(body, name)
                for name in (
                    "email_partner_reminders",
                    "email_on_partner_check_in",
                    "email_on_partner_request",
                    "email_on_partner_renewal",
                    "nudges_on",
                    "email_nudges",
                )
            )
            # A field left out keeps what it held.
            days_sent = sent(body, "nudge_after_days", strip=True)
            assert person.nudge_after_days == (days_before if days_sent is None else int(days_sent))
            wording = sent(body, "nudge_wording", strip=True)
            assert person.nudge_wording == (wording_before if wording is None else wording)

    post()


def test_saved_feedback_form(app):
    world = build_world()
    client, token = client_as(app, world, SPONSOR)
    lines = values("Good work.", "  Add their numbers.  ", junk=TEXT)

    @fuzz("saved feedback")
    @given(body=form(text=lines))
    def post(body):
        GENERATED["saved feedback"] += 1
        response = submit(client, "/review/feedback", body, token=token)
        if response.status_code == 302:  # what was saved is what was sent, once
            text = sent(body, "text", strip=True)
            saved = db.session.scalars(
                select(FeedbackSnippet.text).where(FeedbackSnippet.owner_id == world.sponsor)
            ).all()
            assert saved.count(text) == 1

    post()


def test_assign_track_form(app):
    world = build_world()
    client, token = client_as(app, world, SPONSOR)
    own_tracks = {world.track, world.second_track}
    track_ids = values(
        st.sampled_from(sorted(own_tracks)).map(str),
        junk=st.one_of(st.sampled_from((world.other_track, 0, 2**31, -1)).map(str), NUMBER_LIKE),
    )

    @fuzz("assign track")
    @given(body=form(track_id=track_ids))
    def post(body):
        GENERATED["assign track"] += 1
        submit(client, f"/recruits/{world.owner}/track", body, token=token)
        db.session.rollback()
        assert db.session.get(User, world.owner).track_id in own_tracks  # never someone else's

    post()


def test_unsubscribe_post(app):
    world = build_world()
    client = app.test_client()
    forged = URLSafeSerializer("not-our-key", salt="unsubscribe").dumps(
        {"u": world.owner, "k": EmailKind.DIGEST}
    )
    tokens = st.one_of(st.sampled_from(sorted(EmailKind.PREFERENCE)), st.just(forged), TEXT)

    @fuzz("unsubscribe (POST)")
    @given(token=tokens, body=form(extra=values("")))
    def post(token, body):
        GENERATED["unsubscribe (POST)"] += 1
        if token in EmailKind.PREFERENCE:
            token = unsubscribe_token(world.owner, token)
        # A one-click link: no CSRF token; a valid link answers 200, anything else 404.
        submit(client, f"/unsubscribe/{path_token(token)}", body, token=None, success=(200,))

    post()


def test_stop_invitations_post(app):
    client = app.test_client()
    forged = URLSafeSerializer("not-our-key", salt="invitation-opt-out").dumps(
        {"e": "invited@example.com"}
    )
    tokens = st.one_of(NEW_EMAILS.map(invitation_opt_out_token), st.just(forged), TEXT)

    @fuzz("stop invitations (POST)")
    @given(token=tokens, body=form(extra=values("")))
    def post(token, body):
        GENERATED["stop invitations (POST)"] += 1
        # One click from the invitation email: no CSRF token; valid 200, anything else 404.
        submit(client, f"/invitations/stop/{path_token(token)}", body, token=None, success=(200,))

    post()


ONE_BUTTON_FORMS = {
    "archive recruit": (SPONSOR, lambda w: f"/recruits/{w.owner}/archive"),
    "restore recruit": (SPONSOR, lambda w: f"/recruits/{w.owner}/restore"),
    "archive assignment": (SPONSOR, lambda w: f"/assignments/{w.steps[2]}/archive"),
    "restore assignment": (SPONSOR, lambda w: f"/assignments/{w.archived_step}/restore"),
    "make default": (SPONSOR, lambda w: f"/tracks/{w.second_track}/default"),
    "copy sponsor's track": (SPONSOR, lambda _w: "/tracks/copy-sponsor"),
    "copy track": (SPONSOR, lambda w: f"/tracks/{w.track}/copy"),
    "archive track": (SPONSOR, lambda w: f"/tracks/{w.second_track}/archive"),
    "restore track": (SPONSOR, lambda w: f"/tracks/{w.second_track}/restore"),
    "delete track": (SPONSOR, lambda w: f"/tracks/{unused_track(w)}/delete"),
    "delete saved feedback": (SPONSOR, lambda w: f"/review/feedback/{w.snippet}/delete"),
    "new invite link": (OWNER, lambda _w: "/invite/regenerate"),
    "nudge now": (SPONSOR, lambda w: f"/recruits/{w.owner}/nudge"),
    "adopt": (SPONSOR, lambda w: f"/downline/people/{w.owner}/adopt"),
    "adopt all": (SPONSOR, lambda w: f"/downline/departed/{w.owner}/adopt-all"),
    "log out": (OWNER, lambda _w: "/logout"),
}


def unused_track(world: World) -> int:
    """A new track of the sponsor's that nobody was on, for each deletion to delete."""
    track = Track(owner_id=world.sponsor, name="Never used", description="")
    db.session.add(track)
    db.session.commit()
    return track.id


def test_one_button_forms_with_generated_csrf_tokens(app):
    """Forms that are only a button: a missing, duplicated or garbled CSRF token is a
    400 page that says so, and changes nothing; the real token does the action."""
    world = build_world()
    clients = {role: client_as(app, world, role) for role in (SPONSOR, OWNER)}
    tokens = st.one_of(st.just(["VALID"]), st.lists(st.one_of(st.just("VALID"), TEXT), max_size=2))

    @fuzz("one-button forms (CSRF token only)")
    @given(which=st.sampled_from(sorted(ONE_BUTTON_FORMS)), tokens=tokens, junk=JUNK_FIELDS)
    def post(which, tokens, junk):
        GENERATED["one-button forms (CSRF token only)"] += 1
        role, url = ONE_BUTTON_FORMS[which]
        client, valid = clients[role]
        if which == "log out":  # keep the owner's session for the next examples
            client, valid = client_as(app, world, OWNER)
        body = [("csrf_token", valid if value == "VALID" else value) for value in tokens]
        sent_valid = bool(tokens) and tokens[0] == "VALID"
        response = submit(client, url(world), body + junk, token=None)
        assert (response.status_code == 400) != sent_valid, response.status_code

    post()


def test_dashboard_filters(app):
    """The dashboard's GET form (status, search, sort, page) and its CSV twin."""
    world = build_world()
    client, _token = client_as(app, world, SPONSOR)
    params = st.lists(
        st.tuples(st.sampled_from(("status", "q", "sort", "page")), NUMBER_LIKE), max_size=5
    )

    @fuzz("dashboard filters (GET form)")
    @given(params=params, path=st.sampled_from(("/", "/dashboard.csv", "/review")))
    def get(params, path):
        GENERATED["dashboard filters (GET form)"] += 1
        before = state()
        try:
            response = client.get(path, query_string=MultiDict(params), buffered=True)
        except Exception as exc:  # noqa: BLE001 - TESTING propagates what production shows as 500
            raise AssertionError(f"GET {path} {params!r} raised {exc!r}") from exc
        assert response.status_code == 200
        assert state() == before

    get()


FUZZED_POST_ROUTES = {
    "auth.register",
    "auth.join",
    "auth.login",
    "auth.account",
    "auth.change_password",
    "auth.forgot_password",
    "auth.reset_password",
    "tracks.index",
    "tracks.detail",
    "tracks.new_assignment",
    "tracks.edit_assignment",
    "tracks.move_assignment",
    "homework.hand_in",
    "review.review",
    "dashboard.check_in",
    "dashboard.settings",
    "tracks.assign_track",
    "email.unsubscribe",
    "email.stop_invitations",
    "dashboard.archive",
    "dashboard.restore",
    "tracks.archive_assignment",
    "tracks.restore_assignment",
    "tracks.make_default",
    "tracks.copy_sponsor_track",
    "tracks.copy_track",
    "tracks.archive_track",
    "tracks.restore_track",
    "tracks.delete_track",
    "dashboard.regenerate_invite",
    "auth.logout",
    "review.saved_feedback",
    "review.delete_saved_feedback",
    "dashboard.nudge",
    "downline.adopt",
    "downline.adopt_all",
}


def test_every_form_route_is_fuzzed(app):
    """A new POST route needs a fuzz test here."""
    from tests.functional.test_group_form_fuzzing import FUZZED_GROUP_ROUTES
    from tests.functional.test_partner_form_fuzzing import FUZZED_PARTNER_ROUTES

    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    missing = sorted(posts - FUZZED_POST_ROUTES - FUZZED_PARTNER_ROUTES - FUZZED_GROUP_ROUTES)
    assert not missing, f"POST routes without a fuzz test in {__name__}: {missing}"


# --- The same forms, deterministically: NUL, a file, JSON in every field ------------------
#
# Hypothesis may or may not draw a NUL for a given field in one run; these tests put the
# nasty value into every field of every form on every run (PostgreSQL refuses NUL in
# text, so a NUL that reaches the database is a 500 there, and only there).


@dataclass(frozen=True)
class FormRoute:
    """A form as a person uses it: who posts, where, and a body it accepts."""

    role: str
    url: Callable[[World], str]
    body: dict[str, object]  # a value or a callable of the world
    prepare: Callable[[World], None] | None = None
    success: tuple[int, ...] = (302,)
    ignore: tuple[str, ...] = ()

    def fill(self, world: World) -> list[tuple[str, object]]:
        return [(k, v(world) if callable(v) else v) for k, v in self.body.items()]


def _new_email(_w: World) -> str:
    return f"nina-{uuid.uuid4().hex[:8]}@example.com"


def _reset_url(w: World) -> str:
    return f"/reset-password/{accounts.reset_token(db.session.get(User, w.owner))}"


def _recently(_w: World) -> str:
    return (utcnow() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")


REGISTRATION = {
    "name": "Nina Newcomer",
    "email": _new_email,
    "password": STRONG_PASSWORD,
    "confirm": STRONG_PASSWORD,
    "timezone": "UTC",
}
ASSIGNMENT = {
    "title": "Step",
    "instructions": "Do it.",
    "deliverable": "A line.",
    "stall_threshold_days": "5",
}
FORM_ROUTES = {
    "registration": FormRoute(ANONYMOUS, lambda _w: "/register", REGISTRATION),
    "join": FormRoute(ANONYMOUS, lambda w: f"/join/{w.invite_token}", REGISTRATION),
    "login": FormRoute(
        ANONYMOUS,
        lambda _w: "/login",
        {"email": lambda w: w.emails[OWNER], "password": PASSWORD, "remember": "y", "next": "/"},
        ignore=("login_failures",),
    ),
    "account profile": FormRoute(
        OTHER_RECRUIT, lambda _w: "/account", {"name": "Otto", "timezone": "Europe/Paris"}
    ),
    "change password": FormRoute(
        OTHER_RECRUIT,
        lambda _w: "/account/password",
        {"current_password": PASSWORD, "new_password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD},
    ),
    "forgot password": FormRoute(
        ANONYMOUS,
        lambda _w: "/forgot-password",
        {"email": lambda w: w.emails[OWNER]},
        success=(200,),
    ),
    "reset password": FormRoute(
        ANONYMOUS, _reset_url, {"new_password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD}
    ),
    "track create": FormRoute(SPONSOR, lambda _w: "/tracks", {"name": "T", "description": "D"}),
    "track edit": FormRoute(
        SPONSOR, lambda w: f"/tracks/{w.track}", {"name": "T", "description": "D"}
    ),
    "assignment create": FormRoute(
        SPONSOR, lambda w: f"/tracks/{w.track}/assignments/new", ASSIGNMENT
    ),
    "assignment edit": FormRoute(SPONSOR, lambda w: f"/assignments/{w.steps[1]}/edit", ASSIGNMENT),
    "move assignment": FormRoute(
        SPONSOR, lambda w: f"/assignments/{w.steps[1]}/move", {"direction": "up"}
    ),
    "hand-in": FormRoute(
        OWNER,
        lambda w: f"/homework/{w.steps[0]}/hand-in",
        {"answer": "Mine.", "link": "https://example.com/x"},
        prepare=reopen_current_step,
    ),
    "review decision": FormRoute(
        SPONSOR,
        lambda w: f"/review/{w.submission}",
        {"feedback": "Good.", "approve": "Approve and unlock the next step"},
    ),
    "check-in": FormRoute(
        SPONSOR,
        lambda w: f"/recruits/{w.owner}/check-ins",
        {
            "happened_at": _recently,
            "channel": "call",
            "outcome": "reached",
            "snooze_until": "",
            "note": "Talked.",
            "next": "/",
        },
    ),
    "settings": FormRoute(
        SPONSOR,
        lambda _w: "/settings",
        {
            "stall_threshold_days": "9",
            "digest_weekday": "2",
            "timezone": "UTC",
            "email_digest": "y",
            "email_on_hand_in": "y",
            "email_on_decision": "y",
            "email_on_join": "y",
            "nudges_on": "y",
            "nudge_after_days": "4",
            "nudge_wording": "How is it going?",
        },
    ),
    "saved feedback": FormRoute(SPONSOR, lambda _w: "/review/feedback", {"text": "Good."}),
    "assign track": FormRoute(
        SPONSOR, lambda w: f"/recruits/{w.owner}/track", {"track_id": lambda w: w.second_track}
    ),
}
FIELDS = [(name, field) for name, route in FORM_ROUTES.items() for field in route.body]
# A NUL alone, and one after the accepted value (so a URL or an email still looks like one).
NULS = {"NUL alone": lambda _value: "\x00", "NUL after": lambda value: f"{value}\x00"}


def post_as_a_person(  # type: ignore[no-untyped-def]
    app,
    name: str,
    change: Callable | None = None,
    field: str = "",
    world: World | None = None,
    **options,
):
    """Post the form's accepted body as its person would, `field` passed through `change`
    (in a new world unless one is given)."""
    route = FORM_ROUTES[name]
    world = world or build_world()
    if route.prepare:
        route.prepare(world)
    client, token = client_as(app, world, route.role)
    body = [(k, change(v) if change and k == field else v) for k, v in route.fill(world)]
    return submit(
        client,
        route.url(world),
        body,
        token=token,
        success=route.success,
        ignore=route.ignore,
        **options,
    )


def each_field_changed(app, form_names, change: Callable) -> list[str]:  # type: ignore[no-untyped-def]
    """Post each form with each field in turn passed through `change`; what failed.
    One world per form, a new one after a success (which may have changed it)."""
    failures = []
    for form_name in form_names:
        world = build_world()
        for field_name in FORM_ROUTES[form_name].body:
            try:
                response = post_as_a_person(app, form_name, change, field_name, world)
            except AssertionError as exc:
                failures.append(f"{form_name}, {field_name}: {str(exc).splitlines()[0]}")
                continue
            if response.status_code in FORM_ROUTES[form_name].success:
                world = build_world()
    return failures


def test_every_form_route_has_an_accepted_body(app):
    """The bodies below are accepted as they stand, so a field swapped for junk is what
    the deterministic tests exercise."""
    for name, route in FORM_ROUTES.items():
        response = post_as_a_person(app, name)
        assert response.status_code in route.success, (name, response.status_code)


NUL_CASES = [(form, field, nul) for form, field in FIELDS for nul in sorted(NULS)]


@pytest.mark.parametrize(
    ("form_name", "field_name", "nul"), NUL_CASES, ids=[f"{f}: {n}, {w}" for f, n, w in NUL_CASES]
)
def test_nul_in_any_field_is_never_a_500(app, form_name, field_name, nul):
    post_as_a_person(app, form_name, NULS[nul], field_name)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "prefix",
    ["/join/", "/reset-password/", "/unsubscribe/", "/invitations/stop/"],
)
def test_nul_in_a_link_token_is_never_a_500(app, prefix, method):
    client = app.test_client()
    token = fresh_token(client)
    for link_token in ("\x00", "abc\x00def"):
        url = prefix + quote(link_token)
        before = state()
        try:
            response = client.open(url, method=method, data={"csrf_token": token})
        except Exception as exc:  # noqa: BLE001 - TESTING propagates what production shows as 500
            raise AssertionError(f"{method} {url} raised {exc!r}: a 500 in production") from exc
        assert response.status_code in (400, 404), (url, response.status_code)
        assert shows_a_message(response.status_code, response.text)
        assert state() == before


def _a_file(_value: object) -> tuple:
    return (io.BytesIO(b"Some text."), "notes.txt", "text/plain")


def test_a_file_where_text_belongs_is_never_a_500(app):
    """A multipart post may carry a file part under any field's name (before df93389,
    Flask-WTF handed it to text fields as a FileStorage: 500 on 14 forms)."""
    failures = each_field_changed(app, sorted(FORM_ROUTES), _a_file)
    assert not failures, "\n".join(failures)


def post_json(app, name: str, payload: Callable[[dict], object], world: World):  # type: ignore[no-untyped-def]
    """Post the form's accepted body as JSON (Flask-WTF reads a JSON body as the form)."""
    route = FORM_ROUTES[name]
    if route.prepare:
        route.prepare(world)
    client, token = client_as(app, world, route.role)
    encoded = ("application/json", json.dumps(payload(dict(route.fill(world)))).encode())
    return submit(
        client,
        route.url(world),
        [],
        token=token,
        success=route.success,
        ignore=route.ignore,
        encoded=encoded,
        headers={"X-CSRFToken": token},
    )


JSON_SHAPES: dict[str, Callable[[dict], object]] = {
    "numbers for values": lambda body: dict.fromkeys(body, 12345),
    "lists for values": lambda body: {k: [v, v] for k, v in body.items()},
    "objects for values": lambda body: {k: {"v": v} for k, v in body.items()},
    "null for values": lambda body: dict.fromkeys(body),
    "a list": lambda body: list(body.items()),
    "a string": lambda _body: "just a string",
}


def test_a_json_body_of_any_shape_is_never_a_500(app):
    """Flask-WTF reads a JSON body as form data (the CSRF token in a header); before
    df93389 a string or list body, or numbers, objects or null as values, were a 500."""
    failures = []
    for form_name in sorted(FORM_ROUTES):
        world = build_world()
        for shape, payload in JSON_SHAPES.items():
            try:
                response = post_json(app, form_name, payload, world)
            except AssertionError as exc:
                failures.append(f"{form_name}, {shape}: {str(exc).splitlines()[0]}")
                continue
            if response.status_code in FORM_ROUTES[form_name].success:
                world = build_world()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("zone", "happened_at"),
    [
        ("UTC", "0001-01-01T00:00"),
        ("Pacific/Kiritimati", "0001-01-01T00:00"),
        ("UTC", "9999-12-31T23:59"),
        ("Pacific/Kiritimati", "9999-12-31T23:59"),
        ("Pacific/Pago_Pago", "9999-12-31T23:59"),
    ],
)
def test_a_check_in_at_the_ends_of_the_calendar_is_never_a_500(app, zone, happened_at):
    """Before df93389: a 500 converting 9999-12-31 evening west of UTC, and a recruit
    page that failed for good once a check-in dated 0001-01-01 was saved."""
    world = build_world()
    sponsor = db.session.get(User, world.sponsor)
    sponsor.timezone = zone
    db.session.commit()
    client, token = client_as(app, world, SPONSOR)
    body = dict(FORM_ROUTES["check-in"].fill(world), happened_at=happened_at)
    submit(client, f"/recruits/{world.owner}/check-ins", list(body.items()), token=token)
    for other_zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        db.session.get(User, world.sponsor).timezone = other_zone
        db.session.commit()
        assert client.get(f"/recruits/{world.owner}").status_code == 200, other_zone
