"""Urgent cases alert earlier: the at-risk threshold setting

A case flagged urgent (紧急标识) is at risk once this share of its time is
used; existing databases get the setting with its default, editable.

Revision ID: c4e6a8b0d2f3
Revises: b27f91d24763
Create Date: 2026-11-30 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f3'
down_revision = 'b27f91d24763'
branch_labels = None
depends_on = None

KEY = "sla.urgent_at_risk_percent"


def upgrade():
    bind = op.get_bind()
    seeded = bind.execute(
        sa.text("SELECT 1 FROM app_setting WHERE key = 'sla.at_risk_percent'")
    ).first()
    taken = bind.execute(
        sa.text("SELECT 1 FROM app_setting WHERE key = :key"), {"key": KEY}
    ).first()
    if seeded is not None and taken is None:
        bind.execute(
            sa.text(
                "INSERT INTO app_setting (key, value, description) "
                "VALUES (:key, '50', :description)"
            ),
            {
                "key": KEY,
                "description": "紧急工单预警阈值：时限已用百分比（低于常规阈值时提前预警）",
            },
        )


def downgrade():
    op.get_bind().execute(
        sa.text("DELETE FROM app_setting WHERE key = :key"), {"key": KEY}
    )
