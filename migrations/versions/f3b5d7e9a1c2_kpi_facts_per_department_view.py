"""KPI facts per department view, for department clerks and heads

A department clerk's dashboard, 12-month trend and KPI page of a month were
counted live over the clerk's scope on every request (seconds at a million
cases). `kpi_fact.view_department_id` marks the figures of what a department
sees through the department arms of the visibility rules; the clerk's own
records beyond them are counted live.

Revision ID: f3b5d7e9a1c2
Revises: e1f4a2b7c9d0
Create Date: 2026-12-01 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3b5d7e9a1c2'
down_revision = 'e1f4a2b7c9d0'
branch_labels = None
depends_on = None


def upgrade():
    # The month's activity of customers, its pickups (KPI complaint rates) and
    # its weighings (weighing accuracy): read by month, not scanned.
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.create_index('ix_case_received_at', ['received_at'], unique=False)
    with op.batch_alter_table('pickup', schema=None) as batch_op:
        batch_op.create_index('ix_pickup_received_at', ['received_at'], unique=False)
    with op.batch_alter_table('weigh_line', schema=None) as batch_op:
        batch_op.create_index('ix_weigh_line_gross_at', ['gross_at'], unique=False)
        batch_op.create_index('ix_weigh_line_tare_at', ['tare_at'], unique=False)
    with op.batch_alter_table('kpi_fact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('view_department_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_kpi_fact_view_department_id_department', 'department',
            ['view_department_id'], ['id'], ondelete='CASCADE',
        )
        batch_op.create_index('ix_kpi_fact_view', ['view_department_id', 'period', 'month'], unique=False)


def downgrade():
    with op.batch_alter_table('weigh_line', schema=None) as batch_op:
        batch_op.drop_index('ix_weigh_line_tare_at')
        batch_op.drop_index('ix_weigh_line_gross_at')
    with op.batch_alter_table('pickup', schema=None) as batch_op:
        batch_op.drop_index('ix_pickup_received_at')
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_received_at')
    with op.batch_alter_table('kpi_fact', schema=None) as batch_op:
        batch_op.drop_index('ix_kpi_fact_view')
        batch_op.drop_constraint('fk_kpi_fact_view_department_id_department', type_='foreignkey')
        batch_op.drop_column('view_department_id')
