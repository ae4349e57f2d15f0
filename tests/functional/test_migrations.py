"""Every migration runs on an empty database and ends where the models are.

These tests build and tear down the schema, so each runs on a database of its own
(`app_on_own_database`): the shared test database keeps the models' schema.
"""

import secrets
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Index, MetaData, inspect, text

from app.extensions import db
from tests.conftest import IsolatedCliRunner, mail_server_for

MONDAY = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class _Who(NamedTuple):
    id: int
    email: str


def schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_matches_models_then_downgrade_and_upgrade_again(app_on_own_database):
    upgrade()
    assert schema_differences() == []
    tables = set(inspect(db.engine).get_table_names())
    assert {"users", "tracks", "assignments", "submissions"} <= tables

    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

    upgrade()
    assert schema_differences() == []


def test_the_comparison_notices_a_missing_index(app_on_own_database):
    upgrade()
    """The check above can fail: a model index absent from the database is reported."""
    metadata = MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        table.to_metadata(metadata)
    Index("ix_users_name_for_this_test", metadata.tables["users"].c.name)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert [d[0] for d in differences] == ["add_index"]


def test_upgrade_copies_each_recruits_sponsor_onto_their_hand_ins(app_on_own_database):
    """b13a92eda142 fills submissions.sponsor_id on existing data and keeps what refers to it."""
    upgrade(revision="8c62a462d652")
    when = "2026-11-01 09:00:00"
    with db.engine.begin() as connection:
        for user_id, sponsor_id in ((1, None), (2, 1), (3, 2), (4, 2)):
            connection.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, timezone, sponsor_id,"
                    " invite_token, created_at) VALUES (:id, :email, 'N', 'x', 'UTC', :sponsor,"
                    " :token, :when)"
                ),
                {
                    "id": user_id,
                    "email": f"u{user_id}@example.com",
                    "sponsor": sponsor_id,
                    "token": f"t{user_id}",
                    "when": when,
                },
            )
        connection.execute(
            text(
                "INSERT INTO tracks (id, owner_id, name, description, is_default, created_at)"
                " VALUES (1, 2, 'T', '', false, :when)"
            ),
            {"when": when},
        )
        connection.execute(
            text(
                "INSERT INTO assignments (id, track_id, position, title, instructions,"
                " deliverable, activated_at, created_at)"
                " VALUES (1, 1, 1, 'A', '', '', :when, :when)"
            ),
            {"when": when},
        )
        for submission_id, recruit_id in ((1, 3), (2, 4), (3, 2)):
            connection.execute(
                text(
                    "INSERT INTO submissions (id, recruit_id, assignment_id, attempt, answer,"
                    " status, submitted_at, feedback) VALUES (:id, :recruit, 1, 1, 'done',"
                    " 'submitted', :when, '')"
                ),
                {"id": submission_id, "recruit": recruit_id, "when": when},
            )
        connection.execute(
            text(
                "INSERT INTO notifications (id, kind, recipient_id, submission_id, status,"
                " attempts, last_error, created_at) VALUES (1, 'handed_in', 2, 1, 'sent', 1, '',"
                " :when)"
            ),
            {"when": when},
        )

    upgrade(revision="b13a92eda142")

    with db.engine.connect() as connection:
        copied = connection.execute(text("SELECT id, sponsor_id FROM submissions ORDER BY id"))
        assert copied.all() == [(1, 2), (2, 2), (3, 1)]
        notification = connection.execute(text("SELECT submission_id FROM notifications"))
        assert notification.scalar_one() == 1


def one_step_track_in_sql(owner_id: int) -> int:
    """A track with one step, written in SQL: at an old revision the tracks table lacks
    columns the models (and so the factories) write."""
    when = (MONDAY - timedelta(days=40)).strftime("%Y-%m-%d %H:%M:%S")
    with db.engine.begin() as connection:
        track_id = connection.execute(
            text(
                "INSERT INTO tracks (owner_id, name, description, is_default, created_at)"
                " VALUES (:owner, 'T', '', true, :when) RETURNING id"
            ),
            {"owner": owner_id, "when": when},
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO assignments (track_id, position, title, instructions, deliverable,"
                " activated_at, created_at) VALUES (:track, 1, 'A', '', '', :when, :when)"
            ),
            {"track": track_id, "when": when},
        )
    return track_id


def user_in_sql(name: str, **columns) -> _Who:  # type: ignore[no-untyped-def]
    """A user written in SQL, with the columns every revision since the first has: at an
    old revision the users table lacks columns the models (and the factories) write."""
    email = f"{name.split()[0].lower()}-{secrets.token_hex(3)}@example.com"
    values = {
        "email": email,
        "name": name,
        "password_hash": "x",
        "timezone": "UTC",
        "invite_token": secrets.token_urlsafe(16),
        "created_at": (MONDAY - timedelta(days=60)).strftime("%Y-%m-%d %H:%M:%S"),
        **columns,
    }
    with db.engine.begin() as connection:
        user_id = connection.execute(
            text(
                f"INSERT INTO users ({', '.join(values)})"
                f" VALUES ({', '.join(':' + k for k in values)}) RETURNING id"
            ),
            values,
        ).scalar_one()
    return _Who(user_id, email)


def test_the_outbox_keeps_every_sent_digest_week_so_none_goes_twice(app_on_own_database):
    """08c7e75df1d4 moves digest_deliveries and notifications into outbox_messages: a
    week already sent stays sent (the next run skips it), a failed week is composed again,
    and a notification never sent is dropped with a warning."""
    app = app_on_own_database
    upgrade(revision="b13a92eda142")
    sent, failed = user_in_sql("Sent Sofia"), user_in_sql("Failed Fred")
    for sponsor in (sent, failed):
        user_in_sql(
            "Recruit Rae",
            sponsor_id=sponsor.id,
            track_id=one_step_track_in_sql(sponsor.id),
            enrolled_at=(MONDAY - timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S"),
        )
    db.session.remove()  # the migration needs the tables to itself
    week = "2026-11-30"
    with db.engine.begin() as connection:
        for sponsor, status in ((sent, "sent"), (failed, "failed")):
            connection.execute(
                text(
                    "INSERT INTO digest_deliveries (sponsor_id, week_start, status, claim_token,"
                    " claimed_at, sent_at, attempts, last_error) VALUES (:sponsor, :week,"
                    " :status, 'old', :when, :when, 1, '')"
                ),
                {"sponsor": sponsor.id, "week": week, "status": status, "when": MONDAY},
            )
        submission = connection.execute(text("SELECT min(id) FROM assignments")).scalar()
        connection.execute(
            text(
                "INSERT INTO submissions (recruit_id, sponsor_id, assignment_id, attempt,"
                " answer, status, submitted_at, feedback) SELECT id, sponsor_id, :step, 1, 'x',"
                " 'submitted', :when, '' FROM users WHERE sponsor_id = :sponsor"
            ),
            {"step": submission, "when": MONDAY, "sponsor": sent.id},
        )
        for status in ("sent", "pending"):
            connection.execute(
                text(
                    "INSERT INTO notifications (kind, recipient_id, submission_id, status,"
                    " attempts, last_error, created_at) SELECT 'handed_in', :sponsor, id,"
                    " :status, 1, '', :when FROM submissions"
                ),
                {"sponsor": sent.id, "status": status, "when": MONDAY},
            )

    upgrade()

    assert schema_differences() == []
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT kind, recipient_id, status, dedupe_key FROM outbox_messages ORDER BY id")
        ).all()
    assert rows == [
        ("digest", sent.id, "sent", f"digest:{sent.id}:{week}"),
        ("handed_in", sent.id, "sent", None),
    ]
    with mail_server_for(app) as smtp:
        result = IsolatedCliRunner(app).invoke(
            args=["digest", "send", "--as-of", MONDAY.isoformat()]
        )
    assert "skipped (already sent this week): 1" in result.output, result.output
    assert [m["To"].addresses[0].addr_spec for m in smtp.messages] == [failed.email]
    db.session.remove()

    downgrade(revision="b13a92eda142")
    with db.engine.connect() as connection:
        weeks = connection.execute(
            text("SELECT sponsor_id, status FROM digest_deliveries ORDER BY sponsor_id")
        ).all()
    assert sorted(weeks) == sorted([(sent.id, "sent"), (failed.id, "sent")])
    upgrade()


def test_upgrade_marks_the_tracks_somebody_was_on_so_they_are_never_deleted(app_on_own_database):
    """b650371e37c8 adds tracks.archived_at and ever_enrolled: set where somebody is on
    the track, handed in to it, or was moved to it by its owner (the audit log); then
    a downgrade drops both and an upgrade brings them back."""
    upgrade(revision="08c7e75df1d4")
    when = "2026-11-01 09:00:00"
    with db.engine.begin() as connection:
        for user_id, sponsor_id in ((1, None), (2, 1), (3, 1)):
            connection.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, timezone, sponsor_id,"
                    " invite_token, created_at) VALUES (:id, :email, 'N', 'x', 'UTC', :sponsor,"
                    " :token, :when)"
                ),
                {
                    "id": user_id,
                    "email": f"u{user_id}@example.com",
                    "sponsor": sponsor_id,
                    "token": f"t{user_id}",
                    "when": when,
                },
            )
        for track_id, name in ((1, "On it"), (2, "Handed in"), (3, "Moved to"), (4, "Unused")):
            connection.execute(
                text(
                    "INSERT INTO tracks (id, owner_id, name, description, is_default, created_at)"
                    " VALUES (:id, 1, :name, '', false, :when)"
                ),
                {"id": track_id, "name": name, "when": when},
            )
            connection.execute(
                text(
                    "INSERT INTO assignments (id, track_id, position, title, instructions,"
                    " deliverable, activated_at, created_at)"
                    " VALUES (:id, :id, 1, 'A', '', '', :when, :when)"
                ),
                {"id": track_id, "when": when},
            )
        connection.execute(text("UPDATE users SET track_id = 1 WHERE id = 2"))
        connection.execute(
            text(
                "INSERT INTO submissions (id, recruit_id, sponsor_id, assignment_id, attempt,"
                " answer, status, submitted_at, feedback) VALUES (1, 3, 1, 2, 1, 'done',"
                " 'submitted', :when, '')"
            ),
            {"when": when},
        )
        connection.execute(
            text(
                "INSERT INTO audit_events (actor_id, subject_id, action, detail, created_at)"
                " VALUES (1, 3, 'track_changed', 'to “Moved to”', :when)"
            ),
            {"when": when},
        )

    upgrade()

    assert schema_differences() == []
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT name, ever_enrolled, archived_at FROM tracks ORDER BY id")
        ).all()
    assert [(name, bool(used), archived) for name, used, archived in rows] == [
        ("On it", True, None),
        ("Handed in", True, None),
        ("Moved to", True, None),
        ("Unused", False, None),
    ]
    downgrade(revision="08c7e75df1d4")
    columns = {c["name"] for c in inspect(db.engine).get_columns("tracks")}
    assert not {"archived_at", "ever_enrolled"} & columns
    upgrade()
    assert schema_differences() == []


def schema_details(engine) -> dict:  # type: ignore[no-untyped-def]
    """What compare_metadata does not look at: every CHECK constraint (name and text),
    every index's partial WHERE clause and INCLUDE columns, every server default."""
    inspector = inspect(engine)

    def text_of(clause) -> str:  # type: ignore[no-untyped-def]
        return " ".join(str(clause).replace('"', "").split()).lower()

    details = {}
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version":
            continue
        checks = sorted(
            (c["name"], text_of(c["sqltext"])) for c in inspector.get_check_constraints(table)
        )
        indexes = sorted(
            (
                index["name"],
                tuple(index["column_names"]),
                bool(index["unique"]),
                tuple(
                    sorted(
                        (key, text_of(value))
                        for key, value in index.get("dialect_options", {}).items()
                        if key.endswith(("_where", "_include"))
                    )
                ),
            )
            for index in inspector.get_indexes(table)
        )
        defaults = sorted(
            (column["name"], text_of(column["default"]))
            for column in inspector.get_columns(table)
            if column["default"] is not None and "nextval" not in str(column["default"])
        )
        details[table] = {"checks": checks, "indexes": indexes, "defaults": defaults}
    return details


def test_the_migrated_schema_has_the_models_checks_partial_indexes_and_defaults(
    app_on_own_database, tmp_path, database_url
):
    """The same schema from the migrations and from the models (create_all), down to the
    constraints compare_metadata skips."""
    from sqlalchemy import create_engine

    upgrade()
    migrated = schema_details(db.engine)
    assert migrated["submissions"]["checks"], "the reflection found no CHECK constraints"
    assert any(i[3] for i in migrated["submissions"]["indexes"]), "nor partial indexes"
    if database_url.startswith("postgresql"):
        import secrets
        from urllib.parse import quote

        schema = f"models_{secrets.token_hex(4)}"
        with db.engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in database_url else "?"
        url = f"{database_url}{separator}options={quote(f'-csearch_path={schema}')}"
    else:
        schema, url = None, f"sqlite:///{tmp_path / 'models.sqlite3'}"
    from_models = create_engine(url)
    try:
        db.metadata.create_all(from_models)
        assert schema_details(from_models) == migrated
    finally:
        from_models.dispose()
        if schema:
            with db.engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
