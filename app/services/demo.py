"""Demo data for `flask seed-demo`: a small team showing every state of the loop.

Times are relative to `now`, so on the day `make run` seeds it the dashboard shows
every status: waiting on you (one over 48 hours), stalled (twice, one after an old
check-in's snooze ran out), snoozed by a pause, slow, willing, finished, archived.

Accountability partnerships in every state are built through services.partners with
`now` values in the past, so their history is what the app itself would have recorded:
Dana and her sponsor Uma (upline, Monday and Friday, one day late and one missed,
replies), a request to Dana still waiting, Will and Fiona on time, Stella missing days
beside Walter, Carmen and Oscar inside their term's last week (Carmen has said she
renews), and Paula's partnership with Steve ended with a note.

Dana also hosts a mastermind group of six with two meetings held and one coming, in
which Oscar hasn't posted yet (services.demo_group). Below her first level: Fiona's
recruits (one waiting 10 days for Fiona's review) and their own, and the two recruits
of Len, who left, waiting to be adopted (services.demo_team).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.models import (
    Assignment,
    CheckIn,
    CheckInChannel,
    CheckInOutcome,
    FeedbackSnippet,
    OutboxMessage,
    Submission,
    SubmissionStatus,
    Track,
    User,
    utcnow,
)
from app.services import demo_group, demo_team, partners
from app.services.accounts import hash_password
from app.services.partner_schedule import add_months, scheduled_dates
from app.services.people import zone_of

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
    people = {u.email.split("@")[0]: u for u in _users(session)}
    seed_partnerships(session, people, now)
    demo_group.seed_group(session, people, now)
    demo_team.seed_team(session, people, now)
    return [
        DemoLogin("Sponsor (reviews homework)", sponsor.email),
        DemoLogin("Upline (the sponsor's sponsor)", upline.email),
        DemoLogin("Recruit waiting for review", waiting.email),
        DemoLogin("Recruit with changes requested", changes.email),
        DemoLogin("Recruit who just started", "started@example.com"),
        DemoLogin("Recruit who finished", finished.email),
        DemoLogin("Recruit who has stalled", stalled.email),
        DemoLogin("Recruit with an on-time partner", willing.email),
        DemoLogin("Recruit up for partner renewal", changes.email),
        DemoLogin("Mastermind member yet to post", slow.email),
        DemoLogin("First-level sponsor with a review waiting 10 days", finished.email),
        DemoLogin("Recruit whose sponsor left (needs adopting)", "kept@example.com"),
    ]


def _users(session: Session) -> list[User]:
    return list(session.scalars(select(User)))


# What partners say they will do, and how a check-in's note reads.
PROMISES = (
    "Call three people from my list",
    "Post my story on Facebook",
    "Book one three-way call",
    "Follow up with Jo and Sam",
    "Host a product taster at home",
    "Watch the compensation plan video again",
    "Add ten names to my list",
)
NOTES = ("", "Two said yes to a call!", "", "Harder than I thought.", "", "A sale, my first.")
REPLIES = (
    "Proud of you. Same time Friday?",
    "What stopped you? Let's find ten minutes for it tomorrow.",
    "That's the way. Tell me how the call goes.",
)


@dataclass(frozen=True)
class _Habit:
    """How one partner keeps a schedule: which of their scheduled days (counted from the
    first) they post late, and which they miss."""

    late: frozenset[int] = frozenset()
    missed: frozenset[int] = frozenset()


def seed_partnerships(session: Session, people: dict[str, User], now: datetime) -> None:
    """Partnerships in every state, through the service with past `now` values. The
    emails they record are dropped: they would tell of days long past."""
    last_message = session.scalar(select(func.max(OutboxMessage.id))) or 0
    day = timedelta(days=1)
    dana, uma = people["sponsor"], people["upline"]
    upline = _active(
        session,
        dana,
        uma,
        now - 62 * day,
        cadence="weekdays",
        weekdays={0, 4},
        channel="phone",
        rules="Call each other out, kindly. Ten minutes, no excuses.",
    )
    _history(session, upline, dana, now, _Habit(frozenset({3}), frozenset({7})), reply_from=uma)
    _history(session, upline, uma, now, _Habit(missed=frozenset({5})), reply_from=dana)
    partners.ask(
        session,
        people["started"],
        _terms("Text each other every evening: did you make your calls?"),
        partner_id=dana.id,
        now=now - day,
    )
    on_time = _active(
        session,
        people["willing"],
        people["finished"],
        now - 12 * day,
        cadence="daily",
        channel="text",
        rules="A line every evening: what I did, what's next.",
    )
    _history(session, on_time, people["willing"], now, _Habit(), reply_from=people["finished"])
    _history(session, on_time, people["finished"], now, _Habit(late=frozenset({4})))
    missing = _active(
        session,
        people["stalled"],
        people["waiting"],
        now - 20 * day,
        cadence="every_other_day",
        channel="video",
        rules="Video call, 15 minutes.",
    )
    _history(session, missing, people["stalled"], now, _Habit(missed=frozenset({2, 4, 5, 7, 8})))
    _history(session, missing, people["waiting"], now, _Habit(), reply_from=people["stalled"])
    renewing = _active(
        session,
        people["changes"],
        people["slow"],
        _renewal_start(now),
        cadence="weekly",
        weekdays={2},
        channel="in_person",
        rules="Coffee on Wednesdays.",
    )
    _history(session, renewing, people["changes"], now, _Habit(late=frozenset({6})))
    _history(session, renewing, people["slow"], now, _Habit(missed=frozenset({2, 9})))
    partners.answer_renewal(
        session,
        people["changes"],
        renewing.id,
        renew=True,
        how_it_went="Oscar kept me honest: I booked more calls than ever.",
        now=now - day,
    )
    ended = _active(
        session,
        people["paused"],
        people["silent"],
        now - 50 * day,
        cadence="weekly",
        weekdays={1},
        channel="email",
        rules="An email every Tuesday.",
    )
    _history(session, ended, people["paused"], now - 12 * day, _Habit())
    _history(session, ended, people["silent"], now - 12 * day, _Habit(missed=frozenset({1, 3})))
    partners.end(
        session,
        people["paused"],
        ended.id,
        "Moving house: I'm pausing everything for a month. Thank you, Steve!",
        now=now - 12 * day,
    )
    session.execute(delete(OutboxMessage).where(OutboxMessage.id > last_message))
    session.commit()


def _terms(rules: str, cadence: str = "weekdays", weekdays=frozenset({0, 4}), **kw):  # type: ignore[no-untyped-def]
    values = {"channel": "text", "my_handle": "", "their_handle": "", "term_months": 3, **kw}
    return partners.Terms(rules=rules, cadence=cadence, weekdays=frozenset(weekdays), **values)


def _active(session: Session, asker: User, asked: User, started: datetime, **terms):  # type: ignore[no-untyped-def]
    """A partnership asked the day before `started` and accepted at `started`."""
    partnership = partners.ask(
        session, asker, _terms(**terms), partner_id=asked.id, now=started - timedelta(days=1)
    )
    return partners.accept(
        session, asked, partnership.id, my_handle=f"+44 7700 900{asked.id:03d}", now=started
    )


def _renewal_start(now: datetime) -> datetime:
    """A start whose three-month term ends three or four days after `now`."""
    today = now.date()
    for back in range(80, 100):
        start = today - timedelta(days=back)
        if 3 <= (add_months(start, 3) - today).days <= 4:
            return now - timedelta(days=back)
    raise AssertionError("no start date found")  # pragma: no cover - every month has one


def _history(  # type: ignore[no-untyped-def]
    session: Session, partnership, person: User, until: datetime, habit: _Habit, reply_from=None
) -> None:
    """One check-in per scheduled day up to `until` (evening on time, three days after
    when late, none when missed); `reply_from` answers every third."""
    zone = zone_of(person)
    said = ""
    segs = partners.segments(partnership, partners.accepted_agreements(session, partnership.id))
    dates = [
        d for seg in segs for d in scheduled_dates(partners.schedule_of(seg.agreement), seg.term)
    ]
    for index, day in enumerate(dates):
        evening = datetime.combine(day, time(19), tzinfo=zone).astimezone(UTC)
        posted = evening + timedelta(days=3) if index in habit.late else evening
        if index in habit.missed or posted >= until:
            continue
        promise = PROMISES[(index + person.id) % len(PROMISES)]
        entry = partners.check_in(
            session,
            person,
            partnership.id,
            day=day,
            said=said,
            did=("yes", "partly", "yes", "no")[index % 4] if said else "yes",
            next_step=promise,
            note=NOTES[index % len(NOTES)],
            now=posted,
        )
        said = promise
        if reply_from is not None and index % 3 == 1 and posted + timedelta(hours=2) < until:
            partners.reply(
                session,
                reply_from,
                entry.id,
                REPLIES[index % len(REPLIES)],
                now=posted + timedelta(hours=2),
            )
