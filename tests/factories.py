"""factory-boy factories for every model, saved through the app's session."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory
from flask import current_app
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import (
    Assignment,
    AuditEvent,
    CheckIn,
    CheckInChannel,
    CheckInOutcome,
    EmailOptOut,
    FeedbackSnippet,
    GroupMeeting,
    GroupMember,
    LoginFailure,
    MastermindGroup,
    MeetingAttendance,
    MeetingUpdate,
    MessageKind,
    OutboxMessage,
    PartnerAgreement,
    PartnerCheckIn,
    PartnerRenewal,
    PartnerReply,
    Partnership,
    Submission,
    SubmissionStatus,
    Track,
    UpdateComment,
    User,
    UserSession,
    utcnow,
)

DEFAULT_PASSWORD = "correct horse battery"  # noqa: S105
_HASH = generate_password_hash(DEFAULT_PASSWORD, method="pbkdf2:sha256:1000")


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    password_hash = _HASH
    timezone = "UTC"
    created_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=30))


class TrackFactory(BaseFactory):
    class Meta:
        model = Track

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Track {n}")
    description = ""
    is_default = False


class AssignmentFactory(BaseFactory):
    class Meta:
        model = Assignment

    track = factory.SubFactory(TrackFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Step {n}")
    instructions = factory.Sequence(lambda n: f"Secret instructions {n}")
    deliverable = "A paragraph."
    activated_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=60))


class SubmissionFactory(BaseFactory):
    class Meta:
        model = Submission

    assignment = factory.SubFactory(AssignmentFactory)
    # By default a recruit of whoever owns the track, as in the app.
    recruit = factory.SubFactory(
        UserFactory, sponsor=factory.SelfAttribute("..assignment.track.owner")
    )
    sponsor_id = factory.LazyAttribute(lambda submission: submission.recruit.sponsor_id)
    attempt = 1
    answer = "My answer."
    status = SubmissionStatus.SUBMITTED
    submitted_at = factory.LazyFunction(utcnow)
    feedback = ""


class CheckInFactory(BaseFactory):
    class Meta:
        model = CheckIn

    recruit = factory.SubFactory(UserFactory)
    sponsor = factory.SubFactory(UserFactory)
    happened_at = factory.LazyFunction(lambda: utcnow() - timedelta(hours=1))
    channel = CheckInChannel.CALL
    outcome = CheckInOutcome.REACHED
    note = ""
    snooze_until = factory.LazyAttribute(lambda c: c.happened_at + timedelta(days=7))


class AuditEventFactory(BaseFactory):
    class Meta:
        model = AuditEvent

    actor = factory.SubFactory(UserFactory)
    subject_id = None
    action = "checked_in"
    detail = ""
    created_at = factory.LazyFunction(utcnow)


class UserSessionFactory(BaseFactory):
    class Meta:
        model = UserSession

    user = factory.SubFactory(UserFactory)
    key_hash = factory.Sequence(lambda n: f"{n:064x}")
    remember = False
    created_at = factory.LazyFunction(utcnow)
    last_seen_at = factory.LazyFunction(utcnow)
    expires_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=7))


class LoginFailureFactory(BaseFactory):
    class Meta:
        model = LoginFailure

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    address = "10.0.0.1"
    created_at = factory.LazyFunction(utcnow)


class OutboxMessageFactory(BaseFactory):
    class Meta:
        model = OutboxMessage

    kind = MessageKind.HANDED_IN
    recipient = None
    to_address = factory.Sequence(lambda n: f"reader{n}@example.com")
    subject = factory.Sequence(lambda n: f"Message {n}")
    data = factory.LazyAttribute(
        lambda m: f"Subject: {m.subject}\r\nTo: {m.to_address}\r\n\r\nHello\r\n".encode()
    )
    status = "pending"
    attempts = 0
    due_at = factory.LazyFunction(lambda: utcnow() - timedelta(seconds=1))
    created_at = factory.LazyFunction(utcnow)


class FeedbackSnippetFactory(BaseFactory):
    class Meta:
        model = FeedbackSnippet

    owner = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Saved feedback line {n}")
    created_at = factory.LazyFunction(utcnow)


def stored_upload(content: bytes) -> str:
    """A file in the app's upload folder under a random name, as a hand-in stores it;
    the name, for a submission's attachment_path."""
    stored_name = secrets.token_hex(16)
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, stored_name), "wb") as handle:
        handle.write(content)
    return stored_name


def make_track(owner: User, steps: int = 3, *, default: bool = True) -> Track:
    """A track of `steps` assignments at positions 1..steps."""
    track = TrackFactory(owner=owner, is_default=default)
    for position in range(1, steps + 1):
        AssignmentFactory(
            track=track,
            position=position,
            title=f"Step {position} title",
            instructions=f"Instructions for step {position} only",
        )
    db.session.refresh(track)
    return track


def make_team(steps: int = 3):
    """An upline, their sponsor (with a default track), and two recruits on it."""
    upline = UserFactory(name="Upline Ursula")
    sponsor = UserFactory(name="Sponsor Sam", sponsor=upline)
    track = make_track(sponsor, steps)
    recruit = UserFactory(
        name="Recruit Rita", sponsor=sponsor, track=track, enrolled_at=utcnow() - timedelta(days=20)
    )
    other_recruit = UserFactory(
        name="Recruit Otto", sponsor=sponsor, track=track, enrolled_at=utcnow() - timedelta(days=20)
    )
    return upline, sponsor, track, recruit, other_recruit


class PartnershipFactory(BaseFactory):
    """An active partnership, Monday and Friday, a term of three months from today.
    (make_partnership goes through the service, as a person would.)"""

    class Meta:
        model = Partnership

    asker = factory.SubFactory(UserFactory)
    asked = factory.SubFactory(UserFactory)
    status = "active"
    term_started_on = factory.LazyFunction(lambda: utcnow().date())
    ends_on = factory.LazyAttribute(lambda p: p.term_started_on + timedelta(days=91))


class PartnerAgreementFactory(BaseFactory):
    class Meta:
        model = PartnerAgreement

    partnership = factory.SubFactory(PartnershipFactory)
    version = 1
    proposed_by = factory.LazyAttribute(lambda a: a.partnership.asker)
    status = "accepted"
    cadence = "weekdays"
    weekdays = "0,4"
    channel = "text"
    term_months = 3
    effective_on = factory.LazyAttribute(lambda a: a.partnership.term_started_on)


class PartnerCheckInFactory(BaseFactory):
    class Meta:
        model = PartnerCheckIn

    partnership = factory.SubFactory(PartnershipFactory)
    author = factory.LazyAttribute(lambda c: c.partnership.asker)
    day = factory.LazyAttribute(lambda c: c.partnership.term_started_on)
    said = "Call three people"
    did = "yes"
    next = "Call three more"


class PartnerReplyFactory(BaseFactory):
    class Meta:
        model = PartnerReply

    check_in = factory.SubFactory(PartnerCheckInFactory)
    author = factory.LazyAttribute(lambda r: r.check_in.partnership.asked)
    body = "Well done!"


class PartnerRenewalFactory(BaseFactory):
    class Meta:
        model = PartnerRenewal

    partnership = factory.SubFactory(PartnershipFactory)
    user = factory.LazyAttribute(lambda r: r.partnership.asker)
    ends_on = factory.LazyAttribute(lambda r: r.partnership.ends_on)
    renew = True
    how_it_went = "It kept me going."


class EmailOptOutFactory(BaseFactory):
    class Meta:
        model = EmailOptOut

    email = factory.Sequence(lambda n: f"no-invitations{n}@example.com")


class MastermindGroupFactory(BaseFactory):
    """A weekly group (Thursdays 19:00 UTC) that formed a week ago. (The services, as
    tests/functional/test_groups.py's started_group, make one the way people do.)"""

    class Meta:
        model = MastermindGroup

    host = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Mastermind {n}")
    cadence = "weekly"
    weekday = 3
    minute = 19 * 60
    timezone = "UTC"
    formed_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=7))
    first_meeting_on = factory.LazyAttribute(
        lambda g: g.formed_at.date() + timedelta(days=(3 - g.formed_at.weekday()) % 7 or 7)
    )


class GroupMemberFactory(BaseFactory):
    class Meta:
        model = GroupMember

    group = factory.SubFactory(MastermindGroupFactory)
    user = factory.SubFactory(UserFactory)
    joined_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=7))


class GroupMeetingFactory(BaseFactory):
    class Meta:
        model = GroupMeeting

    group_id = factory.LazyFunction(lambda: MastermindGroupFactory().id)
    starts_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=1))


class MeetingUpdateFactory(BaseFactory):
    class Meta:
        model = MeetingUpdate

    meeting = factory.SubFactory(GroupMeetingFactory)
    user = factory.SubFactory(UserFactory)
    successes = "Two new customers"
    goals = "Three more"


class UpdateCommentFactory(BaseFactory):
    class Meta:
        model = UpdateComment

    update = factory.SubFactory(MeetingUpdateFactory)
    user = factory.SubFactory(UserFactory)
    body = "Well done!"


class MeetingAttendanceFactory(BaseFactory):
    class Meta:
        model = MeetingAttendance

    meeting_id = factory.LazyFunction(lambda: GroupMeetingFactory().id)
    user_id = factory.LazyFunction(lambda: UserFactory().id)
    status = "present"


def terms(**overrides):  # type: ignore[no-untyped-def]
    """Partner terms as a form would give them: Monday and Friday by text, 3 months."""
    from app.services.partners import Terms

    values = {
        "rules": "Call each other out, kindly.",
        "cadence": "weekdays",
        "weekdays": frozenset({0, 4}),
        "channel": "text",
        "my_handle": "+1 555 0100",
        "their_handle": "",
        "term_months": 3,
    }
    values.update(overrides)
    return Terms(**values)


def make_partnership(asker=None, asked=None, *, now=None, **overrides):  # type: ignore[no-untyped-def]
    """An active partnership (asked and accepted through the service) at `now`."""
    from app.services import partners

    asker = asker or UserFactory()
    asked = asked or UserFactory()
    partnership = partners.ask(db.session, asker, terms(**overrides), partner_id=asked.id, now=now)
    return partners.accept(db.session, asked, partnership.id, now=now)
