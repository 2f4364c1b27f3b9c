"""Monthly complaint reports; the cause category of a case

Seed 001 §7(一)2: the monthly analysis explains the complaints by cause and
responsibility, and CustomerService's written analysis and impact assessment
is sent to Management and the departments, then locked.

Revision ID: a200bf1e8fb2
Revises: ac5bd79f8e46
Create Date: 2026-11-30 09:08:39.495600

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a200bf1e8fb2'
down_revision = 'ac5bd79f8e46'
branch_labels = None
depends_on = None


def _triggers(table):
    """SQLite drops a table's triggers when batch mode recreates it: keep them."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return []
    return list(bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
        {'t': table},
    ).scalars())


def _recreate(triggers):
    for statement in triggers:
        op.execute(statement)


def upgrade():
    op.create_table('complaint_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('analysis', sa.Text(), nullable=False),
    sa.Column('impact', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_to', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'sent')", name='status'),
    sa.CheckConstraint('length(analysis) <= 4000', name='analysis_length'),
    sa.CheckConstraint('length(impact) <= 4000', name='impact_length'),
    sa.CheckConstraint('length(sent_to) <= 2000', name='sent_to_length'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['sent_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('month')
    )
    triggers = _triggers('service_case')
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cause', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            'cause',
            "cause IS NULL OR cause IN ('staff', 'process', 'equipment', 'quality', "
            "'scheduling', 'communication', 'customer', 'external')",
        )
    _recreate(triggers)


def downgrade():
    triggers = _triggers('service_case')
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.drop_constraint('cause', type_='check')
        batch_op.drop_column('cause')
    _recreate(triggers)

    op.drop_table('complaint_report')
