"""The partnership's rules (app.services.partners) on a real database: asking, the
limit of three, answering, counter-proposals and changes, check-ins and their
refusals, replies, renewal and ending. Each refusal leaves nothing half-written."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AgreementStatus,
    PartnerAgreement,
    PartnerCheckIn,
    Partnership,
    PartnershipStatus,
)
from app.services import partners
from app.services.errors import InvalidTransition, NotFound
from app.services.partner_schedule import DayState
from tests.factories import UserFactory, make_partnership, terms

# A Monday, 10:00 UTC.
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_request_accepted_starts_a_term_of_its_months(app) -> None:
    asker, asked = UserFactory(), UserFactory()
    partnership = partners.ask(
        db.session, asker, terms(term_months=4), partner_id=asked.id, now=MONDAY
    )
    assert partnership.status == PartnershipStatus.PROPOSED
    partners.accept(db.session, asked, partnership.id, my_handle="@asked", now=MONDAY)
    assert partnership.status == PartnershipStatus.ACTIVE
    assert partnership.term_started_on == date(2026, 3, 2)
    assert partnership.ends_on == date(2026, 7, 2)
    [agreement] = partners.accepted_agreements(db.session, partnership.id)
    assert agreement.asked_handle == "@asked"
    assert agreement.effective_on == date(2026, 3, 2)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cadence": "weekly", "weekdays": frozenset({0, 1})}, "weekdays"),
        ({"cadence": "weekdays", "weekdays": frozenset()}, "weekdays"),
        ({"cadence": "hourly"}, "cadence"),
        ({"channel": "pigeon"}, "channel"),
        ({"term_months": 13}, "term_months"),
        ({"term_months": 0}, "term_months"),
    ],
)
def test_bad_terms_are_refused_beside_their_field(app, change, field) -> None:
    asker, asked = UserFactory(), UserFactory()
    with pytest.raises(InvalidTransition) as refused:
        partners.ask(db.session, asker, terms(**change), partner_id=asked.id, now=MONDAY)
    assert refused.value.field == field
    assert count(Partnership) == 0


def test_asking_yourself_someone_already_asked_or_a_fourth_is_refused(app) -> None:
    me = UserFactory()
    with pytest.raises(InvalidTransition, match="your own"):
        partners.ask(db.session, me, terms(), partner_id=me.id, now=MONDAY)
    with pytest.raises(InvalidTransition, match="your own"):
        partners.ask(db.session, me, terms(), email=me.email.upper(), now=MONDAY)
    other = UserFactory(name="Olga")
    me.name = "Me"
    db.session.commit()
    partners.ask(db.session, me, terms(), partner_id=other.id, now=MONDAY)
    with pytest.raises(InvalidTransition, match="You and Me already have a request open"):
        partners.ask(db.session, other, terms(), partner_id=me.id, now=MONDAY)
    for _ in range(3):
        make_partnership(me, now=MONDAY)
    with pytest.raises(InvalidTransition, match="already have 3"):
        partners.ask(db.session, me, terms(), partner_id=UserFactory().id, now=MONDAY)
    assert count(Partnership) == 4


def test_accepting_past_three_is_refused_and_rolls_back(app) -> None:
    busy = UserFactory()
    for _ in range(3):
        make_partnership(UserFactory(), busy, now=MONDAY)
    # Asked before they had three, accepted after (asking checks only the asker).
    asker = UserFactory()
    late = Partnership(asker_id=asker.id, asked_id=busy.id, created_at=MONDAY)
    db.session.add(late)
    db.session.flush()
    db.session.add(
        PartnerAgreement(
            partnership_id=late.id,
            version=1,
            proposed_by_id=asker.id,
            cadence="daily",
            channel="text",
            term_months=3,
            proposed_at=MONDAY,
        )
    )
    db.session.commit()
    with pytest.raises(InvalidTransition, match="You already have 3"):
        partners.accept(db.session, busy, late.id, now=MONDAY)
    db.session.expire_all()
    assert db.session.get(Partnership, late.id).status == PartnershipStatus.PROPOSED
    assert partners.pending_agreement(db.session, late) is not None


def test_a_counter_proposal_replaces_the_request_and_waits_for_the_asker(app) -> None:
    asker, asked = UserFactory(), UserFactory()
    partnership = partners.ask(db.session, asker, terms(), partner_id=asked.id, now=MONDAY)
    with pytest.raises(InvalidTransition, match="your own proposal"):
        partners.accept(db.session, asker, partnership.id, now=MONDAY)
    partners.propose(
        db.session, asked, partnership.id, terms(cadence="daily", weekdays=frozenset()), now=MONDAY
    )
    with pytest.raises(InvalidTransition, match="your own proposal"):
        partners.accept(db.session, asked, partnership.id, now=MONDAY)
    partners.accept(db.session, asker, partnership.id, now=MONDAY)
    versions = db.session.scalars(select(PartnerAgreement).order_by(PartnerAgreement.version)).all()
    assert [(v.version, v.status, v.cadence) for v in versions] == [
        (1, AgreementStatus.REPLACED, "weekdays"),
        (2, AgreementStatus.ACCEPTED, "daily"),
    ]


def test_a_change_governs_from_tomorrow_and_a_declined_one_changes_nothing(app) -> None:
    one, two = UserFactory(), UserFactory()
    partnership = make_partnership(one, two, now=MONDAY)  # Mon + Fri
    partners.propose(
        db.session, one, partnership.id, terms(cadence="daily", weekdays=frozenset()), now=MONDAY
    )
    partners.decline(db.session, two, partnership.id, now=MONDAY)
    assert len(partners.accepted_agreements(db.session, partnership.id)) == 1
    partners.propose(
        db.session, two, partnership.id, terms(cadence="daily", weekdays=frozenset()), now=MONDAY
    )
    partners.accept(db.session, one, partnership.id, now=MONDAY)
    segs = partners.segments(partnership, partners.accepted_agreements(db.session, partnership.id))
    assert [(s.agreement.cadence, s.term.first_day) for s in segs] == [
        ("weekdays", date(2026, 3, 2)),
        ("daily", date(2026, 3, 3)),
    ]
    days = partners.partner_days(segs, one, {}, MONDAY + timedelta(days=2))
    assert [d.day.day for d in days[:3]] == [2, 3, 4]  # Monday (old), then every day


def test_check_in_refusals_say_why_beside_the_day(app) -> None:
    one, two = UserFactory(), UserFactory()
    partnership = make_partnership(one, two, now=MONDAY)
    tuesday = date(2026, 3, 3)

    def post(day, now=MONDAY + timedelta(days=1), **kw):  # type: ignore[no-untyped-def]
        values = {"said": "", "did": "yes", "next_step": "Call 3 people", **kw}
        return partners.check_in(db.session, one, partnership.id, day=day, now=now, **values)

    with pytest.raises(InvalidTransition, match="isn't one of your scheduled days") as refused:
        post(tuesday)
    assert refused.value.field == "day"
    with pytest.raises(InvalidTransition, match="hasn't come yet"):
        post(date(2026, 3, 6))
    with pytest.raises(InvalidTransition, match="next"):
        post(date(2026, 3, 2), next_step=" ")
    post(date(2026, 3, 2))
    with pytest.raises(InvalidTransition, match="already checked in"):
        post(date(2026, 3, 2))
    assert count(PartnerCheckIn) == 1
    # More than a week after a missed day: it stays missed.
    with pytest.raises(InvalidTransition, match="stays missed"):
        post(date(2026, 3, 6), now=MONDAY + timedelta(days=14))
    late = post(date(2026, 3, 13), now=MONDAY + timedelta(days=14))
    segs = partners.segments(partnership, partners.accepted_agreements(db.session, partnership.id))
    posted = {late.day: late.created_at, date(2026, 3, 2): MONDAY + timedelta(days=1)}
    states = {
        d.day: d.state
        for d in partners.partner_days(segs, one, posted, MONDAY + timedelta(days=14))
    }
    assert states[date(2026, 3, 2)] == DayState.ON_TIME
    assert states[date(2026, 3, 6)] == DayState.MISSED
    assert states[date(2026, 3, 13)] == DayState.LATE
    assert states[date(2026, 3, 16)] == DayState.DUE


def test_strangers_get_not_found_for_every_change(app) -> None:
    one, two, stranger = UserFactory(), UserFactory(), UserFactory()
    partnership = make_partnership(one, two, now=MONDAY)
    entry = partners.check_in(
        db.session,
        one,
        partnership.id,
        day=date(2026, 3, 2),
        said="",
        did="yes",
        next_step="x",
        now=MONDAY,
    )
    calls = [
        lambda: partners.get_partnership(db.session, stranger, partnership.id),
        lambda: partners.accept(db.session, stranger, partnership.id, now=MONDAY),
        lambda: partners.decline(db.session, stranger, partnership.id, now=MONDAY),
        lambda: partners.propose(db.session, stranger, partnership.id, terms(), now=MONDAY),
        lambda: partners.end(db.session, stranger, partnership.id, "bye", now=MONDAY),
        lambda: partners.reply(db.session, stranger, entry.id, "hi", now=MONDAY),
        lambda: partners.check_in(
            db.session,
            stranger,
            partnership.id,
            day=date(2026, 3, 2),
            said="",
            did="yes",
            next_step="x",
            now=MONDAY,
        ),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()


def test_both_renewing_starts_a_new_term_one_no_lets_it_end(app) -> None:
    one, two = UserFactory(), UserFactory()
    partnership = make_partnership(one, two, now=MONDAY)  # ends 2 June
    early = datetime(2026, 5, 25, 10, tzinfo=UTC)
    with pytest.raises(InvalidTransition, match="Renewal opens"):
        partners.answer_renewal(
            db.session, one, partnership.id, renew=True, how_it_went="Good", now=early
        )
    week_before = datetime(2026, 5, 26, 10, tzinfo=UTC)
    partners.answer_renewal(
        db.session, one, partnership.id, renew=True, how_it_went="Good", now=week_before
    )
    with pytest.raises(InvalidTransition, match="already answered"):
        partners.answer_renewal(
            db.session, one, partnership.id, renew=True, how_it_went="Again", now=week_before
        )
    partners.answer_renewal(
        db.session, two, partnership.id, renew=True, how_it_went="Great", now=week_before
    )
    assert partnership.term_started_on == date(2026, 6, 2)
    assert partnership.ends_on == date(2026, 9, 2)

    other = make_partnership(UserFactory(), UserFactory(), now=MONDAY)
    partners.answer_renewal(
        db.session, other.asker, other.id, renew=False, how_it_went="Done", now=week_before
    )
    assert partners.is_running(other, date(2026, 6, 1))
    assert partners.has_ended(other, date(2026, 6, 2))


def test_ending_needs_a_note_and_stops_check_ins(app) -> None:
    one, two = UserFactory(), UserFactory()
    partnership = make_partnership(one, two, now=MONDAY)
    with pytest.raises(InvalidTransition, match="note") as refused:
        partners.end(db.session, one, partnership.id, "  ", now=MONDAY)
    assert refused.value.field == "note"
    partners.end(db.session, one, partnership.id, "Moving on, thank you!", now=MONDAY)
    assert partnership.status == PartnershipStatus.ENDED
    with pytest.raises(InvalidTransition, match="ended"):
        partners.check_in(
            db.session,
            two,
            partnership.id,
            day=date(2026, 3, 6),
            said="",
            did="yes",
            next_step="x",
            now=datetime(2026, 3, 6, 10, tzinfo=UTC),
        )
    with pytest.raises(InvalidTransition, match="isn't running"):
        partners.end(db.session, two, partnership.id, "me too", now=MONDAY)


def test_an_invitation_by_email_is_claimed_by_whoever_registers_through_it(app) -> None:
    asker = UserFactory()
    partnership = partners.ask(db.session, asker, terms(), email=" New@Example.com ", now=MONDAY)
    assert partnership.asked_id is None and partnership.invite_email == "new@example.com"
    with pytest.raises(InvalidTransition, match="already invited"):
        partners.ask(db.session, asker, terms(), email="new@example.com", now=MONDAY)
    newcomer = UserFactory(email="new@example.com")
    claimed = partners.claim_invitation(db.session, newcomer, partnership.invite_token)
    assert claimed.asked_id == newcomer.id and newcomer.sponsor_id is None
    partners.accept(db.session, newcomer, partnership.id, now=MONDAY)
    with pytest.raises(NotFound):
        partners.invitation(db.session, "nope")
    partners.opt_out_of_invitations(db.session, "shy@example.com")
    with pytest.raises(InvalidTransition, match="asked not to get invitations"):
        partners.ask(db.session, asker, terms(), email="shy@example.com", now=MONDAY)
