"""Who to ask as an accountability partner (app.services.partner_suggestions): upline
first, then crossline nearest first, downline last; never yourself, the archived or
someone excluded; a fixed number of statements however deep the tree."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import utcnow
from app.services.partner_suggestions import Relation, suggestions, upline
from tests.conftest import count_queries
from tests.factories import UserFactory


@pytest.fixture
def tree(app):  # type: ignore[no-untyped-def]
    """Uma → Gus → Sam → Me → Rae → Rex; Sam → Bea → Bo; Gus → Ann; Uma → Xia;
    Sam → Arch (archived); and a stranger's team beside it all."""
    people = {}

    def person(name, sponsor=None, **kw):  # type: ignore[no-untyped-def]
        people[name] = UserFactory(name=name, sponsor=people.get(sponsor), **kw)
        return people[name]

    person("Uma")
    person("Gus", "Uma")
    person("Xia", "Uma")
    person("Sam", "Gus")
    person("Ann", "Gus")
    person("Me", "Sam")
    person("Bea", "Sam")
    person("Arch", "Sam", archived_at=utcnow())
    person("Bo", "Bea")
    person("Rae", "Me")
    person("Rex", "Rae")
    person("Stranger")
    person("Stranger's recruit", "Stranger")
    return people


def names(found) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(s.person.name, s.relation) for s in found]


def test_upline_first_then_crossline_nearest_first_then_downline(tree):
    found = suggestions(db.session, tree["Me"])
    assert names(found) == [
        ("Sam", Relation.UPLINE),
        ("Gus", Relation.UPLINE),
        ("Uma", Relation.UPLINE),
        ("Bea", Relation.CROSSLINE),
        ("Bo", Relation.CROSSLINE),
        ("Ann", Relation.CROSSLINE),
        ("Xia", Relation.CROSSLINE),
        ("Rae", Relation.DOWNLINE),
        ("Rex", Relation.DOWNLINE),
    ]
    reasons = {s.person.name: s.reason for s in found}
    assert reasons["Sam"] == "Your sponsor: has a vested interest in your success."
    assert reasons["Gus"].startswith("2 levels up your line")
    assert reasons["Bo"] == "Crossline: on Sam's team beside you, outside your own line."
    assert "may not call their sponsor out" in reasons["Rae"]
    assert reasons["Rex"].startswith("2 levels down your team")


def test_excluded_archived_and_strangers_are_never_suggested(tree):
    tree["Gus"].archived_at = utcnow()
    db.session.commit()
    found = names(suggestions(db.session, tree["Me"], exclude={tree["Bea"].id}))
    people = [name for name, _ in found]
    assert "Gus" not in people and "Bea" not in people and "Arch" not in people
    assert "Me" not in people and "Stranger" not in people
    assert "Bo" in people  # Bea's recruit is still crossline
    assert "Ann" in people  # an archived upline's other recruits still share the line


def test_the_top_of_a_team_gets_only_their_downline(tree):
    assert names(suggestions(db.session, tree["Uma"]))[:2] == [
        ("Gus", Relation.DOWNLINE),
        ("Xia", Relation.DOWNLINE),
    ]
    assert upline(db.session, tree["Uma"]) == []


def test_a_fixed_number_of_statements_however_deep_the_line(app):
    top = UserFactory(name="Top")
    below = top
    for n in range(30):
        below = UserFactory(name=f"Level {n}", sponsor=below)
    for n in range(30):
        UserFactory(name=f"Side {n}", sponsor=top)
    db.session.refresh(below)  # loaded, as the request's user is
    with count_queries() as statements:
        found = suggestions(db.session, below)
    # One for the line above, one for each of the three nearest uplines' other teams,
    # one for their own team: the same at any depth.
    assert len(statements) == 5, statements
    assert [s.relation for s in found].count(Relation.UPLINE) == 10  # the nearest ten
