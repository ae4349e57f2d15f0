"""An authorization matrix for one blueprint with roles of its own (the partners'
seven, the groups' five): the table's entries, and the checks the main matrix makes —
each role's status, writes only by the roles listed, nothing private to an outsider,
every route in the table, 405 for the methods a route doesn't take.

A blueprint's test file builds a `Matrix` with its world and roles, writes its ROUTES
with `Case`, and calls the three checks from its tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.conftest import csrf_token
from tests.trust_world import difference, login, state

LOGIN = "302 to /login"  # anonymous on a login-required route
ANONYMOUS = "anonymous"
WRONG_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Case:
    url: Callable[[Any], str]
    expect: Mapping[str, int | str]
    writes: frozenset[str] = frozenset()  # these roles must change the database
    data: Callable[[Any], dict] | None = None
    variant: str = ""


def only(*roles: str) -> frozenset[str]:
    return frozenset(roles)


def _status_ok(expected: int | str, response) -> bool:  # type: ignore[no-untyped-def]
    if expected == LOGIN:
        location = response.headers.get("Location", "")
        return response.status_code == 302 and urlsplit(location).path == "/login"
    return response.status_code == expected


@dataclass(frozen=True)
class Matrix:
    prefix: str  # the blueprint's endpoints start with it ("partners.")
    users: tuple[str, ...]  # the signed-in roles
    outsiders: tuple[str, ...]  # who must read nothing private
    build_world: Callable[[], Any]  # a fresh world (user_ids, emails, private_texts)

    @property
    def roles(self) -> tuple[str, ...]:
        return (ANONYMOUS, *self.users)

    def expect(self, anonymous: int | str, users: int | str, **roles: int | str) -> dict:
        """Anonymous's status, everybody else's, and exceptions by role name."""
        table: dict[str, int | str] = {ANONYMOUS: anonymous, **dict.fromkeys(self.users, users)}
        table.update(roles)
        return table

    def client_as(self, app, world, role: str):  # type: ignore[no-untyped-def]
        """A fresh browser, logged in as the role's person (or nobody), and its token."""
        client = app.test_client()
        if role == ANONYMOUS:
            return client, csrf_token(client.get("/login").text)
        login(client, world.emails[role])
        return client, csrf_token(client.get("/settings").text)

    def pairs(self, app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
        return {
            (rule.endpoint, method)
            for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith(self.prefix)
            for method in rule.methods - {"HEAD", "OPTIONS"}
        }

    @staticmethod
    def request(client, token, world, method: str, case: Case):  # type: ignore[no-untyped-def]
        url = case.url(world)
        before = state()
        if method == "GET":
            response = client.get(url)
        else:
            data = {**(case.data(world) if case.data else {}), "csrf_token": token}
            response = client.open(url, method=method, data=data)
        return response, before, state()

    def check_case(self, app, endpoint: str, method: str, case: Case) -> list[str]:  # type: ignore[no-untyped-def]
        """Ask as each role in turn; a fresh world whenever the last request changed it."""
        problems = []
        world = None
        for role in self.roles:
            if world is None:
                world = self.build_world()
            client, token = self.client_as(app, world, role)
            response, before, after = self.request(client, token, world, method, case)
            where = f"{method} {endpoint} {case.variant} as {role}".replace("  ", " ")
            if not _status_ok(case.expect[role], response):
                problems.append(
                    f"{where}: expected {case.expect[role]}, got {response.status_code} "
                    f"{response.headers.get('Location', '')} "
                    f"{response.get_data(as_text=True)[:200]!r}"
                )
            if role in case.writes and before == after:
                problems.append(f"{where}: should have changed the database, changed nothing")
            if role not in case.writes and before != after:
                problems.append(
                    f"{where}: must change nothing, changed {difference(before, after)}"
                )
            if role in self.outsiders:
                body = response.get_data()
                leaked = [w for text, w in world.private_texts.items() if text.encode() in body]
                if leaked:
                    problems.append(f"{where}: the response shows {', '.join(leaked)}")
            if before != after:
                world = None
        return problems

    def missing_and_stale(self, app, routes: Mapping) -> list[str]:  # type: ignore[no-untyped-def]
        """What is wrong with the table: routes without an entry, entries without a
        route, a case without one status per role."""
        problems = []
        missing = sorted(self.pairs(app) - routes.keys())
        if missing:
            problems.append(f"{self.prefix} routes without an entry in ROUTES: {missing}")
        stale = sorted(routes.keys() - self.pairs(app))
        if stale:
            problems.append(f"ROUTES has entries for routes the app no longer has: {stale}")
        for key, cases in routes.items():
            for case in cases:
                if set(case.expect) != set(self.roles):
                    problems.append(f"{key} {case.variant}: one status per role")
        return problems

    def wrong_methods(self, app, routes: Mapping, roles: tuple[str, ...]) -> list[str]:  # type: ignore[no-untyped-def]
        """Methods a route does not take: 405, and nothing changed."""
        urls = {endpoint: cases[0].url for (endpoint, _m), cases in routes.items()}
        world = self.build_world()
        problems = []
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith(self.prefix):
                continue
            for method in WRONG_METHODS:
                if method in rule.methods:
                    continue
                for role in roles:
                    client, token = self.client_as(app, world, role)
                    case = Case(urls[rule.endpoint], {})
                    response, before, after = self.request(client, token, world, method, case)
                    if response.status_code != 405 or before != after:
                        problems.append(f"{method} {rule.rule} as {role}: {response.status_code}")
        return problems
