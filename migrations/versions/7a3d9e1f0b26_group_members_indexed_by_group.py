"""every membership of a group found by index

Revision ID: 7a3d9e1f0b26
Revises: 5e1c0a7b9d42
Create Date: 2026-12-07 23:55:00.000000

The meeting page reads a group's members, former ones included, and a person's last
membership of a group: only current memberships had an index (a partial one), so both
read the whole table (10,003 rows at the bench's `large`).

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7a3d9e1f0b26'
down_revision = '5e1c0a7b9d42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index('ix_group_members_group_id_user_id', ['group_id', 'user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_index('ix_group_members_group_id_user_id')
