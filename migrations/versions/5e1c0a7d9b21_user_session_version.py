"""User session version

Sessions and API tokens carry the user's session version; signing out,
deactivation and a password change raise it, ending them all.

Revision ID: 5e1c0a7d9b21
Revises: 1262c8b4131c
Create Date: 2026-11-29 22:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1c0a7d9b21'
down_revision = '1262c8b4131c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'session_version', sa.Integer(), server_default='0', nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
