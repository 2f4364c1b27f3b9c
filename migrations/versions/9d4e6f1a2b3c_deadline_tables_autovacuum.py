"""Autovacuum of the deadline check's tables after 2 % of their rows changed

The deadline check moves the next look (`next_check_at`) of every record it
handles; the old entries of the partial next-look index stay, dead, until a
VACUUM removes them, and an idle check reads them. PostgreSQL's default
autovacuum waits until 20 % of a table changed (200 000 rows of 1 M cases);
these tables are vacuumed after 2 % (plus 1 000 rows). PostgreSQL only.

Revision ID: 9d4e6f1a2b3c
Revises: 3ffb1504f77f
Create Date: 2026-11-30 02:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9d4e6f1a2b3c'
down_revision = '3ffb1504f77f'
branch_labels = None
depends_on = None

TABLES = ('service_case', 'pickup', 'followup', 'improvement_action', 'settlement')


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(
            f'ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0.02, '
            'autovacuum_vacuum_threshold = 1000)'
        )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(
            f'ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor, '
            'autovacuum_vacuum_threshold)'
        )
