"""Partner reminders and renewal requests (`flask partners remind`) and `flask partners
due`: the right local minute in every zone and across daylight-saving changes, never
before, never on an unscheduled day or after a check-in or once the partnership ended,
once however often (and from however many connections) it runs; the statements a run
costs do not grow with the partnerships."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import MessageKind, OutboxMessage, Partnership, User
from app.services import partners
from app.services.partner_reminders import run_reminders
from tests.conftest import at_once, count_queries, deliver_mail
from tests.factories import UserFactory, make_partnership
from tests.smtp import parts

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Mon 2 March 2026: before any DST change


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def pair(asker_zone="UTC", asked_zone="UTC", now=MONDAY, **terms):  # type: ignore[no-untyped-def]
    asker = UserFactory(name="Ada", timezone=asker_zone)
    asked = UserFactory(name="Bo", timezone=asked_zone)
    return make_partnership(asker, asked, now=now, **terms), asker, asked


def reminders(kind=MessageKind.PARTNER_REMINDER) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """(recipient, dedupe key) of every reminder recorded, in order."""
    return [
        (row.recipient_id, row.dedupe_key)
        for row in db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == kind, OutboxMessage.dedupe_key.is_not(None))
            .order_by(OutboxMessage.id)
        )
    ]


def remind(now: datetime):  # type: ignore[no-untyped-def]
    report = run_reminders(db.session, now)
    db.session.expire_all()
    return report


def check_in(user, partnership, day: date, now: datetime) -> None:  # type: ignore[no-untyped-def]
    partners.check_in(
        db.session,
        user,
        partnership.id,
        day=day,
        said="",
        did="yes",
        next_step="Keep going",
        now=now,
    )


def test_each_partner_is_reminded_at_nine_in_their_own_zone_and_once(app):
    partnership, ny, berlin = pair("America/New_York", "Europe/Berlin")
    friday = date(2026, 3, 6)
    assert remind(at("2026-03-06T07:59")).reminders == 0  # 08:59 in Berlin
    first = remind(at("2026-03-06T08:00"))  # 09:00 in Berlin, 03:00 in New York
    assert first.reminders == 1
    assert reminders() == [(berlin.id, f"partner-reminder:{partnership.id}:{berlin.id}:{friday}")]
    assert remind(at("2026-03-06T13:59")).reminders == 0  # 08:59 in New York (EST)
    later = remind(at("2026-03-06T14:00"))
    assert (later.reminders, later.already) == (1, 1)
    for hour in range(14, 24):  # a run every hour for the rest of the day
        assert remind(at(f"2026-03-06T{hour:02}:30")).reminders == 0
    assert [who for who, _key in reminders()] == [berlin.id, ny.id]


def test_not_on_a_day_the_schedule_does_not_fall_on(app):
    pair("America/New_York", "Pacific/Auckland")
    for moment in ("2026-03-03T20:00", "2026-03-04T12:00", "2026-03-05T15:00"):
        assert remind(at(moment)).reminders == 0  # Tuesday to Thursday, everywhere
    assert reminders() == []


def test_after_a_daylight_saving_change_nine_is_nine_local(app):
    """New York springs forward on Sunday 8 March 2026: Monday 9:00 is 13:00 UTC, not 14:00."""
    _partnership, ny, _utc = pair("America/New_York")
    remind(at("2026-03-09T12:59"))
    assert ny.id not in [who for who, _key in reminders()]
    remind(at("2026-03-09T13:00"))
    assert ny.id in [who for who, _key in reminders()]


@pytest.mark.parametrize(
    ("before", "after"),
    [("2026-03-08T06:59", "2026-03-08T07:00")],  # 01:59 EST, then 03:00 EDT
)
def test_a_reminder_minute_the_spring_forward_skips_comes_when_the_clock_jumps(app, before, after):
    partnership, ny, _other = pair(
        "America/New_York", now=at("2026-03-02T15:00"), cadence="daily", weekdays=frozenset()
    )
    ny.partner_reminder_minute = 2 * 60 + 30  # 02:30 does not exist on 8 March
    db.session.commit()
    remind(at(before))
    assert ny.id not in [who for who, _key in reminders()]
    remind(at(after))
    assert (ny.id, f"partner-reminder:{partnership.id}:{ny.id}:2026-03-08") in reminders()


def test_the_fall_back_hour_that_comes_twice_reminds_once(app):
    _partnership, ny, _other = pair(
        "America/New_York", now=at("2026-10-26T15:00"), cadence="daily", weekdays=frozenset()
    )
    ny.partner_reminder_minute = 60 + 30  # 01:30 happens twice on Sunday 1 November
    db.session.commit()
    remind(at("2026-11-01T05:30"))  # 01:30 EDT
    remind(at("2026-11-01T06:30"))  # 01:30 EST
    assert [key for who, key in reminders() if who == ny.id] == [
        f"partner-reminder:{_partnership.id}:{ny.id}:2026-11-01"
    ]


def test_no_reminder_after_a_check_in_for_the_day_or_with_reminders_off(app):
    partnership, early, off = pair()
    off.email_partner_reminders = False
    db.session.commit()
    friday = date(2026, 3, 6)
    check_in(early, partnership, friday, at("2026-03-06T07:00"))
    remind(at("2026-03-06T09:00"))
    assert reminders() == []


def test_no_reminder_for_an_ended_or_run_out_partnership_or_an_archived_person(app):
    ended, _ada, bo = pair()
    partners.end(db.session, bo, ended.id, "Thanks, that's it", now=at("2026-03-03T12:00"))
    run_out, _cy, _di = pair(term_months=1)  # its term ends on 2 April
    _kept, archived, active = pair()
    archived.archived_at = MONDAY
    db.session.commit()
    remind(at("2026-03-06T12:00"))
    assert [who for who, _key in reminders()] == [run_out.asker_id, run_out.asked_id, active.id]
    assert remind(at("2026-04-03T12:00")).partnerships == 1  # a Friday after 2 April
    assert [key for _who, key in reminders() if key.endswith("2026-04-03")] == [
        f"partner-reminder:{_kept.id}:{active.id}:2026-04-03"
    ]


def test_the_renewal_request_comes_seven_days_before_the_end_once_per_term(app, runner, smtp):
    partnership, ada, bo = pair(term_months=1)  # 2 March to 2 April
    assert remind(at("2026-03-25T12:00")).renewals == 0
    first = remind(at("2026-03-26T12:00"))
    assert first.renewals == 2
    for day in range(26, 32):
        assert remind(at(f"2026-03-{day:02}T18:00")).renewals == 0
    keys = reminders(MessageKind.PARTNER_RENEWAL)
    assert keys == [
        (ada.id, f"partner-renewal:{partnership.id}:{ada.id}:2026-04-02"),
        (bo.id, f"partner-renewal:{partnership.id}:{bo.id}:2026-04-02"),
    ]
    deliver_mail(runner)
    (message,) = [m for m in smtp.to(ada.email) if m["Subject"].startswith("Renew")]
    assert message["Subject"] == "Renew your partnership with Bo?"
    assert "ends on Thursday 02 April 2026" in parts(message)[0]
    assert f"/partners/{partnership.id}" in parts(message)[0]
    for person in (ada, bo):
        partners.answer_renewal(
            db.session, person, partnership.id, renew=True, how_it_went="Good", now=first_at()
        )
    assert remind(at("2026-04-25T12:00")).renewals == 2  # the next term ends on 2 May
    assert len(reminders(MessageKind.PARTNER_RENEWAL)) == 4


def first_at() -> datetime:
    return at("2026-03-27T12:00")


def test_who_answered_renewal_before_the_run_is_not_asked(app):
    partnership, ada, bo = pair(term_months=1)
    partners.answer_renewal(
        db.session, ada, partnership.id, renew=False, how_it_went="Enough", now=first_at()
    )
    remind(at("2026-03-27T13:00"))
    assert [who for who, _key in reminders(MessageKind.PARTNER_RENEWAL)] == [bo.id]


def test_a_reminder_reaches_the_partner_and_unsubscribing_stops_and_cancels(
    app, client, runner, smtp
):
    partnership, ada, bo = pair()
    deliver_mail(runner)  # the request and its acceptance
    remind(at("2026-03-06T09:00"))
    deliver_mail(runner)
    message = smtp.to(ada.email)[-1]
    assert message["Subject"] == "Check-in day with Bo"
    text, html = parts(message)
    assert "Today, Friday 06 March, is a check-in day with Bo." in text
    assert "on time until the end of Saturday 07 March" in text
    assert f"/partners/{partnership.id}" in text and f'/partners/{partnership.id}"' in html
    unsubscribe = urlsplit(message["List-Unsubscribe"].strip("<>")).path
    waiting = bo  # Bo's reminder of the day is still in the outbox when Bo unsubscribes
    remind(at("2026-03-09T09:00"))
    from app.mail.unsubscribe import EmailKind
    from app.services.accounts import set_email_preference

    set_email_preference(db.session, waiting, EmailKind.PARTNER_REMINDER, enabled=False)
    assert client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not db.session.get(User, ada.id).email_partner_reminders
    deliver_mail(runner)
    statuses = db.session.execute(
        select(OutboxMessage.recipient_id, OutboxMessage.status).where(
            OutboxMessage.dedupe_key.like("partner-reminder:%:2026-03-09")
        )
    ).all()
    assert sorted(statuses) == sorted([(ada.id, "cancelled"), (bo.id, "cancelled")])
    remind(at("2026-03-13T09:00"))
    assert (
        db.session.scalar(select(func.count()).where(OutboxMessage.dedupe_key.like("%:2026-03-13")))
        == 0
    )


def test_statements_do_not_grow_with_partnerships(app):
    def statements_with(count: int, day: str) -> int:
        for _ in range(count):
            pair()
        with count_queries() as statements:
            report = remind(at(day))
        total = db.session.scalar(select(func.count()).select_from(Partnership))
        assert report.reminders == 2 * total  # everyone's reminders of the day are new
        return len(statements)

    two = statements_with(2, "2026-03-06T09:00")
    six = statements_with(4, "2026-03-09T09:00")
    assert two == six


def test_two_runs_at_once_record_each_reminder_once(app):
    for _ in range(5):
        pair()
    moment = at("2026-03-06T09:00")
    reports, errors = at_once(app, lambda: run_reminders(db.session, moment))
    if errors and db.engine.dialect.name == "sqlite":
        pytest.skip(f"SQLite has one writer: {errors[0]}")  # PostgreSQL is the real case
    assert errors == []
    keys = [key for _who, key in reminders()]
    assert len(keys) == len(set(keys)) == 10
    assert sum(r.reminders for r in reports) == 10
    assert sum(r.already for r in reports) == 10


# --- flask partners due / remind ----------------------------------------------------------


def due(runner, as_of: str, *extra: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["partners", "due", "--as-of", as_of, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_partners_due_lists_due_and_missed_days_in_all_three_formats(app, runner):
    partnership, ada, bo = pair("America/New_York", "Europe/Berlin")
    check_in(ada, partnership, date(2026, 3, 2), at("2026-03-02T20:00"))
    # Friday 6 March, 12:00 UTC: both owe Friday; Bo missed Monday (closed Wednesday).
    as_of = "2026-03-06T12:00"
    rows = json.loads(due(runner, as_of, "--format", "json"))
    assert rows == [
        {
            "partnership": partnership.id,
            "person": ada.email,
            "partner": bo.email,
            "day": "2026-03-06",
            "state": "due",
            "deadline": "2026-03-08T00:00-05:00",
        },
        {
            "partnership": partnership.id,
            "person": bo.email,
            "partner": ada.email,
            "day": "2026-03-02",
            "state": "missed",
            "deadline": "2026-03-04T00:00+01:00",
        },
        {
            "partnership": partnership.id,
            "person": bo.email,
            "partner": ada.email,
            "day": "2026-03-06",
            "state": "due",
            "deadline": "2026-03-08T00:00+01:00",
        },
    ]
    table = due(runner, as_of).splitlines()
    assert table[0].split() == ["partnership", "person", "partner", "day", "state", "deadline"]
    assert len(table) == 4 and "missed" in table[2]
    parsed = list(csv.DictReader(io.StringIO(due(runner, as_of, "--format", "csv"))))
    assert [(r["person"], r["day"], r["state"]) for r in parsed] == [
        (ada.email, "2026-03-06", "due"),
        (bo.email, "2026-03-02", "missed"),
        (bo.email, "2026-03-06", "due"),
    ]
    # A week and a half later Monday's miss is no longer "lately".
    later = json.loads(due(runner, "2026-03-12T12:00", "--format", "json"))
    assert [(r["person"], r["day"]) for r in later if r["state"] == "missed"] == [
        (ada.email, "2026-03-06"),
        (ada.email, "2026-03-09"),
        (bo.email, "2026-03-06"),
        (bo.email, "2026-03-09"),
    ]


def test_partners_remind_prints_its_report(app, runner):
    assert due(runner, "2026-03-06T09:00").strip() == "Nobody is due or missed a day."
    pair()
    result = runner.invoke(args=["partners", "remind", "--as-of", "2026-03-06T09:00"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "partnerships: 1, reminders: 2, renewal requests: 0, already recorded: 0"
    )
    again = runner.invoke(args=["partners", "remind", "--as-of", "2026-03-06T10:00"])
    assert "reminders: 0, renewal requests: 0, already recorded: 2" in again.output
