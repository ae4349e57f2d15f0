"""audit entries name the email they are about

Revision ID: 5e1c0a7b9d42
Revises: 06273345a49d
Create Date: 2026-12-03 18:10:00.000000

A nudge's audit entry carries the nudge's outbox key, so a recruit's timeline can say
"not sent" for a nudge cancelled before it went (the entry itself never changes).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1c0a7b9d42'
down_revision = '06273345a49d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_key', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('email_key')
