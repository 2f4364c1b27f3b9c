"""Emergency plans, incident types and post-incident reviews

Seed 002 §6 应急处理: incident types as reference data, a versioned emergency
plan per type with its responsible people (one version in force), an
incident case's type and the plan it followed, and the post-incident review.

Revision ID: 998521878a5a
Revises: dfa8c13d64dc
Create Date: 2026-11-30 12:10:27.982975

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '998521878a5a'
down_revision = 'dfa8c13d64dc'
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
    op.create_table('incident_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('length(description) <= 2000', name='description_length'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('name')
    )
    op.create_table('emergency_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_type_id', sa.Integer(), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('procedure', sa.Text(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('in_force_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('put_in_force_by_id', sa.Integer(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'in_force', 'superseded')", name='status'),
    sa.CheckConstraint('length(procedure) <= 4000', name='procedure_length'),
    sa.CheckConstraint('version_no >= 1', name='version_no'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['incident_type_id'], ['incident_type.id'], ),
    sa.ForeignKeyConstraint(['put_in_force_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_type_id', 'version_no', name='uq_emergency_plan_version')
    )
    with op.batch_alter_table('emergency_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emergency_plan_incident_type_id'), ['incident_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_emergency_plan_status'), ['status'], unique=False)
        batch_op.create_index('uq_emergency_plan_in_force', ['incident_type_id'], unique=True, postgresql_where=sa.text("status = 'in_force'"), sqlite_where=sa.text("status = 'in_force'"))

    op.create_table('emergency_plan_responsible',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('duty', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['emergency_plan.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'person_id', name='uq_plan_responsible')
    )
    with op.batch_alter_table('emergency_plan_responsible', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emergency_plan_responsible_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_emergency_plan_responsible_plan_id'), ['plan_id'], unique=False)

    op.create_table('incident_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('causes', sa.Text(), nullable=False),
    sa.Column('lessons', sa.Text(), nullable=False),
    sa.Column('needs_revision', sa.Boolean(), nullable=False),
    sa.Column('proposed_changes', sa.Text(), nullable=True),
    sa.Column('revision_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('length(causes) <= 4000', name='causes_length'),
    sa.CheckConstraint('length(lessons) <= 4000', name='lessons_length'),
    sa.CheckConstraint('length(proposed_changes) <= 2000', name='proposed_changes_length'),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], ),
    sa.ForeignKeyConstraint(['changed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['emergency_plan.id'], ),
    sa.ForeignKeyConstraint(['revision_id'], ['emergency_plan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id')
    )
    with op.batch_alter_table('incident_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_review_department_id'), ['department_id'], unique=False)

    triggers = _triggers('service_case')
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_type_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('emergency_plan_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_service_case_emergency_plan', 'emergency_plan', ['emergency_plan_id'], ['id']
        )
        batch_op.create_foreign_key(
            'fk_service_case_incident_type', 'incident_type', ['incident_type_id'], ['id']
        )
    _recreate(triggers)
    op.create_index(
        'ix_service_case_emergency_plan_id', 'service_case', ['emergency_plan_id']
    )


def downgrade():
    op.drop_index('ix_service_case_emergency_plan_id', table_name='service_case')
    triggers = _triggers('service_case')
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.drop_constraint('fk_service_case_emergency_plan', type_='foreignkey')
        batch_op.drop_constraint('fk_service_case_incident_type', type_='foreignkey')
        batch_op.drop_column('emergency_plan_id')
        batch_op.drop_column('incident_type_id')
    _recreate(triggers)

    with op.batch_alter_table('incident_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_review_department_id'))

    op.drop_table('incident_review')
    with op.batch_alter_table('emergency_plan_responsible', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emergency_plan_responsible_plan_id'))
        batch_op.drop_index(batch_op.f('ix_emergency_plan_responsible_person_id'))

    op.drop_table('emergency_plan_responsible')
    with op.batch_alter_table('emergency_plan', schema=None) as batch_op:
        batch_op.drop_index('uq_emergency_plan_in_force', postgresql_where=sa.text("status = 'in_force'"), sqlite_where=sa.text("status = 'in_force'"))
        batch_op.drop_index(batch_op.f('ix_emergency_plan_status'))
        batch_op.drop_index(batch_op.f('ix_emergency_plan_incident_type_id'))

    op.drop_table('emergency_plan')
    op.drop_table('incident_type')
