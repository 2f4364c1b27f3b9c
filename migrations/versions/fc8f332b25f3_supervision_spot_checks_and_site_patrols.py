"""Supervision: spot checks of closed cases and site patrols of pickup crews

Seed 001 §8(一), seed 002 §4(一)2: five items scored 0-20 per spot check
(total = their sum), a 0-100 score per patrol.

Revision ID: fc8f332b25f3
Revises: fe1081cffcbb
Create Date: 2026-11-30 08:35:20.801371

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fc8f332b25f3'
down_revision = 'fe1081cffcbb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('site_patrol',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patrolled_on', sa.Date(), nullable=False),
    sa.Column('pickup_id', sa.Integer(), nullable=True),
    sa.Column('crew', sa.String(length=100), nullable=True),
    sa.Column('leader_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('length(findings) <= 4000', name='findings_length'),
    sa.CheckConstraint('score BETWEEN 0 AND 100', name='score_range'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['leader_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['pickup_id'], ['pickup.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('site_patrol', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_patrol_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_patrol_leader_id'), ['leader_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_patrol_patrolled_on'), ['patrolled_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_patrol_pickup_id'), ['pickup_id'], unique=False)

    op.create_table('spot_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('handler_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('timeliness_score', sa.Integer(), nullable=False),
    sa.Column('process_score', sa.Integer(), nullable=False),
    sa.Column('solution_score', sa.Integer(), nullable=False),
    sa.Column('satisfaction_score', sa.Integer(), nullable=False),
    sa.Column('records_score', sa.Integer(), nullable=False),
    sa.Column('total_score', sa.Integer(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('length(findings) <= 4000', name='findings_length'),
    sa.CheckConstraint('process_score BETWEEN 0 AND 20', name='process_score_range'),
    sa.CheckConstraint('records_score BETWEEN 0 AND 20', name='records_score_range'),
    sa.CheckConstraint('satisfaction_score BETWEEN 0 AND 20', name='satisfaction_score_range'),
    sa.CheckConstraint('solution_score BETWEEN 0 AND 20', name='solution_score_range'),
    sa.CheckConstraint('timeliness_score BETWEEN 0 AND 20', name='timeliness_score_range'),
    sa.CheckConstraint('total_score BETWEEN 0 AND 100', name='total_range'),
    sa.ForeignKeyConstraint(['case_id'], ['service_case.id'], ),
    sa.ForeignKeyConstraint(['changed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['handler_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('spot_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spot_check_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_spot_check_checked_on'), ['checked_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_spot_check_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_spot_check_handler_id'), ['handler_id'], unique=False)



def downgrade():
    with op.batch_alter_table('spot_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spot_check_handler_id'))
        batch_op.drop_index(batch_op.f('ix_spot_check_department_id'))
        batch_op.drop_index(batch_op.f('ix_spot_check_checked_on'))
        batch_op.drop_index(batch_op.f('ix_spot_check_case_id'))

    op.drop_table('spot_check')
    with op.batch_alter_table('site_patrol', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_patrol_pickup_id'))
        batch_op.drop_index(batch_op.f('ix_site_patrol_patrolled_on'))
        batch_op.drop_index(batch_op.f('ix_site_patrol_leader_id'))
        batch_op.drop_index(batch_op.f('ix_site_patrol_department_id'))

    op.drop_table('site_patrol')
