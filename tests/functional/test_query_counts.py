"""List pages run a fixed number of SQL statements, whatever the size of the data."""

from __future__ import annotations

from datetime import timedelta

from app.models import SubmissionStatus, utcnow
from tests.conftest import count_queries, csrf_token
from tests.factories import SubmissionFactory, UserFactory, make_track


def build(steps: int, recruits: int, attempts: int):
    """A sponsor with `recruits` recruits; the first has `attempts` attempts on each step."""
    sponsor = UserFactory()
    track = make_track(sponsor, steps)
    people = [
        UserFactory(sponsor=sponsor, track=track, enrolled_at=utcnow() - timedelta(days=9))
        for _ in range(recruits)
    ]
    first = people[0]
    for step in track.assignments[:-1]:
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            SubmissionFactory(
                recruit=first,
                assignment=step,
                attempt=attempt,
                status=SubmissionStatus.APPROVED if last else SubmissionStatus.CHANGES_REQUESTED,
                decided_at=utcnow(),
                feedback="more",
            )
    for attempt in range(1, attempts):
        SubmissionFactory(
            recruit=first,
            assignment=track.assignments[-1],
            attempt=attempt,
            status=SubmissionStatus.CHANGES_REQUESTED,
            decided_at=utcnow(),
            feedback="again",
        )
    waiting = SubmissionFactory(recruit=first, assignment=track.assignments[-1], attempt=attempts)
    for other in people[1:]:
        SubmissionFactory(recruit=other, assignment=track.assignments[0])
    return sponsor, first, waiting


def statements(client, auth, user, url: str) -> int:
    auth.login(user)
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    auth.logout()
    return len(queries)


def measure(client, auth, steps, recruits, attempts) -> dict[str, int]:
    sponsor, recruit, waiting = build(steps, recruits, attempts)
    return {
        "track page": statements(client, auth, recruit, "/homework"),
        "review queue": statements(client, auth, sponsor, "/review"),
        "review page": statements(client, auth, sponsor, f"/review/{waiting.id}"),
        "team page": statements(client, auth, sponsor, "/"),
        "recruit page": statements(client, auth, sponsor, f"/recruits/{recruit.id}"),
    }


def test_statement_counts_do_not_grow_with_data(client, auth, db, record_property):
    small = measure(client, auth, steps=2, recruits=2, attempts=1)
    large = measure(client, auth, steps=12, recruits=60, attempts=4)
    record_property("statements", {"small": small, "large": large})
    print(f"\nstatements small={small} large={large}")
    assert small == large
    assert max(large.values()) <= 8


def test_the_dashboard_statement_names_its_sponsor_in_the_sql_text(client, auth, db):
    """psycopg prepares a statement run five times on a connection, and PostgreSQL may
    then give it one generic plan for every sponsor: the plan for a team of 10 ran for
    minutes on the bench's team of 5,000. With the sponsor in the text, each sponsor's
    statement is planned for that sponsor (the bench's dashboard runs hold it to it)."""
    sponsor, _recruit, _waiting = build(steps=2, recruits=3, attempts=1)
    auth.login(sponsor)
    client.get("/")
    with count_queries() as statements:
        assert client.get("/").status_code == 200
    (facts,) = [
        s
        for s in statements
        if s.lstrip().startswith(("WITH recruit AS", "WITH RECURSIVE recruit"))
    ]
    assert f"sponsor_id IN ({sponsor.id})" in facts


def test_a_hand_in_and_each_decision_run_a_fixed_handful_of_statements(client, auth, db):
    """The POSTs: the session, the gate, the writes. A decision is its own lookup (the
    conditional UPDATE), the gate brings the recruit, and its audit row and email go
    as one statement on PostgreSQL (where each round trip costs; two on SQLite)."""
    sponsor, recruit, waiting = build(steps=3, recruits=3, attempts=1)
    track = recruit.track
    newcomer = UserFactory(sponsor=sponsor, track=track, enrolled_at=utcnow() - timedelta(days=1))
    other = SubmissionFactory(
        recruit=UserFactory(sponsor=sponsor, track=track), assignment=track.assignments[0]
    )

    def post(url: str, page: str, data: dict, **kwargs) -> int:  # type: ignore[no-untyped-def]
        token = csrf_token(client.get(page).text)
        with count_queries() as queries:
            response = client.post(url, data={**data, "csrf_token": token}, **kwargs)
        assert response.status_code == 302, response.text
        return len(queries)

    counts = {}
    auth.login(newcomer)
    counts["hand-in"] = post(
        f"/homework/{track.assignments[0].id}/hand-in",
        "/homework",
        {"answer": "Done."},
        content_type="multipart/form-data",
    )
    auth.logout()
    auth.login(sponsor)
    for label, submission, decision in (
        ("approve", waiting, {"approve": "1"}),
        ("send back", other, {"request_changes": "1"}),
    ):
        url = f"/review/{submission.id}"
        counts[label] = post(url, url, {"feedback": "Noted.", **decision})
    writes = 1 if db.engine.dialect.name == "postgresql" else 2
    assert counts == {"hand-in": 4, "approve": 3 + writes, "send back": 3 + writes}


def tracks_list_statements(client, auth, db, tracks: int, recruits: int) -> int:
    """The sponsor's tracks list with `tracks` tracks (the last one archived), each with
    `recruits` recruits on it and one archived recruit."""
    sponsor = UserFactory(sponsor=UserFactory())  # with a sponsor: "duplicate the system"
    for index in range(tracks):
        track = make_track(sponsor, 2 + index, default=index == 0)
        for _ in range(recruits):
            UserFactory(sponsor=sponsor, track=track, enrolled_at=utcnow())
        UserFactory(sponsor=sponsor, track=track, enrolled_at=utcnow(), archived_at=utcnow())
    track.is_default, track.archived_at = False, utcnow()
    db.session.commit()
    return statements(client, auth, sponsor, "/tracks")


def test_the_tracks_list_counts_steps_and_recruits_in_fixed_statements(client, auth, db):
    """Steps and recruits per track come from one grouped statement, not one per track."""
    one = tracks_list_statements(client, auth, db, tracks=1, recruits=1)
    many = tracks_list_statements(client, auth, db, tracks=9, recruits=12)
    print(f"\ntracks list statements: one track={one}, nine={many}")
    assert one == many
    assert many <= 5


def team_page_with_partners(  # type: ignore[no-untyped-def]
    client, auth, db, recruits: int, partnered: int, group=None
) -> int:
    """The team page of a sponsor with `recruits` recruits, `partnered` of them each in two
    running partnerships (daily, with a few weeks of check-ins) and one that ended; if a
    group is given, the sponsor is one of its members and a recruit on their own sponsor's
    track, has reviewed a hand-in and has one waiting for nine days."""
    from app.services import partners
    from tests.factories import make_partnership

    if group is None:
        sponsor = UserFactory()
    else:  # on their own sponsor's track too (the page shows their own next step)
        upline = UserFactory()
        sponsor = UserFactory(sponsor=upline, track=make_track(upline, 2))
    track = make_track(sponsor, 2)
    people = [
        UserFactory(sponsor=sponsor, track=track, enrolled_at=utcnow() - timedelta(days=40))
        for _ in range(recruits)
    ]
    started = utcnow() - timedelta(days=30)
    for person in people[:partnered]:
        running = [
            make_partnership(person, now=started, cadence="daily", weekdays=frozenset())
            for _ in range(2)
        ]
        ended = make_partnership(person, now=started)
        partners.end(db.session, person, ended.id, "Moved on.", now=started + timedelta(days=2))
        for partnership in running:
            for offset in range(0, 28, 3):
                day = partnership.term_started_on + timedelta(days=offset)
                partners.check_in(
                    db.session,
                    person,
                    partnership.id,
                    day=day,
                    said="",
                    did="yes",
                    next_step="Two calls.",
                    now=started + timedelta(days=offset, hours=1),
                )
    if group is not None:
        from tests.factories import GroupMemberFactory

        GroupMemberFactory(group=group, user=sponsor)
        SubmissionFactory(
            recruit=people[0],
            assignment=track.assignments[0],
            status=SubmissionStatus.APPROVED,
            decided_at=utcnow(),
            decided_by=sponsor,
        )
        SubmissionFactory(
            recruit=people[1],
            assignment=track.assignments[0],
            submitted_at=utcnow() - timedelta(days=9),
        )
    return statements(client, auth, sponsor, "/")


def test_the_team_page_reads_partners_in_fixed_statements(client, auth, db):
    """Whether each recruit has a partner, and their consistency: the same statements for
    one recruit with partners as for thirty (and as for a team with none)."""
    none = team_page_with_partners(client, auth, db, recruits=2, partnered=0)
    one = team_page_with_partners(client, auth, db, recruits=2, partnered=1)
    many = team_page_with_partners(client, auth, db, recruits=40, partnered=30)
    print(f"\nteam page statements: no partners={none}, one={one}, thirty={many}")
    assert none == one == many
    assert many <= 8


def test_the_team_page_of_a_sponsor_in_a_group_stays_within_its_statements(client, auth, db):
    """Everything the team page can show at once (recruits with partners, the onboarding
    checklist, the next-meeting card of a group the sponsor belongs to) within the
    eight statements: the bench's sponsor, in a group, once needed nine."""
    from tests.factories import GroupMeetingFactory, GroupMemberFactory, MastermindGroupFactory

    group = MastermindGroupFactory()
    GroupMemberFactory(group=group, user=group.host)
    GroupMeetingFactory(group_id=group.id, starts_at=utcnow() + timedelta(days=2))
    many = team_page_with_partners(client, auth, db, recruits=20, partnered=10, group=group)
    print(f"\nteam page statements, a sponsor in a group with twenty recruits: {many}")
    assert many <= 8
