"""Business facts kept current by a job

The business charts of the dashboard and the business statistics page
summed every weigh line and settlement of twelve months on each request
(a third of a second and more at a million cases). `business_fact` holds,
per month, the weights received and sold per material, grade and region,
the amounts settled and paid, and the price sums, recounted by the facts
job (app.services.reporting.business_facts).

Revision ID: b8d0f2a4c6e1
Revises: a7c9e1f3b5d8
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d0f2a4c6e1'
down_revision = 'a7c9e1f3b5d8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'business_fact',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('dimension', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=400), nullable=False),
        sa.Column('measure', sa.String(length=20), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint(
            'month', 'dimension', 'key', 'measure', name='uq_business_fact'
        ),
    )


def downgrade():
    op.drop_table('business_fact')
