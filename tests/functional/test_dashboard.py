"""The sponsor's dashboard, recruit page, check-ins, settings, CSV and `stalled list`."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import CheckIn, Submission, SubmissionStatus, User, utcnow
from tests.conftest import count_queries, post_form
from tests.factories import _HASH, SubmissionFactory, UserFactory, make_track


def days_ago(n: float):
    return utcnow() - timedelta(days=n)


@pytest.fixture
def board(app):
    """A sponsor with one recruit in each state, and a stranger's team."""
    sponsor = UserFactory(name="Dora Sponsor")
    track = make_track(sponsor, 3)
    first, second, _third = track.assignments

    def recruit(name, joined):
        return UserFactory(
            name=name,
            sponsor=sponsor,
            track=track,
            enrolled_at=days_ago(joined),
            created_at=days_ago(joined),
        )

    stalled = recruit("Stan Stalled", 20)
    waiting = recruit("Wanda Waiting", 10)
    SubmissionFactory(recruit=waiting, assignment=first, submitted_at=days_ago(3))
    willing = recruit("Willa Willing", 2)
    finished = recruit("Finn Finished", 30)
    for i, step in enumerate(track.assignments):
        SubmissionFactory(
            recruit=finished,
            assignment=step,
            status=SubmissionStatus.APPROVED,
            submitted_at=days_ago(29 - i),
            decided_at=days_ago(28 - i),
        )
    stranger = UserFactory(name="Other Sponsor")
    UserFactory(
        name="Strange Recruit",
        sponsor=stranger,
        track=make_track(stranger, 1),
        enrolled_at=days_ago(50),
    )
    return {
        "sponsor": sponsor,
        "track": track,
        "stalled": stalled,
        "waiting": waiting,
        "willing": willing,
        "finished": finished,
        "stranger": stranger,
        "second": second,
    }


def row_names(html: str) -> list[str]:
    """The names in the recruits table, top to bottom."""
    if '<table class="recruits stack">' not in html:
        return []
    table = html.split('<table class="recruits stack">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a href="/recruits/\d+">([^<]+)</a>', unescape(table))


def test_counts_table_funnel_and_backlog(client, auth, board):
    auth.login(board["sponsor"])
    html = unescape(client.get("/").text)
    counts = html.split('aria-label="At a glance"', 1)[1].split("</section>", 1)[0]
    assert "<strong>1</strong> waiting on you<small>oldest 3 days</small>" in counts
    assert "<strong>1</strong> stalled" in counts
    assert "<strong>1</strong> willing" in counts
    assert "<strong>1</strong> finished" in counts
    assert "<strong>4</strong> recruits" in counts
    assert row_names(html) == ["Stan Stalled", "Wanda Waiting", "Willa Willing", "Finn Finished"]
    assert "Review Wanda Waiting's “Step 1 title”" in html  # waited over 48 hours
    assert "Strange Recruit" not in html
    funnel = html.split('class="funnel"', 1)[1].split("</ol>", 1)[0]
    bars = re.findall(r'value="(\d+)" aria-label="([^"]+): (\d+) recruits"', funnel)
    # Stan, Wanda and Willa stand on step 1 of 4 recruits; Finn finished.
    assert bars == [
        ("75", "Step 1 title", "3"),
        ("0", "Step 2 title", "0"),
        ("0", "Step 3 title", "0"),
        ("25", "Finished", "1"),
    ]


def test_filter_search_sort_and_pagination(app, client, auth, board):
    auth.login(board["sponsor"])
    assert row_names(client.get("/?status=stalled").text) == ["Stan Stalled"]
    assert row_names(client.get("/?q=wAnDa").text) == ["Wanda Waiting"]
    names = row_names(client.get("/?sort=name").text)
    assert names == sorted(names)
    assert row_names(client.get("/?sort=progress").text)[0] == "Finn Finished"
    assert client.get("/?status=nonsense&sort=evil").status_code == 200
    app.config["PAGE_SIZE"] = 3  # the app fixture puts the setting back afterwards
    first_page = client.get("/?sort=name").text
    assert len(row_names(first_page)) == 3 and "Page 1 of 2" in first_page
    assert len(row_names(client.get("/?sort=name&page=2").text)) == 1


def test_recruit_page_shows_state_and_timeline_and_is_private(client, auth, board):
    auth.login(board["sponsor"])
    html = unescape(client.get(f"/recruits/{board['waiting'].id}").text)
    assert "<title>Wanda Waiting · Willing</title>" in html
    assert "Waiting on you" in html
    assert "Handed in “Step 1 title” (attempt 1)" in html
    assert "Joined the team" in html
    auth.logout()
    auth.login(board["stranger"])
    assert client.get(f"/recruits/{board['waiting'].id}").status_code == 404


def test_check_in_snoozes_a_stalled_recruit_out_of_the_stalled_filter(client, auth, board):
    auth.login(board["sponsor"])
    stalled = board["stalled"]
    url = f"/recruits/{stalled.id}/check-ins"
    when = utcnow().strftime("%Y-%m-%dT%H:%M")
    response = post_form(
        client,
        url,
        {"happened_at": when, "channel": "call", "outcome": "reached", "note": "Good chat"},
        page=f"/recruits/{stalled.id}",
    )
    assert response.status_code == 302
    check_in = db.session.scalar(select(CheckIn))
    assert check_in.note == "Good chat"
    threshold_later = check_in.happened_at + timedelta(days=7)
    assert abs((check_in.snooze_until - threshold_later).total_seconds()) < 1
    assert row_names(client.get("/?status=stalled").text) == []
    assert "Check-in (Call): reached" in client.get(f"/recruits/{stalled.id}").text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"happened_at": "2099-01-01T10:00"}, "A check-in can't be in the future."),
        ({"outcome": "paused", "snooze_until": "2020-01-01"}, "Pick the date the pause ends"),
        ({"outcome": "paused"}, "Pick the date the pause ends"),
        ({"happened_at": "yesterday"}, "Enter when you reached out: a date and a time."),
        ({"channel": "carrier pigeon"}, "Not a valid choice"),
    ],
)
def test_bad_check_ins_are_refused_beside_the_field(client, auth, board, data, message):
    auth.login(board["sponsor"])
    stalled = board["stalled"]
    form = {
        "happened_at": utcnow().strftime("%Y-%m-%dT%H:%M"),
        "channel": "call",
        "outcome": "reached",
        "note": "Kept note",
        **data,
    }
    response = post_form(client, f"/recruits/{stalled.id}/check-ins", form)
    assert response.status_code == 400
    assert message in unescape(response.text)
    assert "Kept note" in response.text
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0


def test_a_check_in_with_a_line_break_in_next_goes_back_to_the_recruit(client, auth, board):
    """A `next` with CR/LF once reached the Location header: a 500 (form fuzzing)."""
    auth.login(board["sponsor"])
    stalled = board["stalled"]
    response = post_form(
        client,
        f"/recruits/{stalled.id}/check-ins",
        {
            "happened_at": utcnow().strftime("%Y-%m-%dT%H:%M"),
            "channel": "call",
            "outcome": "reached",
            "next": "/\r\nLocation: https://evil.example",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/recruits/{stalled.id}"
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1


def test_left_the_business_archives_and_restore_brings_back(client, auth, board):
    auth.login(board["sponsor"])
    stalled = board["stalled"]
    post_form(
        client,
        f"/recruits/{stalled.id}/check-ins",
        {
            "happened_at": utcnow().strftime("%Y-%m-%dT%H:%M"),
            "channel": "text",
            "outcome": "left",
            "note": "Moving on",
        },
    )
    db.session.refresh(stalled)
    assert stalled.archived_at is not None
    assert "Stan Stalled" not in row_names(client.get("/").text)
    assert row_names(client.get("/?status=archived").text) == ["Stan Stalled"]
    post_form(client, f"/recruits/{stalled.id}/restore")
    db.session.refresh(stalled)
    assert stalled.archived_at is None
    assert "Stan Stalled" in row_names(client.get("/").text)


@pytest.mark.parametrize("days", ["0", "10000", "-1", "seven"])
def test_settings_refuse_bad_thresholds(client, auth, board, days):
    auth.login(board["sponsor"])
    response = post_form(
        client,
        "/settings",
        {"stall_threshold_days": days, "digest_weekday": "0", "timezone": "UTC"},
        page="/settings",
    )
    assert response.status_code == 400
    assert "Enter a number of days from 1 to 365." in response.text
    db.session.refresh(board["sponsor"])
    assert board["sponsor"].stall_threshold_days == 7


def test_settings_change_the_threshold_the_dashboard_uses(client, auth, board):
    auth.login(board["sponsor"])
    post_form(
        client,
        "/settings",
        {"stall_threshold_days": "30", "digest_weekday": "4", "timezone": "Pacific/Auckland"},
        page="/settings",
    )
    db.session.refresh(board["sponsor"])
    assert (board["sponsor"].digest_weekday, board["sponsor"].timezone) == (4, "Pacific/Auckland")
    assert row_names(client.get("/?status=stalled").text) == []
    assert "NZDT" in client.get(f"/recruits/{board['waiting'].id}").text  # shown in their zone


def test_csv_is_quoted_neutralised_and_private(client, auth, board):
    board["willing"].name = '=HYPERLINK("http://evil.example","Click, me") "Zoë"'
    db.session.commit()
    auth.login(board["sponsor"])
    response = client.get("/dashboard.csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Name"
    names = [r[0] for r in rows[1:]]
    assert "'" + board["willing"].name in names  # survives quoting, can't run as a formula
    assert "Strange Recruit" not in names
    assert len(rows) == 5
    only_stalled = client.get("/dashboard.csv?status=stalled").get_data(as_text=True)
    assert "Stan Stalled" in only_stalled and "Wanda" not in only_stalled


def test_stalled_command_lists_only_stalled_and_respects_sponsor(runner, board):
    result = runner.invoke(args=["stalled", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {(r["sponsor"], r["recruit"]) for r in rows} == {
        (board["sponsor"].email, "Stan Stalled"),
        (board["stranger"].email, "Strange Recruit"),
    }
    only = runner.invoke(
        args=["stalled", "list", "--sponsor", board["sponsor"].email.upper(), "--format", "csv"]
    )
    lines = only.output.strip().splitlines()
    assert lines[0] == "sponsor,recruit,current_assignment,days_idle,last_check_in"
    assert len(lines) == 2 and "Stan Stalled,Step 1 title,20," in lines[1]
    later = runner.invoke(
        args=["stalled", "list", "--as-of", (utcnow() + timedelta(days=30)).isoformat()]
    )
    assert "Willa Willing" in later.output and "Wanda" not in later.output
    assert "No account" in runner.invoke(args=["stalled", "list", "--sponsor", "x@y.z"]).output
    assert runner.invoke(args=["stalled", "list", "--as-of", "soon"]).exit_code == 2


def bulk_team(size: int) -> User:
    """A sponsor with `size` recruits in mixed states, inserted in bulk."""
    sponsor = UserFactory()
    track = make_track(sponsor, 5)
    recruits = [
        User(
            name=f"Bulk {i}",
            email=f"bulk{size}-{i}@example.com",
            password_hash=_HASH,
            sponsor_id=sponsor.id,
            track_id=track.id,
            enrolled_at=days_ago(i % 30),
            created_at=days_ago(i % 30),
        )
        for i in range(size)
    ]
    db.session.add_all(recruits)
    db.session.flush()
    submissions = []
    for i, recruit in enumerate(recruits):
        for position in range(i % 4):
            submissions.append(
                Submission(
                    recruit_id=recruit.id,
                    sponsor_id=sponsor.id,
                    assignment_id=track.assignments[position].id,
                    attempt=1,
                    answer="x",
                    status=SubmissionStatus.APPROVED,
                    submitted_at=days_ago(2),
                    decided_at=days_ago(1),
                    feedback="",
                )
            )
        if i % 5 == 0:
            submissions.append(
                Submission(
                    recruit_id=recruit.id,
                    sponsor_id=sponsor.id,
                    assignment_id=track.assignments[i % 4].id,
                    attempt=2,
                    answer="x",
                    status=SubmissionStatus.SUBMITTED,
                    submitted_at=days_ago(3),
                    feedback="",
                )
            )
    db.session.add_all(submissions)
    db.session.commit()
    return sponsor


def dashboard_statements(client, auth, sponsor) -> tuple[int, str]:
    auth.login(sponsor)
    with count_queries() as queries:
        html = client.get("/").text
    auth.logout()
    return len(queries), html


def test_dashboard_statement_count_is_the_same_for_10_and_2000_recruits(client, auth, app):
    small, _ = dashboard_statements(client, auth, bulk_team(10))
    large, html = dashboard_statements(client, auth, bulk_team(2000))
    print(f"\ndashboard statements: 10 recruits={small}, 2000 recruits={large}")
    assert small == large <= 8
    assert "<strong>2000</strong> recruits" in html
    assert len(row_names(html)) == 50


FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
def test_every_formula_start_is_neutralised_in_both_csvs(client, auth, runner, board, start):
    """A recruit's name is theirs to type: as the first character of a CSV cell, any of
    these makes a spreadsheet run it (the dashboard CSV and `stalled list --format csv`)."""
    name = f"{start}SUM(1+1)*cmd|' /C calc'!A0"
    board["stalled"].name = name
    db.session.commit()
    auth.login(board["sponsor"])
    body = client.get("/dashboard.csv").get_data(as_text=True).lstrip("\ufeff")
    names = [row[0] for row in csv.reader(io.StringIO(body, newline=""))][1:]
    assert "'" + name in names and name not in names
    listed = runner.invoke(args=["stalled", "list", "--format", "csv"])
    recruits = [row["recruit"] for row in csv.DictReader(io.StringIO(listed.output, newline=""))]
    assert sorted(recruits) == sorted(["'" + name, "Strange Recruit"])


MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_everything_a_recruit_types_is_escaped_on_every_page_that_shows_it(client, auth, db):
    """Name, answer, link text, attachment name and feedback come back as text, never as
    markup: on the dashboard, the review page, the recruit page, the recruit's own page,
    and the digest preview (which marks the email's HTML safe to show it)."""
    sponsor = UserFactory(name="Safe Sponsor")
    track = make_track(sponsor, 2)
    stalled = UserFactory(
        name=f"Stalled {MARKUP}", sponsor=sponsor, track=track, enrolled_at=days_ago(30)
    )
    recruit = UserFactory(
        name=f"Rita {MARKUP}", sponsor=sponsor, track=track, enrolled_at=days_ago(10)
    )
    SubmissionFactory(
        recruit=recruit,
        assignment=track.assignments[0],
        status=SubmissionStatus.CHANGES_REQUESTED,
        answer=f"First {MARKUP}",
        feedback=f"Feedback {MARKUP}",
        submitted_at=days_ago(6),
        decided_at=days_ago(5),
    )
    waiting = SubmissionFactory(
        recruit=recruit,
        assignment=track.assignments[0],
        attempt=2,
        answer=f"Answer {MARKUP}",
        attachment_path="0" * 32,
        attachment_name=f"notes{MARKUP}.txt",
        attachment_type="text/plain",
        attachment_size=5,
        submitted_at=days_ago(3),
    )
    auth.login(sponsor)
    pages = {
        "dashboard": client.get("/").text,
        "review page": client.get(f"/review/{waiting.id}").text,
        "recruit page": client.get(f"/recruits/{recruit.id}").text,
        "stalled recruit page": client.get(f"/recruits/{stalled.id}").text,
        "digest preview": client.get("/digest").text,
    }
    auth.logout()
    auth.login(recruit)
    pages["recruit's own page"] = client.get("/homework").text
    for where, html in pages.items():
        assert "<script>" not in html and "<img src=x" not in html, where
        assert "&lt;script&gt;" in html, f"{where} shows nothing a recruit typed"
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages["review page"]


NOW = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # Wed 2 Dec 09:00 in Auckland (NZDT, +13)


def check_in_typed_in(client, auth, board, db, zone: str, typed: str):  # type: ignore[no-untyped-def]
    """The sponsor, living in `zone`, logs a check-in at the wall-clock time `typed`, at NOW."""
    with time_machine.travel(NOW, tick=False):
        board["sponsor"].timezone = zone
        db.session.commit()
        auth.login(board["sponsor"])
        stalled = board["stalled"]
        return post_form(
            client,
            f"/recruits/{stalled.id}/check-ins",
            {"happened_at": typed, "channel": "call", "outcome": "reached"},
            page=f"/recruits/{stalled.id}",
        )


@pytest.mark.parametrize(
    ("zone", "typed", "stored"),
    [
        # Auckland is 13 hours ahead in December (daylight time): its morning is UTC's
        # evening of the day before.
        ("Pacific/Auckland", "2026-12-02T08:30", datetime(2026, 12, 1, 19, 30, tzinfo=UTC)),
        # Pago Pago is 11 hours behind UTC all year.
        ("Pacific/Pago_Pago", "2026-12-01T08:30", datetime(2026, 12, 1, 19, 30, tzinfo=UTC)),
        ("Pacific/Kiritimati", "2026-12-02T10:00", datetime(2026, 12, 1, 20, 0, tzinfo=UTC)),
    ],
)
def test_a_check_in_typed_in_the_sponsors_zone_is_stored_as_that_moment(
    client, auth, board, db, zone, typed, stored
):
    response = check_in_typed_in(client, auth, board, db, zone, typed)
    assert response.status_code == 302, unescape(response.text)[-600:]
    assert db.session.scalar(select(CheckIn.happened_at)) == stored


@pytest.mark.parametrize(
    ("zone", "typed", "accepted"),
    [
        # Kiritimati (UTC+14), the first place on Earth where it is Wednesday: its "now"
        # is fine, ten minutes later is the future.
        ("Pacific/Kiritimati", "2026-12-02T10:00", True),
        ("Pacific/Kiritimati", "2026-12-02T10:10", False),
        # Pago Pago (UTC-11), among the last where it is still Tuesday.
        ("Pacific/Pago_Pago", "2026-12-01T09:00", True),
        ("Pacific/Pago_Pago", "2026-12-01T09:10", False),
        # The same wall-clock time read in the wrong zone would be 25 hours off.
        ("Pacific/Pago_Pago", "2026-12-02T10:00", False),
    ],
)
def test_not_in_the_future_is_judged_in_the_sponsors_zone(
    client, auth, board, db, zone, typed, accepted
):
    response = check_in_typed_in(client, auth, board, db, zone, typed)
    assert (response.status_code == 302) is accepted
    if not accepted:
        assert "A check-in can't be in the future." in unescape(response.text)
