"""The private calendar feed: made from Settings, valid iCalendar (RFC 5545) as the
`icalendar` package parses it, with the groups' meetings in their own time zone (a
VTIMEZONE for each, the wall-clock time kept across a daylight-saving change) and the
partner check-in days as all-day events; a new link kills the old, "off" kills both."""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar

from app.extensions import db
from app.services import calendar_feed, groups
from tests.conftest import csrf_token
from tests.factories import UserFactory, make_partnership

# 2 March 2026: New York changes its clocks on 8 March.
MARCH = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_the_feed_lists_meetings_in_their_zone_and_partner_days(client, auth) -> None:
    host = UserFactory(name="Hana", timezone="America/New_York")
    group = groups.create(
        db.session, host, groups.GroupSettings("Club", "", "weekly", 3, 19 * 60, "Cafe"), now=MARCH
    )
    for _ in range(2):
        groups.join(db.session, UserFactory(), group.invite_token, now=MARCH)
    make_partnership(host, UserFactory(name="Pia"), now=MARCH)  # Mondays and Fridays
    body = calendar_feed.feed(db.session, host, now=MARCH)
    calendar = Calendar.from_ical(body)
    zones = [tz["TZID"] for tz in calendar.walk("VTIMEZONE")]
    assert zones == ["America/New_York"]
    meetings = [e for e in calendar.walk("VEVENT") if "mastermind" in str(e["SUMMARY"])]
    starts = [e.decoded("DTSTART") for e in meetings]
    assert [s.date() for s in starts[:3]] == [
        date(2026, 3, 5),
        date(2026, 3, 12),
        date(2026, 3, 19),
    ]
    assert {(s.hour, s.minute) for s in starts} == {(19, 0)}  # across the change
    assert starts[0].utcoffset() != starts[1].utcoffset()
    assert str(meetings[0]["LOCATION"]) == "Cafe"
    days = [
        e.decoded("DTSTART") for e in calendar.walk("VEVENT") if "Check in" in str(e["SUMMARY"])
    ]
    assert days[:3] == [date(2026, 3, 2), date(2026, 3, 6), date(2026, 3, 9)]
    assert all(type(d) is date for d in days)  # all-day
    assert len({str(e["UID"]) for e in calendar.walk("VEVENT")}) == len(calendar.walk("VEVENT"))


def test_settings_make_renew_and_turn_off_the_link(client, auth) -> None:
    person = UserFactory()
    auth.login(person)
    page = client.get("/settings")
    assert "Make my calendar link" in page.text
    client.post("/calendar/link", data={"csrf_token": csrf_token(page.text)})
    db.session.expire_all()
    first = person.calendar_token
    response = client.get(f"/calendar/{first}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    Calendar.from_ical(response.data)
    auth.logout()
    assert client.get(f"/calendar/{first}.ics").status_code == 200  # no session needed
    auth.login(person)
    page = client.get("/settings")
    client.post("/calendar/link", data={"csrf_token": csrf_token(page.text)})
    db.session.expire_all()
    assert client.get(f"/calendar/{first}.ics").status_code == 404
    second = person.calendar_token
    client.post("/calendar/off", data={"csrf_token": csrf_token(client.get("/settings").text)})
    assert client.get(f"/calendar/{second}.ics").status_code == 404
    assert "Make my calendar link" in client.get("/settings").text
