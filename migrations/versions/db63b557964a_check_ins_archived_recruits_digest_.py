"""check-ins, archived recruits, digest weekday

Revision ID: db63b557964a
Revises: 3a53afa9af52
Create Date: 2026-11-25 09:42:15.744343

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'db63b557964a'
down_revision = '3a53afa9af52'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recruit_id', sa.Integer(), nullable=False),
    sa.Column('sponsor_id', sa.Integer(), nullable=False),
    sa.Column('happened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('snooze_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('call', 'text', 'email', 'in_person', 'other')", name=op.f('ck_check_ins_channel_known')),
    sa.CheckConstraint("outcome IN ('reached', 'no_answer', 'paused', 'left')", name=op.f('ck_check_ins_outcome_known')),
    sa.ForeignKeyConstraint(['recruit_id'], ['users.id'], name=op.f('fk_check_ins_recruit_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['sponsor_id'], ['users.id'], name=op.f('fk_check_ins_sponsor_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_ins'))
    )
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.create_index('ix_check_ins_recruit_id_happened_at', ['recruit_id', 'happened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_ins_sponsor_id'), ['sponsor_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_weekday', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(op.f('ck_users_digest_weekday_in_range'), 'digest_weekday BETWEEN 0 AND 6')



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_digest_weekday_in_range'), type_='check')
        batch_op.drop_column('archived_at')
        batch_op.drop_column('digest_weekday')

    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_ins_sponsor_id'))
        batch_op.drop_index('ix_check_ins_recruit_id_happened_at')

    op.drop_table('check_ins')
