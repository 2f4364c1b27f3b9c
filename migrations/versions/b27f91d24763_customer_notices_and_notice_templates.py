"""Customer notices and their templates; the crew's departure on a pickup

Every message to a customer (e-mail or a call task for the clerk) and the
admin-edited template of each event; a pickup records when its crew set off;
the pickup log knows the steps "depart" and "notice".

Revision ID: b27f91d24763
Revises: b3d5e7f9a1c2
Create Date: 2026-11-30 02:12:55.482112

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b27f91d24763'
down_revision = 'b3d5e7f9a1c2'
branch_labels = None
depends_on = None

STEPS = (
    "'schedule', 'reschedule', 'arrive', 'assess', 'collect', 'weigh', "
    "'inspect', 'settle', 'close', 'cancel', 'unsettle'"
)


def _pickup_log_steps(steps):
    with op.batch_alter_table('pickup_log', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('step', type_='check')
        batch_op.create_check_constraint('step', f'step IN ({steps})')


def _triggers(table):
    """SQLite drops a table's triggers when batch mode recreates it: keep them."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return []
    return list(bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
        {'t': table},
    ).scalars())


def _recreate(triggers):
    for statement in triggers:
        op.execute(statement)


def upgrade():
    op.create_table('notice_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=30), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("event IN ('case_accepted', 'case_assigned', 'case_result', 'case_closed', 'pickup_confirmed', 'pickup_on_way', 'inspection_result', 'settlement_paid')", name='event'),
    sa.CheckConstraint('length(body) <= 4000', name='body_length'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event')
    )
    op.create_table('customer_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=30), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('pickup_id', sa.Integer(), nullable=True),
    sa.Column('settlement_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('call_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("channel IN ('email', 'call')", name='channel'),
    sa.CheckConstraint("event IN ('case_accepted', 'case_assigned', 'case_result', 'case_closed', 'pickup_confirmed', 'pickup_on_way', 'inspection_result', 'settlement_paid')", name='event'),
    sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'to_call', 'called')", name='status'),
    sa.CheckConstraint('length(call_note) <= 2000', name='call_note_length'),
    sa.ForeignKeyConstraint(['assignee_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], ),
    sa.ForeignKeyConstraint(['changed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['pickup_id'], ['pickup.id'], ),
    sa.ForeignKeyConstraint(['settlement_id'], ['settlement.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_notice_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_notice_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_notice_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_notice_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_notice_pickup_id'), ['pickup_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_notice_settlement_id'), ['settlement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_notice_status'), ['status'], unique=False)
        batch_op.create_index('ix_notice_queued', ['id'], unique=False, postgresql_where=sa.text("status = 'queued'"), sqlite_where=sa.text("status = 'queued'"))

    with op.batch_alter_table('pickup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('departed_at', sa.DateTime(timezone=True), nullable=True))

    _pickup_log_steps(STEPS + ", 'depart', 'notice'")


def downgrade():
    op.execute("DELETE FROM pickup_log WHERE step IN ('depart', 'notice')")
    _pickup_log_steps(STEPS)
    triggers = _triggers('pickup')
    with op.batch_alter_table('pickup', schema=None) as batch_op:
        batch_op.drop_column('departed_at')
    _recreate(triggers)

    with op.batch_alter_table('customer_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_queued', postgresql_where=sa.text("status = 'queued'"), sqlite_where=sa.text("status = 'queued'"))
        batch_op.drop_index(batch_op.f('ix_customer_notice_status'))
        batch_op.drop_index(batch_op.f('ix_customer_notice_settlement_id'))
        batch_op.drop_index(batch_op.f('ix_customer_notice_pickup_id'))
        batch_op.drop_index(batch_op.f('ix_customer_notice_department_id'))
        batch_op.drop_index(batch_op.f('ix_customer_notice_customer_id'))
        batch_op.drop_index(batch_op.f('ix_customer_notice_case_id'))
        batch_op.drop_index(batch_op.f('ix_customer_notice_assignee_id'))

    op.drop_table('customer_notice')
    op.drop_table('notice_template')
