"""Partner emails through a real SMTP server: requests, invitations (and their "don't
invite me again"), counter-proposals and changes, answers, check-ins and replies,
renewal answers and endings. Each is recorded by the change that causes it and sent by
the mail worker; each links to the partnership and unsubscribes its kind in one click."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import EmailOptOut, MessageKind, OutboxMessage, User
from app.services import partners
from app.services.errors import InvalidTransition
from tests.conftest import deliver_mail
from tests.factories import UserFactory, make_partnership, terms
from tests.smtp import parts

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def relative(url: str) -> str:
    split = urlsplit(url)
    return split.path + (f"?{split.query}" if split.query else "")


def links(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [w for w in parts(message)[0].split() if w.startswith("http")]


def page_link(partnership) -> str:  # type: ignore[no-untyped-def]
    return f"/partners/{partnership.id}"


def assert_links_to(message, partnership) -> None:  # type: ignore[no-untyped-def]
    text, html = parts(message)
    assert any(relative(link) == page_link(partnership) for link in links(message)), text
    assert f'{page_link(partnership)}"' in html


def unsubscribe(client, message) -> None:  # type: ignore[no-untyped-def]
    """The one click a mail app makes (RFC 8058)."""
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = relative(message["List-Unsubscribe"].strip("<>"))
    response = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "unsubscribed" in response.text


def only_message(smtp, user):  # type: ignore[no-untyped-def]
    (message,) = smtp.to(user.email)
    return message


def latest(smtp, user):  # type: ignore[no-untyped-def]
    return smtp.to(user.email)[-1]


def test_a_request_goes_to_the_asked_person_and_its_unsubscribe_stops_the_next(
    client, runner, smtp
):
    asker = UserFactory(name="Ada Asker")
    asked = UserFactory(name="Bo Asked")
    partnership = partners.ask(
        db.session, asker, terms(rules="No excuses."), partner_id=asked.id, now=MONDAY
    )
    assert smtp.messages == []  # recorded, not sent, by the change
    deliver_mail(runner)
    message = only_message(smtp, asked)
    assert message["Subject"] == "Ada Asker asks you to be accountability partners"
    text, html = parts(message)
    for body in (text, html):
        assert "every Monday and Friday" in body and "Text messages" in body
        assert "3 months" in body and "No excuses." in body
    assert_links_to(message, partnership)
    assert smtp.to(asker.email) == []

    unsubscribe(client, message)
    db.session.refresh(asked)
    assert not asked.email_on_partner_request
    other = UserFactory()
    partners.ask(db.session, other, terms(), partner_id=asked.id, now=MONDAY)
    deliver_mail(runner)
    assert len(smtp.to(asked.email)) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_turning_requests_off_cancels_the_one_still_waiting(runner, smtp):
    from app.mail.unsubscribe import EmailKind
    from app.services.accounts import set_email_preference

    asker, asked = UserFactory(), UserFactory()
    partners.ask(db.session, asker, terms(), partner_id=asked.id, now=MONDAY)
    set_email_preference(db.session, asked, EmailKind.PARTNER_REQUEST, enabled=False)
    deliver_mail(runner)
    assert smtp.messages == []
    (row,) = db.session.scalars(select(OutboxMessage))
    assert row.kind == MessageKind.PARTNER_REQUEST and row.status == "cancelled"


def test_nothing_goes_to_an_archived_person(runner, smtp):
    asker, asked = UserFactory(), UserFactory()
    partnership = make_partnership(asker, asked, now=MONDAY)
    deliver_mail(runner)  # the acceptance, while the asker was still around
    asker.archived_at = MONDAY
    db.session.commit()
    partners.check_in(
        db.session,
        asked,
        partnership.id,
        day=MONDAY.date(),
        said="",
        did="yes",
        next_step="Call three people",
        now=MONDAY,
    )
    deliver_mail(runner)
    assert len(smtp.to(asker.email)) == 1


def test_an_invitation_says_who_asks_and_links_to_answer_and_to_opt_out(app, client, runner, smtp):
    asker = UserFactory(name="Ada Asker", email="ada@example.com")
    partnership = partners.ask(
        db.session, asker, terms(cadence="daily", weekdays=frozenset()), email="New@Example.org"
    )
    deliver_mail(runner)
    (message,) = smtp.to("new@example.org")
    assert message["Subject"] == "Ada Asker invites you to be accountability partners on Willing"
    text, html = parts(message)
    assert "ada@example.com" in text and "every day" in text
    invitation = f"/partners/invitation/{partnership.invite_token}"
    assert invitation in [relative(link) for link in links(message)]
    assert f'{invitation}"' in html
    assert client.get(invitation).status_code == 200

    opt_out = relative(message["List-Unsubscribe"].strip("<>"))
    assert opt_out in [relative(link) for link in links(message)]
    assert "Don't invite me again" in client.get(opt_out).text
    assert db.session.scalar(select(func.count()).select_from(EmailOptOut)) == 0  # GET: none
    done = client.post(opt_out, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "new@example.org" in done.text
    assert client.post(opt_out).status_code == 200  # twice is fine
    assert db.session.scalar(select(EmailOptOut.email)) == "new@example.org"
    with pytest.raises(InvalidTransition, match="asked not to get invitations"):
        partners.ask(db.session, UserFactory(), terms(), email="new@example.org")
    assert client.post(opt_out[:-3] + "xyz").status_code == 404


def test_a_counter_proposal_and_its_acceptance_each_reach_the_other(client, runner, smtp):
    asker = UserFactory(name="Ada Asker")
    asked = UserFactory(name="Bo Asked")
    partnership = partners.ask(db.session, asker, terms(), partner_id=asked.id, now=MONDAY)
    partners.propose(
        db.session, asked, partnership.id, terms(cadence="weekly", weekdays={2}), now=MONDAY
    )
    deliver_mail(runner)
    countered = only_message(smtp, asker)
    assert countered["Subject"] == "Bo Asked proposes other terms"
    assert "every Wednesday" in parts(countered)[0]
    assert_links_to(countered, partnership)

    partners.accept(db.session, asker, partnership.id, now=MONDAY)
    deliver_mail(runner)
    accepted = smtp.to(asked.email)[-1]
    assert accepted["Subject"] == "Ada Asker accepted your request"
    assert (
        "you are accountability partners now, every Wednesday, until 02 June 2026"
        in (parts(accepted)[0])
    )
    assert_links_to(accepted, partnership)


def test_a_change_declined_and_a_request_declined_say_so(runner, smtp):
    asker, asked = UserFactory(name="Ada"), UserFactory(name="Bo")
    partnership = make_partnership(asker, asked, now=MONDAY)
    partners.propose(db.session, asker, partnership.id, terms(term_months=6), now=MONDAY)
    deliver_mail(runner)
    assert latest(smtp, asked)["Subject"] == "Ada proposes a change to your partnership"
    partners.decline(db.session, asked, partnership.id, now=MONDAY)
    declined = UserFactory(name="Cy")
    request = partners.ask(db.session, declined, terms(), partner_id=asked.id, now=MONDAY)
    partners.decline(db.session, asked, request.id, now=MONDAY)
    deliver_mail(runner)
    subjects = [m["Subject"] for m in smtp.to(asker.email)]
    assert subjects == ["Bo accepted your request", "Bo declined your proposed change"]
    assert "the terms stay as they were" in parts(smtp.to(asker.email)[-1])[0]
    assert [m["Subject"] for m in smtp.to(declined.email)] == ["Bo declined your request"]


def test_a_check_in_and_replies_reach_the_other_partner_until_they_turn_it_off(
    client, runner, smtp
):
    asker, asked = UserFactory(name="Ada"), UserFactory(name="Bo")
    partnership = make_partnership(asker, asked, now=MONDAY)
    deliver_mail(runner)  # the acceptance
    entry = partners.check_in(
        db.session,
        asker,
        partnership.id,
        day=MONDAY.date(),
        said="Call three prospects",
        did="partly",
        next_step="Call two more",
        note="A good week",
        now=MONDAY,
    )
    deliver_mail(runner)
    message = latest(smtp, asked)
    assert message["Subject"] == "Ada checked in for Monday 02 March"
    text, _html = parts(message)
    assert "Call three prospects" in text and "partly" in text and "Call two more" in text
    assert_links_to(message, partnership)
    partners.reply(db.session, asked, entry.id, "Proud of you", now=MONDAY)
    deliver_mail(runner)
    reply = smtp.to(asker.email)[-1]
    assert reply["Subject"] == "Bo replied to your check-in of Monday 02 March"
    assert "Proud of you" in parts(reply)[0]
    assert_links_to(reply, partnership)

    unsubscribe(client, message)
    partners.reply(db.session, asker, entry.id, "Thanks!", now=MONDAY)
    partners.check_in(
        db.session,
        asker,
        partnership.id,
        day=MONDAY.date() + timedelta(days=4),
        said="",
        did="yes",
        next_step="Rest",
        now=MONDAY + timedelta(days=4),
    )
    deliver_mail(runner)
    assert smtp.to(asked.email)[-1] is message  # the request, the check-in, nothing since
    db.session.refresh(asked)
    assert not asked.email_on_partner_check_in and asked.email_on_partner_request


def test_renewal_answers_and_an_ending_reach_the_other_partner(client, runner, smtp):
    asker, asked = UserFactory(name="Ada"), UserFactory(name="Bo")
    partnership = make_partnership(asker, asked, now=MONDAY, term_months=1)
    deliver_mail(runner)
    week_before = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)  # the term ends on 2 April
    partners.answer_renewal(
        db.session, asker, partnership.id, renew=True, how_it_went="Good", now=week_before
    )
    deliver_mail(runner)
    wants = latest(smtp, asked)
    assert wants["Subject"] == "Ada wants to renew your partnership"
    assert "before 02 April 2026" in parts(wants)[0]
    assert_links_to(wants, partnership)
    partners.answer_renewal(
        db.session, asked, partnership.id, renew=True, how_it_went="Great", now=week_before
    )
    deliver_mail(runner)
    renewed = smtp.to(asker.email)[-1]
    assert renewed["Subject"] == "Renewed: you and Bo go on for another term"
    assert "a new term starts on 02 April 2026" in parts(renewed)[0]

    partners.end(db.session, asked, partnership.id, "Moving on, thank you!", now=week_before)
    deliver_mail(runner)
    ended = smtp.to(asker.email)[-1]
    assert ended["Subject"] == "Bo ended your accountability partnership"
    assert "Moving on, thank you!" in parts(ended)[0]
    assert_links_to(ended, partnership)
    unsubscribe(client, wants)
    assert not db.session.get(User, asked.id).email_on_partner_renewal


# --- Settings: the partner switches and the reminder time ---------------------------------


def settings_form(**changes):  # type: ignore[no-untyped-def]
    form = {
        "stall_threshold_days": "7",
        "digest_weekday": "0",
        "timezone": "Europe/Berlin",
        "email_digest": "y",
        "email_partner_reminders": "y",
        "partner_reminder_time": "09:00",
        "email_on_partner_check_in": "y",
        "email_on_partner_request": "y",
        "email_on_partner_renewal": "y",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_settings_save_the_partner_switches_and_the_reminder_time(client, auth):
    from tests.conftest import post_form

    user = UserFactory(timezone="Europe/Berlin")
    auth.login(user)
    page = client.get("/settings").text
    for label in (
        "Remind me by email on my accountability partner check-in days",
        "Reminder time",
        "Email me when my accountability partner checks in or replies",
        "Email me about partner requests, changes of terms and endings",
        "Email me when a partnership is up for renewal",
    ):
        assert label in page
    assert 'for="partner_reminder_time"' in page and 'value="09:00"' in page
    changes = {"partner_reminder_time": "07:45", "email_on_partner_check_in": None}
    response = post_form(client, "/settings", settings_form(**changes), page="/settings")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.partner_reminder_minute == 7 * 60 + 45
    assert not user.email_on_partner_check_in and user.email_partner_reminders
    assert 'value="07:45"' in client.get("/settings").text


@pytest.mark.parametrize("typed", ["25:00", "9h", "noon", "12:60"])
def test_a_bad_reminder_time_is_told_beside_the_field(client, auth, typed):
    from tests.conftest import post_form

    user = UserFactory()
    auth.login(user)
    form = settings_form(partner_reminder_time=typed)
    response = post_form(client, "/settings", form, page="/settings")
    assert response.status_code == 400
    assert 'id="partner_reminder_time-error"' in response.text
    assert "Enter a time such as 09:00." in response.text
    db.session.refresh(user)
    assert user.partner_reminder_minute == 540


def test_turning_check_in_emails_off_in_settings_cancels_the_waiting_one(
    client, auth, runner, smtp
):
    from tests.conftest import post_form

    asker, asked = UserFactory(name="Ada"), UserFactory(name="Bo")
    partnership = make_partnership(asker, asked, now=MONDAY)
    deliver_mail(runner)
    partners.check_in(
        db.session,
        asker,
        partnership.id,
        day=MONDAY.date(),
        said="",
        did="yes",
        next_step="More",
        now=MONDAY,
    )
    auth.login(asked)
    changes = {"email_on_partner_check_in": None, "timezone": "UTC"}
    post_form(client, "/settings", settings_form(**changes), page="/settings")
    deliver_mail(runner)
    assert [m["Subject"] for m in smtp.to(asked.email)] == [
        "Ada asks you to be accountability partners"
    ]
    statuses = db.session.scalars(
        select(OutboxMessage.status).where(OutboxMessage.kind == MessageKind.PARTNER_CHECK_IN)
    ).all()
    assert statuses == ["cancelled"]
