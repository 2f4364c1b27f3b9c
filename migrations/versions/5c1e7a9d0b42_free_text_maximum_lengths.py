"""Free text has a maximum length (CHECK length(column) <= n)

Descriptions, findings, solutions and reports 4,000 characters; notes,
comments and outcomes 2,000; a communication-log entry 10,000. The forms and
the API check the same lengths (app.models.base.BoundedText).

Revision ID: 5c1e7a9d0b42
Revises: 5c1d2e3f4a5b
Create Date: 2026-11-29 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e7a9d0b42'
down_revision = '5c1d2e3f4a5b'
branch_labels = None
depends_on = None

LIMITS = {
    'calendar_year': [('notes', 2000)],
    'customer': [('qualification', 2000), ('notes', 2000)],
    'sla_policy': [('notes', 2000)],
    'pickup': [('notes', 2000), ('assessment_note', 2000)],
    'pickup_log': [('note', 2000)],
    'settlement': [('notes', 2000)],
    'inspection': [('report', 4000)],
    'service_case': [
        ('description', 4000),
        ('expected_solution', 4000),
        ('findings', 4000),
        ('root_cause', 4000),
        ('solution', 4000),
        ('result', 4000),
        ('satisfaction_comment', 2000),
    ],
    'case_log': [('content', 10000)],
    'followup': [('outcome', 2000), ('comment', 2000)],
    'improvement_action': [
        ('problem', 4000),
        ('measure', 4000),
        ('outcome', 2000),
        ('effectiveness', 2000),
    ],
    'statement': [('confirmation_note', 2000), ('notes', 2000)],
}


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
    for table, columns in LIMITS.items():
        triggers = _triggers(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, length in columns:
                batch_op.create_check_constraint(
                    f'{column}_length', f'length({column}) <= {length}'
                )
        _recreate(triggers)


def downgrade():
    for table, columns in LIMITS.items():
        triggers = _triggers(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, _length in columns:
                batch_op.drop_constraint(f'{column}_length', type_='check')
        _recreate(triggers)
