"""The demo's mastermind group, for `flask seed-demo`: Dana hosts six (her upline Uma,
Fiona, Walter, Oscar and Stella of her team) meeting weekly on Dana's evening. Two
meetings are held — everyone's answers to the four questions, comments and cheers,
the hot seat (the host swapped Walter in for the second), attendance and Dana's notes —
and the next is two days away: everyone but Oscar has posted.

It is built through services.groups and services.meetings with `now` values in the
past, so its history is what the app itself would have recorded; the emails those
changes record (the summaries) are dropped, as they tell of meetings long past.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.models import GroupMeeting, MastermindGroup, MeetingUpdate, OutboxMessage, User
from app.services import groups, meetings
from app.services.meeting_schedule import local_moment
from app.services.people import zone_of

GROUP_NAME = "Rising Leaders Mastermind"
MEETS_AT = time(19, 30)
# The members by their demo key (the part of the email before the @), in joining order.
MEMBERS = ("sponsor", "upline", "finished", "waiting", "slow", "stalled")
# How many days before the first meeting each joined after the host (who started it
# nine days before).
JOINED_DAYS_BEFORE = (8, 6.9, 6.5, 6, 5)
NOT_POSTED = "slow"  # Oscar works shifts: his update for the coming meeting isn't in

# Each meeting's answers (successes, challenges, opportunities, goals) by member; each
# member's successes follow up on the goals they set the meeting before.
ANSWERS: tuple[dict[str, tuple[str, str, str, str]], ...] = (
    {
        "sponsor": (
            "Two new people started this month, Will and Carmen, and both handed in step "
            "one within a week.",
            "Follow-up texts eat my evenings: I answer one message and an hour is gone.",
            "The product launch webinar next week is a natural reason to invite people.",
            "Invite 10 people to the launch webinar. A three-way call with each new "
            "recruit in their first week. Block 7-9 pm for follow-ups only.",
        ),
        "upline": (
            "Silver for the second month running; the team did 6,200 in volume.",
            "Two of my leaders have gone quiet and I don't want to chase them.",
            "The wellness fair in town next month still has a stand free.",
            "A one-to-one coffee with each of my three leaders. Decide on the fair stand. "
            "Help Dana plan her first team call.",
        ),
        "finished": (
            "Finished the First Steps track! Three customers ordered the starter pack.",
            "Friends still treat it as Fiona's hobby, not a business.",
            "The owner of my gym asked about the protein range for her clients.",
            "Take samples to the gym owner. Ask my three customers for a review. Five new "
            "conversations.",
        ),
        "waiting": (
            "My list is at 64 names.",
            "I freeze when someone asks how much money I make.",
            "My brother-in-law runs a WhatsApp group of 200 parents from the school.",
            "Get the list to 100 names. Book my first three-way call with Dana. Practise "
            "my story out loud.",
        ),
        "slow": (
            "Watched all the product videos on the train to work.",
            "Shift work: most weeks I can't do evenings.",
            "My colleagues on the night shift always ask about energy and sleep.",
            "Talk to two colleagues about the sleep range. Do step two on my days off.",
        ),
        "stalled": (
            "Posted my story on Instagram: 40 likes and two messages.",
            "I haven't answered the messages yet: I'm scared of sounding salesy.",
            "One of them is from an old colleague who has just gone part-time.",
            "Reply to both messages this week. Hand in step two.",
        ),
    },
    {
        "sponsor": (
            "7 of the 10 I invited came to the webinar and two want a follow-up call. "
            "Three-way calls done with Will and Carmen.",
            "I kept the 7-9 block on three evenings out of five.",
            "Uma offered to co-host our first team call.",
            "Run the first team call with Uma. Two follow-up calls from the webinar. Help "
            "Walter book his first three-way.",
        ),
        "upline": (
            "Coffee with all three leaders: one is back on track and has two new starters.",
            "The fair stand costs 180: is it worth it for one team?",
            "Share the stand with Dana's team and split the leads.",
            "Decide on the fair by Friday. Co-host Dana's team call. One new customer of my own.",
        ),
        "finished": (
            "The gym owner ordered for 12 of her clients, and two reviews are in.",
            "Keeping the orders in a spreadsheet is getting messy.",
            "The gym owner asked whether she could join as a distributor.",
            "A three-way call with the gym owner and Dana. Set up the customer app. Five "
            "more conversations.",
        ),
        "waiting": (
            "100 names done. Practised my story with my wife three times.",
            "I still haven't booked the three-way: I keep waiting for the perfect person.",
            "An old football teammate commented on my post asking what I'm up to.",
            "Book the three-way with my teammate this week, no excuses. Reply to every "
            "comment within a day.",
        ),
        "slow": (
            "Two colleagues tried the sleep samples and one ordered.",
            "I lost my days off: covered a shift.",
            "My manager mentioned a wellness week at work next month.",
            "Ask my manager for a table at the wellness week. Step two on Sunday.",
        ),
        "stalled": (
            "Answered both messages. One said not now; the other wants the starter pack.",
            "The 'not now' knocked me more than I expected.",
            "My starter-pack friend knows a lot of new mums.",
            "Get her order in. Ask her for two introductions. Finish step two.",
        ),
    },
    {
        "sponsor": (
            "First team call with Uma: nine on the call, everyone left with one action. "
            "Walter's three-way is booked.",
            "Two of the webinar follow-ups went cold after one message.",
            "We're sharing the fair stand with Uma's team.",
            "Plan the fair rota. Re-invite the two cold leads with a sample. One-to-ones "
            "with Will and Carmen.",
        ),
        "upline": (
            "Booked the fair stand, shared with Dana. One new customer.",
            "Three of the team are on holiday: volume is down this month.",
            "The company's spring promotion starts next week.",
            "A spring promotion post every other day. The rota for the fair. A call with "
            "each leader.",
        ),
        "finished": (
            "Three-way call with the gym owner: she signed up! My first recruit.",
            "I don't know yet how to start her off properly.",
            "She wants to run a taster session for her members.",
            "Put her on the First Steps track. Help her plan the taster. Five conversations.",
        ),
        "waiting": (
            "Three-way call with my teammate on Tuesday: he's trying the products.",
            "Nerves before the call: Dana did most of the talking.",
            "He coaches a kids' football team and knows lots of parents.",
            "Lead the next three-way myself. Follow up with my teammate in a week. Hand "
            "in step two.",
        ),
        "stalled": (
            "My friend ordered the starter pack and introduced me to two mums.",
            "Finding the time with two kids at home.",
            "The mums run a Facebook group for the area.",
            "Call both mums. Post once in their group. Finish step two by Sunday.",
        ),
    },
)
# Under an update: (meeting, whose update, who, the comment; "" is a cheer).
COMMENTS = (
    (0, "waiting", "sponsor", "Any evening this week works for me. Pick the name, I'll be there."),
    (0, "stalled", "finished", "My first messages terrified me too. Just be curious about them."),
    (0, "stalled", "sponsor", ""),
    (0, "finished", "upline", "The gym is a great lead: bring her the samples in person."),
    (1, "finished", "sponsor", "Twelve clients! Let's book that three-way call this week."),
    (1, "finished", "upline", ""),
    (1, "finished", "waiting", ""),
    (1, "waiting", "upline", "The perfect person doesn't exist. Your teammate asked: that's it."),
    (1, "slow", "stalled", "A table at work is such a good idea."),
    (2, "finished", "sponsor", "Your first recruit! So proud of you. Let's plan her start."),
    (2, "finished", "upline", ""),
    (2, "waiting", "sponsor", "You did better than you think. Next one is yours to lead."),
    (2, "stalled", "finished", ""),
)
# After each held meeting: who was there, and the host's notes.
RECORDS = (
    (
        {},
        "First meeting: everyone shared their why. Hot seat: Dana, whose follow-ups leak "
        "into every evening. The group suggested a fixed 7-9 pm block and a short "
        "follow-up template. Actions: Walter books a three-way with Dana, Stella answers "
        "her messages within a day.",
    ),
    (
        {"slow": "excused", "stalled": "absent"},
        "Hot seat: Walter, waiting for the perfect prospect. Agreed: book with the "
        "teammate who asked, this week. Uma and Dana share the fair stand. Fiona brings "
        "the gym owner to a three-way call. Oscar excused (a shift).",
    ),
)


def seed_group(session: Session, people: dict[str, User], now: datetime) -> MastermindGroup:
    """The group, its two held meetings and the coming one (see the module's docstring)."""
    last_message = session.scalar(select(func.max(OutboxMessage.id))) or 0
    day, hour = timedelta(days=1), timedelta(hours=1)
    host = people["sponsor"]
    zone = zone_of(host)
    coming_day = now.astimezone(zone).date() + 2 * day
    first_start = local_moment(coming_day - 14 * day, MEETS_AT, zone)[0]
    settings = groups.GroupSettings(
        GROUP_NAME,
        "Six of us, every week: what went well, what got in the way, what's next, and "
        "someone on the hot seat.",
        "weekly",
        coming_day.weekday(),
        MEETS_AT.hour * 60 + MEETS_AT.minute,
        "https://meet.example.com/rising-leaders",
    )
    group = groups.create(session, host, settings, now=first_start - 9 * day)
    # The third join forms it, less than a week before the first meeting.
    for key, days_before in zip(MEMBERS[1:], JOINED_DAYS_BEFORE, strict=True):
        groups.join(session, people[key], group.invite_token, now=first_start - days_before * day)
    for index, answers in enumerate(ANSWERS):
        start = meetings.occurrence(group, index).starts_at
        before = min(start, now)  # the coming meeting's updates are in by now
        for n, key in enumerate(MEMBERS):
            if key in answers:
                meetings.post_update(
                    session,
                    people[key],
                    group.id,
                    meetings.Answers(*answers[key]),
                    now=before - (2.5 - n * 0.3) * day,
                )
        _comments(session, group, index, people, before - 2 * hour)
        if index == 0:  # Walter asked for the hot seat for the second meeting
            meetings.swap_hot_seat(
                session, host, group.id, 1, people["waiting"].id, now=start + 3 * hour
            )
        if index < len(RECORDS):
            marks, notes = RECORDS[index]
            attendance = {people[k].id: marks.get(k, "present") for k in MEMBERS}
            meetings.record_meeting(
                session,
                host,
                group.id,
                index,
                attendance=attendance,
                notes=notes,
                now=start + 2 * hour,
            )
    session.execute(delete(OutboxMessage).where(OutboxMessage.id > last_message))
    session.commit()
    return group


def _comments(  # type: ignore[no-untyped-def]
    session: Session, group: MastermindGroup, index: int, people, at: datetime
) -> None:
    """The comments and cheers under the meeting's updates, a few minutes apart."""
    start = meetings.occurrence(group, index).starts_at
    update_of = dict(
        session.execute(
            select(MeetingUpdate.user_id, MeetingUpdate.id)
            .join(GroupMeeting, GroupMeeting.id == MeetingUpdate.meeting_id)
            .where(GroupMeeting.group_id == group.id, GroupMeeting.starts_at == start)
        ).all()
    )
    under = [(whose, who, body) for held, whose, who, body in COMMENTS if held == index]
    for n, (whose, who, body) in enumerate(under):
        meetings.comment(
            session,
            people[who],
            update_of[people[whose].id],
            body=body,
            cheer=not body,
            now=at + timedelta(minutes=7 * n),
        )
