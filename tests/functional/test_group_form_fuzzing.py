"""Hypothesis fuzzes every mastermind form (≥ 200 inputs each), with the checks of
test_form_fuzzing.py: never a 500, a refused post changes nothing and says why, a
success redirects to a page that renders."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from app.extensions import db
from app.models import MeetingUpdate, User
from app.services import groups
from tests.factories import UserFactory
from tests.functional.test_form_fuzzing import NUMBER_LIKE, TEXT, form, submit, values
from tests.functional.test_group_authorization import client_as
from tests.group_world import HOST, MEMBER, build_group_world

EXAMPLES = 200


def fuzz() -> settings:
    return settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


TIMES = st.sampled_from(("19:00", "07:30", "00:00", "23:59", "02:30", "19:00:00"))
GROUP_FIELDS = {
    "name": values("Thursday Club", junk=TEXT),
    "purpose": values("", "Grow", junk=TEXT),
    "cadence": values(st.sampled_from(("weekly", "every_two_weeks", "monthly"))),
    "weekday": values(st.sampled_from(("0", "3", "6")), junk=NUMBER_LIKE),
    "time": values(TIMES, junk=st.one_of(NUMBER_LIKE, TEXT, st.sampled_from(("25:00", "7pm")))),
    "location": values("", "https://video.example/room", junk=TEXT),
}
ANSWER = values("", "A good week", junk=TEXT)


def test_create_form(app):
    world = build_group_world()
    client, token = client_as(app, world, MEMBER)

    @fuzz()
    @given(body=form(**GROUP_FIELDS))
    def post(body):
        submit(client, "/groups/new", body, token=token)

    post()


def test_update_form(app):
    world = build_group_world()
    client, token = client_as(app, world, MEMBER)
    bodies = form(
        successes=ANSWER,
        challenges=ANSWER,
        opportunities=ANSWER,
        goals=ANSWER,
        editing=values("", junk=st.one_of(NUMBER_LIKE, TEXT)),
    )
    mo = world.user_ids[MEMBER]

    @fuzz()
    @given(body=bodies)
    def post(body):
        submit(client, f"/groups/{world.group}/update", body, token=token)
        # Keep the next meeting's update open for the next example.
        db.session.query(MeetingUpdate).filter(
            MeetingUpdate.user_id == mo, MeetingUpdate.id != world.update
        ).delete()
        db.session.commit()

    post()


def test_comment_form(app):
    world = build_group_world()
    client, token = client_as(app, world, HOST)
    prefix = f"comment-{world.update}-"
    bodies = form(
        **{
            f"{prefix}body": values("Well done", junk=TEXT),
            f"{prefix}post": values("y", ""),
            f"{prefix}cheer": values("", "Cheer", junk=TEXT),
        }
    )

    @fuzz()
    @given(body=bodies)
    def post(body):
        submit(client, f"/groups/updates/{world.update}/comments", body, token=token)

    post()


def test_record_form(app):
    world = build_group_world()
    client, token = client_as(app, world, HOST)
    statuses = values(st.sampled_from(("present", "absent", "excused", "")), junk=TEXT)
    bodies = form(
        notes=values("", "Good meeting", junk=TEXT),
        **{
            f"attendance-{world.user_ids[MEMBER]}": statuses,
            f"attendance-{world.user_ids[HOST]}": statuses,
        },
    )

    @fuzz()
    @given(body=bodies)
    def post(body):
        submit(
            client,
            f"/groups/{world.group}/meetings/{world.held}/record",
            body,
            token=token,
            ignore=("outbox_messages",),
        )

    post()


def test_member_forms(app):
    """Swap, remove and hand over: a member id typed in."""
    world = build_group_world()
    client, token = client_as(app, world, HOST)
    host = db.session.get(User, world.user_ids[HOST])

    @fuzz()
    @given(
        which=st.sampled_from(("swap", "remove", "host")),
        body=form(member=values(str(world.user_ids[MEMBER]), junk=st.one_of(NUMBER_LIKE, TEXT))),
    )
    def post(which, body):
        url = {
            "swap": f"/groups/{world.group}/meetings/{world.upcoming}/hot-seat",
            "remove": f"/groups/{world.group}/remove",
            "host": f"/groups/{world.group}/host",
        }[which]
        submit(client, url, body, token=token)
        # Put things back: Hana hosts, Mo is a member.
        db.session.expire_all()
        group = db.session.get(groups.MastermindGroup, world.group)
        if group.host_id != host.id:
            group.host_id = host.id
        mo = db.session.get(User, world.user_ids[MEMBER])
        membership = groups.membership(db.session, mo, world.group)
        if not membership.is_current:  # removed: undo it, straight in the database
            membership.member.left_at, membership.member.left_how = None, ""
        db.session.commit()

    post()


def test_one_button_forms(app):
    tokens = st.one_of(st.just(["VALID"]), st.lists(st.one_of(st.just("VALID"), TEXT), max_size=2))

    @fuzz()
    @given(
        which=st.sampled_from(
            ("leave", "archive", "new-link", "join", "calendar/link", "calendar/off")
        ),
        tokens=tokens,
    )
    def post(which, tokens):
        world = build_group_world()
        role = MEMBER if which == "leave" else HOST
        client, valid = client_as(app, world, role)
        if which == "join":
            newcomer = UserFactory()
            client, valid = client_as(app, world, HOST)
            from tests.trust_world import login

            client = app.test_client()
            login(client, newcomer.email)
            from tests.conftest import csrf_token

            valid = csrf_token(client.get("/settings").text)
        url = f"/groups/join/{world.token}" if which == "join" else f"/groups/{world.group}/{which}"
        if which.startswith("calendar/"):
            url = f"/{which}"
        body = [("csrf_token", valid if value == "VALID" else value) for value in tokens]
        sent_valid = bool(tokens) and tokens[0] == "VALID"
        response = submit(client, url, body, token=None)
        assert (response.status_code == 400) != sent_valid, response.status_code

    post()


FUZZED_GROUP_ROUTES = {
    "groups.create",
    "groups.update",
    "groups.comment",
    "groups.record",
    "groups.swap",
    "groups.remove",
    "groups.hand_over",
    "groups.leave",
    "groups.archive",
    "groups.new_link",
    "groups.join",
    "groups.calendar_link",
    "groups.calendar_off",
}
