"""Supervision channels route their cases to a department

Seed 001 §8(一): a supervision hotline and mailbox (监督电话/监督邮箱) whose
cases go to Management. A channel may name the department its cases go to;
existing databases get the two channels, editable afterwards like any channel.

Revision ID: 638a5589eb8c
Revises: 458e04baed1a
Create Date: 2026-11-30 08:34:25.187928

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '638a5589eb8c'
down_revision = '458e04baed1a'
branch_labels = None
depends_on = None

CHANNELS = [
    ("supervision_phone", "监督电话"),
    ("supervision_email", "监督邮箱"),
]


def upgrade():
    with op.batch_alter_table('channel', schema=None) as batch_op:
        batch_op.add_column(sa.Column('route_department_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_channel_route_department', 'department', ['route_department_id'], ['id']
        )
    bind = op.get_bind()
    management = bind.execute(
        sa.text("SELECT id FROM department WHERE code = 'mgmt'")
    ).scalar()
    if management is None:
        # An empty database: `flask reference seed` adds them with the rest.
        return
    for code, name in CHANNELS:
        taken = bind.execute(
            sa.text("SELECT 1 FROM channel WHERE code = :code OR name = :name"),
            {"code": code, "name": name},
        ).first()
        if taken is None:
            bind.execute(
                sa.text(
                    "INSERT INTO channel (code, name, route_department_id) "
                    "VALUES (:code, :name, :department)"
                ),
                {"code": code, "name": name, "department": management},
            )


def downgrade():
    bind = op.get_bind()
    for code, _name in CHANNELS:
        bind.execute(
            sa.text(
                "DELETE FROM channel WHERE code = :code AND NOT EXISTS "
                "(SELECT 1 FROM service_case WHERE service_case.channel_id = channel.id)"
            ),
            {"code": code},
        )
    with op.batch_alter_table('channel', schema=None) as batch_op:
        batch_op.drop_constraint('fk_channel_route_department', type_='foreignkey')
        batch_op.drop_column('route_department_id')
