"""The authorization matrix (issue 7, part 1; ASVS V4): every route, method and role.

`ROUTES` below has one entry per (endpoint, method) of the app's URL map: how to fill
the URL's ids from a world built by the factories (tests/trust_world.py), the form it
posts (with a valid CSRF token, and data good enough that authorization, not a form
error, decides), and the status each of the six roles must get. Roles listed in
`writes` must change the database (proving the allowed side works); every other role
must change nothing at all: every row of every table and the upload folder are
compared before and after. Other people's objects answer 404, never 403, so their
existence is not revealed, and no response to an outsider may contain the owner's
homework, attachment, check-in note or name.

A route in the URL map without an entry fails `test_every_route_has_an_entry`, so a new
route can't slip in unchecked. Methods a route does not accept must answer 405.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from app import create_app
from app.extensions import db
from app.mail.unsubscribe import EmailKind, invitation_opt_out_token, unsubscribe_token
from app.models import SubmissionStatus, Track, User, utcnow
from app.services import accounts
from config import TestingConfig
from tests.conftest import PASSWORD
from tests.trust_world import (
    ANONYMOUS,
    OTHER_RECRUIT,
    OUTSIDERS,
    OWNER,
    ROLES,
    SPONSOR,
    UPLINE,
    USERS,
    World,
    build_world,
    client_as,
    decide_submission,
    difference,
    state,
)

LOGIN = "302 to /login"  # anonymous on a login-required route
NEW_PASSWORD = "violet tractor harmonica 93"  # noqa: S105 - long and not a common one
ALL_USERS = frozenset(USERS)
WRONG_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Case:
    url: Callable[[World], str]
    expect: Mapping[str, int | str]
    writes: frozenset[str] = frozenset()  # these roles must change the database
    data: Callable[[World], dict] | None = None
    setup: Callable[[World], None] | None = None  # prepares a fresh world for this case
    variant: str = ""
    # Roles that may see the owner's name (never their homework) in this case: the
    # upline, once the owner's sponsor left and the owner needs a new sponsor.
    names_owner_to: frozenset[str] = frozenset()


def expect(anonymous: int | str, users: int | str, **roles: int | str) -> dict[str, int | str]:
    """Anonymous's status, everybody else's, and exceptions by role name."""
    table: dict[str, int | str] = {ANONYMOUS: anonymous, **dict.fromkeys(USERS, users)}
    table.update(roles)
    return table


def only(*roles: str) -> frozenset[str]:
    return frozenset(roles)


# --- URLs, forms and preparations -------------------------------------------------


def fixed(path: str) -> Callable[[World], str]:
    return lambda _w: path


def track_url(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/tracks/{w.track}{suffix}"


def step_url(index: int, suffix: str) -> Callable[[World], str]:
    return lambda w: f"/assignments/{w.steps[index]}{suffix}"


def owner_url(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/recruits/{w.owner}{suffix}"


def owner_url_at(prefix: str) -> Callable[[World], str]:
    return lambda w: f"{prefix}{w.owner}"


def registration(_w: World) -> dict:
    return {
        "name": "Nina Newcomer",
        "email": f"new-{secrets.token_hex(4)}@example.com",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "timezone": "UTC",
    }


def reset_url(w: World) -> str:
    return f"/reset-password/{accounts.reset_token(db.session.get(User, w.owner))}"


def forged_reset_url(w: World) -> str:
    forged = URLSafeTimedSerializer("not-our-key", salt="password-reset")
    return f"/reset-password/{forged.dumps({'u': w.owner, 'p': '0' * 16})}"


def unsubscribe_url(w: World) -> str:
    return f"/unsubscribe/{unsubscribe_token(w.owner, EmailKind.DIGEST)}"


def forged_unsubscribe_url(w: World) -> str:
    forged = URLSafeSerializer("not-our-key", salt="unsubscribe")
    return f"/unsubscribe/{forged.dumps({'u': w.owner, 'k': EmailKind.DIGEST})}"


def stop_invitations_url(_w: World) -> str:
    # A new address each time: an address that already opted out has nothing to change.
    address = f"invited-{secrets.token_hex(4)}@example.com"
    return f"/invitations/stop/{invitation_opt_out_token(address)}"


def forged_stop_invitations_url(_w: World) -> str:
    forged = URLSafeSerializer("not-our-key", salt="invitation-opt-out")
    return f"/invitations/stop/{forged.dumps({'e': 'invited@example.com'})}"


def forged_join_url(_w: World) -> str:
    return f"/join/{secrets.token_urlsafe(16)}"


def check_in(_w: World) -> dict:
    return {
        "happened_at": (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "channel": "call",
        "outcome": "reached",
        "note": "Talked on the phone.",
    }


def hand_in(_w: World) -> dict:
    return {"answer": "My second step.", "attachment": (io.BytesIO(b"hello"), "step2.txt")}


def assignment_form(_w: World) -> dict:
    return {"title": "A new title", "instructions": "Do it.", "deliverable": "A sentence."}


def approve_step_one(w: World) -> None:
    """The owner's first step is approved, so their step 2 is open for a hand-in."""
    decide_submission(w, SubmissionStatus.APPROVED)


def archive_second_track(w: World) -> None:
    db.session.get(Track, w.second_track).archived_at = utcnow()
    db.session.commit()


def archive_owner(w: World) -> None:
    db.session.get(User, w.owner).archived_at = utcnow()
    db.session.commit()


def archive_sponsor(w: World) -> None:
    """The owner's sponsor left: the owner (and the other recruit) need a new sponsor,
    whom the upline can adopt."""
    db.session.get(User, w.sponsor).archived_at = utcnow()
    db.session.commit()


SPONSOR_ONLY_PAGE = expect(LOGIN, 404, sponsor=200)
SPONSOR_ONLY_ACTION = expect(LOGIN, 404, sponsor=302)

# --- The table: one entry per (endpoint, method) ------------------------------------

ROUTES: dict[tuple[str, str], tuple[Case, ...]] = {
    # Public pages and the session.
    # A recruit with nobody of their own lands on their homework; a sponsor on the team.
    ("dashboard.home", "GET"): (Case(fixed("/"), expect(200, 200, owner=302, other_recruit=302)),),
    ("dashboard.team", "GET"): (Case(fixed("/team"), expect(LOGIN, 200)),),
    ("health.healthz", "GET"): (Case(fixed("/healthz"), expect(200, 200)),),
    ("auth.login", "GET"): (Case(fixed("/login"), expect(200, 302)),),
    ("auth.login", "POST"): (
        # Anonymous logs in as the owner (a new session row); logged-in people are
        # sent home without a new login.
        Case(
            fixed("/login"),
            expect(302, 302),
            writes=only(ANONYMOUS),
            data=lambda w: {"email": w.emails[OWNER], "password": PASSWORD},
        ),
    ),
    ("auth.logout", "POST"): (Case(fixed("/logout"), expect(LOGIN, LOGIN), writes=ALL_USERS),),
    ("auth.register", "GET"): (Case(fixed("/register"), expect(200, 302)),),
    ("auth.register", "POST"): (
        Case(fixed("/register"), expect(302, 302), writes=only(ANONYMOUS), data=registration),
    ),
    ("auth.join", "GET"): (
        Case(lambda w: f"/join/{w.invite_token}", expect(200, 302), variant="valid invite"),
        Case(forged_join_url, expect(404, 404), variant="forged invite"),
    ),
    ("auth.join", "POST"): (
        Case(
            lambda w: f"/join/{w.invite_token}",
            expect(302, 302),
            writes=only(ANONYMOUS),
            data=registration,
            variant="valid invite",
        ),
        Case(forged_join_url, expect(404, 404), data=registration, variant="forged invite"),
    ),
    ("auth.forgot_password", "GET"): (Case(fixed("/forgot-password"), expect(200, 200)),),
    ("auth.forgot_password", "POST"): (
        # The same page whether or not the account exists; only an email is recorded
        # (to the owner, whoever asks: the link goes to their inbox, not the asker's).
        Case(
            fixed("/forgot-password"),
            expect(200, 200),
            writes=frozenset(ROLES),
            data=lambda w: {"email": w.emails[OWNER]},
        ),
    ),
    # A reset link is the proof, whoever holds it (it was mailed to the owner).
    ("auth.reset_password", "GET"): (
        Case(reset_url, expect(200, 200), variant="the owner's valid link"),
        Case(forged_reset_url, expect(400, 400), variant="forged link"),
    ),
    ("auth.reset_password", "POST"): (
        Case(
            reset_url,
            expect(302, 302),
            writes=frozenset(ROLES),
            data=lambda _w: {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            variant="the owner's valid link",
        ),
        Case(
            forged_reset_url,
            expect(400, 400),
            data=lambda _w: {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            variant="forged link",
        ),
    ),
    # An unsubscribe link is the proof too (RFC 8058 one-click, no login).
    ("email.unsubscribe", "GET"): (
        Case(unsubscribe_url, expect(200, 200), variant="the owner's valid link"),
        Case(forged_unsubscribe_url, expect(404, 404), variant="forged link"),
    ),
    ("email.unsubscribe", "POST"): (
        Case(
            unsubscribe_url,
            expect(200, 200),
            writes=frozenset(ROLES),
            variant="the owner's valid link",
        ),
        Case(forged_unsubscribe_url, expect(404, 404), variant="forged link"),
    ),
    # So is a partner invitation's "don't invite me again" (the address has no account).
    ("email.stop_invitations", "GET"): (
        Case(stop_invitations_url, expect(200, 200), variant="the address's valid link"),
        Case(forged_stop_invitations_url, expect(404, 404), variant="forged link"),
    ),
    ("email.stop_invitations", "POST"): (
        Case(
            stop_invitations_url,
            expect(200, 200),
            writes=frozenset(ROLES),
            variant="the address's valid link",
        ),
        Case(forged_stop_invitations_url, expect(404, 404), variant="forged link"),
    ),
    # Everyone's own pages: each logged-in person sees or changes only their own.
    ("auth.account", "GET"): (Case(fixed("/account"), expect(LOGIN, 200)),),
    ("auth.account", "POST"): (
        Case(
            fixed("/account"),
            expect(LOGIN, 302),
            writes=ALL_USERS,
            data=lambda _w: {"name": "Renamed Person", "timezone": "Europe/Berlin"},
        ),
    ),
    ("auth.change_password", "GET"): (Case(fixed("/account/password"), expect(LOGIN, 302)),),
    ("auth.change_password", "POST"): (
        Case(
            fixed("/account/password"),
            expect(LOGIN, 302),
            writes=ALL_USERS,
            data=lambda _w: {
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
            },
        ),
    ),
    ("dashboard.export_csv", "GET"): (Case(fixed("/dashboard.csv"), expect(LOGIN, 200)),),
    ("dashboard.regenerate_invite", "POST"): (
        Case(fixed("/invite/regenerate"), expect(LOGIN, 302), writes=ALL_USERS),
    ),
    ("dashboard.settings", "GET"): (Case(fixed("/settings"), expect(LOGIN, 200)),),
    ("dashboard.settings", "POST"): (
        Case(
            fixed("/settings"),
            expect(LOGIN, 302),
            writes=ALL_USERS,
            data=lambda _w: {
                "stall_threshold_days": "10",
                "digest_weekday": "2",
                "timezone": "Europe/Paris",
                "email_digest": "y",
            },
        ),
    ),
    ("email.digest_preview", "GET"): (Case(fixed("/digest"), expect(LOGIN, 200)),),
    ("homework.track", "GET"): (Case(fixed("/homework"), expect(LOGIN, 200)),),
    ("review.queue", "GET"): (Case(fixed("/review"), expect(LOGIN, 200)),),
    # Saved feedback: everyone keeps their own lines; only the owner deletes one.
    ("review.saved_feedback", "GET"): (Case(fixed("/review/feedback"), expect(LOGIN, 200)),),
    ("review.saved_feedback", "POST"): (
        Case(
            fixed("/review/feedback"),
            expect(LOGIN, 302),
            writes=ALL_USERS,
            data=lambda _w: {"text": "Well done: on to the next one."},
        ),
    ),
    ("review.delete_saved_feedback", "POST"): (
        Case(
            lambda w: f"/review/feedback/{w.snippet}/delete",
            SPONSOR_ONLY_ACTION,
            writes=only(SPONSOR),
        ),
    ),
    # Each user to their own queue's first hand-in, or their (empty) queue: whose it
    # is, is the next test's to check.
    ("review.next_hand_in", "GET"): (Case(fixed("/review/next"), expect(LOGIN, 302)),),
    ("tracks.index", "GET"): (Case(fixed("/tracks"), expect(LOGIN, 200)),),
    ("tracks.index", "POST"): (
        Case(
            fixed("/tracks"),
            expect(LOGIN, 302),
            writes=ALL_USERS,
            data=lambda _w: {"name": "My own track", "description": ""},
        ),
    ),
    # Copies the asker's own sponsor's default track: the other sponsor and the upline
    # have no sponsor, so for them nothing happens (a message, no change).
    ("tracks.copy_sponsor_track", "POST"): (
        Case(
            fixed("/tracks/copy-sponsor"),
            expect(LOGIN, 302),
            writes=only(OWNER, OTHER_RECRUIT, SPONSOR),
        ),
    ),
    # The recruit's homework: the owner hands in their open step 2; the other recruit
    # (same track, still on step 1) finds it locked; nobody else is on this track.
    ("homework.hand_in", "POST"): (
        Case(
            lambda w: f"/homework/{w.steps[1]}/hand-in",
            expect(LOGIN, 404, owner=302, other_recruit=409),
            writes=only(OWNER),
            data=hand_in,
            setup=approve_step_one,
        ),
    ),
    ("homework.attachment", "GET"): (
        Case(
            lambda w: f"/submissions/{w.submission}/attachment",
            expect(LOGIN, 404, owner=200, sponsor=200),
        ),
    ),
    # The sponsor's side of the owner's homework: nobody else, not even the upline.
    ("review.review", "GET"): (Case(lambda w: f"/review/{w.submission}", SPONSOR_ONLY_PAGE),),
    ("review.review", "POST"): (
        Case(
            lambda w: f"/review/{w.submission}",
            SPONSOR_ONLY_ACTION,
            writes=only(SPONSOR),
            data=lambda _w: {"feedback": "Well done.", "approve": "1"},
        ),
    ),
    ("dashboard.recruit", "GET"): (Case(owner_url(), SPONSOR_ONLY_PAGE),),
    ("dashboard.check_in", "POST"): (
        Case(owner_url("/check-ins"), SPONSOR_ONLY_ACTION, writes=only(SPONSOR), data=check_in),
    ),
    ("dashboard.archive", "POST"): (
        Case(owner_url("/archive"), SPONSOR_ONLY_ACTION, writes=only(SPONSOR)),
    ),
    ("dashboard.nudge", "POST"): (
        Case(
            owner_url("/nudge"),
            SPONSOR_ONLY_ACTION,
            writes=only(SPONSOR),
            setup=lambda w: decide_submission(w, SubmissionStatus.CHANGES_REQUESTED, "More."),
        ),
    ),
    ("dashboard.restore", "POST"): (
        Case(owner_url("/restore"), SPONSOR_ONLY_ACTION, writes=only(SPONSOR), setup=archive_owner),
    ),
    ("tracks.assign_track", "POST"): (
        Case(
            owner_url("/track"),
            SPONSOR_ONLY_ACTION,
            writes=only(SPONSOR),
            data=lambda w: {"track_id": str(w.second_track)},
        ),
    ),
    # The sponsor's tracks and assignments.
    ("tracks.detail", "GET"): (Case(track_url(), SPONSOR_ONLY_PAGE),),
    ("tracks.detail", "POST"): (
        Case(
            track_url(),
            SPONSOR_ONLY_ACTION,
            writes=only(SPONSOR),
            data=lambda _w: {"name": "Renamed track", "description": "New."},
        ),
    ),
    ("tracks.make_default", "POST"): (
        Case(
            lambda w: f"/tracks/{w.second_track}/default",
            SPONSOR_ONLY_ACTION,
            writes=only(SPONSOR),
        ),
    ),
    # Whole tracks: the second track has nobody on it, so it can be archived and deleted.
    ("tracks.copy_track", "POST"): (
        Case(track_url("/copy"), SPONSOR_ONLY_ACTION, writes=only(SPONSOR)),
    ),
    ("tracks.preview", "GET"): (Case(track_url("/preview"), SPONSOR_ONLY_PAGE),),
    ("tracks.archive_track", "POST"): (
        Case(
            lambda w: f"/tracks/{w.second_track}/archive",
            SPONSOR_ONLY_ACTION,
            writes=only(SPONSOR),
        ),
    ),
    ("tracks.restore_track", "POST"): (
        Case(
            lambda w: f"/tracks/{w.second_track}/restore",
            SPONSOR_ONLY_ACTION,
            writes=only(SPONSOR),
            setup=archive_second_track,
        ),
    ),
    ("tracks.delete_track", "GET"): (
        Case(lambda w: f"/tracks/{w.second_track}/delete", SPONSOR_ONLY_PAGE),
    ),
    ("tracks.delete_track", "POST"): (
        Case(
            lambda w: f"/tracks/{w.second_track}/delete",
            SPONSOR_ONLY_ACTION,
            writes=only(SPONSOR),
        ),
    ),
    ("tracks.new_assignment", "GET"): (Case(track_url("/assignments/new"), SPONSOR_ONLY_PAGE),),
    ("tracks.new_assignment", "POST"): (
        Case(
            track_url("/assignments/new"),
            SPONSOR_ONLY_ACTION,
            writes=only(SPONSOR),
            data=assignment_form,
        ),
    ),
    ("tracks.edit_assignment", "GET"): (Case(step_url(1, "/edit"), SPONSOR_ONLY_PAGE),),
    ("tracks.edit_assignment", "POST"): (
        Case(step_url(1, "/edit"), SPONSOR_ONLY_ACTION, writes=only(SPONSOR), data=assignment_form),
    ),
    ("tracks.move_assignment", "POST"): (
        Case(
            step_url(1, "/move"),
            SPONSOR_ONLY_ACTION,
            writes=only(SPONSOR),
            data=lambda _w: {"direction": "up"},
        ),
    ),
    ("tracks.archive_assignment", "POST"): (
        Case(step_url(2, "/archive"), SPONSOR_ONLY_ACTION, writes=only(SPONSOR)),
    ),
    # The roll-up: one's own team; the drill-down only into a sponsor of one's downline.
    ("downline.rollup", "GET"): (Case(fixed("/downline/"), expect(LOGIN, 200)),),
    ("downline.drill", "GET"): (
        Case(lambda w: f"/downline/{w.sponsor}", expect(LOGIN, 404, upline=200, sponsor=200)),
        Case(
            owner_url_at("/downline/"),
            expect(LOGIN, 404, owner=200),  # one's own id is one's own roll-up
            variant="someone who sponsors nobody",
        ),
    ),
    # Someone leaves: only the nearest active sponsor above adopts (services.team).
    ("downline.stranded", "GET"): (
        Case(
            fixed("/downline/needs-a-sponsor"),
            expect(LOGIN, 200),
            setup=archive_sponsor,
            names_owner_to=only(UPLINE),
        ),
        Case(
            lambda w: f"/downline/needs-a-sponsor?from={w.sponsor}",
            expect(LOGIN, 200),
            setup=archive_sponsor,
            names_owner_to=only(UPLINE),
            variant="below one who left",
        ),
    ),
    ("downline.adopt", "POST"): (
        Case(
            lambda w: f"/downline/people/{w.owner}/adopt",
            # The sponsor who left is told the owner is already theirs (302, no change).
            expect(LOGIN, 404, upline=302, sponsor=302),
            writes=only(UPLINE),
            setup=archive_sponsor,
        ),
        Case(
            lambda w: f"/downline/people/{w.owner}/adopt",
            expect(LOGIN, 404, sponsor=302),
            variant="while their sponsor is active",
        ),
    ),
    ("downline.adopt_all", "POST"): (
        Case(
            lambda w: f"/downline/departed/{w.sponsor}/adopt-all",
            expect(LOGIN, 404, upline=302),
            writes=only(UPLINE),
            setup=archive_sponsor,
        ),
        Case(
            lambda w: f"/downline/departed/{w.sponsor}/adopt-all",
            expect(LOGIN, 404),
            variant="while they are active",
        ),
    ),
    ("tracks.restore_assignment", "POST"): (
        Case(
            lambda w: f"/assignments/{w.archived_step}/restore",
            SPONSOR_ONLY_ACTION,
            writes=only(SPONSOR),
        ),
    ),
}


# --- Running one entry ----------------------------------------------------------------


def _status_ok(expected: int | str, response) -> bool:  # type: ignore[no-untyped-def]
    if expected == LOGIN:
        location = response.headers.get("Location", "")
        return response.status_code == 302 and urlsplit(location).path == "/login"
    return response.status_code == expected


def _leaks(world: World, response) -> list[str]:  # type: ignore[no-untyped-def]
    body = response.get_data()
    return [whose for text, whose in world.private_texts.items() if text.encode() in body]


def request_as(client, token: str, world: World, method: str, case: Case):  # type: ignore[no-untyped-def]
    """Send the case's request from a logged-in client; (response, state before, after)."""
    url = case.url(world)
    before = state()
    if method == "GET":
        response = client.get(url, buffered=True)  # buffered: a file download is closed
    else:
        data = {**(case.data(world) if case.data else {}), "csrf_token": token}
        response = client.open(
            url, method=method, data=data, content_type="multipart/form-data", buffered=True
        )
    return response, before, state()


def check_case(app, endpoint: str, method: str, case: Case) -> list[str]:  # type: ignore[no-untyped-def]
    """Ask as each role in turn; a fresh world whenever the last request changed it."""
    problems = []
    world = None
    for role in ROLES:
        if world is None:
            world = build_world()
            if case.setup:
                case.setup(world)
        client, token = client_as(app, world, role)
        response, before, after = request_as(client, token, world, method, case)
        where = f"{method} {endpoint} {case.variant or ''} as {role}".replace("  ", " ")
        if not _status_ok(case.expect[role], response):
            problems.append(
                f"{where}: expected {case.expect[role]}, got {response.status_code} "
                f"{response.headers.get('Location', '')} {response.get_data(as_text=True)[:200]!r}"
            )
        if role in case.writes and before == after:
            problems.append(f"{where}: should have changed the database, changed nothing")
        if role not in case.writes and before != after:
            problems.append(f"{where}: must change nothing, changed {difference(before, after)}")
        leaked = _leaks(world, response)
        if role in case.names_owner_to:
            leaked = [whose for whose in leaked if whose != "the owner's name"]
        if role in OUTSIDERS and leaked:
            problems.append(f"{where}: the response shows {', '.join(leaked)}")
        if before != after:
            world = None
    return problems


# Blueprints with a matrix of their own (more roles than this one's six), which also
# fails for a route of theirs without an entry: accountability partners have the two
# partners, each one's sponsor, an upline, a third user and anonymous; mastermind groups
# the host, a member, a former member, a non-member and anonymous.
DELEGATED = {
    "partners": "tests/functional/test_partner_authorization.py",
    "groups": "tests/functional/test_group_authorization.py",
}


def url_map_pairs(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and rule.endpoint.split(".")[0] not in DELEGATED
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def matrix_size() -> int:
    return sum(len(cases) for cases in ROUTES.values()) * len(ROLES)


# --- The tests ------------------------------------------------------------------------


def unchecked_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted(url_map_pairs(app) - ROUTES.keys())


def test_every_route_has_an_entry(app):
    """A new route (or a new method on one) must be added to ROUTES, with expectations."""
    missing = unchecked_routes(app)
    assert not missing, (
        "Routes without an entry in the authorization matrix (add them to ROUTES in "
        f"tests/functional/test_authorization_matrix.py): {missing}"
    )
    stale = sorted(ROUTES.keys() - url_map_pairs(app))
    assert not stale, f"ROUTES has entries for routes the app no longer has: {stale}"
    for key, cases in ROUTES.items():
        for case in cases:
            assert set(case.expect) == set(ROLES), f"{key} {case.variant}: one status per role"


def test_a_route_added_without_an_entry_is_named(database_url):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    other = create_app(Config)
    other.add_url_rule("/brand-new", "brand_new", lambda: "new", methods=["GET", "POST"])
    assert unchecked_routes(other) == [("brand_new", "GET"), ("brand_new", "POST")]
    with other.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("endpoint", "method"), sorted(ROUTES), ids=[f"{m} {e}" for e, m in sorted(ROUTES)]
)
def test_each_role_gets_what_the_table_says(app, endpoint, method, record_property):
    problems = []
    for case in ROUTES[(endpoint, method)]:
        problems += check_case(app, endpoint, method, case)
    record_property("checks", len(ROUTES[(endpoint, method)]) * len(ROLES))
    assert not problems, "\n".join(problems)


def test_methods_a_route_does_not_take_answer_405_and_change_nothing(app, record_property):
    urls = {endpoint: cases[0].url for (endpoint, _m), cases in ROUTES.items()}
    world = build_world()
    clients = {role: client_as(app, world, role) for role in ROLES}
    problems, checks = [], 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.split(".")[0] in DELEGATED:
            continue
        for method in WRONG_METHODS:
            if method in rule.methods:
                continue
            for role in ROLES:
                case = Case(urls[rule.endpoint], {})
                response, before, after = request_as(*clients[role], world, method, case)
                checks += 1
                if response.status_code != 405:
                    problems.append(f"{method} {rule.rule} as {role}: {response.status_code}")
                if before != after:
                    problems.append(f"{method} {rule.rule} as {role}: {difference(before, after)}")
    record_property("checks", checks)
    assert not problems, "\n".join(problems)


def test_matrix_figures(app, capsys, record_property):
    """Print how much the matrix checks (the figure the issue's closing note asks for)."""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    pairs = url_map_pairs(app)
    variants = sum(len(cases) for cases in ROUTES.values())
    wrong = sum(
        len([m for m in WRONG_METHODS if m not in rule.methods]) * len(ROLES) for rule in rules
    )
    line = (
        f"authorization matrix: {len(rules)} routes, {len(pairs)} (route, method) pairs, "
        f"{variants} cases (token routes: valid and forged) x {len(ROLES)} roles = "
        f"{matrix_size()} checks; plus {wrong} wrong-method (405) checks"
    )
    record_property("matrix_checks", matrix_size())
    record_property("wrong_method_checks", wrong)
    with capsys.disabled():
        print(f"\n{line}")
    assert matrix_size() >= len(pairs) * len(ROLES)


def test_upline_sees_no_second_level_homework_anywhere(app):
    """Belt and braces for the upline: their own pages never name the owner recruit."""
    world = build_world()
    client, _token = client_as(app, world, UPLINE)
    for url in ("/", "/review", "/dashboard.csv", "/digest", "/homework", "/tracks"):
        body = client.get(url).get_data(as_text=True)
        for text, whose in world.private_texts.items():
            assert text not in body, f"{url} shows the upline {whose}"


# An id PostgreSQL's integer can't hold, one past SQLite's 64 bits, and far beyond both.
HUGE_IDS = ("2147483648", "9223372036854775808", "99999999999999999999")


def id_routes(app) -> list:  # type: ignore[no-untyped-def]
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and any(name.endswith("_id") for name in rule.arguments)
    ]


def test_every_id_in_a_url_is_a_bounded_database_id(app):
    """An id route with plain <int:...> would hand the driver any number (a 500 on
    PostgreSQL: "integer out of range"); <id:...> stops at the database's range."""
    from app.routing import IdConverter

    rules = id_routes(app)
    assert len(rules) >= 14
    for rule in rules:
        for name in rule.arguments:
            if name.endswith("_id"):
                assert isinstance(rule._converters[name], IdConverter), (rule.rule, name)


def test_an_id_beyond_the_databases_range_is_404_on_every_route_for_everyone(app):
    world = build_world()
    clients = {role: client_as(app, world, role) for role in ROLES}
    problems, checks = [], 0
    for rule in id_routes(app):
        for huge in HUGE_IDS:
            url = rule.build({name: huge for name in rule.arguments}, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for role, (client, token) in clients.items():
                    case = Case(fixed(url), {}, data=lambda _w: {})
                    response, before, after = request_as(client, token, world, method, case)
                    checks += 1
                    if response.status_code != 404:
                        problems.append(f"{method} {url} as {role}: {response.status_code}")
                    if before != after:
                        problems.append(f"{method} {url} as {role}: {difference(before, after)}")
    assert checks >= 14 * 3 * 6
    assert not problems, "\n".join(problems)
