"""Issue 12: the core loop for real people. Where each person lands and what their menu
offers, the team page's cards, legend, row actions and onboarding, reaching out, the
join email, attachments shown in the browser, and saved feedback."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import MAX_SNIPPETS, FeedbackSnippet, MessageKind, OutboxMessage, User, utcnow
from tests.conftest import csrf_token, deliver_mail, post_form
from tests.factories import (
    FeedbackSnippetFactory,
    SubmissionFactory,
    UserFactory,
    make_team,
    make_track,
    stored_upload,
)
from tests.smtp import parts

PASSWORD = "violet tractor harmonica 93"  # noqa: S105


def days_ago(n: float):
    return utcnow() - timedelta(days=n)


def menu(html: str) -> list[str]:
    """The main menu's entries, as a person reads them."""
    nav = html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", label)).split())
        for label in re.findall(r"<a [^>]*>(.*?)</a>|<button[^>]*>(.*?)</button>", nav)
        for label in label
        if label
    ]


def join(client, sponsor: User, name: str = "Nina Newcomer"):  # type: ignore[no-untyped-def]
    page = client.get(f"/join/{sponsor.invite_token}")
    return client.post(
        f"/join/{sponsor.invite_token}",
        data={
            "name": name,
            "email": f"{secrets.token_hex(4)}@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "timezone": "UTC",
            "csrf_token": csrf_token(page.text),
        },
    )


# --- Landing and the menu ---------------------------------------------------------------


def test_joining_through_an_invite_goes_straight_to_the_first_assignment(client):
    _upline, sponsor, _track, _recruit, _other = make_team(3)
    response = join(client, sponsor)
    assert response.status_code == 302 and response.headers["Location"] == "/homework"
    page = unescape(client.get("/homework").text)
    assert "Instructions for step 1 only" in page
    assert "Hand in “Step 1 title”" in page
    assert 'Your sponsor: <strong class="sponsor-name">Sponsor Sam</strong>' in page
    assert "Your invite link" not in page
    assert menu(page) == [
        "My homework",
        "Partners",
        "Groups",
        "Start your own team",
        "Settings",
        "Account",
        "Log out",
    ]
    # and on every later visit the start page is the homework too
    assert client.get("/").headers["Location"] == "/homework"


def test_a_recruit_who_starts_a_team_gets_the_sponsor_tools_and_lands_on_the_team(client, auth):
    _upline, sponsor, track, recruit, _other = make_team(2)
    auth.login(recruit)
    team = unescape(client.get("/team").text)
    assert "Start your own team: 0 of 3 done" in team
    assert "Your invite link" in team
    response = post_form(client, "/tracks", {"name": "Rita's track", "description": ""})
    assert response.status_code == 302
    page = unescape(client.get("/", follow_redirects=True).text)
    assert "<h1>Your team</h1>" in page  # no longer sent to the homework
    assert menu(page) == [
        "Team",
        "Reviews",
        "Tracks",
        "My homework",
        "Partners",
        "Groups",
        "Settings",
        "Account",
        "Log out",
    ]
    assert "Start your own team: 1 of 3 done" in page
    # Their own next step is a card at the top of the team page.
    own = page.split('class="card own-step"', 1)[1].split("</section>", 1)[0]
    assert "Your own next step: “Step 1 title”" in own
    assert "Open my homework" in own


def test_the_menu_counts_the_hand_ins_waiting(client, auth):
    _upline, sponsor, track, recruit, other = make_team(2)
    auth.login(sponsor)
    assert "Reviews" in menu(client.get("/team").text)
    assert "menu-count" not in client.get("/team").text
    SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    SubmissionFactory(recruit=other, assignment=track.assignments[0])
    assert "Reviews 2 waiting" in menu(client.get("/team").text)


def test_a_top_of_team_newcomer_lands_on_the_team_page_with_the_checklist(client):
    page = client.get("/register")
    response = client.post(
        "/register",
        data={
            "name": "Tess Top",
            "email": "tess@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "timezone": "UTC",
            "csrf_token": csrf_token(page.text),
        },
        follow_redirects=True,
    )
    html = unescape(response.text)
    assert "Start your own team: 0 of 3 done" in html
    assert "Write your first track" in html
    assert menu(html) == [
        "Partners",
        "Groups",
        "Start your own team",
        "Settings",
        "Account",
        "Log out",
    ]


# --- The team page -----------------------------------------------------------------------


@pytest.fixture
def team(app):
    """A sponsor with one recruit of each status and one without a track."""
    sponsor = UserFactory(name="Dora Sponsor", stall_threshold_days=7)
    track = make_track(sponsor, 3)
    first, second, _third = track.assignments

    def recruit(name, joined, **kwargs):  # type: ignore[no-untyped-def]
        return UserFactory(
            name=name,
            sponsor=sponsor,
            track=track,
            enrolled_at=days_ago(joined),
            created_at=days_ago(joined),
            **kwargs,
        )

    people = {
        "stalled": recruit("Stan Stalled", 20),
        "waiting": recruit("Wanda Waiting", 10),
        "willing": recruit("Willa Willing", 2),
        "slow": recruit("Sol Slow", 30),
        "sent_back": recruit("Sena Sentback", 6),
        "no_track": UserFactory(name="Noah Notrack", sponsor=sponsor, created_at=days_ago(1)),
    }
    people["waiting_hand_in"] = SubmissionFactory(
        recruit=people["waiting"], assignment=first, submitted_at=days_ago(3)
    )
    # Slow: took 20 days over a 7-day step, now on step 2 within its time.
    SubmissionFactory(
        recruit=people["slow"],
        assignment=first,
        status="approved",
        submitted_at=days_ago(10),
        decided_at=days_ago(2),
    )
    SubmissionFactory(
        recruit=people["sent_back"],
        assignment=first,
        status="changes_requested",
        feedback="Add their phone numbers.",
        submitted_at=days_ago(5),
        decided_at=days_ago(4),
    )
    people["sponsor"] = sponsor
    return people


def cards(html: str) -> dict[str, int]:
    glance = html.split('aria-label="At a glance"', 1)[1].split("</section>", 1)[0]
    return {
        label.strip(): int(count)
        for count, label in re.findall(r"<strong>(\d+)</strong> ([a-z ]+)", unescape(glance))
    }


def test_the_count_cards_cover_every_status_and_add_up(client, auth, team):
    auth.login(team["sponsor"])
    html = client.get("/team").text
    counted = cards(html)
    total = counted.pop("recruits in all")
    assert counted == {
        "waiting on you": 2,  # Wanda's hand-in, and Noah without a track
        "stalled": 1,
        "slow": 1,
        "willing": 2,  # Willa, and Sena (sent back four days ago)
        "finished": 0,
    }
    assert sum(counted.values()) == total == 6


def test_a_card_filters_shows_it_is_active_and_is_red_only_with_something_to_do(client, auth, team):
    auth.login(team["sponsor"])
    everyone = client.get("/team").text
    assert 'class="count count-stalled count-urgent"' in everyone
    assert 'class="count count-finished"' in everyone  # 0 finished: nothing red
    assert re.search(r'class="count count-all active" href="/team" aria-current="true"', everyone)
    stalled = client.get("/team?status=stalled").text
    assert re.search(
        r'class="count count-stalled count-urgent active" href="/team\?status=stalled" '
        r'aria-current="true"',
        stalled,
    )
    assert "Stan Stalled" in stalled and "Willa Willing" not in stalled
    team["stalled"].archived_at = utcnow()
    db.session.commit()
    calm = client.get("/team").text
    assert 'class="count count-stalled"' in calm  # 0 stalled is not red


def test_the_legend_says_what_slow_means(client, auth, team):
    auth.login(team["sponsor"])
    legend = (
        unescape(client.get("/team").text).split('class="legend"', 1)[1].split("</details>", 1)[0]
    )
    assert "Slow</span></dt><dd>past the stall time while paused, or an earlier step" in legend
    assert "(your stall time: 7 days, unless a step sets its own)" in legend
    for label in ("Waiting on you", "Stalled", "Willing", "Finished"):
        assert f">{label}</span></dt><dd>" in legend


def test_each_row_offers_its_action_and_says_whose_move_it_is(client, auth, team):
    auth.login(team["sponsor"])
    html = unescape(client.get("/team").text)
    rows = {
        re.search(r'<a href="/recruits/\d+">([^<]+)</a>', row).group(1): row
        for row in html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr ")[1:]
    }
    waiting_id = team["waiting_hand_in"].id
    assert (
        f'href="/review/{waiting_id}">Review Wanda Waiting\'s hand-in</a>' in rows["Wanda Waiting"]
    )
    assert (
        f'href="/recruits/{team["no_track"].id}#track">Give Noah Notrack a track</a>'
        in rows["Noah Notrack"]
    )
    assert "Log a check-in with Stan Stalled" in rows["Stan Stalled"]
    assert re.search(r"Sent back · theirs <time [^>]+>for 4 days</time>", rows["Sena Sentback"])
    assert "Sent back" not in rows["Willa Willing"]
    assert re.search(r"Theirs <time [^>]+>for 2 days</time>", rows["Willa Willing"])
    assert re.search(r"Yours <time [^>]+>for 3 days</time>", rows["Wanda Waiting"])
    # Dates are relative, on one line, with the exact time on hover.
    joined = re.search(r'<td data-label="Joined">(.*?)</td>', rows["Stan Stalled"]).group(1)
    assert re.fullmatch(
        r'<time class="ago" datetime="[0-9T:+-]+" title="\d\d \w\w\w \d{4}, \d\d:\d\d UTC">'
        r"20 days ago</time>",
        joined,
    )


def test_a_recruit_on_a_track_without_steps_gets_add_a_step_not_give_a_track(client, auth):
    sponsor = UserFactory(name="Stepless Sue")
    empty = make_track(sponsor, 0)
    UserFactory(name="Tia Track", sponsor=sponsor, track=empty, enrolled_at=utcnow())
    auth.login(sponsor)
    html = unescape(client.get("/team").text)
    assert f'href="/tracks/{empty.id}">Add a step to Tia Track\'s track</a>' in html
    assert "Give Tia Track a track" not in html


def test_a_sponsor_whose_recruits_and_tracks_are_archived_keeps_the_team(client, auth):
    """Their history stays theirs: the sponsor menu and the team page remain."""
    sponsor = UserFactory(name="Past Pat", sponsor=UserFactory())
    UserFactory(sponsor=sponsor, archived_at=utcnow())
    auth.login(sponsor)
    page = client.get("/")
    assert page.status_code == 200 and "<h1>Your team</h1>" in page.text
    assert "Reviews" in menu(page.text)


def test_give_them_a_track_leads_to_the_track_form_or_to_writing_one(client, auth, team):
    auth.login(team["sponsor"])
    page = unescape(client.get(f"/recruits/{team['no_track'].id}").text)
    assert 'id="track"' in page and "Give Noah Notrack this track</button>" in page
    lonely_sponsor = UserFactory(name="Lone Sponsor")
    newcomer = UserFactory(name="Nell New", sponsor=lonely_sponsor)
    auth.logout()
    auth.login(lonely_sponsor)
    page = unescape(client.get(f"/recruits/{newcomer.id}").text)
    assert "You have no track yet." in page and 'href="/tracks">Write a track</a>' in page


def test_the_onboarding_checklist_follows_the_sponsor_and_then_goes(client, auth):
    sponsor = UserFactory(name="Nora New")
    auth.login(sponsor)
    assert "Start your own team: 0 of 3 done" in unescape(client.get("/team").text)
    track = make_track(sponsor, 1)
    assert "Start your own team: 1 of 3 done" in unescape(client.get("/team").text)
    recruit = UserFactory(sponsor=sponsor, track=track, enrolled_at=utcnow())
    page = unescape(client.get("/team").text)
    assert "Start your own team: 2 of 3 done" in page
    assert "Someone joined through your invite link." in page
    waiting = SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    post_form(client, f"/review/{waiting.id}", {"approve": "1"}, page="/review")
    assert "Start your own team" not in client.get("/team").text


# --- Reaching out and the join email --------------------------------------------------


def test_a_phone_number_gives_the_sponsor_call_and_text_links(client, auth):
    _upline, sponsor, _track, recruit, _other = make_team(2)
    auth.login(recruit)
    response = post_form(
        client,
        "/account",
        {"name": recruit.name, "timezone": "UTC", "phone": " +1 (555) 010-0199 "},
        page="/account",
    )
    assert response.status_code == 302
    assert db.session.get(User, recruit.id).phone == "+1 (555) 010-0199"
    auth.logout()
    auth.login(sponsor)
    page = client.get(f"/recruits/{recruit.id}").text
    assert 'href="tel:+15550100199">Call Recruit Rita</a>' in page
    assert 'href="sms:+15550100199">Text Recruit Rita</a>' in page
    assert f'href="mailto:{recruit.email}">Email Recruit Rita</a>' in page


@pytest.mark.parametrize("typed", ["call me maybe", "12345", "+1 555 0100 <script>"])
def test_a_bad_phone_number_is_refused_beside_the_field_and_kept(client, auth, typed):
    user = UserFactory(name="Pat Phone", phone="+44 20 7946 0000")
    auth.login(user)
    response = post_form(
        client,
        "/account",
        {"name": "Pat Renamed", "timezone": "UTC", "phone": typed},
        page="/account",
    )
    assert response.status_code == 400
    field = response.text.split('id="phone-error"', 1)[1].split("</div>", 1)[0]
    assert "phone number" in field
    assert f'value="{typed}"'.replace("<", "&lt;").replace(">", "&gt;") in response.text
    saved = db.session.get(User, user.id)
    db.session.refresh(saved)
    assert (saved.name, saved.phone) == ("Pat Phone", "+44 20 7946 0000")


def test_the_sponsor_hears_when_someone_joins_unless_they_turned_it_off(client, runner, smtp):
    _upline, sponsor, _track, _recruit, _other = make_team(2)
    join(client, sponsor, "Jo Joiner")
    deliver_mail(runner)
    (message,) = smtp.to(sponsor.email)
    assert message["Subject"] == "Jo Joiner joined your team"
    text, _html = parts(message)
    assert "Their first assignment is open." in text
    joiner = db.session.scalar(select(User).where(User.name == "Jo Joiner"))
    assert f"/recruits/{joiner.id}" in text
    assert message["List-Unsubscribe"]
    sponsor.email_on_join = False
    db.session.commit()
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/homework").text)})
    join(client, sponsor, "Quiet Quinn")
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.recipient_id == sponsor.id)
    ).all()
    assert kinds == [MessageKind.JOINED]


def test_without_a_default_track_the_join_email_says_it_is_the_sponsors_move(client, runner, smtp):
    sponsor = UserFactory(name="Trackless Tom")
    join(client, sponsor, "Eve Early")
    deliver_mail(runner)
    text, _html = parts(smtp.to(sponsor.email)[0])
    assert "They have no homework yet: your default track has no step, or you have none." in text


def test_a_default_track_without_a_step_is_no_homework_in_the_join_email(client, runner, smtp):
    sponsor = UserFactory(name="Empty Emma")
    make_track(sponsor, 0)
    join(client, sponsor, "Eli Early")
    deliver_mail(runner)
    text, _html = parts(smtp.to(sponsor.email)[0])
    assert "They have no homework yet" in text and "first assignment is open" not in text


# --- Attachments in the browser -----------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%fake but sniffed as PDF\n"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def attached(content: bytes, name: str, content_type: str):  # type: ignore[no-untyped-def]
    _upline, sponsor, track, recruit, _other = make_team(2)
    stored = stored_upload(content)
    submission = SubmissionFactory(
        recruit=recruit,
        assignment=track.assignments[0],
        attachment_path=stored,
        attachment_name=name,
        attachment_type=content_type,
        attachment_size=len(content),
    )
    return sponsor, submission


def test_an_image_is_shown_on_the_review_page_in_a_sandbox(client, auth):
    sponsor, submission = attached(PNG, "flyer.png", "image/png")
    auth.login(sponsor)
    page = client.get(f"/review/{submission.id}").text
    src = f"/submissions/{submission.id}/attachment?inline=1"
    assert f'<img src="{src}" alt="The attached image, flyer.png"' in page
    shown = client.get(src, buffered=True)
    assert shown.status_code == 200 and shown.data == PNG
    assert shown.headers["Content-Type"] == "image/png"
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert shown.headers["Content-Security-Policy"].startswith("sandbox;")
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    download = client.get(f"/submissions/{submission.id}/attachment", buffered=True)
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_a_pdf_opens_in_the_browser_and_a_docx_is_only_ever_downloaded(client, auth):
    sponsor, pdf = attached(PDF, "plan.pdf", "application/pdf")
    auth.login(sponsor)
    page = unescape(client.get(f"/review/{pdf.id}").text)
    assert "Open plan.pdf in the browser (a new tab)</a>" in page and "<img" not in page
    opened = client.get(f"/submissions/{pdf.id}/attachment?inline=1", buffered=True)
    assert opened.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in opened.headers["Content-Security-Policy"]
    auth.logout()
    sponsor, docx = attached(b"PK\x03\x04 not really", "notes.docx", DOCX)
    auth.login(sponsor)
    page = unescape(client.get(f"/review/{docx.id}").text)
    assert "in the browser" not in page and "Download notes.docx" in page
    forced = client.get(f"/submissions/{docx.id}/attachment?inline=1", buffered=True)
    assert forced.headers["Content-Disposition"].startswith("attachment")


# --- Saved feedback -------------------------------------------------------------------------


def test_saved_feedback_is_kept_offered_on_each_review_and_deleted(client, auth):
    _upline, sponsor, track, recruit, _other = make_team(2)
    waiting = SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    auth.login(sponsor)
    line = "Great start! Add the phone number of each person."
    response = post_form(
        client, "/review/feedback", {"text": f"  {line}  "}, page="/review/feedback"
    )
    assert response.status_code == 302
    post_form(client, "/review/feedback", {"text": line}, page="/review/feedback")  # once only
    (snippet,) = db.session.scalars(select(FeedbackSnippet)).all()
    assert snippet.text == line
    review = unescape(client.get(f"/review/{waiting.id}").text)
    assert f'data-insert-into="feedback" data-snippet="{line}" hidden>Insert: “{line}”' in review
    assert f'<span class="snippet-text" data-snippet-copy>{line}</span>' in review  # no JS
    response = post_form(client, f"/review/feedback/{snippet.id}/delete", page="/review/feedback")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(FeedbackSnippet.id))) == 0
    assert "Saved feedback (" not in client.get(f"/review/{waiting.id}").text


def test_saved_feedback_refuses_blank_and_too_many_with_the_text_kept(client, auth):
    sponsor = UserFactory(name="Many Lines")
    auth.login(sponsor)
    blank = post_form(client, "/review/feedback", {"text": "   "}, page="/review/feedback")
    assert blank.status_code == 400 and "Write the feedback to save." in blank.text
    FeedbackSnippetFactory.create_batch(MAX_SNIPPETS, owner=sponsor)
    over = post_form(client, "/review/feedback", {"text": "One more line"}, page="/review/feedback")
    assert over.status_code == 400
    assert f"You have {MAX_SNIPPETS} saved lines" in unescape(over.text)
    assert re.search(r">\s*One more line</textarea>", over.text)
    assert db.session.scalar(select(func.count(FeedbackSnippet.id))) == MAX_SNIPPETS


def test_nobody_else_sees_or_deletes_a_sponsors_saved_feedback(client, auth):
    _upline, sponsor, track, recruit, _other = make_team(2)
    snippet = FeedbackSnippetFactory(owner=sponsor, text="Only mine")
    stranger = UserFactory(name="Stranger")
    auth.login(stranger)
    assert "Only mine" not in client.get("/review/feedback").text
    response = post_form(client, f"/review/feedback/{snippet.id}/delete", page="/review/feedback")
    assert response.status_code == 404
    assert db.session.get(FeedbackSnippet, snippet.id) is not None


def test_a_refused_post_shows_the_sponsor_menu_too(client, auth):
    """A POST's login leaves the menu's facts out (it mostly redirects); a POST that
    shows a page again asks for them."""
    _upline, sponsor, track, recruit, _other = make_team(2)
    SubmissionFactory(recruit=recruit, assignment=track.assignments[0])
    auth.login(sponsor)
    refused = post_form(client, "/review/feedback", {"text": ""}, page="/review/feedback")
    assert refused.status_code == 400
    assert "Reviews 1 waiting" in menu(refused.text)
