"""accountability partners

Revision ID: b4a5624d21c3
Revises: c41d7e2a9f30
Create Date: 2026-12-02 15:02:49.501549

Partnerships (a request, then the two partners), the versions of their agreement, the
check-ins with their replies, the answers to "renew?", the addresses that asked not to
be invited again, and each person's partner email preferences.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4a5624d21c3'
down_revision = 'c41d7e2a9f30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_opt_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_opt_outs')),
    sa.UniqueConstraint('email', name=op.f('uq_email_opt_outs_email'))
    )
    op.create_table('partnerships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asker_id', sa.Integer(), nullable=False),
    sa.Column('asked_id', sa.Integer(), nullable=True),
    sa.Column('invite_email', sa.String(length=254), nullable=True),
    sa.Column('invite_token', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('term_started_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('end_note', sa.Text(), server_default='', nullable=False),
    sa.CheckConstraint("status IN ('proposed', 'active', 'declined', 'withdrawn', 'ended')", name=op.f('ck_partnerships_status_known')),
    sa.CheckConstraint('asked_id IS NOT NULL OR invite_email IS NOT NULL', name=op.f('ck_partnerships_someone_asked')),
    sa.CheckConstraint('asked_id IS NULL OR asked_id <> asker_id', name=op.f('ck_partnerships_not_own_partner')),
    sa.ForeignKeyConstraint(['asked_id'], ['users.id'], name=op.f('fk_partnerships_asked_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['asker_id'], ['users.id'], name=op.f('fk_partnerships_asker_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_partnerships_ended_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnerships')),
    sa.UniqueConstraint('invite_token', name=op.f('uq_partnerships_invite_token'))
    )
    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.create_index('ix_partnerships_asked_id_status', ['asked_id', 'status'], unique=False)
        batch_op.create_index('ix_partnerships_asker_id_status', ['asker_id', 'status'], unique=False)

    op.create_table('partner_agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('rules', sa.Text(), nullable=False),
    sa.Column('cadence', sa.String(length=20), nullable=False),
    sa.Column('weekdays', sa.String(length=20), server_default='', nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('asker_handle', sa.String(length=100), server_default='', nullable=False),
    sa.Column('asked_handle', sa.String(length=100), server_default='', nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('effective_on', sa.Date(), nullable=True),
    sa.CheckConstraint("cadence IN ('daily', 'every_other_day', 'weekly', 'weekdays')", name=op.f('ck_partner_agreements_cadence_known')),
    sa.CheckConstraint("channel IN ('text', 'email', 'phone', 'video', 'facebook', 'in_person', 'other')", name=op.f('ck_partner_agreements_channel_known')),
    sa.CheckConstraint("status IN ('proposed', 'accepted', 'replaced', 'declined')", name=op.f('ck_partner_agreements_status_known')),
    sa.CheckConstraint('term_months BETWEEN 1 AND 12', name=op.f('ck_partner_agreements_term_in_range')),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], name=op.f('fk_partner_agreements_partnership_id_partnerships'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_partner_agreements_proposed_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_agreements')),
    sa.UniqueConstraint('partnership_id', 'version', name='uq_partner_agreements_version')
    )
    with op.batch_alter_table('partner_agreements', schema=None) as batch_op:
        batch_op.create_index('ix_partner_agreements_one_proposed', ['partnership_id'], unique=True, sqlite_where=sa.text("status = 'proposed'"), postgresql_where=sa.text("status = 'proposed'"))

    op.create_table('partner_check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('said', sa.Text(), nullable=False),
    sa.Column('did', sa.String(length=10), nullable=False),
    sa.Column('next', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("did IN ('yes', 'partly', 'no')", name=op.f('ck_partner_check_ins_did_known')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_partner_check_ins_author_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], name=op.f('fk_partner_check_ins_partnership_id_partnerships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_check_ins')),
    sa.UniqueConstraint('partnership_id', 'author_id', 'day', name='uq_partner_check_ins_day')
    )
    op.create_table('partner_renewals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('renew', sa.Boolean(), nullable=False),
    sa.Column('how_it_went', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], name=op.f('fk_partner_renewals_partnership_id_partnerships'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_partner_renewals_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_renewals')),
    sa.UniqueConstraint('partnership_id', 'user_id', 'ends_on', name='uq_partner_renewals_answer')
    )
    op.create_table('partner_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_in_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_partner_replies_author_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['check_in_id'], ['partner_check_ins.id'], name=op.f('fk_partner_replies_check_in_id_partner_check_ins'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_replies'))
    )
    with op.batch_alter_table('partner_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_replies_check_in_id'), ['check_in_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_partner_reminders', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('partner_reminder_minute', sa.Integer(), server_default='540', nullable=False))
        batch_op.add_column(sa.Column('email_on_partner_check_in', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('email_on_partner_request', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('email_on_partner_renewal', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_check_constraint(op.f('ck_users_partner_reminder_minute_in_range'), 'partner_reminder_minute BETWEEN 0 AND 1439')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_partner_reminder_minute_in_range'), type_='check')
        batch_op.drop_column('email_on_partner_renewal')
        batch_op.drop_column('email_on_partner_request')
        batch_op.drop_column('email_on_partner_check_in')
        batch_op.drop_column('partner_reminder_minute')
        batch_op.drop_column('email_partner_reminders')

    with op.batch_alter_table('partner_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_replies_check_in_id'))

    op.drop_table('partner_replies')
    op.drop_table('partner_renewals')
    op.drop_table('partner_check_ins')
    with op.batch_alter_table('partner_agreements', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_agreements_one_proposed', sqlite_where=sa.text("status = 'proposed'"), postgresql_where=sa.text("status = 'proposed'"))

    op.drop_table('partner_agreements')
    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.drop_index('ix_partnerships_asker_id_status')
        batch_op.drop_index('ix_partnerships_asked_id_status')

    op.drop_table('partnerships')
    op.drop_table('email_opt_outs')
