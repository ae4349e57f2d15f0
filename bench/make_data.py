"""Fill a database with a deterministic team at a chosen scale, for the benchmark.

    .venv/bin/python bench/make_data.py large                       # bench/data/large.sqlite3
    .venv/bin/python bench/make_data.py large postgresql+psycopg://postgres@127.0.0.1:5433/b
    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/make_data.py medium

The schema is built by the app's own migrations (`flask db upgrade`, on an emptied
database), then rows go in with bulk inserts through the real model tables, so every
CHECK, UNIQUE and FOREIGN KEY constraint of the models is enforced on the way in.

Shape (the same at every scale, only the sizes differ):
- "the sponsor" (sponsor@bench.example) has N direct recruits on an 8-step default
  track; their upline (upline@bench.example) sits at the top of the tree;
- every other sponsor owns a default track of 5-12 steps (a tenth also a second one,
  a few with an archived step); sponsors are recruits of earlier sponsors, so the
  downlines are many levels deep; the remaining recruits are spread unevenly;
- recruits follow real onboarding: most stop after the first steps, a few finish,
  under 1 % race ahead (everything handed in within hours); done steps took 1-3
  attempts (changes requested before the approval); the current step is open,
  waiting for review, or sent back; hand-ins wait for review a couple of days (one
  in twenty is left lying: the sponsor's backlog); a quarter of the idle recruits
  got check-ins, 2 % left the business (archived);
- a third of the users keep accountability partnerships (upline first: their sponsor
  when the sponsor takes part too, else someone else of the third; at most three
  each): mostly active, some ended with a note, some still asked; daily, every other
  day, weekly or Monday-and-Friday, a sixth changed their terms once (two versions);
  each partner keeps the schedule with a habit of their own (on time, late or missed),
  and the other replies to a quarter of the check-ins. The runner's recruit has a
  scripted set, the same at every scale: three active partnerships (their sponsor
  daily for 80 days, two crossline peers), one ended, one request waiting;
- a tenth of the users are in mastermind groups of 3 to 10 (weekly mostly, some every
  two weeks or monthly, early-week evenings most often), formed up to eight months ago:
  every meeting so far with most members' updates, comments and cheers under some,
  attendance and notes when the host recorded them (most meetings), a few members who
  left and groups archived; the coming meeting has part of its updates in. The
  runner's recruit is in a scripted group of eight hosted by the sponsor, weekly for
  120 days, meeting two days after `--now`, the same at every scale.
Times are relative to `--now` (default: the current minute), the rest is fixed by
the seed. The logins (and the ids the runner needs) are printed and, with --info,
written as JSON. Every account's password is PASSWORD (one hash, reused).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-123"  # noqa: S105 - a benchmark fixture
SEED = 20240611
DATA_DIR = ROOT / "bench" / "data"
DOMAIN = "bench.example"


@dataclass(frozen=True)
class Scale:
    name: str
    big_team: int  # direct recruits of the sponsor
    sponsors: int  # users with a track and recruits, the sponsor and the upline included
    recruits: int  # users with a sponsor, in all
    roots: int  # sponsors at the top of a tree (no sponsor)


SCALES = {
    "small": Scale("small", big_team=50, sponsors=2, recruits=51, roots=1),
    "medium": Scale("medium", big_team=500, sponsors=60, recruits=2_000, roots=3),
    "large": Scale("large", big_team=5_000, sponsors=10_000, recruits=100_000, roots=20),
}

FIRST = (
    "Ada Ben Cleo Dev Eli Fay Gus Hana Ivo Jade Kai Lena Milo Nia Omar Pia Quin Rosa Sam "
    "Tara Umar Vera Wes Xena Yuri Zoe Ana Bo Cruz Dina Emil Fern Gio Hugo Iris Jon Kim Lou "
    "Mae Ned Ola Pax Ray Sol Ted Uma Val Wyn"
).split()
LAST = (
    "Abbott Baker Chen Diaz Evans Fox Garcia Hale Ito Jones Khan Lopez Moreau Nakamura Okoro "
    "Patel Quist Rossi Silva Tanaka Ueda Varga Weber Xu Young Zhang Berg Costa Dubois Engel"
).split()
STEP_TITLES = [
    "Write your why",
    "List 100 names",
    "Watch the product video",
    "Book your first three-way call",
    "Share your first result",
    "Try the products for a week",
    "Post your story",
    "Host a home party",
    "Read the compensation plan",
    "Set your 90-day goal",
    "Shadow a team call",
    "Plan your launch event",
]
LOREM = (
    "I joined because I want more time with my family and a second income that grows. "
    "This week I spoke with three friends, two were curious and one said no for now. "
    "The video surprised me: the numbers, the story of the founder, the community. "
    "Here is my list, first names only, grouped by how well I know them. "
    "I booked the call for Thursday evening; she wants to hear about the products first. "
).split(" ")


def _text(rng: random.Random, words: int) -> str:
    start = rng.randrange(len(LOREM))
    return " ".join(LOREM[(start + i) % len(LOREM)] for i in range(words)).strip() or "Done."


@dataclass
class Person:
    id: int
    sponsor: int | None
    joined: datetime
    depth: int
    is_sponsor: bool = False
    recruits: list[int] = field(default_factory=list)


@dataclass
class Plan:
    """Everything to insert, as rows of plain dicts keyed by column name."""

    users: list[dict] = field(default_factory=list)
    tracks: list[dict] = field(default_factory=list)
    assignments: list[dict] = field(default_factory=list)
    submissions: list[dict] = field(default_factory=list)
    check_ins: list[dict] = field(default_factory=list)
    track_of_user: list[dict] = field(default_factory=list)
    partnerships: list[dict] = field(default_factory=list)
    partner_agreements: list[dict] = field(default_factory=list)
    partner_check_ins: list[dict] = field(default_factory=list)
    partner_replies: list[dict] = field(default_factory=list)
    mastermind_groups: list[dict] = field(default_factory=list)
    group_members: list[dict] = field(default_factory=list)
    group_meetings: list[dict] = field(default_factory=list)
    meeting_updates: list[dict] = field(default_factory=list)
    update_comments: list[dict] = field(default_factory=list)
    meeting_attendance: list[dict] = field(default_factory=list)
    info: dict = field(default_factory=dict)


def plan(scale: Scale, now: datetime, seed: int = SEED) -> Plan:
    """The whole data set, decided before any row is written (deterministic)."""
    rng = random.Random(seed)
    out = Plan()
    users: dict[int, Person] = {}
    next_id = iter(range(1, 10**9))

    # --- the sponsor tree -------------------------------------------------------
    upline = Person(next(next_id), None, now - timedelta(days=900), 0, True)
    users[upline.id] = upline
    roots = [upline]
    for _ in range(scale.roots - 1):
        root = Person(next(next_id), None, now - timedelta(days=rng.uniform(600, 900)), 0, True)
        users[root.id] = root
        roots.append(root)
    big = Person(next(next_id), upline.id, now - timedelta(days=720), 1, True)
    users[big.id] = big
    upline.recruits.append(big.id)
    sponsors = [*roots, big]

    def join_after(sponsor: Person) -> datetime:
        span = (now - sponsor.joined).total_seconds()
        return sponsor.joined + timedelta(seconds=span * rng.random() ** 0.6 + 3600)

    # Other sponsors: each recruited by an earlier sponsor (some by the sponsor),
    # which makes the downlines many levels deep.
    big_sponsor_recruits = min(scale.big_team // 25, max(0, scale.sponsors - len(sponsors)))
    while len(sponsors) < scale.sponsors:
        if big_sponsor_recruits > 0:
            parent = big
            big_sponsor_recruits -= 1
        else:
            parent = sponsors[int(len(sponsors) * rng.random() ** 1.5)]
            if parent is big:
                parent = upline
        person = Person(next(next_id), parent.id, join_after(parent), parent.depth + 1, True)
        person.joined = min(person.joined, now - timedelta(days=30))
        users[person.id] = person
        parent.recruits.append(person.id)
        sponsors.append(person)

    # Leaf recruits: the sponsor's team first, the rest spread unevenly.
    non_root_sponsors = len(sponsors) - len(roots)
    leaves = scale.recruits - non_root_sponsors
    big_leaves = scale.big_team - len(big.recruits)
    others = [s for s in sponsors if s is not big]
    weights = [1.0 / (i + 1) ** 0.6 for i in range(len(others))]
    rng.shuffle(weights)
    cumulative, total = [], 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    parents: list[Person] = [big] * big_leaves
    # Every sponsor has at least one recruit; the rest by weight.
    for s in others:
        if not s.recruits:
            parents.append(s)
    while len(parents) < leaves:
        parents.append(others[_bisect(cumulative, rng.random() * total)])
    for parent in parents[:leaves]:
        person = Person(next(next_id), parent.id, join_after(parent), parent.depth + 1)
        users[person.id] = person
        parent.recruits.append(person.id)

    # --- tracks and assignments --------------------------------------------------
    track_id = iter(range(1, 10**9))
    assignment_id = iter(range(1, 10**9))
    default_track: dict[int, int] = {}
    other_track: dict[int, int] = {}
    steps_of: dict[int, list[dict]] = {}
    for sponsor in sponsors:
        count = 8 if sponsor is big else rng.randint(5, 12)
        tracks = [(True, count)]
        if sponsor is not big and rng.random() < 0.1:
            tracks.append((False, rng.randint(5, 12)))
        for is_default, steps in tracks:
            tid = next(track_id)
            created = sponsor.joined + timedelta(days=rng.uniform(0.1, 3))
            out.tracks.append(
                {
                    "id": tid,
                    "owner_id": sponsor.id,
                    "name": "Fast start" if is_default else "Fast start, part two",
                    "description": "How we start every new partner.",
                    "is_default": is_default,
                    "version": 1,
                    "created_at": created,
                }
            )
            (default_track if is_default else other_track)[sponsor.id] = tid
            rows = []
            for position in range(1, steps + 1):
                # A tenth of the steps were added later: their clock starts then.
                added_later = position > 2 and rng.random() < 0.1 and sponsor is not big
                activated = created
                if added_later:
                    activated = created + (now - created) * rng.uniform(0.2, 0.8)
                title = STEP_TITLES[(position - 1) % len(STEP_TITLES)]
                rows.append(
                    {
                        "id": next(assignment_id),
                        "track_id": tid,
                        "position": position,
                        "title": title,
                        "instructions": f"## {title}\n\n{_text(rng, 40)}\n\n- Be honest\n"
                        f"- Take your time\n\n{_text(rng, 30)}",
                        "deliverable": "A short paragraph, or a link.",
                        "stall_threshold_days": rng.choice((None, None, None, None, 3, 14)),
                        "activated_at": activated,
                        "archived_at": None,
                        "created_at": created,
                    }
                )
            out.assignments.extend(rows)
            steps_of[tid] = rows
            if sponsor is not big and rng.random() < 0.05:  # an archived step
                out.assignments.append(
                    {
                        **rows[-1],
                        "id": next(assignment_id),
                        "position": None,
                        "title": "Old step (archived)",
                        "archived_at": created + timedelta(days=1),
                    }
                )

    # --- users -------------------------------------------------------------------
    password_hash = _password_hash()
    sponsor_threshold: dict[int, int] = {}
    for person in users.values():
        threshold = 7 if person.id == big.id else rng.choice((7, 7, 7, 5, 10, 14))
        sponsor_threshold[person.id] = threshold
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"u{person.id}@{DOMAIN}"
        if person is big:
            email, first, last = f"sponsor@{DOMAIN}", "Sam", "Sponsor"
        elif person is upline:
            email, first, last = f"upline@{DOMAIN}", "Uma", "Upline"
        out.users.append(
            {
                "id": person.id,
                "email": email,
                "name": f"{first} {last}",
                "password_hash": password_hash,
                "timezone": rng.choice(("UTC", "Europe/Berlin", "America/New_York")),
                "sponsor_id": person.sponsor,
                "invite_token": f"bench-{person.id}-{rng.getrandbits(64):016x}",
                "track_id": None,  # set once the tracks exist (users <-> tracks is a cycle)
                "enrolled_at": None,
                "stall_threshold_days": threshold,
                "digest_weekday": 0,
                "archived_at": None,
                "email_digest": True,
                "email_on_hand_in": True,
                "email_on_decision": True,
                "created_at": person.joined,
            }
        )
    user_row = {row["id"]: row for row in out.users}

    # --- each recruit's history ---------------------------------------------------
    submission_id = iter(range(1, 10**9))
    check_in_id = iter(range(1, 10**9))
    hand_in_pool: list[dict] = []
    bench_recruit = None
    first_leaf = _first_leaf(big, users)
    for person in users.values():
        if person.sponsor is None:
            continue
        row = user_row[person.id]
        sponsor = users[person.sponsor]
        if rng.random() < 0.01 and person.id != first_leaf:
            continue  # joined, but no track yet: the sponsor's move
        tid = default_track[sponsor.id]
        if sponsor.id in other_track and rng.random() < 0.1:
            tid = other_track[sponsor.id]
        row["enrolled_at"] = person.joined
        out.track_of_user.append({"id": person.id, "track_id": tid})
        is_bench_recruit = person.id == first_leaf
        history = _history(
            rng,
            steps_of[tid],
            person,
            sponsor.id,
            sponsor_threshold[sponsor.id],
            now,
            scripted=is_bench_recruit,
        )
        for sub in history.submissions:
            sub["id"] = next(submission_id)
        out.submissions.extend(history.submissions)
        if is_bench_recruit:
            row["email"] = f"recruit@{DOMAIN}"
            row["name"] = "Robin Recruit"
            bench_recruit = {"id": person.id, "email": row["email"]}
            continue
        # Check-ins for some of the idle; a few left the business.
        left = False
        if history.current is not None and not history.waiting:
            idle_since = history.idle_since
            if rng.random() < 0.02:
                when = idle_since + (now - idle_since) * rng.random()
                out.check_ins.append(_check_in(next(check_in_id), person, when, "left", None))
                row["archived_at"] = when
                left = True
            elif (now - idle_since).days > 7 and rng.random() < 0.25:
                when = idle_since
                for _ in range(rng.randint(1, 3)):
                    when = when + (now - when) * rng.uniform(0.3, 0.9)
                    outcome = rng.choice(("reached", "no_answer", "paused"))
                    snooze = when + timedelta(days=sponsor_threshold[sponsor.id])
                    if outcome == "paused":
                        snooze = when + timedelta(days=rng.randint(7, 45))
                    out.check_ins.append(
                        _check_in(next(check_in_id), person, when, outcome, snooze)
                    )
        if sponsor is big and history.current is not None and not history.waiting and not left:
            hand_in_pool.append({"recruit_id": person.id, "assignment_id": history.current})

    partner_page = _partnerships(rng, out, users, user_row, big, upline, first_leaf, now)
    group_page = _groups(rng, out, users, user_row, big, first_leaf, now)

    out.info = {
        "scale": scale.name,
        "now": now.isoformat(),
        "password": PASSWORD,
        "sponsor": {"id": big.id, "email": f"sponsor@{DOMAIN}", "recruits": scale.big_team},
        "upline": {"id": upline.id, "email": f"upline@{DOMAIN}"},
        "recruit": bench_recruit,
        # The recruit's own partnerships: the list and their longest-running one.
        "partner": {**bench_recruit, "partnership": partner_page},
        # The recruit's mastermind group: its coming meeting, and when to run reminders.
        "group": group_page,
        "hand_in_pool": hand_in_pool,
        "counts": {
            "users": len(out.users),
            "sponsors": len(sponsors),
            "recruits": sum(1 for p in users.values() if p.sponsor is not None),
            "tracks": len(out.tracks),
            "assignments": len(out.assignments),
            "submissions": len(out.submissions),
            "check_ins": len(out.check_ins),
            "partnerships": len(out.partnerships),
            "partner_users": len(
                {r["asker_id"] for r in out.partnerships}
                | {r["asked_id"] for r in out.partnerships}
            ),
            "partner_check_ins": len(out.partner_check_ins),
            "partner_replies": len(out.partner_replies),
            "groups": len(out.mastermind_groups),
            "group_users": len({r["user_id"] for r in out.group_members}),
            "group_meetings": len(out.group_meetings),
            "meeting_updates": len(out.meeting_updates),
            "update_comments": len(out.update_comments),
            "meeting_attendance": len(out.meeting_attendance),
            "max_depth": max(p.depth for p in users.values()),
        },
    }
    return out


# --- accountability partners ---------------------------------------------------------

PARTNER_RULES = (
    "Call each other out, kindly. Ten minutes, no excuses.",
    "A line every evening: what I did, what's next.",
    "Video call on our days; if one of us misses, the other calls.",
    "We talk about calls booked and follow-ups, nothing else.",
)
PARTNER_STEPS = (
    "Call three people from my list",
    "Post my story",
    "Book one three-way call",
    "Follow up with yesterday's two",
    "Add ten names to my list",
    "Host a taster at home",
)
PARTNER_NOTES = ("", "", "Two said yes to a call!", "", "Harder than I thought.", "A sale!")
PARTNER_REPLIES = (
    "Proud of you. Same time next check-in?",
    "What stopped you? Let's find ten minutes for it tomorrow.",
    "That's the way. Tell me how it goes.",
)
# (cadence, weekdays) with their weights: how often partners pick each schedule.
CADENCES = (
    (("weekdays", "0,4"), 35),
    (("daily", ""), 15),
    (("weekly", "2"), 20),
    (("every_other_day", ""), 15),
    (("weekdays", "0,2,4"), 15),
)


@dataclass
class _Pair:
    """One planned partnership: who, in what state, over which days."""

    asker: int
    asked: int
    status: str = "active"
    started: datetime | None = None  # accepted (the term's first day, in UTC's date)
    months: int = 3
    versions: list[tuple[str, str, int]] = field(default_factory=list)  # cadence, days, from
    ended_after: float | None = None  # days after the start it was ended


def _partnerships(  # type: ignore[no-untyped-def]
    rng, out: Plan, users: dict[int, Person], user_row, big, upline, first_leaf, now
) -> int:
    """A third of the users in partnerships, and the runner's recruit's scripted set;
    returns the id of the recruit's partnership the bench opens."""
    peers = [r for r in big.recruits if not users[r].is_sponsor and r != first_leaf][:4]
    scripted = {first_leaf, big.id, upline.id, *peers}
    script = random.Random(SEED)  # the same history at every scale
    pairs = [
        _Pair(first_leaf, big.id, started=now - timedelta(days=80), versions=[("daily", "", 0)]),
        _Pair(
            peers[0],
            first_leaf,
            started=now - timedelta(days=40),
            versions=[("weekdays", "0,4", 0), ("weekdays", "0,2,4", 20)],
        ),
        _Pair(
            first_leaf,
            peers[1],
            started=now - timedelta(days=20),
            months=6,
            versions=[("every_other_day", "", 0)],
        ),  # fmt: skip
        _Pair(
            first_leaf,
            peers[2],
            status="ended",
            started=now - timedelta(days=70),
            versions=[("weekly", "1", 0)],
            ended_after=30,
        ),  # fmt: skip
        _Pair(peers[3], first_leaf, status="proposed", versions=[("daily", "", 0)]),
    ]
    page = 1  # the first partnership written: the recruit's and their sponsor's, daily
    chosen = [p.id for p in users.values() if p.id not in scripted and rng.random() < 1 / 3]
    taking_part = set(chosen)
    active: dict[int, int] = {}
    together: set[frozenset[int]] = set()
    for person_id in chosen:
        if active.get(person_id, 0):
            continue  # someone already asked them
        sponsor = users[person_id].sponsor
        partner = None
        if sponsor in taking_part and active.get(sponsor, 0) < 3 and rng.random() < 0.5:
            partner = sponsor  # upline first
        else:
            for _ in range(5):
                candidate = chosen[rng.randrange(len(chosen))]
                if candidate != person_id and active.get(candidate, 0) < 3:
                    partner = candidate
                    break
        if partner is None or frozenset((person_id, partner)) in together:
            continue
        together.add(frozenset((person_id, partner)))
        pairs.append(_random_pair(rng, person_id, partner, now))
        if pairs[-1].status == "active":
            for who in (person_id, partner):
                active[who] = active.get(who, 0) + 1
    for index, pair in enumerate(pairs, start=1):
        _write_pair(script if index <= 5 else rng, out, index, pair, user_row, now)
    return page


def _random_pair(rng, asker: int, asked: int, now: datetime) -> _Pair:  # type: ignore[no-untyped-def]
    cadence = rng.choices([c for c, _ in CADENCES], [w for _, w in CADENCES])[0]
    status = rng.choices(("active", "ended", "proposed"), (88, 6, 6))[0]
    months = rng.choice((3, 3, 3, 6))
    longest = 88 if months == 3 else 178
    pair = _Pair(asker, asked, status, months=months, versions=[(*cadence, 0)])
    if status == "proposed":
        return pair
    days_ago = rng.uniform(1, longest)
    pair.started = now - timedelta(days=days_ago)
    if status == "ended":
        pair.ended_after = rng.uniform(1, days_ago)
    ran = pair.ended_after or days_ago
    if ran > 15 and rng.random() < 1 / 6:  # a change of terms, a while in
        changed = rng.choices([c for c, _ in CADENCES], [w for _, w in CADENCES])[0]
        pair.versions.append((*changed, int(rng.uniform(7, ran - 2))))
    return pair


def _write_pair(rng, out: Plan, pid: int, pair: _Pair, user_row, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """The partnership's rows: itself, its agreement's versions, check-ins and replies."""
    from app.services.partner_schedule import add_months

    asked_at = (pair.started or now - timedelta(days=rng.uniform(0.1, 5))) - timedelta(
        hours=rng.uniform(2, 60)
    )
    first_day = pair.started.date() if pair.started else None
    ends_on = add_months(first_day, pair.months) if first_day else None
    ended_at = None
    if pair.ended_after is not None:
        ended_at = min(pair.started + timedelta(days=pair.ended_after), now)  # type: ignore[operator]
    out.partnerships.append(
        {
            "id": pid,
            "asker_id": pair.asker,
            "asked_id": pair.asked,
            "invite_email": None,
            "invite_token": None,
            "status": pair.status,
            "term_started_on": first_day,
            "ends_on": ends_on,
            "created_at": asked_at,
            "answered_at": pair.started,
            "ended_at": ended_at,
            "ended_by_id": pair.asker if ended_at else None,
            "end_note": "Moving on to a mastermind group: thank you!" if ended_at else "",
        }
    )
    rules = PARTNER_RULES[pid % len(PARTNER_RULES)]
    for version, (cadence, weekdays, after) in enumerate(pair.versions, start=1):
        effective = first_day + timedelta(days=after) if first_day else None
        proposed_at = asked_at if version == 1 else pair.started + timedelta(days=after - 1)  # type: ignore[operator]
        out.partner_agreements.append(
            {
                "id": len(out.partner_agreements) + 1,
                "partnership_id": pid,
                "version": version,
                "proposed_by_id": pair.asker if version == 1 else pair.asked,
                "status": "accepted" if first_day else "proposed",
                "rules": rules,
                "cadence": cadence,
                "weekdays": weekdays,
                "channel": ("text", "phone", "video", "email")[pid % 4],
                "asker_handle": f"+1 555 01{pair.asker % 100:02d}",
                "asked_handle": f"+1 555 01{pair.asked % 100:02d}",
                "term_months": pair.months,
                "note": "",
                "proposed_at": proposed_at,
                "answered_at": (pair.started if version == 1 else proposed_at + timedelta(hours=5))
                if first_day
                else None,
                "effective_on": effective,
            }
        )
    if first_day is None:
        return
    last = ends_on if ended_at is None else min(ends_on, ended_at.date() + timedelta(days=1))
    for author, other in ((pair.asker, pair.asked), (pair.asked, pair.asker)):
        _check_ins(rng, out, pid, pair, author, other, first_day, last, user_row, now)


def _check_ins(rng, out, pid, pair, author, other, first_day, last, user_row, now) -> None:  # type: ignore[no-untyped-def]
    """One partner's check-ins: on time (that evening, or the next morning in the grace),
    late (two to four days on) or missed, by a habit of their own."""
    from zoneinfo import ZoneInfo

    from app.services.partner_schedule import Cadence, Schedule, Term, scheduled_dates

    zone = ZoneInfo(user_row[author]["timezone"])
    today = now.astimezone(zone).date()
    on_time, late = rng.choice(((0.95, 0.03), (0.85, 0.07), (0.7, 0.1), (0.45, 0.15)))
    starts = [first_day + timedelta(days=after) for _, _, after in pair.versions] + [last]
    days = []
    for (cadence, weekdays, _), start, end in zip(pair.versions, starts, starts[1:], strict=False):
        schedule = Schedule(Cadence(cadence), frozenset(int(d) for d in weekdays.split(",") if d))
        days += scheduled_dates(schedule, Term(start, min(end, last, today + timedelta(days=1))))
    said = ""
    for day in days:
        roll = rng.random()
        if roll < on_time:
            hours = rng.uniform(17, 23) if rng.random() < 0.85 else rng.uniform(31, 34)
        elif roll < on_time + late:
            hours = rng.uniform(50, 100)
        else:
            continue
        posted = datetime.combine(day, datetime.min.time(), tzinfo=zone) + timedelta(hours=hours)
        posted = posted.astimezone(UTC)
        if posted >= now:
            continue
        step = PARTNER_STEPS[(day.toordinal() + author) % len(PARTNER_STEPS)]
        cid = len(out.partner_check_ins) + 1
        out.partner_check_ins.append(
            {
                "id": cid,
                "partnership_id": pid,
                "author_id": author,
                "day": day,
                "said": said,
                "did": ("yes", "yes", "partly", "no")[day.toordinal() % 4] if said else "yes",
                "next": step,
                "note": PARTNER_NOTES[day.toordinal() % len(PARTNER_NOTES)],
                "created_at": posted,
            }
        )
        said = step
        if rng.random() < 0.25:
            at = min(posted + timedelta(hours=rng.uniform(0.5, 20)), now - timedelta(seconds=1))
            out.partner_replies.append(
                {
                    "id": len(out.partner_replies) + 1,
                    "check_in_id": cid,
                    "author_id": other,
                    "body": PARTNER_REPLIES[cid % len(PARTNER_REPLIES)],
                    "created_at": at,
                }
            )


# --- mastermind groups -------------------------------------------------------------

GROUP_NAMES = (
    "Rising Leaders",
    "Monday Momentum",
    "Diamond Path",
    "Freedom Builders",
    "Next Rank Circle",
    "Team Accelerate",
    "Sunrise Mastermind",
    "The 90-Day Club",
)
# The four answers, by question; each update takes one of each.
GROUP_ANSWERS = (
    (
        "Two new customers and a reorder from Jo.",
        "Booked three three-way calls and held two of them.",
        "Hit my first rank: the team did it together.",
        "Posted my story every other day and got five messages.",
        "My downline had two new starters this week.",
    ),
    (
        "Shift work: I lost two evenings to overtime.",
        "I froze when someone asked about the money.",
        "Follow-ups went cold after one message.",
        "The kids were ill, nothing got done for three days.",
        "Two people said not now and it knocked me.",
    ),
    (
        "A local wellness fair has a stand free next month.",
        "My gym owner asked about the range for her clients.",
        "An old colleague has just gone part-time.",
        "The spring promotion starts next week.",
        "A parents' WhatsApp group of 200 people.",
    ),
    (
        "Ten new conversations and two three-way calls.",
        "Finish my list of 100 names and practise my story.",
        "One new customer a week for a month.",
        "Help two of my team book their first calls.",
        "Run a product taster at home on Saturday.",
    ),
)
GROUP_COMMENTS = (
    "So proud of you!",
    "That's the way. Tell us how the call goes.",
    "What stopped you? Let's find ten minutes tomorrow.",
    "Happy to join that three-way call.",
    "Great idea: bring samples in person.",
)
GROUP_NOTES = (
    "Hot seat on follow-ups: a fixed evening block and a short template. Everyone left "
    "with one action for the week.",
    "Good energy. Two of us booked three-way calls on the spot. Next time: the fair rota.",
    "Short meeting, three absent. We agreed to keep it to 45 minutes.",
)
# (weekday, weight): most groups meet early in the week.
GROUP_WEEKDAYS = ((0, 15), (1, 25), (2, 20), (3, 25), (4, 5), (5, 3), (6, 7))
GROUP_MINUTES = (7 * 60 + 30, 12 * 60, 19 * 60, 19 * 60, 19 * 60 + 30, 20 * 60)
GROUP_CADENCES = (("weekly", 65), ("every_two_weeks", 25), ("monthly", 10))


@dataclass
class _Group:
    """One planned group: its members (the host first) and when each joined and left."""

    members: list[int]
    cadence: str
    weekday: int
    minute: int
    timezone: str
    formed_at: datetime
    joined: list[datetime]
    left: list[datetime | None]
    archived_at: datetime | None = None
    coming_share: float | None = None  # how many have posted for the coming meeting


def _groups(rng, out: Plan, users: dict[int, Person], user_row, big, first_leaf, now) -> dict:  # type: ignore[no-untyped-def]
    """A tenth of the users in groups of 3 to 10, and the runner's recruit's scripted
    group (the same at every scale); returns what the runner needs: the recruit's group
    and coming meeting, and a moment 24 hours before the meetings of many groups."""
    formed = now - timedelta(days=120)
    leaves = [
        r
        for r in big.recruits
        if not users[r].is_sponsor and r != first_leaf and users[r].joined < formed
    ]
    scripted_members = [big.id, first_leaf, *leaves[:6]]
    script = random.Random(SEED + 14)  # the same history at every scale
    zone = "Europe/Berlin"
    from zoneinfo import ZoneInfo

    coming_day = (now + timedelta(days=2)).astimezone(ZoneInfo(zone)).date()
    scripted = _Group(
        scripted_members,
        "weekly",
        coming_day.weekday(),
        19 * 60,
        zone,
        formed,
        [formed - timedelta(days=3 - n * 0.4) for n in range(3)]
        + [formed + timedelta(days=5 * n) for n in range(1, len(scripted_members) - 2)],
        [None] * len(scripted_members),
        coming_share=0.7,  # the page the runner loads: most updates are in
    )
    coming: list[tuple[datetime, int]] = []
    page = _write_group(script, out, scripted, now, coming)
    taken = set(scripted_members)
    # A tenth of the users, those longer in the business more often (masterminds are
    # where people who stayed meet).
    ages = {p: (now - users[p].joined).total_seconds() for p in users if p not in taken}
    mean_age = sum(ages.values()) / max(1, len(ages))
    pool = [p for p, age in ages.items() if rng.random() < min(0.9, 0.11 * age / mean_age)]
    rng.shuffle(pool)
    while len(pool) >= 3:
        size = min(len(pool), rng.choice((3, 4, 5, 5, 6, 6, 6, 7, 7, 8, 9, 10)))
        members, pool = pool[:size], pool[size:]
        if len(pool) < 3:
            members, pool = members + pool, []
            members = members[:10]
        _write_group(rng, out, _random_group(rng, members, user_row, now), now, coming)
    return {
        "id": first_leaf,
        "email": user_row[first_leaf]["email"],
        "group": page[0],
        "meeting": page[1],
        "remind_as_of": _busiest_reminder_moment(coming, now).isoformat(),
    }


def _random_group(rng, members: list[int], user_row, now: datetime) -> _Group:  # type: ignore[no-untyped-def]
    """The three longest in the business start it (the host first); it formed some
    time after the third's account, the others joined later."""
    members = sorted(members, key=lambda m: (user_row[m]["created_at"], m))
    created = user_row[members[2]]["created_at"]
    formed = max(created + timedelta(days=1), now - timedelta(days=rng.uniform(3, 240)))
    formed = min(formed, now - timedelta(hours=2))
    joined = [formed - timedelta(days=rng.uniform(0.5, 6)) for _ in range(2)] + [formed]
    joined[:2] = sorted(max(j, created) for j in joined[:2])
    for m in members[3:]:
        at = formed + (now - formed) * rng.random() ** 2
        joined.append(max(at, user_row[m]["created_at"] + timedelta(hours=1)))
    left: list[datetime | None] = [None]
    for j in joined[1:]:
        left.append(j + (now - j) * rng.uniform(0.2, 0.9) if rng.random() < 0.06 else None)
    return _Group(
        members,
        rng.choices([c for c, _ in GROUP_CADENCES], [w for _, w in GROUP_CADENCES])[0],
        rng.choices([d for d, _ in GROUP_WEEKDAYS], [w for _, w in GROUP_WEEKDAYS])[0],
        rng.choice(GROUP_MINUTES),
        user_row[members[0]]["timezone"],
        formed,
        joined,
        left,
        archived_at=now - timedelta(days=rng.uniform(0, 3)) if rng.random() < 0.03 else None,
    )


def _write_group(rng, out: Plan, group: _Group, now: datetime, coming: list) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The group's rows: itself, its members, and each meeting so far with its updates,
    comments, attendance and notes, then the coming meeting's updates posted by now.
    Returns (group id, the coming meeting's index)."""
    from datetime import time as clock
    from zoneinfo import ZoneInfo

    from app.services.meeting_schedule import (
        Cadence,
        MeetingPlan,
        first_meeting_day,
        meetings_between,
        next_meeting,
    )

    gid = len(out.mastermind_groups) + 1
    at = clock(group.minute // 60, group.minute % 60)
    zone = ZoneInfo(group.timezone)
    first_day = first_meeting_day(group.weekday, at, zone, after=group.formed_at)
    out.mastermind_groups.append(
        {
            "id": gid,
            "host_id": group.members[0],
            "name": f"{GROUP_NAMES[gid % len(GROUP_NAMES)]} {gid}",
            "purpose": "Goals every meeting, and someone on the hot seat.",
            "cadence": group.cadence,
            "weekday": group.weekday,
            "minute": group.minute,
            "timezone": group.timezone,
            "location": "https://meet.example.com/room",
            "formed_at": group.formed_at,
            "first_meeting_on": first_day,
            "invite_token": f"bench-group-{gid}-{rng.getrandbits(64):016x}",
            "archived_at": group.archived_at,
            "created_at": group.joined[0],
        }
    )
    for user_id, joined, left in zip(group.members, group.joined, group.left, strict=True):
        out.group_members.append(
            {
                "id": len(out.group_members) + 1,
                "group_id": gid,
                "user_id": user_id,
                "joined_at": joined,
                "left_at": left,
                "left_how": "left" if left else "",
            }
        )
    plan = MeetingPlan(Cadence(group.cadence), group.weekday, at, zone, first_day, group.formed_at)
    end = group.archived_at or now
    held = meetings_between(plan, group.formed_at, end)
    upcoming = next_meeting(plan, now)
    if group.archived_at is None:
        coming.append((upcoming.starts_at, gid))
    opens = group.formed_at
    for occurrence in [*held, *([upcoming] if group.archived_at is None else [])]:
        is_held = occurrence.starts_at <= now
        present = [
            m
            for m, j, left in zip(group.members, group.joined, group.left, strict=True)
            if j <= min(occurrence.starts_at, now) and (left is None or occurrence.starts_at < left)
        ]
        share = 0.8 if is_held else group.coming_share or rng.uniform(0.3, 0.9)
        _write_meeting(rng, out, gid, occurrence.starts_at, opens, present, share, now)
        opens = occurrence.starts_at
    return gid, upcoming.index


def _write_meeting(rng, out, gid, starts_at, opens, present, share, now) -> None:  # type: ignore[no-untyped-def]
    """One meeting's row, its updates (most members post, in the days before), comments
    and cheers under some, and once held, attendance and notes (when the host recorded)."""
    mid = len(out.group_meetings) + 1
    recorded = starts_at <= now and rng.random() < 0.85
    noted_at = min(starts_at + timedelta(hours=rng.uniform(1, 30)), now - timedelta(seconds=1))
    out.group_meetings.append(
        {
            "id": mid,
            "group_id": gid,
            "starts_at": starts_at,
            "hot_seat_id": rng.choice(present) if present and rng.random() < 0.05 else None,
            "notes": GROUP_NOTES[mid % len(GROUP_NOTES)] if recorded else "",
            "notes_recorded_at": noted_at if recorded else None,
            "created_at": opens,
        }
    )
    closes = min(starts_at, now)
    for user_id in present:
        if rng.random() >= share:
            continue
        posted = max(opens, closes - timedelta(days=rng.uniform(0.05, 3)))
        uid = len(out.meeting_updates) + 1
        answers = [rng.choice(choices) for choices in GROUP_ANSWERS]
        out.meeting_updates.append(
            {
                "id": uid,
                "meeting_id": mid,
                "user_id": user_id,
                "successes": answers[0],
                "challenges": answers[1],
                "opportunities": answers[2],
                "goals": answers[3],
                "created_at": posted,
                "updated_at": posted,
            }
        )
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
            author = rng.choice(present)
            cheer = rng.random() < 0.4
            out.update_comments.append(
                {
                    "id": len(out.update_comments) + 1,
                    "update_id": uid,
                    "user_id": author,
                    "body": "" if cheer else rng.choice(GROUP_COMMENTS),
                    "cheer": cheer,
                    "created_at": min(
                        posted + timedelta(hours=rng.uniform(0.1, 20)), now - timedelta(seconds=1)
                    ),
                }
            )
    if recorded:
        for user_id in present:
            out.meeting_attendance.append(
                {
                    "id": len(out.meeting_attendance) + 1,
                    "meeting_id": mid,
                    "user_id": user_id,
                    "status": rng.choices(("present", "absent", "excused"), (80, 12, 8))[0],
                }
            )


def _busiest_reminder_moment(coming: list[tuple[datetime, int]], now: datetime) -> datetime:
    """A moment in the coming week whose next 24 hours hold the most groups' coming
    meetings: when `flask groups remind` has the most reminders to record."""
    from bisect import bisect_right

    starts = sorted(s for s, _ in coming)
    best, best_count = now + timedelta(minutes=1), -1
    for start in starts:
        moment = start - timedelta(hours=24) + timedelta(minutes=1)
        if moment < now or moment > now + timedelta(days=6):
            continue  # within the week: the coming meetings, with part of their updates
        count = bisect_right(starts, moment + timedelta(hours=24)) - bisect_right(starts, moment)
        if count > best_count:
            best, best_count = moment, count
    return best


def _first_leaf(big: Person, users: dict[int, Person]) -> int:
    return next(r for r in big.recruits if not users[r].is_sponsor)


def _bisect(cumulative: list[float], x: float) -> int:
    lo, hi = 0, len(cumulative) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _check_in(cid: int, person: Person, when: datetime, outcome: str, snooze) -> dict:  # type: ignore[no-untyped-def]
    return {
        "id": cid,
        "recruit_id": person.id,
        "sponsor_id": person.sponsor,
        "happened_at": when,
        "channel": ("call", "text", "email", "in_person", "other")[cid % 5],
        "outcome": outcome,
        "note": "Talked about the next step." if outcome == "reached" else "",
        "snooze_until": snooze,
        "created_at": when,
    }


@dataclass
class History:
    submissions: list[dict]
    current: int | None  # the current assignment's id (None: finished)
    waiting: bool  # the current step has a hand-in waiting for review
    idle_since: datetime  # when the ball last came into the recruit's court


def _history(
    rng: random.Random,
    steps: list[dict],
    person: Person,
    sponsor_id: int,
    threshold: int,
    now: datetime,
    *,
    scripted: bool = False,
) -> History:
    """Approved steps (1-3 attempts each), then the current step's state."""
    active = [s for s in steps if s["position"] is not None]
    n = len(active)
    racer = rng.random() < 0.007
    if scripted:  # the runner's recruit: 3 steps done, the 4th sent back once
        done, racer = 3, False
    elif racer:
        done = n if rng.random() < 0.6 else rng.randint(n // 2, n - 1)
    else:
        x = rng.random()
        if x < 0.35:
            done = 0
        elif x < 0.57:
            done = 1
        elif x < 0.70:
            done = 2
        elif x < 0.78:
            done = 3
        elif x < 0.94:
            done = rng.randint(min(4, n - 1), n - 1)
        else:
            done = n  # finished
    # Delays in days; racers do everything within hours.
    hand_in_delay = (lambda: rng.uniform(0.02, 0.3)) if racer else (lambda: rng.expovariate(1 / 3))
    review_delay = (lambda: rng.uniform(0.01, 0.2)) if racer else (lambda: rng.uniform(0.1, 2.5))
    attempts_of = [rng.choices((1, 2, 3), (70, 22, 8))[0] for _ in range(done)]
    if scripted:
        attempts_of = [1, 2, 1]
    # Events as offsets from enrolment; squeezed into [joined, now) if they overrun.
    events: list[tuple[int, int, float, float | None, str]] = []  # step, attempt, sub, dec, st
    t = 0.0
    for index in range(done):
        step = active[index]
        start = max(t, (step["activated_at"] - person.joined).total_seconds() / 86400)
        t = start
        for attempt in range(1, attempts_of[index] + 1):
            t += hand_in_delay()
            submitted = t
            t += review_delay()
            final = attempt == attempts_of[index]
            events.append((index, attempt, submitted, t, "approved" if final else "changes"))
            if not final:
                t += 0.01
    current = active[done] if done < n else None
    state = None
    if current is not None:
        start = max(t, (current["activated_at"] - person.joined).total_seconds() / 86400)
        t = start
        state = (
            "changes" if scripted else rng.choices(("open", "waiting", "changes"), (45, 30, 25))[0]
        )
        if state != "open":
            tries = 1 if scripted else rng.choices((1, 2), (80, 20))[0]
            for attempt in range(1, tries + 1):
                t += hand_in_delay()
                submitted = t
                last = attempt == tries
                if last and state == "waiting":
                    events.append((done, attempt, submitted, None, "submitted"))
                else:
                    t += review_delay()
                    events.append((done, attempt, submitted, t, "changes"))
    available = (now - person.joined).total_seconds() / 86400 - 0.01
    end = max([t] + [e[3] or e[2] for e in events]) if events else t
    squeeze = min(1.0, available / end) if end > 0 else 1.0
    subs = []
    idle_since = person.joined
    for index, attempt, submitted, decided, status in events:
        step = active[index]
        at = person.joined + timedelta(days=submitted * squeeze)
        at = max(at, step["activated_at"] + timedelta(minutes=1))
        decided_at = None
        if decided is not None:
            decided_at = max(person.joined + timedelta(days=decided * squeeze), at)
            decided_at += timedelta(seconds=1)
            decided_at = min(decided_at, now - timedelta(seconds=1))
            at = min(at, decided_at - timedelta(seconds=1))
            idle_since = max(idle_since, decided_at)
        at = min(at, now - timedelta(seconds=2))
        long = rng.random() < 0.1
        subs.append(
            {
                "recruit_id": person.id,
                "sponsor_id": sponsor_id,
                "assignment_id": step["id"],
                "attempt": attempt,
                "answer": _text(rng, rng.randint(150, 400) if long else rng.randint(10, 60)),
                "link": "https://example.com/my-list" if rng.random() < 0.1 else None,
                "attachment_path": None,
                "attachment_name": None,
                "attachment_type": None,
                "attachment_size": None,
                "status": {"approved": "approved", "changes": "changes_requested"}.get(
                    status, "submitted"
                ),
                "submitted_at": at,
                "decided_at": decided_at,
                "decided_by_id": sponsor_id if decided_at else None,
                "feedback": (
                    "Good, a bit more detail please: who, when, what next."
                    if status == "changes"
                    else ("Great work!" if rng.random() < 0.5 else "")
                ),
            }
        )
    waiting = state == "waiting"
    if waiting and not scripted:
        # Sponsors review within days: a hand-in still waits only if it is recent, or
        # (one in twenty) the sponsor let it slip. An older one was sent back, and the
        # recruit went quiet after that.
        last = subs[-1]
        lag = timedelta(days=rng.expovariate(1 / 2))
        if rng.random() >= 0.05 and last["submitted_at"] < now - lag:
            decided_at = last["submitted_at"] + max(lag * rng.uniform(0.2, 1), timedelta(minutes=1))
            last.update(
                status="changes_requested",
                decided_at=min(decided_at, now - timedelta(seconds=1)),
                decided_by_id=sponsor_id,
                feedback="Good, a bit more detail please: who, when, what next.",
            )
            idle_since = max(idle_since, last["decided_at"])
            waiting = False
    if current is not None:
        idle_since = max(idle_since, current["activated_at"])
    return History(subs, current["id"] if current else None, waiting, idle_since)


def _password_hash() -> str:
    from werkzeug.security import generate_password_hash

    from config import ProductionConfig

    return generate_password_hash(PASSWORD, method=ProductionConfig.PASSWORD_HASH_METHOD)


# --- writing --------------------------------------------------------------------


def database_url(arg: str | None, scale: str) -> str:
    url = arg or os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DATA_DIR / f'{scale}.sqlite3'}"


def _empty_database(url: str) -> None:
    """Start from nothing: remove the SQLite file, or drop PostgreSQL's public schema."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(url: str):  # type: ignore[no-untyped-def]
    """The app on this database (production settings, a throwaway secret)."""
    from app import create_app
    from config import ProductionConfig

    class BenchConfig(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = os.environ.get("SECRET_KEY", "bench-secret-key")

    return create_app(BenchConfig)


def generate(scale_name: str, url: str, now: datetime | None = None, seed: int = SEED) -> dict:
    """Build the schema with the migrations and load the scale; returns the info."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, text, update

    from app.extensions import db
    from app.models import (
        Assignment,
        CheckIn,
        GroupMeeting,
        GroupMember,
        MastermindGroup,
        MeetingAttendance,
        MeetingUpdate,
        PartnerAgreement,
        PartnerCheckIn,
        PartnerReply,
        Partnership,
        Submission,
        Track,
        UpdateComment,
        User,
    )

    now = now or datetime.now(UTC).replace(second=0, microsecond=0)
    started = time.perf_counter()
    data = plan(SCALES[scale_name], now, seed)
    planned = time.perf_counter()
    _empty_database(url)
    app = make_app(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        session = db.session
        sqlite = db.engine.dialect.name == "sqlite"
        if sqlite:
            session.execute(text("PRAGMA synchronous=OFF"))
        for model, rows in (
            (User, data.users),
            (Track, data.tracks),
            (Assignment, data.assignments),
        ):
            _insert(session, insert(model), rows)
        _insert(session, update(User), data.track_of_user)  # bulk UPDATE by primary key
        _insert(session, insert(Submission), data.submissions)
        _insert(session, insert(CheckIn), data.check_ins)
        _insert(session, insert(Partnership), data.partnerships)
        _insert(session, insert(PartnerAgreement), data.partner_agreements)
        _insert(session, insert(PartnerCheckIn), data.partner_check_ins)
        _insert(session, insert(PartnerReply), data.partner_replies)
        _insert(session, insert(MastermindGroup), data.mastermind_groups)
        _insert(session, insert(GroupMember), data.group_members)
        _insert(session, insert(GroupMeeting), data.group_meetings)
        _insert(session, insert(MeetingUpdate), data.meeting_updates)
        _insert(session, insert(UpdateComment), data.update_comments)
        _insert(session, insert(MeetingAttendance), data.meeting_attendance)
        session.commit()
        if not sqlite:
            for table in (
                "users",
                "tracks",
                "assignments",
                "submissions",
                "check_ins",
                "partnerships",
                "partner_agreements",
                "partner_check_ins",
                "partner_replies",
                "mastermind_groups",
                "group_members",
                "group_meetings",
                "meeting_updates",
                "update_comments",
                "meeting_attendance",
            ):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            session.commit()
        settle(db.engine)
        db.engine.dispose()
    data.info["url"] = url
    data.info["seconds"] = {
        "plan": round(planned - started, 1),
        "load": round(time.perf_counter() - planned, 1),
    }
    return data.info


def settle(engine) -> None:  # type: ignore[no-untyped-def]
    """What autovacuum would do soon after many writes in production (VACUUM ANALYZE on
    PostgreSQL), then the written pages out to disk now (CHECKPOINT; SQLite's WAL
    checkpoint), not in the background during the next measurement."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    if engine.dialect.name == "sqlite":
        with engine.begin() as c:
            c.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))
        try:
            c.execute(text("CHECKPOINT"))
        except DBAPIError:  # needs superuser or pg_checkpoint: then the server's own
            print("make_data: CHECKPOINT not allowed for this role", file=sys.stderr)


def _insert(session, statement, rows: list[dict], batch: int = 20_000) -> None:  # type: ignore[no-untyped-def]
    for start in range(0, len(rows), batch):
        session.execute(statement, rows[start : start + batch])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scale", choices=sorted(SCALES))
    parser.add_argument(
        "url",
        nargs="?",
        help="database URL (default: BENCH_DATABASE_URL, else bench/data/<scale>.sqlite3)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--now", help="ISO time the data is relative to (default: now)")
    parser.add_argument("--info", help="write the logins and ids as JSON to this file")
    args = parser.parse_args(argv)
    now = None
    if args.now:
        now = datetime.fromisoformat(args.now)
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    url = database_url(args.url, args.scale)
    info = generate(args.scale, url, now, args.seed)
    if args.info:
        Path(args.info).write_text(json.dumps(info, indent=1))
    counts = ", ".join(f"{k} {v:,}" for k, v in info["counts"].items())
    print(f"{args.scale} at {_safe(url)}: {counts}")
    print(f"planned in {info['seconds']['plan']} s, loaded in {info['seconds']['load']} s")
    print("Logins (password for every account: " + PASSWORD + "):")
    print(
        f"  the sponsor ({info['sponsor']['recruits']:,} direct recruits)  "
        f"{info['sponsor']['email']}"
    )
    print(f"  the sponsor's upline                  {info['upline']['email']}")
    print(f"  a recruit of the sponsor (step 4)     {info['recruit']['email']}")
    print(
        f"  their group's coming meeting          /groups/{info['group']['group']}"
        f"/meetings/{info['group']['meeting']}"
    )
    print(f"  busiest reminder moment               {info['group']['remind_as_of']}")
    print(f"  any other account                     u<id>@{DOMAIN}")
    return 0


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
