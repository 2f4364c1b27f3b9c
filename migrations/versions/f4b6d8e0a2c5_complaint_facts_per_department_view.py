"""Complaint facts per department view

A department clerk's complaint charts and analysis counted the department's
complaints on each request (0.1-1.2 s at a million cases). The facts job now
keeps each department's view of the counts and customer rankings too, under
`view_key` (the department's id; "" for the company's counts).

Revision ID: f4b6d8e0a2c5
Revises: e3a5c7d9f1b4
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f4b6d8e0a2c5'
down_revision = 'e3a5c7d9f1b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaint_fact', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('view_key', sa.String(length=12), server_default='', nullable=False)
        )
        batch_op.drop_constraint('uq_complaint_fact', type_='unique')
        batch_op.create_unique_constraint(
            'uq_complaint_fact', ['view_key', 'month', 'dimension', 'key']
        )


def downgrade():
    op.execute(sa.text("DELETE FROM complaint_fact WHERE view_key <> ''"))
    with op.batch_alter_table('complaint_fact', schema=None) as batch_op:
        batch_op.drop_constraint('uq_complaint_fact', type_='unique')
        batch_op.create_unique_constraint(
            'uq_complaint_fact', ['month', 'dimension', 'key']
        )
        batch_op.drop_column('view_key')
