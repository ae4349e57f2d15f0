"""The mastermind groups' authorization matrix: every groups route, method and five
roles (the host, a member, a former member, a non-member, anonymous). Only members see
a group; a former member reads the meetings held while they were in and nothing after,
and changes nothing; everyone else gets 404 (anonymous: the login page).

The main matrix (test_authorization_matrix.py) hands the `groups` blueprint to this
file; a groups route without an entry here fails test_every_group_route_has_an_entry.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.blueprint_matrix import LOGIN, Case, Matrix, only
from tests.group_world import (
    ANONYMOUS,
    FORMER,
    HOST,
    MEMBER,
    NON_MEMBER,
    OUTSIDERS,
    USERS,
    GroupWorld,
    build_group_world,
)

MATRIX = Matrix("groups.", USERS, OUTSIDERS, build_group_world)
expect = MATRIX.expect


def group_url(suffix: str = "") -> Callable[[GroupWorld], str]:
    return lambda w: f"/groups/{w.group}{suffix}"


MEMBERS_READ = expect(LOGIN, 404, **{HOST: 200, MEMBER: 200, FORMER: 200})
CURRENT_READ = expect(LOGIN, 404, **{HOST: 200, MEMBER: 200})
# An action for the host; a member or former member is told why (a redirect), others 404.
HOST_ACTION = expect(LOGIN, 404, **{HOST: 302, MEMBER: 302, FORMER: 302})
GROUP = {
    "name": "New club",
    "purpose": "",
    "cadence": "weekly",
    "weekday": "3",
    "time": "19:00",
    "location": "",
}

ROUTES: dict[tuple[str, str], tuple[Case, ...]] = {
    ("groups.index", "GET"): (Case(lambda _w: "/groups", expect(LOGIN, 200)),),
    ("groups.create", "GET"): (Case(lambda _w: "/groups/new", expect(LOGIN, 200)),),
    ("groups.create", "POST"): (
        Case(
            lambda _w: "/groups/new",
            expect(LOGIN, 302),
            writes=frozenset(USERS),
            data=lambda _w: GROUP,
        ),
    ),
    ("groups.join", "GET"): (
        Case(lambda w: f"/groups/join/{w.token}", expect(200, 200)),
        Case(lambda _w: "/groups/join/forged", expect(404, 404), variant="forged"),
    ),
    ("groups.join", "POST"): (
        # Members already in change nothing; Fay rejoins, Nat joins.
        Case(
            lambda w: f"/groups/join/{w.token}", expect(LOGIN, 302), writes=only(FORMER, NON_MEMBER)
        ),
        Case(lambda _w: "/groups/join/forged", expect(404, 404), variant="forged"),
    ),
    ("groups.show", "GET"): (Case(group_url(), MEMBERS_READ),),
    ("groups.update", "GET"): (
        Case(group_url("/update"), expect(LOGIN, 404, **{HOST: 200, MEMBER: 200, FORMER: 302})),
    ),
    ("groups.update", "POST"): (
        Case(
            group_url("/update"),
            expect(LOGIN, 404, **{HOST: 302, MEMBER: 302, FORMER: 302}),
            writes=only(HOST, MEMBER),
            data=lambda _w: {
                "successes": "A good week",
                "challenges": "",
                "opportunities": "",
                "goals": "More",
            },
        ),
    ),
    ("groups.meeting", "GET"): (
        Case(lambda w: f"/groups/{w.group}/meetings/{w.first}", MEMBERS_READ, variant="first"),
        Case(lambda w: f"/groups/{w.group}/meetings/{w.held}", CURRENT_READ, variant="after Fay"),
    ),
    ("groups.record", "POST"): (
        Case(
            lambda w: f"/groups/{w.group}/meetings/{w.held}/record",
            expect(LOGIN, 404, **{HOST: 302, MEMBER: 400}),
            writes=only(HOST),
            data=lambda w: {"notes": "Good meeting", f"attendance-{w.user_ids[MEMBER]}": "present"},
        ),
    ),
    ("groups.swap", "POST"): (
        Case(
            lambda w: f"/groups/{w.group}/meetings/{w.upcoming}/hot-seat",
            expect(LOGIN, 404, **{HOST: 302, MEMBER: 302}),
            writes=only(HOST),
            data=lambda w: {"member": str(w.user_ids[MEMBER])},
        ),
    ),
    ("groups.comment", "POST"): (
        Case(
            lambda w: f"/groups/updates/{w.update}/comments",
            expect(LOGIN, 404, **{HOST: 302, MEMBER: 302}),
            writes=only(HOST, MEMBER),
            data=lambda w: {
                f"comment-{w.update}-body": "Well done",
                f"comment-{w.update}-post": "y",
            },
        ),
    ),
    ("groups.remove", "POST"): (
        Case(
            group_url("/remove"),
            HOST_ACTION,
            writes=only(HOST),
            data=lambda w: {"member": str(w.user_ids[MEMBER])},
        ),
    ),
    ("groups.hand_over", "POST"): (
        Case(
            group_url("/host"),
            HOST_ACTION,
            writes=only(HOST),
            data=lambda w: {"member": str(w.user_ids[MEMBER])},
        ),
    ),
    ("groups.leave", "POST"): (
        # The host must hand over first; Fay has left already.
        Case(group_url("/leave"), HOST_ACTION, writes=only(MEMBER)),
    ),
    ("groups.archive", "POST"): (Case(group_url("/archive"), HOST_ACTION, writes=only(HOST)),),
    ("groups.new_link", "POST"): (Case(group_url("/new-link"), HOST_ACTION, writes=only(HOST)),),
    # The calendar feed: its secret URL is the key (a calendar app has no session).
    ("groups.calendar_feed", "GET"): (
        Case(lambda w: f"/calendar/{w.calendar}.ics", expect(200, 200)),
        Case(lambda _w: "/calendar/forged.ics", expect(404, 404), variant="forged"),
    ),
    ("groups.calendar_link", "POST"): (
        Case(lambda _w: "/calendar/link", expect(LOGIN, 302), writes=frozenset(USERS)),
    ),
    ("groups.calendar_off", "POST"): (
        # Only Hana has a feed to turn off.
        Case(lambda _w: "/calendar/off", expect(LOGIN, 302), writes=only(HOST)),
    ),
}


def client_as(app, world, role: str):  # type: ignore[no-untyped-def]
    return MATRIX.client_as(app, world, role)


def test_every_group_route_has_an_entry(app) -> None:
    problems = MATRIX.missing_and_stale(app, ROUTES)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("endpoint", "method"), sorted(ROUTES), ids=[f"{m} {e}" for e, m in sorted(ROUTES)]
)
def test_each_role_gets_what_the_table_says(app, endpoint, method) -> None:
    problems = []
    for case in ROUTES[(endpoint, method)]:
        problems += MATRIX.check_case(app, endpoint, method, case)
    assert not problems, "\n".join(problems)


def test_methods_a_group_route_does_not_take_answer_405(app) -> None:
    problems = MATRIX.wrong_methods(app, ROUTES, (ANONYMOUS, HOST, NON_MEMBER))
    assert not problems, "\n".join(problems)
