"""The partners' authorization matrix: every partners route, method and seven roles
(the two partners, a third user, each partner's sponsor, an upline above both, and
anonymous). Only the two partners see or change anything of a partnership; everyone
else gets 404 (anonymous: the login page), changes nothing, and reads none of it.

The main matrix (test_authorization_matrix.py) hands the `partners` blueprint to this
file; a partners route without an entry here fails test_every_partner_route_has_an_entry.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.models import utcnow
from tests.blueprint_matrix import LOGIN, Case, Matrix, only
from tests.partner_world import (
    ANONYMOUS,
    OTHER_PARTNER,
    OUTSIDERS,
    PARTNER,
    PARTNER_SPONSOR,
    PARTNERS,
    USERS,
    PartnerWorld,
    build_partner_world,
)

MATRIX = Matrix("partners.", USERS, OUTSIDERS, build_partner_world)
expect = MATRIX.expect


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


def client_as(app, world, role: str):  # type: ignore[no-untyped-def]
    return MATRIX.client_as(app, world, role)


def test_every_partner_route_has_an_entry(app) -> None:
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


def test_methods_a_partner_route_does_not_take_answer_405(app) -> None:
    problems = MATRIX.wrong_methods(app, ROUTES, (ANONYMOUS, PARTNER, PARTNER_SPONSOR))
    assert not problems, "\n".join(problems)
