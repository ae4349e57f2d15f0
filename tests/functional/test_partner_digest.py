"""The weekly digest's "Partners" section: the check-ins missed in the week before it,
the reader's and their partner's, per partnership; someone with a partner and no
recruits gets a digest when there is something in it, still once a week; the run's
statements stay a fixed few plus one per email."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine

from app.extensions import db
from app.services import partners
from tests.conftest import count_queries
from tests.factories import UserFactory, make_partnership, make_track
from tests.smtp import parts

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Monday 2 March 2026
DIGEST_DAY = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # the next Monday


def send_digest(runner, as_of: datetime):  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["digest", "send", "--as-of", as_of.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def partnered(ada_name="Ada", bo_name="Bo", **ada_fields):  # type: ignore[no-untyped-def]
    """Ada and Bo, partners Monday and Friday from START; Ada checked in on Monday 2
    March, nobody since: Bo missed Monday and Friday, Ada Friday."""
    ada = UserFactory(name=ada_name, **ada_fields)
    bo = UserFactory(name=bo_name)
    partnership = make_partnership(ada, bo, now=START)
    partners.check_in(
        db.session,
        ada,
        partnership.id,
        day=date(2026, 3, 2),
        said="",
        did="yes",
        next_step="Call two people",
        now=START,
    )
    return partnership, ada, bo


def test_someone_with_a_partner_and_no_recruits_gets_both_sides_misses(runner, smtp):
    partnership, ada, bo = partnered()
    output = send_digest(runner, DIGEST_DAY)
    assert "sent: 2" in output
    (message,) = smtp.to(ada.email)
    assert message["Subject"] == "Willing weekly: 3 missed partner check-ins"
    text, html = parts(message)
    assert "With Bo: you missed Fri 06 Mar; Bo missed Mon 02 Mar, Fri 06 Mar" in text
    assert f"/partners/{partnership.id}" in text and f'/partners/{partnership.id}"' in html
    assert "<h2>Partners</h2>" in html
    (to_bo,) = smtp.to(bo.email)
    assert "With Ada: you missed Mon 02 Mar, Fri 06 Mar; Ada missed Fri 06 Mar" in (parts(to_bo)[0])
    for hours in (1, 30, 100):  # the same week, however often it runs
        send_digest(runner, DIGEST_DAY + timedelta(hours=hours))
    assert len(smtp.to(ada.email)) == 1
    send_digest(runner, DIGEST_DAY + timedelta(days=7))
    again = smtp.to(ada.email)[-1]
    assert len(smtp.to(ada.email)) == 2
    text = parts(again)[0]
    assert "you missed Mon 09 Mar, Fri 13 Mar" in text  # the week before only
    assert "06 Mar" not in text and "02 Mar" not in text


def test_no_misses_no_digest_for_someone_without_recruits(runner, smtp):
    ada, bo = UserFactory(), UserFactory()
    partnership = make_partnership(ada, bo, now=START)
    for person in (ada, bo):
        for day in (date(2026, 3, 2), date(2026, 3, 6)):
            partners.check_in(
                db.session,
                person,
                partnership.id,
                day=day,
                said="",
                did="yes",
                next_step="More",
                now=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=20),
            )
    output = send_digest(runner, DIGEST_DAY)
    assert "skipped (nothing to report): 2" in output
    assert smtp.messages == []


def test_misses_join_the_stalled_recruits_in_a_sponsors_digest(runner, smtp):
    with time_machine.travel(DIGEST_DAY - timedelta(days=21)):  # the team as it was then
        sponsor = UserFactory(name="Sandra")
        track = make_track(sponsor, 2)
        UserFactory(
            name="Stuck Stu",
            sponsor=sponsor,
            track=track,
            enrolled_at=DIGEST_DAY - timedelta(days=20),
        )
    make_partnership(sponsor, UserFactory(name="Pat"), now=START)
    send_digest(runner, DIGEST_DAY)
    (message,) = smtp.to(sponsor.email)
    assert message["Subject"] == "Willing weekly: 1 stalled recruit, 4 missed partner check-ins"
    text = parts(message)[0]
    assert "Stuck Stu" in text and "PARTNERS" in text
    assert "With Pat: you missed Mon 02 Mar, Fri 06 Mar; Pat missed Mon 02 Mar, Fri 06 Mar" in text


def test_an_ended_partnership_still_shows_the_week_it_missed_then_goes(runner, smtp):
    partnership, ada, bo = partnered()
    partners.end(
        db.session, bo, partnership.id, "Too busy", now=datetime(2026, 3, 7, 9, tzinfo=UTC)
    )
    send_digest(runner, DIGEST_DAY)
    assert "Bo missed Mon 02 Mar, Fri 06 Mar" in parts(smtp.to(ada.email)[0])[0]
    send_digest(runner, DIGEST_DAY + timedelta(days=7))
    assert len(smtp.to(ada.email)) == 1  # nothing missed since it ended


def test_the_digest_run_costs_one_statement_per_email_beyond_a_fixed_few(runner, smtp):
    def statements_for(pairs: int, week: int) -> int:
        for n in range(pairs):
            partnered(f"Ada {week}-{n}", f"Bo {week}-{n}")
        with count_queries() as statements:
            output = send_digest(runner, DIGEST_DAY + timedelta(days=7 * week))
        return len(statements), output

    two, first = statements_for(1, 0)  # 2 digests
    assert "sent: 2" in first
    six, second = statements_for(2, 0)  # the same week: 4 more digests, 2 already sent
    assert "sent: 4" in second
    assert six - two == 2  # two more emails' outcomes


def test_the_preview_shows_the_partners_section_too(client, auth):
    _partnership, ada, _bo = partnered()
    with time_machine.travel(DIGEST_DAY, tick=False):
        auth.login(ada)
        page = client.get("/digest").text
    assert "Partners" in page and "you missed Fri 06 Mar" in page
    assert "3 missed partner check-ins" in page
