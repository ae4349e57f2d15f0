"""initial schema: users, tracks, assignments, submissions

Revision ID: 3a53afa9af52
Revises: 
Create Date: 2026-11-25 09:34:43.749641

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3a53afa9af52'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('sponsor_id', sa.Integer(), nullable=True),
    sa.Column('invite_token', sa.String(length=64), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=True),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stall_threshold_days', sa.Integer(), server_default='7', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('sponsor_id IS NULL OR sponsor_id <> id', name=op.f('ck_users_not_own_sponsor')),
    sa.CheckConstraint('stall_threshold_days BETWEEN 1 AND 365', name=op.f('ck_users_stall_threshold_in_range')),
    sa.ForeignKeyConstraint(['sponsor_id'], ['users.id'], name=op.f('fk_users_sponsor_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    sa.UniqueConstraint('invite_token', name=op.f('uq_users_invite_token'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_sponsor_id'), ['sponsor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_track_id'), ['track_id'], unique=False)

    op.create_table('tracks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_tracks_owner_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracks'))
    )
    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracks_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('uq_tracks_owner_default', ['owner_id'], unique=True, sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    # users and tracks refer to each other: the recruit's track link comes once both exist.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_users_track_id_tracks'), 'tracks', ['track_id'], ['id'], ondelete='RESTRICT')

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('deliverable', sa.Text(), nullable=False),
    sa.Column('stall_threshold_days', sa.Integer(), nullable=True),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(position IS NULL) = (archived_at IS NOT NULL)', name=op.f('ck_assignments_position_iff_active')),
    sa.CheckConstraint('stall_threshold_days IS NULL OR stall_threshold_days BETWEEN 1 AND 365', name=op.f('ck_assignments_stall_threshold_in_range')),
    sa.ForeignKeyConstraint(['track_id'], ['tracks.id'], name=op.f('fk_assignments_track_id_tracks'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('track_id', 'position', name=op.f('uq_assignments_track_id_position'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_track_id'), ['track_id'], unique=False)

    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recruit_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=2000), nullable=True),
    sa.Column('attachment_path', sa.String(length=64), nullable=True),
    sa.Column('attachment_name', sa.String(length=255), nullable=True),
    sa.Column('attachment_type', sa.String(length=100), nullable=True),
    sa.Column('attachment_size', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('feedback', sa.Text(), nullable=False),
    sa.CheckConstraint("(status = 'submitted') = (decided_at IS NULL)", name=op.f('ck_submissions_decided_iff_not_waiting')),
    sa.CheckConstraint("status <> 'changes_requested' OR length(feedback) > 0", name=op.f('ck_submissions_changes_requested_has_feedback')),
    sa.CheckConstraint("status IN ('submitted', 'approved', 'changes_requested')", name=op.f('ck_submissions_status_known')),
    sa.CheckConstraint('attempt >= 1', name=op.f('ck_submissions_attempt_positive')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_submissions_assignment_id_assignments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_submissions_decided_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recruit_id'], ['users.id'], name=op.f('fk_submissions_recruit_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('recruit_id', 'assignment_id', 'attempt', name=op.f('uq_submissions_recruit_id_assignment_id_attempt'))
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submissions_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index('ix_submissions_status_submitted_at', ['status', 'submitted_at'], unique=False)
        batch_op.create_index('uq_submissions_one_approved', ['recruit_id', 'assignment_id'], unique=True, sqlite_where=sa.text("status = 'approved'"), postgresql_where=sa.text("status = 'approved'"))
        batch_op.create_index('uq_submissions_one_waiting', ['recruit_id', 'assignment_id'], unique=True, sqlite_where=sa.text("status = 'submitted'"), postgresql_where=sa.text("status = 'submitted'"))



def downgrade():
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index('uq_submissions_one_waiting', sqlite_where=sa.text("status = 'submitted'"), postgresql_where=sa.text("status = 'submitted'"))
        batch_op.drop_index('uq_submissions_one_approved', sqlite_where=sa.text("status = 'approved'"), postgresql_where=sa.text("status = 'approved'"))
        batch_op.drop_index('ix_submissions_status_submitted_at')
        batch_op.drop_index(batch_op.f('ix_submissions_decided_by_id'))
        batch_op.drop_index(batch_op.f('ix_submissions_assignment_id'))

    op.drop_table('submissions')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_track_id'))

    op.drop_table('assignments')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_track_id_tracks'), type_='foreignkey')

    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.drop_index('uq_tracks_owner_default', sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))
        batch_op.drop_index(batch_op.f('ix_tracks_owner_id'))

    op.drop_table('tracks')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_track_id'))
        batch_op.drop_index(batch_op.f('ix_users_sponsor_id'))

    op.drop_table('users')
