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

ROUTES: dict[tuple[str, str], tuple[Case, ...]] = {
    ("partners.index", "GET"): (Case(lambda _w: "/partners", expect(LOGIN, 200)),),
    ("partners.show", "GET"): (Case(partnership_url(), PARTNERS_ONLY_PAGE),),
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
