"""A mastermind group in a real browser: the host starts it, three join by its link, two
post their updates, the host sees who is missing, the meeting page is the agenda, the
host records attendance and notes, and the summary arrives through a real SMTP server.

The live server runs on the real clock; "a week passes" moves the group's history a week
back in the database (its schedule and what is attached to its meetings), which is the
same as the clock moving a week on."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.extensions import db
from app.models import GroupMeeting, GroupMember, MastermindGroup, MeetingUpdate, utcnow
from tests.browser.helpers import log_in
from tests.conftest import deliver_mail
from tests.factories import UserFactory
from tests.smtp import parts

WEEK = timedelta(days=7)


def a_week_passes(group_id: int) -> None:
    group = db.session.get(MastermindGroup, group_id)
    group.formed_at -= WEEK
    group.first_meeting_on -= WEEK
    group.created_at -= WEEK
    for member in db.session.scalars(select(GroupMember).where(GroupMember.group_id == group_id)):
        member.joined_at -= WEEK
    for row in db.session.scalars(select(GroupMeeting).where(GroupMeeting.group_id == group_id)):
        row.starts_at -= WEEK
        for answer in db.session.scalars(
            select(MeetingUpdate).where(MeetingUpdate.meeting_id == row.id)
        ):
            answer.created_at -= WEEK
            answer.updated_at -= WEEK
    db.session.commit()


def test_host_creates_three_join_two_post_agenda_attendance_summary(
    live_server: str, page: Page, new_context, smtp, runner
) -> None:
    UserFactory(name="Hana Host", email="hana@example.com")
    for name in ("Ann", "Bob", "Cat"):
        UserFactory(name=name, email=f"{name.lower()}@example.com")

    log_in(page, live_server, "hana@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    page.get_by_role("link", name="Start a group").click()
    page.get_by_label("Name").fill("Thursday Club")
    page.get_by_label("Purpose").fill("Grow our teams, one week at a time.")
    page.get_by_label("Weekday").select_option(str(utcnow().weekday()))
    page.get_by_label("Time (your time zone)").fill("00:01")
    page.get_by_label("Where").fill("https://video.example/room")
    page.get_by_role("button", name="Start the group").click()
    expect(page.get_by_role("status").first).to_contain_text("Thursday Club is started")
    link = page.get_by_role("textbox", name="Invite link").input_value()
    group_id = int(page.url.rstrip("/").split("/")[-1])

    members = {}
    for name in ("Ann", "Bob", "Cat"):
        member = new_context().new_page()
        log_in(member, live_server, f"{name.lower()}@example.com")
        member.goto(link)
        member.get_by_role("button", name="Join the group").click()
        expect(member.get_by_role("status")).to_contain_text("Welcome to Thursday Club.")
        members[name] = member

    # Ann and Bob post their updates for the first meeting (next week, at 00:01).
    for name, success in (("Ann", "Booked two home parties"), ("Bob", "Signed one customer")):
        member = members[name]
        member.reload()
        member.get_by_role("link", name="Post your update").first.click()
        member.get_by_label("What successes did you have?").fill(success)
        member.get_by_label("What is your next set of goals?").fill(f"{name}: double it")
        member.get_by_role("button", name="Post my update").click()
        expect(member.get_by_role("status")).to_contain_text("Your update is in.")

    # The host sees who is missing; the agenda has both answers and the hot seat.
    page.reload()
    expect(page.locator("p", has_text="Not posted yet:")).to_contain_text("Hana Host, Cat")
    page.get_by_role("link", name="The agenda so far").click()
    agenda = page.get_by_role("region", name="The agenda: everyone's answers")
    expect(agenda).to_contain_text("Booked two home parties")
    expect(agenda).to_contain_text("Signed one customer")
    expect(page.get_by_role("region", name="Hot seat")).to_contain_text("Hana Host")
    meeting_url = page.url

    # The meeting happens; the host records attendance and notes.
    a_week_passes(group_id)
    page.goto(meeting_url)
    record = page.get_by_role("region", name="Attendance and notes")
    for name, status in (
        ("Hana Host", "Present"),
        ("Ann", "Present"),
        ("Bob", "Present"),
        ("Cat", "Excused"),
    ):
        record.get_by_role("group", name=name).get_by_label(status).check()
    record.get_by_label("The host's notes").fill("Ann shares her party script next week.")
    record.get_by_role("button", name="Save attendance and notes").click()
    expect(page.get_by_role("status")).to_contain_text("Every member gets the summary.")

    deliver_mail(runner)
    (summary,) = smtp.to("cat@example.com")
    text, _html = parts(summary)
    assert summary["Subject"].startswith("Thursday Club: the summary of")
    assert "Ann shares her party script next week." in text
    assert "Booked two home parties" in text and "On the hot seat: Hana Host." in text
