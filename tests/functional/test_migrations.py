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
