"""The demo's team below Dana's first level, for `flask seed-demo`.

Fiona finished her track and sponsors two of her own: Gina, whose hand-in has waited 10
days for Fiona's review (Dana sees it under "reviews waiting over a week"), and Hal.
Gina recruited Ivy, a third level. Len left the business a month ago with two recruits
of his own, Kai (with a hand-in waiting) and Lou: they "need a new sponsor" on Dana's
team page until she adopts them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.models import Assignment, Submission, SubmissionStatus, Track, User

STEPS = (
    ("Write your why", "Why you joined, in a few sentences.", "A short paragraph."),
    ("List 20 names", "Twenty people you know: don't judge, just write.", "The list."),
    ("Book a three-way call", "One person from your list, with me on the line.", "Who, when."),
)


def seed_team(session: Session, people: dict[str, User], now: datetime) -> None:
    """Second and third levels under Dana, and the recruits of Len, who left."""
    password_hash = people["sponsor"].password_hash

    def track_of(owner: User) -> tuple[Track, list[Assignment]]:
        track = Track(owner=owner, name=f"{owner.name.split()[0]}'s first steps", is_default=True)
        steps = [
            Assignment(
                track=track,
                position=position,
                title=title,
                instructions=instructions,
                deliverable=deliverable,
                activated_at=now - timedelta(days=80),
            )
            for position, (title, instructions, deliverable) in enumerate(STEPS, start=1)
        ]
        session.add_all([track, *steps])
        return track, steps

    def person(name: str, key: str, sponsor: User, track: Track, joined_days_ago: float) -> User:
        user = User(
            name=name,
            email=f"{key}@example.com",
            password_hash=password_hash,
            timezone="Europe/London",
            sponsor=sponsor,
            track=track,
            created_at=now - timedelta(days=joined_days_ago),
            enrolled_at=now - timedelta(days=joined_days_ago),
        )
        session.add(user)
        session.flush()
        return user

    def hand_in(user: User, step: Assignment, days_ago: float, approved_days_ago=None) -> None:  # type: ignore[no-untyped-def]
        session.add(
            Submission(
                recruit=user,
                sponsor_id=user.sponsor_id,
                assignment=step,
                attempt=1,
                answer=f"{user.name.split()[0]}'s answer to “{step.title}”.",
                status=SubmissionStatus.SUBMITTED
                if approved_days_ago is None
                else SubmissionStatus.APPROVED,
                submitted_at=now - timedelta(days=days_ago),
                decided_at=None
                if approved_days_ago is None
                else now - timedelta(days=approved_days_ago),
                decided_by=None if approved_days_ago is None else user.sponsor,
            )
        )

    fiona, len_left = people["finished"], people["left"]
    fiona_track, fiona_steps = track_of(fiona)
    gina = person("Gina Grow", "grow", fiona, fiona_track, 25)
    hand_in(gina, fiona_steps[0], 20, approved_days_ago=19)
    hand_in(gina, fiona_steps[1], 10)  # waiting on Fiona for 10 days
    hal = person("Hal Hopeful", "hopeful", fiona, fiona_track, 6)
    hand_in(hal, fiona_steps[0], 4, approved_days_ago=3)
    gina_track, _gina_steps = track_of(gina)
    person("Ivy Third", "third", gina, gina_track, 5)
    len_track, len_steps = track_of(len_left)
    kai = person("Kai Kept", "kept", len_left, len_track, 50)
    hand_in(kai, len_steps[0], 40, approved_days_ago=39)
    hand_in(kai, len_steps[1], 5)  # handed in after Len left: waits for the adopter
    person("Lou Loose", "loose", len_left, len_track, 45)
    session.commit()
