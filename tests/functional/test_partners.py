"""Accountability partners through the test client, as the two people would use them:
finding and asking, answering (accept, decline, counter), the terms' versions, checking
in (and the refusals beside the field, with what was typed kept), replies, renewal,
ending, and an emailed invitation someone registers through without a sponsor."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Partnership, PartnershipStatus, User, utcnow
from app.services import partners
from tests.conftest import PASSWORD, count_queries, csrf_token
from tests.factories import UserFactory, make_partnership, terms


def text(response) -> str:  # type: ignore[no-untyped-def]
    """The page as a person reads it: tags dropped, spaces collapsed."""
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split()))


def form_of(client, url: str) -> str:  # type: ignore[no-untyped-def]
    return csrf_token(client.get(url).text)


TERMS_FORM = {
    "rules": "Call each other out",
    "cadence": "weekdays",
    "weekdays": ["0", "4"],
    "channel": "phone",
    "my_handle": "+1 555 0100",
    "their_handle": "",
    "term_months": "3",
}


def test_the_list_suggests_the_sponsor_first_and_asking_them_waits_for_their_yes(
    client, auth
) -> None:
    upline = UserFactory(name="Una Upline")
    sponsor = UserFactory(name="Sam Sponsor", sponsor=upline)
    me = UserFactory(name="Mia Me", sponsor=sponsor)
    UserFactory(name="Rae Recruit", sponsor=me)
    auth.login(me)
    page = text(client.get("/partners"))
    assert page.index("Sam Sponsor") < page.index("Una Upline") < page.index("Rae Recruit")
    assert "Your sponsor: has a vested interest in your success." in page
    assert "a recruit may not call their sponsor out" in page

    ask_page = client.get(f"/partners/ask?partner={sponsor.id}")
    assert "Ask Sam Sponsor to be your accountability partner" in text(ask_page)
    response = client.post(
        "/partners/ask",
        data={**TERMS_FORM, "partner": str(sponsor.id), "csrf_token": csrf_token(ask_page.text)},
    )
    assert response.status_code == 302
    shown = text(client.get(response.headers["Location"]))
    assert "Waiting for Sam Sponsor to answer your request" in shown
    assert "Every Monday and Friday" in shown
    # Sam is no longer suggested; the request is on the list.
    listing = text(client.get("/partners"))
    assert "Ask Sam Sponsor" not in listing and "waiting for their answer" in listing

    auth.logout()
    auth.login(sponsor)
    partnership = db.session.scalar(select(Partnership))
    assert "waiting for your answer" in text(client.get("/partners"))
    url = f"/partners/{partnership.id}"
    response = client.post(
        f"{url}/accept", data={"my_handle": "@sam", "csrf_token": form_of(client, url)}
    )
    assert response.status_code == 302
    page = text(client.get(url))
    assert "Active" in page and "Mia Me +1 555 0100; Sam Sponsor @sam" in page


def test_asking_by_email_someone_new_registers_through_it_as_nobodys_recruit(client, auth) -> None:
    me = UserFactory(name="Mia Me")
    auth.login(me)
    page = client.get("/partners/ask")
    response = client.post(
        "/partners/ask",
        data={**TERMS_FORM, "email": "New.Person@example.com", "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 302
    partnership = db.session.scalar(select(Partnership))
    assert "Invitation sent to new.person@example.com" in text(
        client.get(response.headers["Location"])
    )
    auth.logout()

    link = f"/partners/invitation/{partnership.invite_token}"
    landing = client.get(link)
    assert "Mia Me asks you to be their accountability partner" in text(landing)
    register = f"/register?next={link}"
    assert register.replace("?next=", "?next=") in landing.get_data(as_text=True).replace(
        "%2F", "/"
    )
    form = client.get(register)
    response = client.post(
        register,
        data={
            "name": "Nell New",
            "email": "new.person@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "timezone": "Europe/Berlin",
            "csrf_token": csrf_token(form.text),
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == link
    response = client.get(link)
    assert response.headers["Location"] == f"/partners/{partnership.id}"
    nell = db.session.scalar(select(User).where(User.email == "new.person@example.com"))
    assert nell.sponsor_id is None
    assert "Mia Me proposes these terms" in text(client.get(f"/partners/{partnership.id}"))


def test_a_counter_proposal_is_what_the_asker_then_accepts_and_both_see_the_versions(
    client, auth
) -> None:
    asker, asked = UserFactory(name="Ann"), UserFactory(name="Bob")
    partnership = partners.ask(db.session, asker, terms(), partner_id=asked.id)
    auth.login(asked)
    url = f"/partners/{partnership.id}"
    form = client.get(f"{url}/terms")
    assert 'value="+1 555 0100"' in form.text  # Ann's handle is theirs on Bob's form
    response = client.post(
        f"{url}/terms",
        data={
            **TERMS_FORM,
            "cadence": "daily",
            "weekdays": [],
            "my_handle": "bob@example.com",
            "their_handle": "+1 555 0100",
            "csrf_token": csrf_token(form.text),
        },
    )
    assert response.status_code == 302
    assert "Waiting for Ann to answer your request" in text(client.get(url))
    auth.logout()
    auth.login(asker)
    assert "Bob proposes these terms" in text(client.get(url))
    client.post(f"{url}/accept", data={"csrf_token": form_of(client, url)})
    page = text(client.get(url))
    assert "Schedule Every day" in page and "Every version (2)" in page
    assert "replaced before an answer" in page


def test_a_refused_check_in_keeps_what_was_typed_and_says_why_beside_the_field(
    client, auth
) -> None:
    one, two = UserFactory(name="Ann"), UserFactory(name="Bob")
    partnership = make_partnership(
        one, two, now=utcnow() - timedelta(days=1), cadence="daily", weekdays=frozenset()
    )
    auth.login(one)
    url = f"/partners/{partnership.id}"
    token = form_of(client, url)
    today = partners.today_of(one, utcnow()) - timedelta(days=1)  # yesterday: still open
    response = client.post(
        f"{url}/check-in",
        data={
            "day": today.isoformat(),
            "said": "Call five people",
            "did": "yes",
            "next_step": "",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Say what you will do next." in page and "Call five people" in page
    future = (today + timedelta(days=2)).isoformat()
    response = client.post(
        f"{url}/check-in",
        data={"day": future, "said": "x", "did": "yes", "next_step": "Call", "csrf_token": token},
    )
    assert response.status_code == 400
    assert "hasn't come yet" in text(response)
    response = client.post(
        f"{url}/check-in",
        data={
            "day": today.isoformat(),
            "said": "Call five people",
            "did": "partly",
            "next_step": "Call ten",
            "note": "Two said yes!",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    page = text(client.get(url))
    assert (
        "You, for" in page and "Two said yes!" in page and "due today" not in page.split("Bob")[0]
    )
    # Twice for the same day: refused, nothing added.
    response = client.post(
        f"{url}/check-in",
        data={
            "day": today.isoformat(),
            "said": "",
            "did": "yes",
            "next_step": "More",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400 and "already checked in" in text(response)
    # Today's form starts from what I said I'd do next.
    assert "Call ten</textarea>" in client.get(url).get_data(as_text=True)


def test_the_partner_replies_and_a_refused_reply_stays_under_its_check_in(client, auth) -> None:
    one, two = UserFactory(name="Ann"), UserFactory(name="Bob")
    partnership = make_partnership(one, two, cadence="daily", weekdays=frozenset())
    entry = partners.check_in(
        db.session,
        one,
        partnership.id,
        day=partnership.term_started_on,
        said="",
        did="yes",
        next_step="Call",
        now=utcnow(),
    )
    auth.login(two)
    url = f"/partners/{partnership.id}"
    token = form_of(client, url)
    response = client.post(
        f"/partners/check-ins/{entry.id}/reply",
        data={f"reply-{entry.id}-body": " ", "csrf_token": token},
    )
    assert response.status_code == 400 and "Write your reply first." in text(response)
    response = client.post(
        f"/partners/check-ins/{entry.id}/reply",
        data={f"reply-{entry.id}-body": "Proud of you", "csrf_token": token},
    )
    assert response.status_code == 302
    assert "Bob replied" not in text(client.get(url))  # Bob reads "You replied"
    assert "You replied" in text(client.get(url)) and "Proud of you" in text(client.get(url))


def test_ending_needs_a_note_and_the_ended_partnership_stays_readable(client, auth) -> None:
    one, two = UserFactory(name="Ann"), UserFactory(name="Bob")
    partnership = make_partnership(one, two)
    auth.login(one)
    url = f"/partners/{partnership.id}"
    response = client.post(f"{url}/end", data={"note": "", "csrf_token": form_of(client, url)})
    assert response.status_code == 400 and "Leave your partner a note." in text(response)
    client.post(
        f"{url}/end", data={"note": "New job, thank you", "csrf_token": form_of(client, url)}
    )
    auth.logout()
    auth.login(two)
    page = text(client.get(url))
    assert "Ended" in page and "Ann ended it on" in page and "New job, thank you" in page
    assert "Post my check-in" not in page and "End the partnership now" not in page


def test_renewal_by_both_starts_a_new_term(client, auth) -> None:
    one, two = UserFactory(name="Ann"), UserFactory(name="Bob")
    partnership = make_partnership(one, two, now=utcnow() - timedelta(days=88), term_months=3)
    ends_on = partnership.ends_on
    url = f"/partners/{partnership.id}"
    for person, line in ((one, "Kept me honest"), (two, "Great")):
        auth.login(person)
        assert "Renew for another term?" in text(client.get(url))
        response = client.post(
            f"{url}/renew",
            data={"renew": "yes", "how_it_went": line, "csrf_token": form_of(client, url)},
        )
        assert response.status_code == 302
        auth.logout()
    db.session.expire_all()
    renewed = db.session.get(Partnership, partnership.id)
    assert renewed.term_started_on == ends_on and renewed.ends_on > ends_on
    assert renewed.status == PartnershipStatus.ACTIVE


def test_partner_pages_run_a_fixed_number_of_statements(client, auth) -> None:
    def build(check_ins: int, others: int) -> tuple[User, int]:
        me = UserFactory()
        start = utcnow() - timedelta(days=check_ins + 2)
        main = make_partnership(me, now=start, cadence="daily", weekdays=frozenset())
        for n in range(check_ins):
            entry = partners.check_in(
                db.session,
                me,
                main.id,
                day=main.term_started_on + timedelta(days=n),
                said="",
                did="yes",
                next_step="more",
                now=start + timedelta(days=n, hours=1),
            )
            partners.reply(
                db.session, main.asked, entry.id, "nice", now=start + timedelta(days=n, hours=2)
            )
        for _ in range(others):
            partners.ask(db.session, UserFactory(), terms(), partner_id=me.id)
        return me, main.id

    counts = []
    for size in ((1, 0), (25, 6)):
        me, partnership_id = build(*size)
        auth.login(me)
        measured = {}
        for url in ("/partners", f"/partners/{partnership_id}"):
            client.get(url)
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            measured[url.split("/")[-1].isdigit() and "page" or "list"] = len(queries)
        counts.append(measured)
        auth.logout()
    print(f"\nstatements small={counts[0]} large={counts[1]}")
    assert counts[0] == counts[1]
    assert max(counts[1].values()) <= 12


def test_asking_someone_already_asked_says_so_on_the_ask_page(client, auth) -> None:
    """The refusal of a suggested person (a hidden field) is shown, not a bare 400."""
    me, other = UserFactory(), UserFactory(name="Olga")
    partners.ask(db.session, other, terms(), partner_id=me.id)
    auth.login(me)
    page = client.get(f"/partners/ask?partner={other.id}")
    response = client.post(
        "/partners/ask",
        data={**TERMS_FORM, "partner": str(other.id), "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 400
    assert "You and Olga already have a request open" in text(response)
    assert 'value="Call each other out"' in response.get_data(as_text=True) or (
        "Call each other out</textarea>" in response.get_data(as_text=True)
    )
