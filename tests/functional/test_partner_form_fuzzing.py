"""Hypothesis fuzzes every partner form (≥ 200 inputs each), with the same checks as
test_form_fuzzing.py: never a 500, a refused post changes nothing and says why, a
success redirects to a page that renders."""

from __future__ import annotations

from datetime import timedelta

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from app.extensions import db
from app.models import PartnerCheckIn, User, utcnow
from app.services import partners
from tests.factories import UserFactory, make_partnership, terms
from tests.functional.test_form_fuzzing import (
    CHECKBOX,  # noqa: F401 - the shared strategies
    DATE_JUNK,
    EMAIL_JUNK,
    NEW_EMAILS,
    NUMBER_LIKE,
    TEXT,
    form,
    submit,
    values,
)
from tests.functional.test_partner_authorization import client_as
from tests.partner_world import OTHER_PARTNER, PARTNER, build_partner_world

EXAMPLES = 200


def fuzz() -> settings:
    return settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


WEEKDAY = st.sampled_from(("0", "1", "2", "3", "4", "5", "6"))
TERMS_FIELDS = {
    "rules": values("", "Call each other out.", junk=TEXT),
    "cadence": values(st.sampled_from(("daily", "every_other_day", "weekly", "weekdays"))),
    "weekdays": values(WEEKDAY, junk=st.one_of(NUMBER_LIKE, TEXT)),
    "channel": values(
        st.sampled_from(("text", "email", "phone", "video", "facebook", "in_person", "other"))
    ),
    "my_handle": values("", "+1 555 0100", "@me", junk=TEXT),
    "their_handle": values("", "them@example.com", junk=TEXT),
    "term_months": values("3", "1", "12", "6", junk=NUMBER_LIKE),
    "note": values("", "Let's go", junk=TEXT),
}


def test_ask_form(app):
    world = build_partner_world()
    client, token = client_as(app, world, PARTNER)
    bodies = form(
        email=values(NEW_EMAILS, junk=EMAIL_JUNK),
        partner=values("", junk=st.one_of(NUMBER_LIKE, TEXT)),
        **TERMS_FIELDS,
    )

    @fuzz()
    @given(body=bodies)
    def post(body):
        # Requests wait for an answer: only active partnerships count to three.
        submit(client, "/partners/ask", body, token=token)

    post()


def test_terms_form(app):
    world = build_partner_world()
    client, token = client_as(app, world, PARTNER)

    @fuzz()
    @given(body=form(**TERMS_FIELDS))
    def post(body):
        submit(client, f"/partners/{world.partnership}/terms", body, token=token)

    post()


def test_accept_form(app):
    client_world = build_partner_world()
    client, token = client_as(app, client_world, OTHER_PARTNER)
    quinn = db.session.get(User, client_world.user_ids[OTHER_PARTNER])

    @fuzz()
    @given(
        body=form(my_handle=values("", "@quinn", junk=TEXT), accept=values("Accept these terms"))
    )
    def post(body):
        # A fresh request to Quinn each time (Quinn ends each new partnership again).
        asker = UserFactory()
        request = partners.ask(db.session, asker, terms(), partner_id=quinn.id)
        response = submit(client, f"/partners/{request.id}/accept", body, token=token)
        if response.status_code == 302:
            db.session.expire_all()
            if partners.is_running(request, partners.today_of(quinn, utcnow())):
                partners.end(db.session, quinn, request.id, "fuzzed")

    post()


def test_check_in_form(app):
    world = build_partner_world()
    client, token = client_as(app, world, PARTNER)
    pat = db.session.get(User, world.user_ids[PARTNER])
    days = st.integers(-12, 3).map(lambda n: (utcnow().date() + timedelta(days=n)).isoformat())
    bodies = form(
        day=values(days, junk=DATE_JUNK),
        said=values("", "Call five", junk=TEXT),
        did=values(st.sampled_from(("yes", "partly", "no"))),
        next_step=values("Call ten", junk=TEXT),
        note=values("", "A win!", junk=TEXT),
    )

    @fuzz()
    @given(body=bodies)
    def post(body):
        submit(client, f"/partners/{world.partnership}/check-in", body, token=token)
        # Keep the days open for the next example.
        db.session.query(PartnerCheckIn).filter(
            PartnerCheckIn.author_id == pat.id, PartnerCheckIn.id != world.check_in
        ).delete()
        db.session.commit()

    post()


def test_reply_form(app):
    world = build_partner_world()
    client, token = client_as(app, world, OTHER_PARTNER)
    field = f"reply-{world.check_in}-body"

    @fuzz()
    @given(body=form(**{field: values("Well done", junk=TEXT)}))
    def post(body):
        submit(client, f"/partners/check-ins/{world.check_in}/reply", body, token=token)

    post()


def test_renewal_form(app):
    world = build_partner_world()
    client, token = client_as(app, world, PARTNER)
    pat = db.session.get(User, world.user_ids[PARTNER])
    bodies = form(
        renew=values(st.sampled_from(("yes", "no")), junk=TEXT),
        how_it_went=values("It kept me going", junk=TEXT),
    )

    @fuzz()
    @given(body=bodies)
    def post(body):
        # A partnership in its last week, fresh each time.
        partnership = make_partnership(pat, now=utcnow() - timedelta(days=88), term_months=3)
        submit(client, f"/partners/{partnership.id}/renew", body, token=token)
        partners.end(db.session, pat, partnership.id, "fuzzed")

    post()


def test_end_form(app):
    world = build_partner_world()
    client, token = client_as(app, world, PARTNER)
    pat = db.session.get(User, world.user_ids[PARTNER])

    @fuzz()
    @given(body=form(note=values("Thank you, moving on", junk=TEXT)))
    def post(body):
        partnership = make_partnership(pat)
        response = submit(client, f"/partners/{partnership.id}/end", body, token=token)
        if response.status_code != 302:
            partners.end(db.session, pat, partnership.id, "fuzzed")

    post()


def test_one_button_forms_with_generated_csrf_tokens(app):
    """Decline and withdraw are a button and a CSRF token: a missing or garbled token is
    refused with a message and changes nothing; the real one does the action."""
    tokens = st.one_of(st.just(["VALID"]), st.lists(st.one_of(st.just("VALID"), TEXT), max_size=2))
    world = build_partner_world()
    quinn = db.session.get(User, world.user_ids[OTHER_PARTNER])
    client, valid = client_as(app, world, OTHER_PARTNER)

    @fuzz()
    @given(which=st.sampled_from(("decline", "withdraw")), tokens=tokens)
    def post(which, tokens):
        other = UserFactory()
        if which == "decline":
            request = partners.ask(db.session, other, terms(), partner_id=quinn.id)
        else:
            request = partners.ask(db.session, quinn, terms(), partner_id=other.id)
        body = [("csrf_token", valid if value == "VALID" else value) for value in tokens]
        sent_valid = bool(tokens) and tokens[0] == "VALID"
        response = submit(client, f"/partners/{request.id}/{which}", body, token=None)
        assert (response.status_code == 400) != sent_valid, response.status_code

    post()


NUL_VALUES = ("\x00", "a\x00b")
VALID_BODIES = {
    "terms": {
        "rules": "Rules",
        "cadence": "weekdays",
        "weekdays": "0",
        "channel": "text",
        "my_handle": "me",
        "their_handle": "them",
        "term_months": "3",
        "note": "n",
    },
    "check-in": {"said": "s", "did": "yes", "next_step": "n", "note": "x"},
    "end": {"note": "bye"},
}


def test_nul_in_any_partner_field_is_never_a_500(app):
    """PostgreSQL refuses NUL in text: every field of every partner form, deterministically."""
    world = build_partner_world()
    client, token = client_as(app, world, PARTNER)
    pat = db.session.get(User, world.user_ids[PARTNER])
    today = utcnow().date().isoformat()

    def url_of(form_name: str) -> str:
        if form_name == "end":
            return f"/partners/{make_partnership(pat).id}/end"
        return f"/partners/{world.partnership}/{form_name}"

    for form_name, body in VALID_BODIES.items():
        fields = [*body, *(["day"] if form_name == "check-in" else [])]
        for field_name, nul in [(f, n) for f in fields for n in NUL_VALUES]:
            filled = {**body, **({"day": today} if form_name == "check-in" else {})}
            filled[field_name] = nul
            url = url_of(form_name)
            submit(client, url, list(filled.items()), token=token)
            db.session.query(PartnerCheckIn).filter(PartnerCheckIn.id != world.check_in).delete()
            db.session.commit()
            if form_name == "end":
                partnership_id = int(url.split("/")[2])
                running = partners.get_partnership(db.session, pat, partnership_id)
                if running.status == "active":
                    partners.end(db.session, pat, partnership_id, "done")
    for nul in NUL_VALUES:
        submit(
            client, "/partners/ask", [("email", nul), *VALID_BODIES["terms"].items()], token=token
        )
        submit(
            client,
            f"/partners/check-ins/{world.check_in}/reply",
            [(f"reply-{world.check_in}-body", nul)],
            token=token,
        )


FUZZED_PARTNER_ROUTES = {
    "partners.ask",
    "partners.terms",
    "partners.accept",
    "partners.decline",
    "partners.withdraw",
    "partners.check_in",
    "partners.reply",
    "partners.renew",
    "partners.end",
}
