"""Clocks follow their dependencies: withdrawn alerts, recomputation indexes

Alerts made stale by a recomputed deadline are kept and marked withdrawn;
only live alerts are unique. Partial indexes let a recomputation find the
open clocks a calendar or policy change can move.

Revision ID: a7c3e91d5b20
Revises: 5c1e7a9d0b42
Create Date: 2026-11-29 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e91d5b20'
down_revision = '5c1e7a9d0b42'
branch_labels = None
depends_on = None

KEYS = ['record_type', 'record_id', 'clock', 'level', 'cycle']
LIVE = sa.text('withdrawn_at IS NULL')
OPEN_CASE = sa.text("status NOT IN ('closed', 'cancelled')")
WAITING_CASE = sa.text(
    "status NOT IN ('closed', 'cancelled') AND (response_state = 'unknown' "
    "OR resolution_state = 'unknown' OR paused_since IS NOT NULL)"
)
OPEN_PICKUP = sa.text("status NOT IN ('closed', 'cancelled')")
WAITING_PICKUP = sa.text(
    "status NOT IN ('closed', 'cancelled') AND confirm_state = 'unknown'"
)
CASE_INDEXES = (
    ('ix_case_open_response_due', ['response_due_at'], OPEN_CASE),
    ('ix_case_open_resolution_due', ['resolution_due_at'], OPEN_CASE),
    ('ix_case_open_kind_severity', ['kind', 'severity'], OPEN_CASE),
    ('ix_case_open_waiting', ['id'], WAITING_CASE),
)
PICKUP_INDEXES = (
    ('ix_pickup_open_confirm_due', ['confirm_due_at'], OPEN_PICKUP),
    ('ix_pickup_waiting', ['id'], WAITING_PICKUP),
)


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.drop_constraint('uq_alert_once', type_='unique')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(
            'uq_alert_once',
            KEYS,
            unique=True,
            postgresql_where=LIVE,
            sqlite_where=LIVE,
        )
    for table, indexes in (('service_case', CASE_INDEXES), ('pickup', PICKUP_INDEXES)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, columns, where in indexes:
                batch_op.create_index(
                    name,
                    columns,
                    unique=False,
                    postgresql_where=where,
                    sqlite_where=where,
                )


def downgrade():
    for table, indexes in (('service_case', CASE_INDEXES), ('pickup', PICKUP_INDEXES)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _columns, where in indexes:
                batch_op.drop_index(
                    name, postgresql_where=where, sqlite_where=where
                )
    op.execute('DELETE FROM notification_recipient WHERE notification_id IN '
               '(SELECT id FROM notification WHERE withdrawn_at IS NOT NULL)')
    op.execute('DELETE FROM notification WHERE withdrawn_at IS NOT NULL')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('uq_alert_once', postgresql_where=LIVE, sqlite_where=LIVE)
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_alert_once', KEYS)
        batch_op.drop_column('withdrawn_at')
