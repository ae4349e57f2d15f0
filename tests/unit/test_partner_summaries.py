"""What a sponsor's dashboard knows of a recruit's partnerships (services.partner_summaries):
whether one is running, and the consistency the recruit sees on the partnership page,
in two statements for any number of recruits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.models import PartnerCheckIn
from app.services import partners
from app.services.partner_schedule import consistency
from app.services.partner_summaries import NO_PARTNER, PartnerSummary, summaries
from tests.conftest import count_queries
from tests.factories import UserFactory, make_partnership, terms

# A Monday, 10:00 UTC.
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def daily(asker, asked=None, now=MONDAY):  # type: ignore[no-untyped-def]
    return make_partnership(asker, asked, now=now, cadence="daily", weekdays=frozenset())


def post(user, partnership, day_offset: int, hours_after: float = 1) -> None:  # type: ignore[no-untyped-def]
    """A check-in for the term's day `day_offset`, posted `hours_after` its midnight."""
    day = partnership.term_started_on + timedelta(days=day_offset)
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hours_after)
    db.session.add(
        PartnerCheckIn(
            partnership_id=partnership.id,
            author_id=user.id,
            day=day,
            said="",
            did="yes",
            next="Call two people.",
            created_at=at,
        )
    )
    db.session.commit()


def as_the_page_shows(user, partnership, now):  # type: ignore[no-untyped-def]
    """The consistency the partnership page computes for `user`, from all the facts."""
    segs = partners.segments(partnership, partners.accepted_agreements(db.session, partnership.id))
    posted = {
        c.day: c.created_at
        for c in db.session.query(PartnerCheckIn).filter_by(
            partnership_id=partnership.id, author_id=user.id
        )
    }
    return consistency(partners.partner_days(segs, user, posted, now))


def test_no_partner_and_a_request_still_waiting_are_both_no_partner(app) -> None:
    alone, asking, asked = UserFactory(), UserFactory(), UserFactory()
    partners.ask(db.session, asking, terms(), partner_id=asked.id, now=MONDAY)
    got = summaries(db.session, [alone.id, asking.id, asked.id], MONDAY)
    assert got == {alone.id: NO_PARTNER, asking.id: NO_PARTNER, asked.id: NO_PARTNER}
    assert summaries(db.session, [], MONDAY) == {}


def test_missed_and_late_days_count_as_the_partner_sees_them(app) -> None:
    recruit, partner = UserFactory(), UserFactory()
    partnership = daily(recruit, partner)
    post(recruit, partnership, 0)  # on time
    post(recruit, partnership, 1, hours_after=30)  # within the next day's grace: on time
    post(recruit, partnership, 2, hours_after=50)  # after the grace: late
    # day 3 and day 4: missed; day 5 due (yesterday's grace); day 6 due today
    now = MONDAY + timedelta(days=6)
    got = summaries(db.session, [recruit.id, partner.id], now)
    assert got[recruit.id] == PartnerSummary(True, 2, 5)
    assert got[recruit.id].percent == 40
    assert got[partner.id] == PartnerSummary(True, 0, 5)  # never checked in
    page = as_the_page_shows(recruit, partnership, now)
    assert (page.on_time, page.out_of) == (2, 5)


def test_a_partnership_just_started_has_a_partner_and_nothing_counted_yet(app) -> None:
    recruit = UserFactory()
    daily(recruit)
    got = summaries(db.session, [recruit.id], MONDAY + timedelta(hours=2))
    assert got[recruit.id] == PartnerSummary(True, 0, 0)
    assert got[recruit.id].percent is None


def test_a_long_history_gives_the_pages_last_twenty(app) -> None:
    """Only the check-ins the window needs are read; the figure is still the page's."""
    recruit = UserFactory(timezone="Pacific/Auckland")
    partnership = make_partnership(recruit, now=MONDAY - timedelta(days=150), term_months=6)
    for offset in range(0, 150, 2):  # Monday and Friday mostly: every other posted
        post(recruit, partnership, offset, hours_after=5)
    got = summaries(db.session, [recruit.id], MONDAY)
    page = as_the_page_shows(recruit, partnership, MONDAY)
    assert page.out_of == 20
    assert got[recruit.id] == PartnerSummary(True, page.on_time, page.out_of)


def test_an_ended_partnership_or_a_term_run_out_counts_for_nothing(app) -> None:
    ended_early, ran_out, both = UserFactory(), UserFactory(), UserFactory()
    first = daily(ended_early)
    post(ended_early, first, 0)
    partners.end(db.session, ended_early, first.id, "Not for me.", now=MONDAY + timedelta(days=1))
    daily(ran_out, now=MONDAY - timedelta(days=100))  # three months: over by MONDAY + 1
    finished = daily(both)
    partners.end(db.session, both, finished.id, "Done.", now=MONDAY + timedelta(days=2))
    running = daily(both, now=MONDAY + timedelta(days=2))
    post(both, running, 0)
    got = summaries(db.session, [ended_early.id, ran_out.id, both.id], MONDAY + timedelta(days=4))
    assert got[ended_early.id] == NO_PARTNER
    assert got[ran_out.id] == NO_PARTNER
    assert got[both.id] == PartnerSummary(True, 1, 1)  # only the running one's day 0


def test_several_running_partnerships_merge_their_settled_days(app) -> None:
    recruit = UserFactory()
    one = daily(recruit)
    two = make_partnership(recruit, now=MONDAY)  # Monday and Friday
    for offset in range(5):
        post(recruit, one, offset)
    # A week on: the daily one has days 0-4 on time and Saturday missed (Sunday is in its
    # grace); the other has both Monday and Friday missed.
    now = MONDAY + timedelta(days=7)
    got = summaries(db.session, [recruit.id], now)
    one_page = as_the_page_shows(recruit, one, now)
    two_page = as_the_page_shows(recruit, two, now)
    assert two_page.out_of == 2 and two_page.on_time == 0  # Monday and Friday, missed
    assert (one_page.on_time, one_page.out_of) == (5, 6)
    assert got[recruit.id] == PartnerSummary(True, 5, 8)


def test_two_statements_for_one_recruit_or_many(app) -> None:
    def statements(ids: list[int]) -> int:
        db.session.expire_all()
        with count_queries() as queries:
            summaries(db.session, ids, MONDAY + timedelta(days=3))
        return len(queries)

    lone = UserFactory()
    assert statements([lone.id]) == 2
    many = [UserFactory() for _ in range(12)]
    for index, user in enumerate(many):
        partnership = daily(user, many[(index + 1) % len(many)] if index % 3 else None)
        post(user, partnership, 0)
    assert statements([u.id for u in many]) == 2
