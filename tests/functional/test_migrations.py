"""Every migration runs on an empty database and ends where the models are."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Index, MetaData, inspect, text

from app.extensions import db


def schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_matches_models_then_downgrade_and_upgrade_again(app):
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))

    upgrade()
    assert schema_differences() == []
    tables = set(inspect(db.engine).get_table_names())
    assert {"users", "tracks", "assignments", "submissions"} <= tables

    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

    upgrade()
    assert schema_differences() == []


def test_the_comparison_notices_a_missing_index(app):
    """The check above can fail: a model index absent from the database is reported."""
    metadata = MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        table.to_metadata(metadata)
    Index("ix_users_name_for_this_test", metadata.tables["users"].c.name)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert [d[0] for d in differences] == ["add_index"]


def test_upgrade_copies_each_recruits_sponsor_onto_their_hand_ins(app):
    """b13a92eda142 fills submissions.sponsor_id on existing data and keeps what refers to it."""
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
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

    upgrade()

    assert schema_differences() == []
    with db.engine.connect() as connection:
        copied = connection.execute(text("SELECT id, sponsor_id FROM submissions ORDER BY id"))
        assert copied.all() == [(1, 2), (2, 2), (3, 1)]
        notification = connection.execute(text("SELECT submission_id FROM notifications"))
        assert notification.scalar_one() == 1
