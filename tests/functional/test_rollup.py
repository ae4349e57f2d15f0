"""The roll-up of every level (services.rollup): its counts against a brute-force walk of
hypothesis-generated trees, the page and its drill-down (names and counts only below
the first level, 404 outside one's own downline), its statements, `flask team rollup`."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.models import SubmissionStatus, Track, User, utcnow
from app.services.rollup import TeamCounts, rollup
from app.services.standing import Status, standings
from tests.conftest import count_queries
from tests.factories import SubmissionFactory, UserFactory, make_track

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
STATES = ("no track", "willing", "stalled", "slow", "waiting", "finished", "archived")


def person_in(
    state: str, sponsor: User, tracks: dict[int, object], name: str = "", at: datetime = NOW
) -> User:
    """A recruit of `sponsor` standing in `state` at `at` (on the sponsor's 2-step track).
    A page asks the real clock: its test passes the real time, or its counts move with
    the calendar."""
    extra = {"name": name} if name else {}
    if state == "no track":
        return UserFactory(sponsor=sponsor, **extra)
    track = tracks.get(sponsor.id) or db.session.scalar(
        select(Track).where(Track.owner_id == sponsor.id, Track.is_default.is_(True))
    )
    track = track or tracks.setdefault(sponsor.id, make_track(sponsor, 2))
    joined = {"willing": 1, "stalled": 30, "slow": 30}.get(state, 20)
    person = UserFactory(
        sponsor=sponsor,
        track=track,
        enrolled_at=at - timedelta(days=joined),
        created_at=at - timedelta(days=joined),
        archived_at=at - timedelta(days=1) if state == "archived" else None,
        **extra,
    )
    first, second = track.assignments  # type: ignore[attr-defined]
    if state == "slow":  # step 1 handed in 20 days after it opened (late), step 2 open
        SubmissionFactory(
            recruit=person,
            assignment=first,
            status=SubmissionStatus.APPROVED,
            submitted_at=at - timedelta(days=10),
            decided_at=at - timedelta(days=1),
        )
    elif state == "waiting":
        SubmissionFactory(recruit=person, assignment=first, submitted_at=at - timedelta(days=2))
    elif state == "finished":
        for step in (first, second):
            SubmissionFactory(
                recruit=person,
                assignment=step,
                status=SubmissionStatus.APPROVED,
                submitted_at=at - timedelta(days=5),
                decided_at=at - timedelta(days=4),
            )
    return person


def build_tree(shape: list[tuple[int, str]]) -> tuple[User, list[User]]:
    """The root, then person i+1 sponsored by person `shape[i][0]` (an earlier one, the
    root being 0), in state `shape[i][1]`."""
    root = UserFactory(name="Root Rhea")
    people, tracks = [root], {}
    for sponsor_index, state in shape:
        people.append(person_in(state, people[sponsor_index % len(people)], tracks))
    return root, people


def brute_force(root: User) -> tuple[TeamCounts, dict[int, TeamCounts]]:
    """Walk the tree one person at a time, each standing asked on its own."""
    totals, by_branch = TeamCounts(), {}

    def below(person_id: int) -> list[User]:
        return list(db.session.scalars(select(User).where(User.sponsor_id == person_id)))

    for branch in below(root.id):
        stack = [branch]
        while stack:
            person = stack.pop()
            (standing,) = standings(db.session, [person.sponsor_id], NOW, person.id)
            totals.add(standing.status)
            if person.id != branch.id:
                by_branch.setdefault(branch.id, TeamCounts()).add(standing.status)
            stack.extend(below(person.id))
    return totals, by_branch


shapes = st.lists(
    st.tuples(st.integers(min_value=0, max_value=30), st.sampled_from(STATES)),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shape=shapes)
def test_the_rollup_counts_what_a_walk_of_the_tree_counts(app, shape):
    root, _people = build_tree(shape)
    totals, by_branch = brute_force(root)
    found = rollup(db.session, root, NOW, per_page=100)
    assert found.totals == totals
    assert {row.person_id: row.team for row in found.rows} == by_branch
    assert found.matching == len(by_branch)
    assert totals.people == sum(
        getattr(totals, name) for name in ("willing", "slow", "stalled", "finished", "waiting")
    )


def team(at: datetime = NOW):  # type: ignore[no-untyped-def]
    """Uma (the viewer) > Kim (sponsor) > Lee (sponsor) > Pat; Kim also has Rita."""
    tracks: dict[int, object] = {}
    uma = UserFactory(name="Upline Uma")
    kim = person_in("willing", uma, tracks, "Kim Sponsor", at)
    lee = person_in("stalled", kim, tracks, "Lee Second", at)
    rita = person_in("waiting", kim, tracks, "Rita Recruit", at)
    pat = person_in("finished", lee, tracks, "Pat Third", at)
    return uma, kim, lee, rita, pat


def words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_page_rolls_up_every_level_and_drills_down_one_at_a_time(client, auth):
    uma, kim, lee, rita, pat = team(utcnow())
    auth.login(uma)
    home = words(client.get("/").text)
    assert "1 of your recruits sponsors a team of their own." in home
    page = client.get("/downline/")
    text = words(page.text)
    assert "4 people, 3 levels deep" in text
    assert "1 stalled" in text and "1 finished" in text and "1 waiting on their sponsor" in text
    assert "Kim Sponsor (1 sponsor below)" in text
    # Names below the first level only as sponsors: Lee (sponsors Pat), never Rita or Pat.
    assert "Rita Recruit" not in text and "Pat Third" not in text
    assert "answer" not in text.lower()
    drill = words(client.get(f"/downline/{kim.id}").text)
    assert "Kim Sponsor's team" in drill and "Lee Second" in drill
    assert "Rita Recruit" not in drill and "Pat Third" not in drill
    third = client.get(f"/downline/{lee.id}")
    assert third.status_code == 200 and "Your whole team › Kim Sponsor › Lee Second" in words(
        third.text
    )
    # Someone who sponsors nobody is not drilled into; nor is anyone outside the line.
    assert client.get(f"/downline/{pat.id}").status_code == 404
    stranger = UserFactory(name="Stranger Sam")
    UserFactory(sponsor=stranger)
    assert client.get(f"/downline/{stranger.id}").status_code == 404
    assert client.get(f"/downline/{uma.id}").status_code == 200  # one's own
    auth.logout()
    auth.login(lee)  # from below, nobody above is reachable
    assert client.get(f"/downline/{kim.id}").status_code == 404


def test_reviewing_shows_waits_and_the_median_time_to_a_decision(client, auth):
    uma, kim, _lee, rita, _pat = team()
    track = rita.track
    for hours in (2, 10, 30):
        SubmissionFactory(
            recruit=UserFactory(sponsor=kim, track=track, enrolled_at=NOW - timedelta(days=9)),
            assignment=track.assignments[0],
            status=SubmissionStatus.APPROVED,
            submitted_at=NOW - timedelta(days=3, hours=hours),
            decided_at=NOW - timedelta(days=3),
            decided_by=kim,
        )
    # A decision someone else made on a recruit now Kim's (she adopted them) isn't hers.
    SubmissionFactory(
        recruit=UserFactory(sponsor=kim, track=track, enrolled_at=NOW - timedelta(days=9)),
        assignment=track.assignments[0],
        status=SubmissionStatus.APPROVED,
        submitted_at=NOW - timedelta(days=5),
        decided_at=NOW - timedelta(days=2),
        decided_by=uma,
    )
    # Nor is the hand-in of a recruit of hers who left a wait of hers.
    left = UserFactory(
        sponsor=kim, track=track, enrolled_at=NOW - timedelta(days=9), archived_at=NOW
    )
    SubmissionFactory(recruit=left, assignment=track.assignments[0], submitted_at=NOW)
    (row,) = rollup(db.session, uma, NOW).rows
    assert row.reviewing.waiting == 1  # Rita's
    assert row.reviewing.median_decision == timedelta(hours=10)
    assert row.reviewing.decided == 3


def test_the_page_runs_the_same_statements_for_a_small_and_a_larger_team(client, auth):
    def statements(extra: int) -> int:
        uma, kim, lee, *_rest = team()
        tracks: dict[int, object] = {}
        for index in range(extra):
            sponsor = person_in("willing", [kim, lee][index % 2], tracks)
            for state in STATES:
                person_in(state, sponsor, tracks)
        auth.login(uma)
        client.get("/downline/")
        with count_queries() as queries:
            assert client.get("/downline/").status_code == 200
        auth.logout()
        return len(queries)

    assert statements(0) == statements(6)


def test_flask_team_rollup_prints_the_rows_and_totals(runner):
    uma, *_rest = team()
    result = runner.invoke(
        args=["team", "rollup", "--sponsor", uma.email, "--as-of", NOW.isoformat()]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["sponsor", "people", "willing"]
    assert lines[1].startswith("Kim Sponsor")
    assert lines[-1].startswith("(everyone)")
    result = runner.invoke(
        args=[
            "team",
            "rollup",
            "--sponsor",
            uma.email,
            "--as-of",
            NOW.isoformat(),
            "--format",
            "json",
        ]
    )
    rows = json.loads(result.output)
    assert rows[0]["sponsor"] == "Kim Sponsor" and rows[0]["people"] == 3
    assert rows[0]["stalled"] == 1 and rows[0]["waiting_on_sponsor"] == 1
    assert rows[-1] == {
        "sponsor": "(everyone)",
        "people": 4,
        "willing": 1,
        "slow": 0,
        "stalled": 1,
        "finished": 1,
        "waiting_on_sponsor": 1,
        "hand_ins_waiting": "",
        "oldest_wait_days": "",
        "median_decision_hours": "",
    }
    missing = runner.invoke(args=["team", "rollup", "--sponsor", "nobody@example.com"])
    assert missing.exit_code != 0 and "No account with the email" in missing.output


def test_statuses_counted_are_the_dashboards(client, auth):
    """The first level of the roll-up is the first-level dashboard's own counts."""
    uma, kim, *_rest = team()
    first_level = standings(db.session, [kim.id], NOW)
    (row,) = rollup(db.session, uma, NOW).rows
    direct = TeamCounts()
    for standing in first_level:
        direct.add(standing.status)
    assert direct.people == 2 and row.team.people == 3  # Kim's own two, and Pat below Lee
    assert {s.status for s in first_level} == {Status.STALLED, Status.WAITING_ON_YOU}
