"""Complaint register keyset index

The register export pages complaints by (received_at, id); this partial index
serves both the order and the keyset condition.

Revision ID: 2bfd9c131910
Revises: ed9a704334e9
Create Date: 2026-11-29 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2bfd9c131910'
down_revision = 'ed9a704334e9'
branch_labels = None
depends_on = None

COMPLAINT = sa.text("kind = 'complaint'")


def upgrade():
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.create_index(
            'ix_case_complaint_received',
            ['received_at', 'id'],
            unique=False,
            postgresql_where=COMPLAINT,
            sqlite_where=COMPLAINT,
        )


def downgrade():
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_case_complaint_received',
            postgresql_where=COMPLAINT,
            sqlite_where=COMPLAINT,
        )
