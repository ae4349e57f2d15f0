"""nudges: the sponsor's setting and wording, the recruit's email preference

Revision ID: 06273345a49d
Revises: 0f23610dc54c
Create Date: 2026-12-03 13:31:53.937591

Nudges (issue 15): a sponsor's automatic nudge (on by default, after 3 silent days, in
their own wording or the default), and a recruit's preference for receiving them.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '06273345a49d'
down_revision = '0f23610dc54c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nudges_on', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('nudge_after_days', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('nudge_wording', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('email_nudges', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_check_constraint(op.f('ck_users_nudge_after_days_in_range'), 'nudge_after_days BETWEEN 1 AND 60')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_nudge_after_days_in_range'), type_='check')
        batch_op.drop_column('email_nudges')
        batch_op.drop_column('nudge_wording')
        batch_op.drop_column('nudge_after_days')
        batch_op.drop_column('nudges_on')
