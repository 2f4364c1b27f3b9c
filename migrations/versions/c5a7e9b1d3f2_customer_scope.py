"""Which departments see a customer through its cases and pickups, kept by triggers

The customer visibility rule read every case and pickup of a clerk's
department on each page of the customer list (hundreds of thousands of rows
at a million cases). `customer_scope` holds, per (department, customer), the
number of the customer's cases routed to the department and pickups the
department sees; triggers on service_case and pickup keep it on every path.
The SQL is that of app.security.customer_scope (trigger_sql, rebuild_sql) at
this revision.

Note for later migrations: a SQLite batch_alter_table that recreates
service_case or pickup drops these triggers; re-create them after it.

Revision ID: c5a7e9b1d3f2
Revises: 998521878a5a
Create Date: 2026-11-30 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5a7e9b1d3f2'
down_revision = '998521878a5a'
branch_labels = None
depends_on = None

POSTGRESQL = ['CREATE OR REPLACE FUNCTION service_case_customer_scope() RETURNS trigger LANGUAGE plpgsql AS $$ '
 "BEGIN IF TG_OP = 'UPDATE' AND ROW(NEW.customer_id, NEW.department_id) IS NOT DISTINCT FROM "
 "ROW(OLD.customer_id, OLD.department_id) THEN RETURN NULL; END IF; IF TG_OP IN ('UPDATE', "
 "'DELETE') THEN UPDATE customer_scope SET records = records - 1 WHERE customer_id = "
 'OLD.customer_id AND department_id IN (SELECT d.id FROM department d WHERE d.id = '
 'OLD.department_id); DELETE FROM customer_scope WHERE customer_id = OLD.customer_id AND records '
 "<= 0; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO customer_scope (department_id, "
 'customer_id, records) SELECT d.id, NEW.customer_id, 1 FROM department d WHERE NEW.customer_id IS '
 'NOT NULL AND (d.id = NEW.department_id) ON CONFLICT (department_id, customer_id) DO UPDATE SET '
 'records = customer_scope.records + 1; END IF; RETURN NULL; END $$',
 'CREATE TRIGGER service_case_customer_scope AFTER INSERT OR DELETE OR UPDATE OF customer_id, '
 'department_id ON service_case FOR EACH ROW EXECUTE FUNCTION service_case_customer_scope()',
 'CREATE OR REPLACE FUNCTION pickup_customer_scope() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
 "IF TG_OP = 'UPDATE' AND ROW(NEW.customer_id, NEW.department_id, NEW.status) IS NOT DISTINCT FROM "
 'ROW(OLD.customer_id, OLD.department_id, OLD.status) THEN RETURN NULL; END IF; IF TG_OP IN '
 "('UPDATE', 'DELETE') THEN UPDATE customer_scope SET records = records - 1 WHERE customer_id = "
 'OLD.customer_id AND department_id IN (SELECT d.id FROM department d WHERE d.id = '
 "OLD.department_id OR (d.code = 'warehouse' AND OLD.status IN ('collected', 'weighed', "
 "'inspected', 'settled', 'closed')) OR (d.code = 'qc' AND OLD.status IN ('weighed', 'inspected', "
 "'settled', 'closed')) OR (d.code = 'finance' AND OLD.status IN ('inspected', 'settled', "
 "'closed'))); DELETE FROM customer_scope WHERE customer_id = OLD.customer_id AND records <= 0; "
 "END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO customer_scope (department_id, "
 'customer_id, records) SELECT d.id, NEW.customer_id, 1 FROM department d WHERE NEW.customer_id IS '
 "NOT NULL AND (d.id = NEW.department_id OR (d.code = 'warehouse' AND NEW.status IN ('collected', "
 "'weighed', 'inspected', 'settled', 'closed')) OR (d.code = 'qc' AND NEW.status IN ('weighed', "
 "'inspected', 'settled', 'closed')) OR (d.code = 'finance' AND NEW.status IN ('inspected', "
 "'settled', 'closed'))) ON CONFLICT (department_id, customer_id) DO UPDATE SET records = "
 'customer_scope.records + 1; END IF; RETURN NULL; END $$',
 'CREATE TRIGGER pickup_customer_scope AFTER INSERT OR DELETE OR UPDATE OF customer_id, '
 'department_id, status ON pickup FOR EACH ROW EXECUTE FUNCTION pickup_customer_scope()']
SQLITE = ['CREATE TRIGGER service_case_customer_scope_insert AFTER INSERT ON service_case FOR EACH ROW '
 'BEGIN INSERT INTO customer_scope (department_id, customer_id, records) SELECT d.id, '
 'NEW.customer_id, 1 FROM department d WHERE NEW.customer_id IS NOT NULL AND (d.id = '
 'NEW.department_id) ON CONFLICT (department_id, customer_id) DO UPDATE SET records = '
 'customer_scope.records + 1; END',
 'CREATE TRIGGER service_case_customer_scope_update AFTER UPDATE OF customer_id, department_id ON '
 'service_case FOR EACH ROW WHEN NEW.customer_id IS NOT OLD.customer_id OR NEW.department_id IS '
 'NOT OLD.department_id BEGIN UPDATE customer_scope SET records = records - 1 WHERE customer_id = '
 'OLD.customer_id AND department_id IN (SELECT d.id FROM department d WHERE d.id = '
 'OLD.department_id); DELETE FROM customer_scope WHERE customer_id = OLD.customer_id AND records '
 '<= 0; INSERT INTO customer_scope (department_id, customer_id, records) SELECT d.id, '
 'NEW.customer_id, 1 FROM department d WHERE NEW.customer_id IS NOT NULL AND (d.id = '
 'NEW.department_id) ON CONFLICT (department_id, customer_id) DO UPDATE SET records = '
 'customer_scope.records + 1; END',
 'CREATE TRIGGER service_case_customer_scope_delete AFTER DELETE ON service_case FOR EACH ROW '
 'BEGIN UPDATE customer_scope SET records = records - 1 WHERE customer_id = OLD.customer_id AND '
 'department_id IN (SELECT d.id FROM department d WHERE d.id = OLD.department_id); DELETE FROM '
 'customer_scope WHERE customer_id = OLD.customer_id AND records <= 0; END',
 'CREATE TRIGGER pickup_customer_scope_insert AFTER INSERT ON pickup FOR EACH ROW BEGIN INSERT '
 'INTO customer_scope (department_id, customer_id, records) SELECT d.id, NEW.customer_id, 1 FROM '
 'department d WHERE NEW.customer_id IS NOT NULL AND (d.id = NEW.department_id OR (d.code = '
 "'warehouse' AND NEW.status IN ('collected', 'weighed', 'inspected', 'settled', 'closed')) OR "
 "(d.code = 'qc' AND NEW.status IN ('weighed', 'inspected', 'settled', 'closed')) OR (d.code = "
 "'finance' AND NEW.status IN ('inspected', 'settled', 'closed'))) ON CONFLICT (department_id, "
 'customer_id) DO UPDATE SET records = customer_scope.records + 1; END',
 'CREATE TRIGGER pickup_customer_scope_update AFTER UPDATE OF customer_id, department_id, status '
 'ON pickup FOR EACH ROW WHEN NEW.customer_id IS NOT OLD.customer_id OR NEW.department_id IS NOT '
 'OLD.department_id OR NEW.status IS NOT OLD.status BEGIN UPDATE customer_scope SET records = '
 'records - 1 WHERE customer_id = OLD.customer_id AND department_id IN (SELECT d.id FROM '
 "department d WHERE d.id = OLD.department_id OR (d.code = 'warehouse' AND OLD.status IN "
 "('collected', 'weighed', 'inspected', 'settled', 'closed')) OR (d.code = 'qc' AND OLD.status IN "
 "('weighed', 'inspected', 'settled', 'closed')) OR (d.code = 'finance' AND OLD.status IN "
 "('inspected', 'settled', 'closed'))); DELETE FROM customer_scope WHERE customer_id = "
 'OLD.customer_id AND records <= 0; INSERT INTO customer_scope (department_id, customer_id, '
 'records) SELECT d.id, NEW.customer_id, 1 FROM department d WHERE NEW.customer_id IS NOT NULL AND '
 "(d.id = NEW.department_id OR (d.code = 'warehouse' AND NEW.status IN ('collected', 'weighed', "
 "'inspected', 'settled', 'closed')) OR (d.code = 'qc' AND NEW.status IN ('weighed', 'inspected', "
 "'settled', 'closed')) OR (d.code = 'finance' AND NEW.status IN ('inspected', 'settled', "
 "'closed'))) ON CONFLICT (department_id, customer_id) DO UPDATE SET records = "
 'customer_scope.records + 1; END',
 'CREATE TRIGGER pickup_customer_scope_delete AFTER DELETE ON pickup FOR EACH ROW BEGIN UPDATE '
 'customer_scope SET records = records - 1 WHERE customer_id = OLD.customer_id AND department_id '
 "IN (SELECT d.id FROM department d WHERE d.id = OLD.department_id OR (d.code = 'warehouse' AND "
 "OLD.status IN ('collected', 'weighed', 'inspected', 'settled', 'closed')) OR (d.code = 'qc' AND "
 "OLD.status IN ('weighed', 'inspected', 'settled', 'closed')) OR (d.code = 'finance' AND "
 "OLD.status IN ('inspected', 'settled', 'closed'))); DELETE FROM customer_scope WHERE customer_id "
 '= OLD.customer_id AND records <= 0; END']
DROP_POSTGRESQL = ['DROP TRIGGER IF EXISTS service_case_customer_scope ON service_case',
 'DROP FUNCTION IF EXISTS service_case_customer_scope()',
 'DROP TRIGGER IF EXISTS pickup_customer_scope ON pickup',
 'DROP FUNCTION IF EXISTS pickup_customer_scope()']
DROP_SQLITE = ['DROP TRIGGER IF EXISTS service_case_customer_scope_insert',
 'DROP TRIGGER IF EXISTS service_case_customer_scope_update',
 'DROP TRIGGER IF EXISTS service_case_customer_scope_delete',
 'DROP TRIGGER IF EXISTS pickup_customer_scope_insert',
 'DROP TRIGGER IF EXISTS pickup_customer_scope_update',
 'DROP TRIGGER IF EXISTS pickup_customer_scope_delete']
REBUILD = ['DELETE FROM customer_scope',
 'INSERT INTO customer_scope (department_id, customer_id, records) SELECT department_id, '
 'customer_id, count(*) FROM (SELECT d.id AS department_id, r.customer_id FROM service_case r JOIN '
 'department d ON (d.id = r.department_id) WHERE r.customer_id IS NOT NULL UNION ALL SELECT d.id '
 'AS department_id, r.customer_id FROM pickup r JOIN department d ON (d.id = r.department_id OR '
 "(d.code = 'warehouse' AND r.status IN ('collected', 'weighed', 'inspected', 'settled', "
 "'closed')) OR (d.code = 'qc' AND r.status IN ('weighed', 'inspected', 'settled', 'closed')) OR "
 "(d.code = 'finance' AND r.status IN ('inspected', 'settled', 'closed'))) WHERE r.customer_id IS "
 'NOT NULL) arms GROUP BY department_id, customer_id']


def upgrade():
    op.create_table(
        'customer_scope',
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('records', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('department_id', 'customer_id'),
    )
    with op.batch_alter_table('customer_scope', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_scope_customer_id'), ['customer_id'], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in REBUILD:
        op.execute(statement)
    for statement in POSTGRESQL if dialect == 'postgresql' else SQLITE:
        op.execute(statement)
    if dialect == 'postgresql':
        op.execute('ANALYZE customer_scope')


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in DROP_POSTGRESQL if dialect == 'postgresql' else DROP_SQLITE:
        op.execute(statement)
    with op.batch_alter_table('customer_scope', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_scope_customer_id'))
    op.drop_table('customer_scope')
