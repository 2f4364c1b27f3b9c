"""User lockout

`locked_at` marks an account locked after repeated failed sign-ins; only an
admin clears it.

Revision ID: 8c3f2e6a1d47
Revises: 82cf263d19eb
Create Date: 2026-11-29 23:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8c3f2e6a1d47'
down_revision = '82cf263d19eb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_at', sa.DateTime(timezone=True)))


def downgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('locked_at')
