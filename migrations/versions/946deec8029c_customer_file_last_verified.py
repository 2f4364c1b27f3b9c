"""Customer file upkeep: the date the file was last verified; licence and review settings

Existing databases get the two settings with their defaults, editable.

Revision ID: 946deec8029c
Revises: b113be7fde94
Create Date: 2026-11-30 03:27:41.427917

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '946deec8029c'
down_revision = 'b113be7fde94'
branch_labels = None
depends_on = None

SETTINGS = (
    ("customer.licence_warning_days", "30", "客户资质有效期到期前该天数起提醒销售部"),
    ("customer.review_months", "12", "客户档案距上次核实超过该月数时提醒复核"),
)


def upgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_on', sa.Date(), nullable=True))

    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM app_setting")).first() is None:
        return  # an empty database: the reference seed adds them
    for key, value, description in SETTINGS:
        taken = bind.execute(
            sa.text("SELECT 1 FROM app_setting WHERE key = :key"), {"key": key}
        ).first()
        if taken is None:
            bind.execute(
                sa.text(
                    "INSERT INTO app_setting (key, value, description) "
                    "VALUES (:key, :value, :description)"
                ),
                {"key": key, "value": value, "description": description},
            )


def downgrade():
    for key, _value, _description in SETTINGS:
        op.get_bind().execute(
            sa.text("DELETE FROM app_setting WHERE key = :key"), {"key": key}
        )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('verified_on')

