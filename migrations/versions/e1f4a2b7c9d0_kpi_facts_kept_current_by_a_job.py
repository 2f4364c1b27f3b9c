"""KPI and complaint facts kept current by a job, for the dashboard and the KPI page

The dashboard's 12-month trend and the KPI page of a month, quarter or year
computed every figure from the raw records on each request (seconds at a
million cases). `kpi_fact` holds the figures per period and scope (company,
department, staff member), `complaint_fact` the month's complaints per value
of each breakdown, both recomputed by the facts job.

Revision ID: e1f4a2b7c9d0
Revises: c5a7e9b1d3f2
Create Date: 2026-12-01 03:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1f4a2b7c9d0'
down_revision = 'c5a7e9b1d3f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'kpi_fact',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('kpi', sa.String(length=40), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('category_id', sa.Integer(), nullable=True),
        sa.Column('scope_key', sa.String(length=80), nullable=False),
        sa.Column('numerator', sa.BigInteger(), nullable=False),
        sa.Column('denominator', sa.BigInteger(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('denominator >= 0 AND numerator >= 0', name='counts'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['category_id'], ['case_category.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('scope_key', name='uq_kpi_fact'),
    )
    with op.batch_alter_table('kpi_fact', schema=None) as batch_op:
        batch_op.create_index('ix_kpi_fact_period', ['period', 'month', 'department_id', 'user_id'], unique=False)
    op.create_table(
        'complaint_fact',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('dimension', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('complaints', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('complaints >= 0', name='complaints'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('month', 'dimension', 'key', name='uq_complaint_fact'),
    )


def downgrade():
    op.drop_table('complaint_fact')
    with op.batch_alter_table('kpi_fact', schema=None) as batch_op:
        batch_op.drop_index('ix_kpi_fact_period')
    op.drop_table('kpi_fact')
