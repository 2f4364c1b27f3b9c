"""Follow-up indexes: result case (foreign key), pickup partial, no status index

Deleting a case looked for the visits whose outcome it is without an index
(a scan of the follow-ups): ix_followup_result_case, on the rows that have
one. The pickup index holds only the visits of a pickup, so generating case
and partner visits does not write it. The status index goes: the open
statuses are served by ix_followup_open_risk (partial on them), the others
are most of the table.

Revision ID: d8e1f3a5b7c9
Revises: ad46f738b5a6
Create Date: 2026-11-30 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd8e1f3a5b7c9'
down_revision = 'ad46f738b5a6'
branch_labels = None
depends_on = None

HAS_PICKUP = sa.text("pickup_id IS NOT NULL")
HAS_RESULT_CASE = sa.text("result_case_id IS NOT NULL")


def upgrade():
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.drop_index('ix_followup_status')
        batch_op.drop_index('ix_followup_pickup_id')
        batch_op.create_index(
            'ix_followup_pickup_id',
            ['pickup_id'],
            unique=False,
            postgresql_where=HAS_PICKUP,
            sqlite_where=HAS_PICKUP,
        )
        batch_op.create_index(
            'ix_followup_result_case',
            ['result_case_id'],
            unique=False,
            postgresql_where=HAS_RESULT_CASE,
            sqlite_where=HAS_RESULT_CASE,
        )


def downgrade():
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_followup_result_case',
            postgresql_where=HAS_RESULT_CASE,
            sqlite_where=HAS_RESULT_CASE,
        )
        batch_op.drop_index(
            'ix_followup_pickup_id', postgresql_where=HAS_PICKUP, sqlite_where=HAS_PICKUP
        )
        batch_op.create_index('ix_followup_pickup_id', ['pickup_id'], unique=False)
        batch_op.create_index('ix_followup_status', ['status'], unique=False)
