"""The Partner column of the sponsor's dashboard and CSV: whether each recruit has a
running accountability partnership and how consistent they are, never its content."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import PartnerCheckIn, Partnership
from app.services import partners
from app.services.partner_schedule import consistency
from app.services.partner_summaries import PartnerSummary, summaries
from tests.factories import UserFactory, make_partnership, make_track, terms

# A Wednesday noon; the partnerships started the Monday of the week before.
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
STARTED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def check_in(user, partnership, offset: int, *, late: bool = False, note: str = ""):  # type: ignore[no-untyped-def]
    day = partnership.term_started_on + timedelta(days=offset)
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=60 if late else 20
    )
    return partners.check_in(
        db.session,
        user,
        partnership.id,
        day=day,
        said=f"Private promise {offset}",
        did="partly",
        next_step=f"Private next step {offset}",
        note=note,
        now=at,
    )


@pytest.fixture
def team(app):
    """Dana's recruits: Pia with a daily partner (on time, late and missed days), Nick
    with none, Edda whose partnership ended, Ron whose request is still waiting."""
    sponsor = UserFactory(name="Dana Sponsor")
    track = make_track(sponsor, 2)

    def recruit(name: str):  # type: ignore[no-untyped-def]
        return UserFactory(name=name, sponsor=sponsor, track=track, enrolled_at=STARTED)

    pia, nick, edda, ron = (recruit(n) for n in ("Pia Partnered", "Nick None", "Edda Ended", "Ron"))
    outsider = UserFactory(name="Otto Outsider")
    rules = "Private rules: we call each other out"
    running = make_partnership(
        pia, outsider, now=STARTED, cadence="daily", weekdays=frozenset(), rules=rules
    )
    # At NOW days 0-7 (Mon 2 to Mon 9) are settled; day 8 is in its grace, day 9 today.
    for offset in (0, 1, 2, 4, 5, 6):
        check_in(pia, running, offset, note=f"Private win {offset}")
    check_in(pia, running, 7, late=True)
    # Day 3 missed, day 7 late: 6 of 8 on time.
    entry = check_in(outsider, running, 0)
    partners.reply(
        db.session, pia, entry.id, "Private reply to Otto", now=STARTED + timedelta(days=1)
    )
    ended = make_partnership(edda, UserFactory(name="Erin Elsewhere"), now=STARTED, rules=rules)
    check_in(edda, ended, 0)
    partners.end(db.session, edda, ended.id, "Private end note", now=STARTED + timedelta(days=3))
    request = terms(rules="Private rules of a request")
    partners.ask(db.session, ron, request, partner_id=outsider.id, now=STARTED)
    return {"sponsor": sponsor, "pia": pia, "nick": nick, "edda": edda, "ron": ron}


PRIVATE = (
    "Private rules",
    "Private promise",
    "Private next step",
    "Private win",
    "Private reply",
    "Private end note",
    "Otto",
    "Erin",
    "+1 555 0100",  # the handle in the terms
)


def partner_cells(html: str) -> dict[str, str]:
    """Each recruit's Partner cell, by name."""
    table = html.split('<table class="recruits stack">', 1)[1].split("</table>", 1)[0]
    out = {}
    for row in re.findall(r"<tr class=.*?</tr>", table, re.S):
        name = re.search(r'<a href="/recruits/\d+">([^<]+)</a>', row).group(1)
        cell = re.search(r'<td data-label="Partner">(.*?)</td>', row, re.S).group(1)
        out[unescape(name)] = " ".join(re.sub(r"<[^>]+>", " ", unescape(cell)).split())
    return out


def test_the_dashboard_shows_who_has_a_partner_and_their_consistency(client, auth, team):
    with time_machine.travel(NOW, tick=False):
        auth.login(team["sponsor"])
        page = client.get("/").text
    assert '<th scope="col">Partner</th>' in page
    assert partner_cells(page) == {
        "Pia Partnered": "Yes, 75% on time (6 of 8)",
        "Nick None": "None",
        "Edda Ended": "None",  # ended: it doesn't count
        "Ron": "None",  # asked, not yet agreed
    }
    for text in PRIVATE:
        assert text not in page, text


def test_the_figure_is_the_one_the_recruit_sees_on_the_partnership_page(team):
    """The partnership page's consistency: every day of every version, all check-ins."""
    pia = team["pia"]
    [running] = db.session.scalars(
        select(Partnership).where(partners.involving(pia.id), Partnership.status == "active")
    )
    segs = partners.segments(running, partners.accepted_agreements(db.session, running.id))
    posted = dict(
        db.session.execute(
            select(PartnerCheckIn.day, PartnerCheckIn.created_at).where(
                PartnerCheckIn.partnership_id == running.id, PartnerCheckIn.author_id == pia.id
            )
        ).all()
    )
    figure = consistency(partners.partner_days(segs, pia, posted, NOW))
    assert (figure.on_time, figure.out_of) == (6, 8)
    assert summaries(db.session, [pia.id], NOW)[pia.id] == PartnerSummary(True, 6, 8)


def test_the_csv_has_the_partner_columns_and_no_content(client, auth, team):
    with time_machine.travel(NOW, tick=False):
        auth.login(team["sponsor"])
        body = client.get("/dashboard.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    by_name = {
        r["Name"]: (
            r["Active partner"],
            r["Partner check-ins on time"],
            r["Partner check-ins counted"],
        )
        for r in rows
    }
    assert by_name == {
        "Pia Partnered": ("Yes", "6", "8"),
        "Nick None": ("No", "", ""),
        "Edda Ended": ("No", "", ""),
        "Ron": ("No", "", ""),
    }
    for text in PRIVATE:
        assert text not in body, text


def test_a_partner_with_nothing_due_yet_says_so(client, auth, team):
    fresh = UserFactory(name="Fay Fresh", sponsor=team["sponsor"], enrolled_at=STARTED)
    make_partnership(fresh, now=NOW - timedelta(hours=1), cadence="daily", weekdays=frozenset())
    with time_machine.travel(NOW, tick=False):
        auth.login(team["sponsor"])
        cells = partner_cells(client.get("/").text)
    assert cells["Fay Fresh"] == "Yes (no check-ins due yet)"
