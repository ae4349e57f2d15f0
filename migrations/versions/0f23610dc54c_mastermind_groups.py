"""mastermind groups

Groups (host, cadence, meeting weekday and time in a zone, invite link, when it formed),
memberships (kept after leaving), the meetings that have something attached, members'
updates (the four questions), comments and cheers, attendance; each person's group
emails and their private calendar feed's key.

Revision ID: 0f23610dc54c
Revises: b4a5624d21c3
Create Date: 2026-12-02 15:46:02.671139

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0f23610dc54c'
down_revision = 'b4a5624d21c3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mastermind_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('cadence', sa.String(length=20), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('minute', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('formed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_meeting_on', sa.Date(), nullable=True),
    sa.Column('invite_token', sa.String(length=64), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("cadence IN ('weekly', 'every_two_weeks', 'monthly')", name=op.f('ck_mastermind_groups_cadence_known')),
    sa.CheckConstraint('minute BETWEEN 0 AND 1439', name=op.f('ck_mastermind_groups_minute_in_range')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_mastermind_groups_weekday_in_range')),
    sa.ForeignKeyConstraint(['host_id'], ['users.id'], name=op.f('fk_mastermind_groups_host_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mastermind_groups')),
    sa.UniqueConstraint('invite_token', name=op.f('uq_mastermind_groups_invite_token'))
    )
    with op.batch_alter_table('mastermind_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mastermind_groups_host_id'), ['host_id'], unique=False)

    op.create_table('group_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hot_seat_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('notes_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['mastermind_groups.id'], name=op.f('fk_group_meetings_group_id_mastermind_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hot_seat_id'], ['users.id'], name=op.f('fk_group_meetings_hot_seat_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_meetings')),
    sa.UniqueConstraint('group_id', 'starts_at', name='uq_group_meetings_start')
    )
    op.create_table('group_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('left_how', sa.String(length=10), server_default='', nullable=False),
    sa.CheckConstraint("left_how IN ('', 'left', 'removed')", name=op.f('ck_group_members_left_how_known')),
    sa.ForeignKeyConstraint(['group_id'], ['mastermind_groups.id'], name=op.f('fk_group_members_group_id_mastermind_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_group_members_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_members'))
    )
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index('ix_group_members_current', ['group_id', 'user_id'], unique=True, sqlite_where=sa.text('left_at IS NULL'), postgresql_where=sa.text('left_at IS NULL'))
        batch_op.create_index('ix_group_members_user_id', ['user_id'], unique=False)

    op.create_table('meeting_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.CheckConstraint("status IN ('present', 'absent', 'excused')", name=op.f('ck_meeting_attendance_status_known')),
    sa.ForeignKeyConstraint(['meeting_id'], ['group_meetings.id'], name=op.f('fk_meeting_attendance_meeting_id_group_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_attendance_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_attendance')),
    sa.UniqueConstraint('meeting_id', 'user_id', name='uq_meeting_attendance_member')
    )
    op.create_table('meeting_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('successes', sa.Text(), nullable=False),
    sa.Column('challenges', sa.Text(), nullable=False),
    sa.Column('opportunities', sa.Text(), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['group_meetings.id'], name=op.f('fk_meeting_updates_meeting_id_group_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_updates_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_updates')),
    sa.UniqueConstraint('meeting_id', 'user_id', name='uq_meeting_updates_member')
    )
    op.create_table('update_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('update_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), server_default='', nullable=False),
    sa.Column('cheer', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['update_id'], ['meeting_updates.id'], name=op.f('fk_update_comments_update_id_meeting_updates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_update_comments_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_update_comments'))
    )
    with op.batch_alter_table('update_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_update_comments_update_id'), ['update_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_group_reminders', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('email_group_summaries', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('calendar_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_calendar_token'), ['calendar_token'])



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_calendar_token'), type_='unique')
        batch_op.drop_column('calendar_token')
        batch_op.drop_column('email_group_summaries')
        batch_op.drop_column('email_group_reminders')

    with op.batch_alter_table('update_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_update_comments_update_id'))

    op.drop_table('update_comments')
    op.drop_table('meeting_updates')
    op.drop_table('meeting_attendance')
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_index('ix_group_members_user_id')
        batch_op.drop_index('ix_group_members_current', sqlite_where=sa.text('left_at IS NULL'), postgresql_where=sa.text('left_at IS NULL'))

    op.drop_table('group_members')
    op.drop_table('group_meetings')
    with op.batch_alter_table('mastermind_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mastermind_groups_host_id'))

    op.drop_table('mastermind_groups')
