"""Demo data for `flask seed-demo`: a small team showing every state of the loop.

Times are relative to `now`, so on the day `make run` seeds it the dashboard shows
every status: waiting on you (one over 48 hours), stalled (twice, one after an old
check-in's snooze ran out), snoozed by a pause, slow, willing, finished, archived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Assignment,
    CheckIn,
    CheckInChannel,
    CheckInOutcome,
    FeedbackSnippet,
    Submission,
    SubmissionStatus,
    Track,
    User,
    utcnow,
)
from app.services.accounts import hash_password

DEMO_PASSWORD = "willing-demo-password"  # noqa: S105 - printed for the demo  # nosec B105

DEMO_STEPS = [
    (
        "Write your why",
        "Write **why** you joined, in a few sentences.\n\nKeep it honest: it's for you.",
        "A short paragraph.",
    ),  # noqa: E501
    (
        "List 20 names",
        "Make a list of 20 people you know. Don't judge, just write.",
        "The list (first names are fine).",
    ),  # noqa: E501
    (
        "Watch the product video",
        "Watch the overview and note three things that surprised you.",
        "Your three notes.",
    ),  # noqa: E501
    (
        "Book your first three-way call",
        "Pick one person from your list and book a call with them and me.",
        "Who, and when.",
    ),  # noqa: E501
    (
        "Share your first result",
        "Tell me how the call went and what you learned.",
        "A short report.",
    ),  # noqa: E501
]


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str


def database_is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count(User.id)))


def seed_demo(session: Session, now: datetime | None = None) -> list[DemoLogin]:
    """Fill an empty database with an upline, a sponsor, a track and recruits at each step."""
    now = now or utcnow()
    password_hash = hash_password(DEMO_PASSWORD)

    def person(name: str, email: str, sponsor: User | None, joined_days_ago: float) -> User:
        user = User(
            name=name,
            email=email,
            password_hash=password_hash,
            timezone="Europe/London",
            sponsor=sponsor,
            created_at=now - timedelta(days=joined_days_ago),
        )
        session.add(user)
        return user

    upline = person("Uma Upline", "upline@example.com", None, 120)
    sponsor = person("Dana Sponsor", "sponsor@example.com", upline, 90)
    session.flush()
    upline_track = Track(owner=upline, name="Uma's starter track", is_default=True)
    track = Track(
        owner=sponsor,
        name="First steps",
        is_default=True,
        description="The five steps every new team member takes with me.",
    )
    session.add_all([upline_track, track])
    session.flush()
    steps = []
    for position, (title, instructions, deliverable) in enumerate(DEMO_STEPS, start=1):
        for owner_track in (upline_track, track):
            assignment = Assignment(
                track=owner_track,
                position=position,
                title=title,
                instructions=instructions,
                deliverable=deliverable,
                activated_at=now - timedelta(days=100),
            )
            session.add(assignment)
            if owner_track is track:
                steps.append(assignment)
    sponsor.track, sponsor.enrolled_at = upline_track, sponsor.created_at
    session.flush()

    def recruit(name: str, email: str, joined_days_ago: float) -> User:
        user = person(name, email, sponsor, joined_days_ago)
        user.track, user.enrolled_at = track, user.created_at
        session.flush()
        return user

    def attempt(
        user: User,
        step: int,
        handed_in_days_ago: float,
        status: SubmissionStatus,
        decided_days_ago: float | None = None,
        feedback: str = "",
    ) -> None:
        previous = sum(
            1
            for s in session.new
            if isinstance(s, Submission) and s.recruit is user and s.assignment is steps[step]
        )
        session.add(
            Submission(
                recruit=user,
                sponsor_id=user.sponsor_id,
                assignment=steps[step],
                attempt=previous + 1,
                answer=f"{user.name.split()[0]}'s answer to “{steps[step].title}”.",
                status=status,
                submitted_at=now - timedelta(days=handed_in_days_ago),
                decided_at=None
                if decided_days_ago is None
                else now - timedelta(days=decided_days_ago),
                decided_by=None if decided_days_ago is None else sponsor,
                feedback=feedback,
            )
        )

    def check_in(
        user: User,
        days_ago: float,
        outcome: CheckInOutcome,
        note: str,
        snooze_days_ago: float | None,
    ) -> None:
        session.add(
            CheckIn(
                recruit=user,
                sponsor=sponsor,
                happened_at=now - timedelta(days=days_ago),
                channel=CheckInChannel.CALL,
                outcome=outcome,
                note=note,
                snooze_until=None
                if snooze_days_ago is None
                else now - timedelta(days=snooze_days_ago),
            )
        )

    finished = recruit("Fiona Finished", "finished@example.com", 40)
    for step in range(5):
        attempt(finished, step, 38 - step * 7, SubmissionStatus.APPROVED, 37 - step * 7, "Great.")
    waiting = recruit("Walter Waiting", "waiting@example.com", 20)
    attempt(waiting, 0, 18, SubmissionStatus.APPROVED, 17, "Lovely why.")
    attempt(waiting, 1, 3, SubmissionStatus.SUBMITTED)
    changes = recruit("Carmen Changes", "changes@example.com", 15)
    attempt(changes, 0, 13, SubmissionStatus.APPROVED, 12)
    attempt(changes, 1, 5, SubmissionStatus.CHANGES_REQUESTED, 4, "Only 12 names: aim for 20.")
    recruit("Sam Started", "started@example.com", 1)
    stalled = recruit("Stella Stalled", "stalled@example.com", 30)
    attempt(stalled, 0, 28, SubmissionStatus.APPROVED, 27)
    stalled_again = recruit("Steve Silent", "silent@example.com", 40)
    attempt(stalled_again, 0, 37, SubmissionStatus.APPROVED, 35)
    check_in(stalled_again, 20, CheckInOutcome.NO_ANSWER, "Left a voicemail.", snooze_days_ago=13)
    paused = recruit("Paula Paused", "paused@example.com", 25)
    attempt(paused, 0, 23, SubmissionStatus.APPROVED, 22)
    check_in(
        paused, 2, CheckInOutcome.PAUSED, "Moving house; back in two weeks.", snooze_days_ago=-12
    )
    slow = recruit("Oscar Occasional", "slow@example.com", 20)
    attempt(slow, 0, 6, SubmissionStatus.APPROVED, 2)
    left = recruit("Len Left", "left@example.com", 60)
    check_in(left, 30, CheckInOutcome.LEFT, "Decided it isn't for him.", snooze_days_ago=None)
    left.archived_at = now - timedelta(days=30)
    willing = recruit("Will Willing", "willing@example.com", 10)
    attempt(willing, 0, 9, SubmissionStatus.APPROVED, 8.5)
    attempt(willing, 1, 7, SubmissionStatus.APPROVED, 6.5)
    attempt(willing, 2, 2, SubmissionStatus.APPROVED, 1.5)
    for line in (
        "Great start! Now add how you know each person.",
        "Lovely. On to the next step: book it this week.",
    ):
        session.add(FeedbackSnippet(owner=sponsor, text=line, created_at=now))
    session.commit()
    return [
        DemoLogin("Sponsor (reviews homework)", sponsor.email),
        DemoLogin("Upline (the sponsor's sponsor)", upline.email),
        DemoLogin("Recruit waiting for review", waiting.email),
        DemoLogin("Recruit with changes requested", changes.email),
        DemoLogin("Recruit who just started", "started@example.com"),
        DemoLogin("Recruit who finished", finished.email),
        DemoLogin("Recruit who has stalled", stalled.email),
    ]
