"""tracks can be archived, and unused ones deleted

Revision ID: b650371e37c8
Revises: 08c7e75df1d4
Create Date: 2026-12-02 03:10:00.000000

tracks.archived_at puts a whole track away (never the default: a CHECK says so).
tracks.ever_enrolled remembers that somebody was once on the track, so it is never
deleted; existing tracks get it where anybody is on the track now, anybody handed in
to one of its steps, or the audit log shows a recruit moved to a track of that name
by its owner (the log names tracks, it has no ids: a guess that errs towards keeping).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b650371e37c8'
down_revision = '08c7e75df1d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ever_enrolled', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(op.f('ck_tracks_archived_not_default'), 'NOT (is_default AND archived_at IS NOT NULL)')

    op.get_bind().execute(
        sa.text(
            "UPDATE tracks SET ever_enrolled = :yes WHERE"
            " EXISTS (SELECT 1 FROM users u WHERE u.track_id = tracks.id)"
            " OR EXISTS (SELECT 1 FROM assignments a JOIN submissions s"
            " ON s.assignment_id = a.id WHERE a.track_id = tracks.id)"
            " OR EXISTS (SELECT 1 FROM audit_events e WHERE e.actor_id = tracks.owner_id"
            " AND e.action = 'track_changed' AND e.detail = 'to “' || tracks.name || '”')"
        ).bindparams(sa.bindparam('yes', True, type_=sa.Boolean()))
    )


def downgrade():
    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_tracks_archived_not_default'), type_='check')
        batch_op.drop_column('archived_at')
        batch_op.drop_column('ever_enrolled')
