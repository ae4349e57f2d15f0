"""The people and objects the trust tests (issue 7) ask about, and how they ask.

One "world" is a team built with the factories: an upline, their sponsor (owner of a
default track, a second track and an archived step), two recruits of that sponsor on
the default track, and another sponsor with a track of their own. The owner recruit
has a waiting submission with an attachment file on disk and a check-in. Every world
gets fresh users, so several worlds can live in one test database side by side.

A role is who is asking: anonymous, the recruit who owns the object ("owner"), another
recruit of the same sponsor, the owner's sponsor, another sponsor (another team), and
the sponsor's own upline (their sponsor, two levels above the owner).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Base,
    CheckIn,
    CheckInChannel,
    CheckInOutcome,
    FeedbackSnippet,
    Submission,
    SubmissionStatus,
    utcnow,
)
from tests.conftest import PASSWORD, csrf_token
from tests.factories import (
    AssignmentFactory,
    SubmissionFactory,
    UserFactory,
    make_team,
    make_track,
    stored_upload,
)

ANONYMOUS = "anonymous"
OWNER = "owner"
OTHER_RECRUIT = "other_recruit"
SPONSOR = "sponsor"
OTHER_SPONSOR = "other_sponsor"
UPLINE = "upline"
USERS = (OWNER, OTHER_RECRUIT, SPONSOR, OTHER_SPONSOR, UPLINE)
ROLES = (ANONYMOUS, *USERS)
# Who must never see the owner's homework (answer, attachment, check-in note, name).
OUTSIDERS = (ANONYMOUS, OTHER_RECRUIT, OTHER_SPONSOR, UPLINE)


@dataclass
class World:
    """Ids and secrets of one team; plain values, so they survive expired sessions."""

    user_ids: dict[str, int]
    emails: dict[str, str]
    track: int  # the sponsor's default track, the owner's track
    second_track: int  # another track of the sponsor (not the default)
    steps: list[int]  # the default track's active assignments, in order
    archived_step: int  # an archived assignment of the default track
    other_track: int  # the other sponsor's track
    submission: int  # the owner's waiting submission on step 1, with an attachment
    invite_token: str  # the sponsor's invite link
    snippet: int  # a line of the sponsor's saved feedback
    private_texts: dict[str, str] = field(default_factory=dict)  # text → whose it is

    @property
    def owner(self) -> int:
        return self.user_ids[OWNER]

    @property
    def sponsor(self) -> int:
        return self.user_ids[SPONSOR]


def build_world() -> World:
    """A fresh team (see the module docstring), saved through the factories."""
    marker = secrets.token_hex(4)
    upline, sponsor, track, owner, other_recruit = make_team(3)
    steps = list(track.assignments)  # before the archived step joins the relationship
    owner.name = f"Rita Owner {marker}"
    make_track(upline, 2)  # so the sponsor can "duplicate the system"
    second_track = make_track(sponsor, 1, default=False)
    archived = AssignmentFactory(
        track=track,
        position=None,
        archived_at=utcnow() - timedelta(days=1),
        title="An archived step",
    )
    other_sponsor = UserFactory(name="Other Sponsor")
    other_track = make_track(other_sponsor, 2)

    answer = f"Private answer {marker}"
    attachment = f"Private attachment {marker}".encode()
    stored_name = stored_upload(attachment)
    submission = SubmissionFactory(
        recruit=owner,
        assignment=steps[0],
        answer=answer,
        attachment_path=stored_name,
        attachment_name="notes.txt",
        attachment_type="text/plain",
        attachment_size=len(attachment),
    )
    note = f"Private check-in note {marker}"
    db.session.add(
        CheckIn(
            recruit_id=owner.id,
            sponsor_id=sponsor.id,
            happened_at=utcnow() - timedelta(days=2),
            channel=CheckInChannel.CALL,
            outcome=CheckInOutcome.REACHED,
            note=note,
            snooze_until=utcnow() + timedelta(days=5),
        )
    )
    snippet = FeedbackSnippet(owner_id=sponsor.id, text="Great start: add a phone number.")
    db.session.add(snippet)
    db.session.commit()
    people = {
        OWNER: owner,
        OTHER_RECRUIT: other_recruit,
        SPONSOR: sponsor,
        OTHER_SPONSOR: other_sponsor,
        UPLINE: upline,
    }
    return World(
        user_ids={role: person.id for role, person in people.items()},
        emails={role: person.email for role, person in people.items()},
        track=track.id,
        second_track=second_track.id,
        steps=[step.id for step in steps],
        archived_step=archived.id,
        other_track=other_track.id,
        submission=submission.id,
        invite_token=sponsor.invite_token,
        snippet=snippet.id,
        private_texts={
            answer: "the owner's answer",
            attachment.decode(): "the owner's attachment",
            note: "the sponsor's check-in note about the owner",
            owner.name: "the owner's name",
        },
    )


def decide_submission(world: World, status: str, feedback: str = "") -> None:
    """Mark the owner's submission as decided by the sponsor, straight in the database."""
    submission = db.session.get(Submission, world.submission)
    submission.status = status
    submission.decided_at = None if status == SubmissionStatus.SUBMITTED else utcnow()
    submission.decided_by_id = None if status == SubmissionStatus.SUBMITTED else world.sponsor
    submission.feedback = feedback
    db.session.commit()


def login(client, email: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 302, f"could not log in as {email}: {response.status_code}"


def client_as(app, world: World, role: str):  # type: ignore[no-untyped-def]
    """A fresh browser, logged in as the role's person (or nobody), and its CSRF token."""
    client = app.test_client()
    if role == ANONYMOUS:
        return client, csrf_token(client.get("/login").text)
    login(client, world.emails[role])
    return client, csrf_token(client.get("/review").text)


def state() -> tuple[dict[str, list[tuple]], frozenset[str]]:
    """Every row of every table, and the stored files: what a refused request must keep."""
    db.session.rollback()  # end any open read transaction: see what requests committed
    rows = {}
    for table in Base.metadata.sorted_tables:
        result = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        rows[table.name] = [tuple(row) for row in result]
    folder = current_app.config["UPLOAD_FOLDER"]
    files = frozenset(os.listdir(folder)) if os.path.isdir(folder) else frozenset()
    return rows, files


def difference(before, after) -> str:  # type: ignore[no-untyped-def]
    """Which tables (or the upload folder) changed between two states, for messages."""
    changed = [name for name in after[0] if before[0].get(name) != after[0][name]]
    if before[1] != after[1]:
        changed.append("upload folder")
    return ", ".join(changed)


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline script, inline style, handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = [name.lower() for name, _value in attrs]
        if tag == "script" and "src" not in names:
            self.found.append("an inline <script> block")
        if tag == "style":
            self.found.append("a <style> block")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.found.append(f"an event handler attribute <{tag} {name}=…>")
            if name.lower() == "style":
                self.found.append(f"a style attribute <{tag} style={value!r}>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"a javascript: URL <{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag

    @classmethod
    def find(cls, html: str) -> list[str]:
        parser = cls()
        parser.feed(html)
        return parser.found
