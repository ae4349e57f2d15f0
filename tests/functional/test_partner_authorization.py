"""The partners' authorization matrix: every partners route, method and seven roles
(the two partners, a third user, each partner's sponsor, an upline above both, and
anonymous). Only the two partners see or change anything of a partnership; everyone
else gets 404 (anonymous: the login page), changes nothing, and reads none of it.

The main matrix (test_authorization_matrix.py) hands the `partners` blueprint to this
file; a partners route without an entry here fails test_every_partner_route_has_an_entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from app.models import utcnow
from tests.conftest import csrf_token
from tests.partner_world import (
    ANONYMOUS,
    OTHER_PARTNER,
    OUTSIDERS,
    PARTNER,
    PARTNER_SPONSOR,
    PARTNERS,
    ROLES,
    USERS,
    PartnerWorld,
    build_partner_world,
)
from tests.trust_world import difference, login, state

LOGIN = "302 to /login"
WRONG_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Case:
    url: Callable[[PartnerWorld], str]
    expect: Mapping[str, int | str]
    writes: frozenset[str] = frozenset()
    data: Callable[[PartnerWorld], dict] | None = None
    variant: str = ""


def expect(anonymous: int | str, users: int | str, **roles: int | str) -> dict[str, int | str]:
    table: dict[str, int | str] = {ANONYMOUS: anonymous, **dict.fromkeys(USERS, users)}
    table.update(roles)
    return table


def only(*roles: str) -> frozenset[str]:
    return frozenset(roles)


def partnership_url(suffix: str = "") -> Callable[[PartnerWorld], str]:
    return lambda w: f"/partners/{w.partnership}{suffix}"


PARTNERS_ONLY_PAGE = expect(LOGIN, 404, **{PARTNER: 200, OTHER_PARTNER: 200})
PARTNERS_ONLY_ACTION = expect(LOGIN, 404, **{PARTNER: 302, OTHER_PARTNER: 302})
# Quinn's waiting request to Pat's sponsor: theirs to answer, Quinn's to withdraw.
REQUEST_PARTIES = expect(LOGIN, 404, **{OTHER_PARTNER: 302, PARTNER_SPONSOR: 302})
TERMS = {
    "rules": "New rules",
    "cadence": "daily",
    "channel": "video",
    "my_handle": "me",
    "their_handle": "them",
    "term_months": "6",
}


def request_url(suffix: str) -> Callable[[PartnerWorld], str]:
    return lambda w: f"/partners/{w.request}{suffix}"


def today() -> str:
    return utcnow().date().isoformat()  # the world's people live in UTC


ROUTES: dict[tuple[str, str], tuple[Case, ...]] = {
    ("partners.index", "GET"): (Case(lambda _w: "/partners", expect(LOGIN, 200)),),
    ("partners.show", "GET"): (Case(partnership_url(), PARTNERS_ONLY_PAGE),),
    ("partners.ask", "GET"): (Case(lambda _w: "/partners/ask", expect(LOGIN, 200)),),
    ("partners.ask", "POST"): (
        # Anyone signed in may ask anyone (here: by email, someone new).
        Case(
            lambda _w: "/partners/ask",
            expect(LOGIN, 302),
            writes=frozenset(USERS),
            data=lambda _w: {**TERMS, "email": "someone-new@example.com"},
        ),
    ),
    ("partners.terms", "GET"): (Case(partnership_url("/terms"), PARTNERS_ONLY_PAGE),),
    ("partners.terms", "POST"): (
        Case(
            partnership_url("/terms"), PARTNERS_ONLY_ACTION, writes=PARTNERS, data=lambda _w: TERMS
        ),
    ),
    ("partners.accept", "POST"): (
        Case(request_url("/accept"), REQUEST_PARTIES, writes=only(PARTNER_SPONSOR)),
    ),
    ("partners.decline", "POST"): (
        Case(request_url("/decline"), REQUEST_PARTIES, writes=only(PARTNER_SPONSOR)),
    ),
    ("partners.withdraw", "POST"): (
        Case(request_url("/withdraw"), REQUEST_PARTIES, writes=only(OTHER_PARTNER)),
    ),
    ("partners.check_in", "POST"): (
        Case(
            partnership_url("/check-in"),
            PARTNERS_ONLY_ACTION,
            writes=PARTNERS,
            data=lambda _w: {"day": today(), "said": "", "did": "yes", "next_step": "Call Sam"},
        ),
    ),
    ("partners.reply", "POST"): (
        Case(
            lambda w: f"/partners/check-ins/{w.check_in}/reply",
            PARTNERS_ONLY_ACTION,
            writes=PARTNERS,
            data=lambda w: {f"reply-{w.check_in}-body": "Well done"},
        ),
    ),
    ("partners.renew", "POST"): (
        # Ten days into a three-month term: renewal isn't open, refused beside the field.
        Case(
            partnership_url("/renew"),
            expect(LOGIN, 404, **{PARTNER: 400, OTHER_PARTNER: 400}),
            data=lambda _w: {"renew": "yes", "how_it_went": "Good"},
        ),
    ),
    ("partners.end", "POST"): (
        Case(
            partnership_url("/end"),
            PARTNERS_ONLY_ACTION,
            writes=PARTNERS,
            data=lambda _w: {"note": "Thank you, moving on"},
        ),
    ),
    ("partners.invitation", "GET"): (
        # Anyone may open an invitation link; signed in, it becomes theirs (so the asker
        # and those already partnered are turned back, and nothing else is shown).
        Case(
            lambda w: f"/partners/invitation/{w.invite_token}",
            expect(200, 302),
            writes=only(*(set(USERS) - PARTNERS)),
        ),
        Case(lambda _w: "/partners/invitation/forged", expect(404, 404), variant="forged"),
    ),
}


def client_as(app, world: PartnerWorld, role: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    if role == ANONYMOUS:
        return client, csrf_token(client.get("/login").text)
    login(client, world.emails[role])
    return client, csrf_token(client.get("/settings").text)


def _status_ok(expected: int | str, response) -> bool:  # type: ignore[no-untyped-def]
    if expected == LOGIN:
        location = response.headers.get("Location", "")
        return response.status_code == 302 and urlsplit(location).path == "/login"
    return response.status_code == expected


def _request(client, token, world, method, case):  # type: ignore[no-untyped-def]
    url = case.url(world)
    before = state()
    if method == "GET":
        response = client.get(url)
    else:
        data = {**(case.data(world) if case.data else {}), "csrf_token": token}
        response = client.open(url, method=method, data=data)
    return response, before, state()


def check_case(app, endpoint: str, method: str, case: Case) -> list[str]:  # type: ignore[no-untyped-def]
    problems = []
    world = None
    for role in ROLES:
        if world is None:
            world = build_partner_world()
        client, token = client_as(app, world, role)
        response, before, after = _request(client, token, world, method, case)
        where = f"{method} {endpoint} {case.variant} as {role}".replace("  ", " ")
        if not _status_ok(case.expect[role], response):
            problems.append(
                f"{where}: expected {case.expect[role]}, got {response.status_code} "
                f"{response.headers.get('Location', '')} {response.get_data(as_text=True)[:200]!r}"
            )
        if role in case.writes and before == after:
            problems.append(f"{where}: should have changed the database, changed nothing")
        if role not in case.writes and before != after:
            problems.append(f"{where}: must change nothing, changed {difference(before, after)}")
        if role in OUTSIDERS:
            body = response.get_data()
            leaked = [whose for text, whose in world.private_texts.items() if text.encode() in body]
            if leaked:
                problems.append(f"{where}: the response shows {', '.join(leaked)}")
        if before != after:
            world = None
    return problems


def partner_pairs(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("partners.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_partner_route_has_an_entry(app) -> None:
    missing = sorted(partner_pairs(app) - ROUTES.keys())
    assert not missing, f"partners routes without an entry in ROUTES: {missing}"
    stale = sorted(ROUTES.keys() - partner_pairs(app))
    assert not stale, f"ROUTES has entries for routes the app no longer has: {stale}"
    for key, cases in ROUTES.items():
        for case in cases:
            assert set(case.expect) == set(ROLES), f"{key} {case.variant}: one status per role"


@pytest.mark.parametrize(
    ("endpoint", "method"), sorted(ROUTES), ids=[f"{m} {e}" for e, m in sorted(ROUTES)]
)
def test_each_role_gets_what_the_table_says(app, endpoint, method) -> None:
    problems = []
    for case in ROUTES[(endpoint, method)]:
        problems += check_case(app, endpoint, method, case)
    assert not problems, "\n".join(problems)


def test_methods_a_partner_route_does_not_take_answer_405(app) -> None:
    urls = {endpoint: cases[0].url for (endpoint, _m), cases in ROUTES.items()}
    world = build_partner_world()
    problems = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("partners."):
            continue
        for method in WRONG_METHODS:
            if method in rule.methods:
                continue
            for role in (ANONYMOUS, PARTNER, PARTNER_SPONSOR):
                client, token = client_as(app, world, role)
                case = Case(urls[rule.endpoint], {})
                response, before, after = _request(client, token, world, method, case)
                if response.status_code != 405 or before != after:
                    problems.append(f"{method} {rule.rule} as {role}: {response.status_code}")
    assert not problems, "\n".join(problems)
