"""Service-standard changes proposed by admins and approved by Management;
SLA policy versions in force from a date (seed 000 §2(六)1).

Revision ID: 6698acefe5cd
Revises: 638a5589eb8c
Create Date: 2026-11-30 08:36:08.692802

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "6698acefe5cd"
down_revision = "638a5589eb8c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "standard_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("applies_to_open", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("in_force_from", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("action IN ('change', 'add')", name="action"),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'effective')", name="status"
        ),
        sa.CheckConstraint(
            "subject IN ('sla_policy', 'kpi_target', 'followup_rule', 'setting')",
            name="subject",
        ),
        sa.CheckConstraint(
            "length(decision_note) <= 2000", name="decision_note_length"
        ),
        sa.CheckConstraint("length(reason) <= 2000", name="reason_length"),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["ab_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["ab_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("standard_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_standard_change_status"), ["status"], unique=False
        )

    with op.batch_alter_table("sla_policy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("covers_open", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint("uq_sla_match", type_="unique")
        batch_op.create_unique_constraint(
            "uq_sla_match",
            ["kind", "severity", "customer_type_id", "customer_grade_id", "valid_from"],
        )


def downgrade():
    with op.batch_alter_table("sla_policy", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sla_match", type_="unique")
        batch_op.create_unique_constraint(
            "uq_sla_match",
            ["kind", "severity", "customer_type_id", "customer_grade_id"],
        )
        batch_op.drop_column("covers_open")
        batch_op.drop_column("valid_to")
        batch_op.drop_column("valid_from")

    with op.batch_alter_table("standard_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_standard_change_status"))

    op.drop_table("standard_change")
