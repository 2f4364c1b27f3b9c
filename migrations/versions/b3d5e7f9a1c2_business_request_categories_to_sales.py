"""Business-request categories routed to Sales

Order declaration (订单申报), qualification review (资质审核) and payment
terms (账期) are Sales' business (seed 000 §2); existing databases get the
three categories, each editable afterwards like any category.

Revision ID: b3d5e7f9a1c2
Revises: 9d4e6f1a2b3c
Create Date: 2026-11-30 02:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d5e7f9a1c2'
down_revision = '9d4e6f1a2b3c'
branch_labels = None
depends_on = None

CATEGORIES = [
    ("order_declaration", "订单申报", "consulting"),
    ("qualification", "资质审核", "onboarding"),
    ("payment_terms", "账期", "settlement"),
]


def upgrade():
    bind = op.get_bind()
    sales = bind.execute(
        sa.text("SELECT id FROM department WHERE code = 'sales'")
    ).scalar()
    if sales is None:
        # An empty database: `flask reference seed` adds them with the rest.
        return
    for code, name, stage in CATEGORIES:
        taken = bind.execute(
            sa.text(
                "SELECT 1 FROM case_category WHERE code = :code OR name = :name"
            ),
            {"code": code, "name": name},
        ).first()
        if taken is None:
            bind.execute(
                sa.text(
                    "INSERT INTO case_category "
                    "(code, name, default_department_id, default_stage, active) "
                    "VALUES (:code, :name, :sales, :stage, :active)"
                ),
                {
                    "code": code,
                    "name": name,
                    "sales": sales,
                    "stage": stage,
                    "active": True,
                },
            )


def downgrade():
    bind = op.get_bind()
    for code, _name, _stage in CATEGORIES:
        bind.execute(
            sa.text(
                "DELETE FROM case_category WHERE code = :code AND NOT EXISTS "
                "(SELECT 1 FROM service_case WHERE service_case.category_id = case_category.id)"
            ),
            {"code": code},
        )
