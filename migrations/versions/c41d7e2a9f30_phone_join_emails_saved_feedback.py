"""a phone number, join emails, saved feedback

Revision ID: c41d7e2a9f30
Revises: b650371e37c8
Create Date: 2026-12-02 03:10:00

Reaching out (an optional phone number for tap-to-call and text), the sponsor's choice
of an email when someone joins through their invite link, and a sponsor's reusable
feedback lines for reviews.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41d7e2a9f30'
down_revision = 'b650371e37c8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_on_join', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('phone', sa.String(length=40), server_default='', nullable=False))

    op.create_table('feedback_snippets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(text) BETWEEN 1 AND 2000', name=op.f('ck_feedback_snippets_text_length_in_range')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_feedback_snippets_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_snippets'))
    )
    with op.batch_alter_table('feedback_snippets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_snippets_owner_id'), ['owner_id'], unique=False)


def downgrade():
    with op.batch_alter_table('feedback_snippets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_snippets_owner_id'))
    op.drop_table('feedback_snippets')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone')
        batch_op.drop_column('email_on_join')
