"""The people and the partnership the partner trust tests ask about.

A world: Pat and Quinn in an active partnership (private rules), a check-in of Pat's
and Quinn's reply to it; Pat's sponsor, Quinn's sponsor and the upline above both; a
third user with nothing to do with them. Beside it, Quinn's waiting request to Pat's
sponsor and Pat's emailed invitation to someone not on Willing. Nobody but Pat and
Quinn may see or change anything of their partnership.
Every world gets fresh users, so several worlds live in one test database side by side.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from app.extensions import db
from app.models import utcnow
from app.services import partners
from tests.factories import UserFactory, make_partnership, terms
from tests.trust_world import client_as as _client_as  # noqa: F401 - the same login

ANONYMOUS = "anonymous"
PARTNER = "partner"  # Pat, who posted the check-in
OTHER_PARTNER = "other_partner"  # Quinn, who replied
THIRD = "third_user"
PARTNER_SPONSOR = "partner_sponsor"
OTHER_SPONSOR = "other_partner_sponsor"
UPLINE = "upline"
USERS = (PARTNER, OTHER_PARTNER, THIRD, PARTNER_SPONSOR, OTHER_SPONSOR, UPLINE)
ROLES = (ANONYMOUS, *USERS)
PARTNERS = frozenset({PARTNER, OTHER_PARTNER})
OUTSIDERS = (ANONYMOUS, THIRD, PARTNER_SPONSOR, OTHER_SPONSOR, UPLINE)


@dataclass
class PartnerWorld:
    user_ids: dict[str, int]
    emails: dict[str, str]
    partnership: int  # Pat and Quinn's, active
    check_in: int  # Pat's check-in on the first day
    reply: int  # Quinn's reply to it
    request: int  # Quinn's waiting request to Pat's sponsor (a second partnership)
    invite_token: str  # Pat's emailed invitation to someone not on Willing
    private_texts: dict[str, str] = field(default_factory=dict)


def build_partner_world() -> PartnerWorld:
    marker = secrets.token_hex(4)
    upline = UserFactory(name=f"Uma Upline {marker}")
    pat_sponsor = UserFactory(name=f"Sid Sponsor {marker}", sponsor=upline)
    quinn_sponsor = UserFactory(name=f"Sue Sponsor {marker}", sponsor=upline)
    pat = UserFactory(name=f"Pat Partner {marker}", sponsor=pat_sponsor)
    quinn = UserFactory(name=f"Quinn Partner {marker}", sponsor=quinn_sponsor)
    third = UserFactory(name=f"Theo Third {marker}")
    started = utcnow() - timedelta(days=10)
    rules = f"Private rules {marker}"
    partnership = make_partnership(
        pat, quinn, now=started, cadence="daily", weekdays=frozenset(), rules=rules
    )
    said = f"Private promise {marker}"
    entry = partners.check_in(
        db.session,
        pat,
        partnership.id,
        day=partnership.term_started_on,
        said=said,
        did="yes",
        next_step=f"Private next step {marker}",
        now=started + timedelta(hours=1),
    )
    answer_text = f"Private reply {marker}"
    answer = partners.reply(
        db.session, quinn, entry.id, answer_text, now=started + timedelta(hours=2)
    )
    request = partners.ask(db.session, quinn, terms(), partner_id=pat_sponsor.id)
    invited = partners.ask(db.session, pat, terms(), email=f"newcomer-{marker}@example.com")
    people = {
        PARTNER: pat,
        OTHER_PARTNER: quinn,
        THIRD: third,
        PARTNER_SPONSOR: pat_sponsor,
        OTHER_SPONSOR: quinn_sponsor,
        UPLINE: upline,
    }
    return PartnerWorld(
        user_ids={role: person.id for role, person in people.items()},
        emails={role: person.email for role, person in people.items()},
        partnership=partnership.id,
        check_in=entry.id,
        reply=answer.id,
        request=request.id,
        invite_token=invited.invite_token,
        private_texts={
            rules: "the partners' rules",
            said: "Pat's check-in",
            answer_text: "Quinn's reply",
        },
    )
