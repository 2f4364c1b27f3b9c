"""Monthly appraisal sheets, their KPI figures, rewards and penalties

Seed 002 §4(三)(四), 001 §8(二): one sheet per person and month (draft →
reviewed → approved and locked).

Revision ID: ac5bd79f8e46
Revises: fc8f332b25f3
Create Date: 2026-11-30 09:00:35.799804

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ac5bd79f8e46'
down_revision = 'fc8f332b25f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appraisal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('supervision_total', sa.Integer(), nullable=False),
    sa.Column('supervision_count', sa.Integer(), nullable=False),
    sa.Column('supervision_score', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('remarks', sa.Text(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approval_note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'reviewed', 'approved')", name='status'),
    sa.CheckConstraint('length(approval_note) <= 2000', name='approval_note_length'),
    sa.CheckConstraint('length(remarks) <= 2000', name='remarks_length'),
    sa.CheckConstraint('length(review_note) <= 2000', name='review_note_length'),
    sa.ForeignKeyConstraint(['approved_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['changed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'month', name='uq_appraisal_user_month')
    )
    with op.batch_alter_table('appraisal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appraisal_month'), ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_appraisal_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_appraisal_user_id'), ['user_id'], unique=False)

    op.create_table('appraisal_adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appraisal_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('commendation', 'bonus', 'warning', 'deduction')", name='kind'),
    sa.CheckConstraint('length(reason) <= 2000', name='reason_length'),
    sa.CheckConstraint('points BETWEEN 0 AND 100', name='points_range'),
    sa.ForeignKeyConstraint(['appraisal_id'], ['appraisal.id'], ),
    sa.ForeignKeyConstraint(['changed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('appraisal_adjustment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_adjustment_appraisal_id'), ['appraisal_id'], unique=False)

    op.create_table('appraisal_figure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appraisal_id', sa.Integer(), nullable=False),
    sa.Column('kpi', sa.String(length=40), nullable=False),
    sa.Column('numerator', sa.Integer(), nullable=False),
    sa.Column('denominator', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('target', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('lower_is_better', sa.Boolean(), nullable=True),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['appraisal_id'], ['appraisal.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('appraisal_id', 'kpi', name='uq_appraisal_figure')
    )
    with op.batch_alter_table('appraisal_figure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_figure_appraisal_id'), ['appraisal_id'], unique=False)



def downgrade():
    with op.batch_alter_table('appraisal_figure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_figure_appraisal_id'))

    op.drop_table('appraisal_figure')
    with op.batch_alter_table('appraisal_adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_adjustment_appraisal_id'))

    op.drop_table('appraisal_adjustment')
    with op.batch_alter_table('appraisal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_user_id'))
        batch_op.drop_index(batch_op.f('ix_appraisal_status'))
        batch_op.drop_index(batch_op.f('ix_appraisal_month'))
        batch_op.drop_index(batch_op.f('ix_appraisal_department_id'))

    op.drop_table('appraisal')
