"""Indexes serving the lists; trigram search on PostgreSQL

B-tree indexes for the scope arms ("created by me"), the case list's sorts
and quick filters (app/models/indexes.py). On PostgreSQL also the pg_trgm
extension and GIN trigram indexes for searches by a fragment (contains) of
names, phones, codes, numbers and titles; they are not in the models
(migrations/env.py leaves them out of the comparison).

Revision ID: 82cf263d19eb
Revises: a7c3e91d5b20
Create Date: 2026-11-29 23:02:00.687642

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '82cf263d19eb'
down_revision = 'a7c3e91d5b20'
branch_labels = None
depends_on = None

# Table -> columns searched by a fragment (as app.models.indexes.TRIGRAM).
TRIGRAM = {
    "customer": ("name", "code", "phone", "contact_person"),
    "service_case": ("number", "title"),
    "pickup": ("number",),
    "weigh_ticket": ("number",),
    "inspection": ("number",),
    "settlement": ("number",),
    "followup": ("number",),
}


def _postgresql():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _postgresql():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, columns in TRIGRAM.items():
            for column in columns:
                op.execute(
                    f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_trgm ON {table} "
                    f"USING gin ({column} gin_trgm_ops)"
                )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index('ix_customer_created_by', ['created_by_id'], unique=False)
        batch_op.create_index('ix_customer_sales_rep', ['sales_rep_id'], unique=False)

    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.create_index('ix_followup_created_by', ['created_by_id'], unique=False)

    with op.batch_alter_table('improvement_action', schema=None) as batch_op:
        batch_op.create_index('ix_improvement_action_created_by', ['created_by_id'], unique=False)

    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.create_index('ix_inspection_created_by', ['created_by_id'], unique=False)

    with op.batch_alter_table('overdue_task', schema=None) as batch_op:
        batch_op.create_index('ix_overdue_task_created_by', ['created_by_id'], unique=False)

    with op.batch_alter_table('pickup', schema=None) as batch_op:
        batch_op.create_index('ix_pickup_created_by', ['created_by_id'], unique=False)

    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.create_index('ix_case_kind_id', ['kind', 'id'], unique=False)
        batch_op.create_index('ix_case_owner_id_id', ['owner_id', 'id'], unique=False)
        batch_op.create_index('ix_case_resolution_due', ['resolution_due_at', 'id'], unique=False)
        batch_op.create_index('ix_case_resolution_state', ['resolution_state', 'id'], unique=False)
        batch_op.create_index('ix_case_response_due', ['response_due_at', 'id'], unique=False)
        batch_op.create_index('ix_case_response_state', ['response_state', 'id'], unique=False)
        batch_op.create_index('ix_case_severity_id', ['severity', 'id'], unique=False)
        batch_op.create_index('ix_case_status_id', ['status', 'id'], unique=False)
        batch_op.create_index('ix_service_case_created_by', ['created_by_id'], unique=False)

    with op.batch_alter_table('settlement', schema=None) as batch_op:
        batch_op.create_index('ix_settlement_created_by', ['created_by_id'], unique=False)

    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.create_index('ix_statement_created_by', ['created_by_id'], unique=False)

    with op.batch_alter_table('weigh_ticket', schema=None) as batch_op:
        batch_op.create_index('ix_weigh_ticket_created_by', ['created_by_id'], unique=False)

    # ### end Alembic commands ###


def downgrade():
    if _postgresql():
        for table, columns in TRIGRAM.items():
            for column in columns:
                op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm")
    with op.batch_alter_table('weigh_ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_weigh_ticket_created_by')

    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.drop_index('ix_statement_created_by')

    with op.batch_alter_table('settlement', schema=None) as batch_op:
        batch_op.drop_index('ix_settlement_created_by')

    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.drop_index('ix_service_case_created_by')
        batch_op.drop_index('ix_case_status_id')
        batch_op.drop_index('ix_case_severity_id')
        batch_op.drop_index('ix_case_response_state')
        batch_op.drop_index('ix_case_response_due')
        batch_op.drop_index('ix_case_resolution_state')
        batch_op.drop_index('ix_case_resolution_due')
        batch_op.drop_index('ix_case_owner_id_id')
        batch_op.drop_index('ix_case_kind_id')

    with op.batch_alter_table('pickup', schema=None) as batch_op:
        batch_op.drop_index('ix_pickup_created_by')

    with op.batch_alter_table('overdue_task', schema=None) as batch_op:
        batch_op.drop_index('ix_overdue_task_created_by')

    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index('ix_inspection_created_by')

    with op.batch_alter_table('improvement_action', schema=None) as batch_op:
        batch_op.drop_index('ix_improvement_action_created_by')

    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.drop_index('ix_followup_created_by')

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_sales_rep')
        batch_op.drop_index('ix_customer_created_by')

    # ### end Alembic commands ###
