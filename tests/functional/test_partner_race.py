"""Racing answers: two tabs accepting the same request make one partnership; two
requests accepted at once for someone with room for one more leave them at three; two
replies to a renewal or a change at once are each applied once. On SQLite writers
queue; on PostgreSQL the rows are locked, and these tests race real connections."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from app.extensions import db
from app.models import PartnerAgreement, Partnership, PartnershipStatus, User, utcnow
from app.services import partners
from app.services.errors import InvalidTransition
from tests.factories import UserFactory, make_partnership, terms

ROUNDS = 15


def race(app, *calls: Callable[[], object]) -> list[str]:  # type: ignore[no-untyped-def]
    """Run the calls at the same moment, each in its own app context and session."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call):  # type: ignore[no-untyped-def]
        with app.app_context():
            barrier.wait()
            try:
                call()
                outcomes.append("ok")
            except InvalidTransition as refused:
                outcomes.append(str(refused))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def as_user(user_id: int, action: Callable[[User], object]) -> Callable[[], object]:
    return lambda: action(db.session.get(User, user_id))


def test_two_tabs_accepting_one_request_make_one_partnership(app) -> None:
    for _ in range(ROUNDS):
        asker, asked = UserFactory(), UserFactory()
        request = partners.ask(db.session, asker, terms(), partner_id=asked.id)
        accept = as_user(asked.id, lambda u, r=request.id: partners.accept(db.session, u, r))
        outcomes = race(app, accept, accept)
        assert outcomes.count("ok") == 1, outcomes
        db.session.expire_all()
        assert db.session.get(Partnership, request.id).status == PartnershipStatus.ACTIVE
        accepted = db.session.scalar(
            select(func.count()).where(
                PartnerAgreement.partnership_id == request.id,
                PartnerAgreement.status == "accepted",
            )
        )
        assert accepted == 1


def test_two_requests_accepted_at_once_never_make_a_fourth(app) -> None:
    for _ in range(ROUNDS):
        busy = UserFactory()
        for _ in range(2):
            make_partnership(UserFactory(), busy)
        first = partners.ask(db.session, UserFactory(), terms(), partner_id=busy.id)
        second = partners.ask(db.session, UserFactory(), terms(), partner_id=busy.id)
        outcomes = race(
            app,
            as_user(busy.id, lambda u, r=first.id: partners.accept(db.session, u, r)),
            as_user(busy.id, lambda u, r=second.id: partners.accept(db.session, u, r)),
        )
        assert outcomes.count("ok") == 1, outcomes
        db.session.expire_all()
        today = partners.today_of(busy, utcnow())
        assert partners.active_count(db.session, busy.id, today) == 3


def test_both_partners_renewing_at_once_start_one_new_term(app) -> None:
    from datetime import timedelta

    for _ in range(ROUNDS):
        one, two = UserFactory(), UserFactory()
        partnership = make_partnership(one, two, now=utcnow() - timedelta(days=88))
        ends_on = partnership.ends_on
        outcomes = race(
            app,
            *(
                as_user(
                    person.id,
                    lambda u, p=partnership.id: partners.answer_renewal(
                        db.session, u, p, renew=True, how_it_went="Good"
                    ),
                )
                for person in (one, two)
            ),
        )
        db.session.expire_all()
        renewed = db.session.get(Partnership, partnership.id)
        # Both answers stored, and the second saw the first: a new term, once.
        assert outcomes == ["ok", "ok"], outcomes
        assert renewed.term_started_on == ends_on
        assert renewed.ends_on > ends_on
