"""Shift handover notes and their open items

Seed 003 客服运营方案 三.1: a handover note per department, day and shift,
listing the open cases and pickups, taken over by the next shift.

Revision ID: dfa8c13d64dc
Revises: a200bf1e8fb2
Create Date: 2026-11-30 12:11:02.229753

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dfa8c13d64dc'
down_revision = 'a200bf1e8fb2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('handover_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('shift_date', sa.Date(), nullable=False),
    sa.Column('shift', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('more_items', sa.Integer(), server_default='0', nullable=False),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledgement_note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("shift IN ('morning', 'day', 'evening')", name='shift'),
    sa.CheckConstraint("status IN ('open', 'acknowledged')", name='status'),
    sa.CheckConstraint('length(acknowledgement_note) <= 2000', name='acknowledgement_note_length'),
    sa.CheckConstraint('length(notes) <= 2000', name='notes_length'),
    sa.CheckConstraint('more_items >= 0', name='more_items'),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['changed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('department_id', 'shift_date', 'shift', name='uq_handover_note')
    )
    with op.batch_alter_table('handover_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handover_note_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handover_note_shift_date'), ['shift_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_handover_note_status'), ['status'], unique=False)

    op.create_table('handover_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('pickup_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('record_status', sa.String(length=20), nullable=False),
    sa.Column('clock_state', sa.String(length=20), nullable=True),
    sa.Column('remark', sa.String(length=500), nullable=True),
    sa.CheckConstraint("record_type IN ('case', 'pickup')", name='type'),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], ),
    sa.ForeignKeyConstraint(['note_id'], ['handover_note.id'], ),
    sa.ForeignKeyConstraint(['pickup_id'], ['pickup.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handover_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handover_item_note_id'), ['note_id'], unique=False)



def downgrade():
    with op.batch_alter_table('handover_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handover_item_note_id'))

    op.drop_table('handover_item')
    with op.batch_alter_table('handover_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handover_note_status'))
        batch_op.drop_index(batch_op.f('ix_handover_note_shift_date'))
        batch_op.drop_index(batch_op.f('ix_handover_note_department_id'))

    op.drop_table('handover_note')
