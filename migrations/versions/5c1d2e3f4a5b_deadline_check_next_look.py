"""The deadline check's next look per record (next_check_at), kept by triggers

Each record with deadlines (cases, pickups, follow-up visits, improvement
actions, settlements) gets the next instant the deadline check must look at
it, indexed, so an idle check reads a few index entries whatever the table
size. Triggers set it whenever a clock column, the status, a pause or the
severity changes; existing rows get the earliest risk instant of their open
clocks (the first check after the upgrade reads them once and moves it on).
The SQL is that of app.services.clocks.deadline_check (look_sql,
trigger_sql) at this revision.

Note for later migrations: a SQLite batch_alter_table that recreates one of
these tables drops its triggers; re-create them after it.

Revision ID: 5c1d2e3f4a5b
Revises: 5e1c0a7d9b21
Create Date: 2026-11-29 22:40:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '5c1d2e3f4a5b'
down_revision = '5e1c0a7d9b21'
branch_labels = None
depends_on = None

NEXT_CHECK = sa.text("next_check_at IS NOT NULL")

# (table, index prefix, earliest risk instant of the open clocks)
TABLES = [('service_case',
  'case',
  "CASE WHEN service_case.status NOT IN ('closed', 'cancelled') THEN CASE WHEN (CASE WHEN "
  "service_case.response_state IN ('running', 'at_risk', 'breached') AND service_case.responded_at "
  'IS NULL THEN service_case.response_risk_at END) IS NULL OR (CASE WHEN '
  "service_case.resolution_state IN ('running', 'at_risk', 'breached') AND "
  'service_case.resolved_at IS NULL THEN service_case.resolution_risk_at END) < (CASE WHEN '
  "service_case.response_state IN ('running', 'at_risk', 'breached') AND service_case.responded_at "
  'IS NULL THEN service_case.response_risk_at END) THEN (CASE WHEN service_case.resolution_state '
  "IN ('running', 'at_risk', 'breached') AND service_case.resolved_at IS NULL THEN "
  "service_case.resolution_risk_at END) ELSE (CASE WHEN service_case.response_state IN ('running', "
  "'at_risk', 'breached') AND service_case.responded_at IS NULL THEN service_case.response_risk_at "
  'END) END END'),
 ('pickup',
  'pickup',
  "CASE WHEN pickup.status NOT IN ('closed', 'cancelled') THEN CASE WHEN (CASE WHEN "
  "pickup.confirm_state IN ('running', 'at_risk', 'breached') AND pickup.confirmed_at IS NULL THEN "
  "pickup.confirm_risk_at END) IS NULL OR (CASE WHEN pickup.arrival_state IN ('none', 'running', "
  "'at_risk', 'breached') AND pickup.arrived_at IS NULL THEN pickup.window_end END) < (CASE WHEN "
  "pickup.confirm_state IN ('running', 'at_risk', 'breached') AND pickup.confirmed_at IS NULL THEN "
  "pickup.confirm_risk_at END) THEN (CASE WHEN pickup.arrival_state IN ('none', 'running', "
  "'at_risk', 'breached') AND pickup.arrived_at IS NULL THEN pickup.window_end END) ELSE (CASE "
  "WHEN pickup.confirm_state IN ('running', 'at_risk', 'breached') AND pickup.confirmed_at IS NULL "
  'THEN pickup.confirm_risk_at END) END END'),
 ('followup',
  'followup',
  "CASE WHEN followup.status IN ('planned', 'overdue') THEN CASE WHEN followup.due_state IN "
  "('running', 'at_risk', 'breached') THEN followup.risk_at END END"),
 ('improvement_action',
  'action',
  "CASE WHEN improvement_action.status IN ('open', 'in_progress') THEN CASE WHEN "
  "improvement_action.due_state IN ('running', 'at_risk', 'breached') THEN "
  'improvement_action.risk_at END END'),
 ('settlement',
  'settlement',
  "CASE WHEN settlement.status = 'confirmed' THEN CASE WHEN settlement.due_state IN ('running', "
  "'at_risk', 'breached') AND settlement.paid_at IS NULL THEN settlement.due_risk_at END END")]

TRIGGERS = {
    "postgresql": ['CREATE OR REPLACE FUNCTION service_case_next_check() RETURNS trigger LANGUAGE plpgsql AS $$ '
 "BEGIN IF TG_OP = 'INSERT' OR ROW(NEW.kind, NEW.paused_since, NEW.resolution_cycle, "
 'NEW.resolution_due_at, NEW.resolution_risk_at, NEW.resolution_state, NEW.resolved_at, '
 'NEW.responded_at, NEW.response_due_at, NEW.response_risk_at, NEW.response_state, NEW.severity, '
 'NEW.status) IS DISTINCT FROM ROW(OLD.kind, OLD.paused_since, OLD.resolution_cycle, '
 'OLD.resolution_due_at, OLD.resolution_risk_at, OLD.resolution_state, OLD.resolved_at, '
 'OLD.responded_at, OLD.response_due_at, OLD.response_risk_at, OLD.response_state, OLD.severity, '
 "OLD.status) THEN NEW.next_check_at := CASE WHEN NEW.status NOT IN ('closed', 'cancelled') THEN "
 "CASE WHEN (CASE WHEN NEW.response_state IN ('running', 'at_risk', 'breached') AND "
 'NEW.responded_at IS NULL THEN NEW.response_risk_at END) IS NULL OR (CASE WHEN '
 "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN "
 "NEW.resolution_risk_at END) < (CASE WHEN NEW.response_state IN ('running', 'at_risk', "
 "'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) THEN (CASE WHEN "
 "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN "
 "NEW.resolution_risk_at END) ELSE (CASE WHEN NEW.response_state IN ('running', 'at_risk', "
 "'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) END END; END IF; RETURN "
 'NEW; END $$',
 'CREATE TRIGGER service_case_next_check BEFORE INSERT OR UPDATE OF kind, paused_since, '
 'resolution_cycle, resolution_due_at, resolution_risk_at, resolution_state, resolved_at, '
 'responded_at, response_due_at, response_risk_at, response_state, severity, status ON '
 'service_case FOR EACH ROW EXECUTE FUNCTION service_case_next_check()',
 'CREATE OR REPLACE FUNCTION pickup_next_check() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF '
 "TG_OP = 'INSERT' OR ROW(NEW.arrival_state, NEW.arrived_at, NEW.confirm_due_at, "
 'NEW.confirm_risk_at, NEW.confirm_state, NEW.confirmed_at, NEW.status, NEW.window_end) IS '
 'DISTINCT FROM ROW(OLD.arrival_state, OLD.arrived_at, OLD.confirm_due_at, OLD.confirm_risk_at, '
 'OLD.confirm_state, OLD.confirmed_at, OLD.status, OLD.window_end) THEN NEW.next_check_at := CASE '
 "WHEN NEW.status NOT IN ('closed', 'cancelled') THEN CASE WHEN (CASE WHEN NEW.confirm_state IN "
 "('running', 'at_risk', 'breached') AND NEW.confirmed_at IS NULL THEN NEW.confirm_risk_at END) IS "
 "NULL OR (CASE WHEN NEW.arrival_state IN ('none', 'running', 'at_risk', 'breached') AND "
 "NEW.arrived_at IS NULL THEN NEW.window_end END) < (CASE WHEN NEW.confirm_state IN ('running', "
 "'at_risk', 'breached') AND NEW.confirmed_at IS NULL THEN NEW.confirm_risk_at END) THEN (CASE "
 "WHEN NEW.arrival_state IN ('none', 'running', 'at_risk', 'breached') AND NEW.arrived_at IS NULL "
 "THEN NEW.window_end END) ELSE (CASE WHEN NEW.confirm_state IN ('running', 'at_risk', 'breached') "
 'AND NEW.confirmed_at IS NULL THEN NEW.confirm_risk_at END) END END; END IF; RETURN NEW; END $$',
 'CREATE TRIGGER pickup_next_check BEFORE INSERT OR UPDATE OF arrival_state, arrived_at, '
 'confirm_due_at, confirm_risk_at, confirm_state, confirmed_at, status, window_end ON pickup FOR '
 'EACH ROW EXECUTE FUNCTION pickup_next_check()',
 'CREATE OR REPLACE FUNCTION followup_next_check() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF '
 "TG_OP = 'INSERT' OR ROW(NEW.due_at, NEW.due_state, NEW.risk_at, NEW.status) IS DISTINCT FROM "
 'ROW(OLD.due_at, OLD.due_state, OLD.risk_at, OLD.status) THEN NEW.next_check_at := CASE WHEN '
 "NEW.status IN ('planned', 'overdue') THEN CASE WHEN NEW.due_state IN ('running', 'at_risk', "
 "'breached') THEN NEW.risk_at END END; END IF; RETURN NEW; END $$",
 'CREATE TRIGGER followup_next_check BEFORE INSERT OR UPDATE OF due_at, due_state, risk_at, status '
 'ON followup FOR EACH ROW EXECUTE FUNCTION followup_next_check()',
 'CREATE OR REPLACE FUNCTION improvement_action_next_check() RETURNS trigger LANGUAGE plpgsql AS '
 "$$ BEGIN IF TG_OP = 'INSERT' OR ROW(NEW.due_at, NEW.due_state, NEW.risk_at, NEW.status) IS "
 'DISTINCT FROM ROW(OLD.due_at, OLD.due_state, OLD.risk_at, OLD.status) THEN NEW.next_check_at := '
 "CASE WHEN NEW.status IN ('open', 'in_progress') THEN CASE WHEN NEW.due_state IN ('running', "
 "'at_risk', 'breached') THEN NEW.risk_at END END; END IF; RETURN NEW; END $$",
 'CREATE TRIGGER improvement_action_next_check BEFORE INSERT OR UPDATE OF due_at, due_state, '
 'risk_at, status ON improvement_action FOR EACH ROW EXECUTE FUNCTION '
 'improvement_action_next_check()',
 'CREATE OR REPLACE FUNCTION settlement_next_check() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
 "IF TG_OP = 'INSERT' OR ROW(NEW.due_at, NEW.due_risk_at, NEW.due_state, NEW.paid_at, NEW.status) "
 'IS DISTINCT FROM ROW(OLD.due_at, OLD.due_risk_at, OLD.due_state, OLD.paid_at, OLD.status) THEN '
 "NEW.next_check_at := CASE WHEN NEW.status = 'confirmed' THEN CASE WHEN NEW.due_state IN "
 "('running', 'at_risk', 'breached') AND NEW.paid_at IS NULL THEN NEW.due_risk_at END END; END IF; "
 'RETURN NEW; END $$',
 'CREATE TRIGGER settlement_next_check BEFORE INSERT OR UPDATE OF due_at, due_risk_at, due_state, '
 'paid_at, status ON settlement FOR EACH ROW EXECUTE FUNCTION settlement_next_check()'],
    "sqlite": ['CREATE TRIGGER service_case_next_check_insert AFTER INSERT ON service_case FOR EACH ROW BEGIN '
 "UPDATE service_case SET next_check_at = CASE WHEN NEW.status NOT IN ('closed', 'cancelled') THEN "
 "CASE WHEN (CASE WHEN NEW.response_state IN ('running', 'at_risk', 'breached') AND "
 'NEW.responded_at IS NULL THEN NEW.response_risk_at END) IS NULL OR (CASE WHEN '
 "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN "
 "NEW.resolution_risk_at END) < (CASE WHEN NEW.response_state IN ('running', 'at_risk', "
 "'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) THEN (CASE WHEN "
 "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN "
 "NEW.resolution_risk_at END) ELSE (CASE WHEN NEW.response_state IN ('running', 'at_risk', "
 "'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) END END WHERE id = "
 'NEW.id; END',
 'CREATE TRIGGER service_case_next_check_update AFTER UPDATE OF kind, paused_since, '
 'resolution_cycle, resolution_due_at, resolution_risk_at, resolution_state, resolved_at, '
 'responded_at, response_due_at, response_risk_at, response_state, severity, status ON '
 'service_case FOR EACH ROW WHEN NEW.kind IS NOT OLD.kind OR NEW.paused_since IS NOT '
 'OLD.paused_since OR NEW.resolution_cycle IS NOT OLD.resolution_cycle OR NEW.resolution_due_at IS '
 'NOT OLD.resolution_due_at OR NEW.resolution_risk_at IS NOT OLD.resolution_risk_at OR '
 'NEW.resolution_state IS NOT OLD.resolution_state OR NEW.resolved_at IS NOT OLD.resolved_at OR '
 'NEW.responded_at IS NOT OLD.responded_at OR NEW.response_due_at IS NOT OLD.response_due_at OR '
 'NEW.response_risk_at IS NOT OLD.response_risk_at OR NEW.response_state IS NOT OLD.response_state '
 'OR NEW.severity IS NOT OLD.severity OR NEW.status IS NOT OLD.status BEGIN UPDATE service_case '
 "SET next_check_at = CASE WHEN NEW.status NOT IN ('closed', 'cancelled') THEN CASE WHEN (CASE "
 "WHEN NEW.response_state IN ('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL THEN "
 "NEW.response_risk_at END) IS NULL OR (CASE WHEN NEW.resolution_state IN ('running', 'at_risk', "
 "'breached') AND NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) < (CASE WHEN "
 "NEW.response_state IN ('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL THEN "
 "NEW.response_risk_at END) THEN (CASE WHEN NEW.resolution_state IN ('running', 'at_risk', "
 "'breached') AND NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) ELSE (CASE WHEN "
 "NEW.response_state IN ('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL THEN "
 'NEW.response_risk_at END) END END WHERE id = NEW.id; END',
 'CREATE TRIGGER pickup_next_check_insert AFTER INSERT ON pickup FOR EACH ROW BEGIN UPDATE pickup '
 "SET next_check_at = CASE WHEN NEW.status NOT IN ('closed', 'cancelled') THEN CASE WHEN (CASE "
 "WHEN NEW.confirm_state IN ('running', 'at_risk', 'breached') AND NEW.confirmed_at IS NULL THEN "
 "NEW.confirm_risk_at END) IS NULL OR (CASE WHEN NEW.arrival_state IN ('none', 'running', "
 "'at_risk', 'breached') AND NEW.arrived_at IS NULL THEN NEW.window_end END) < (CASE WHEN "
 "NEW.confirm_state IN ('running', 'at_risk', 'breached') AND NEW.confirmed_at IS NULL THEN "
 "NEW.confirm_risk_at END) THEN (CASE WHEN NEW.arrival_state IN ('none', 'running', 'at_risk', "
 "'breached') AND NEW.arrived_at IS NULL THEN NEW.window_end END) ELSE (CASE WHEN "
 "NEW.confirm_state IN ('running', 'at_risk', 'breached') AND NEW.confirmed_at IS NULL THEN "
 'NEW.confirm_risk_at END) END END WHERE id = NEW.id; END',
 'CREATE TRIGGER pickup_next_check_update AFTER UPDATE OF arrival_state, arrived_at, '
 'confirm_due_at, confirm_risk_at, confirm_state, confirmed_at, status, window_end ON pickup FOR '
 'EACH ROW WHEN NEW.arrival_state IS NOT OLD.arrival_state OR NEW.arrived_at IS NOT OLD.arrived_at '
 'OR NEW.confirm_due_at IS NOT OLD.confirm_due_at OR NEW.confirm_risk_at IS NOT '
 'OLD.confirm_risk_at OR NEW.confirm_state IS NOT OLD.confirm_state OR NEW.confirmed_at IS NOT '
 'OLD.confirmed_at OR NEW.status IS NOT OLD.status OR NEW.window_end IS NOT OLD.window_end BEGIN '
 "UPDATE pickup SET next_check_at = CASE WHEN NEW.status NOT IN ('closed', 'cancelled') THEN CASE "
 "WHEN (CASE WHEN NEW.confirm_state IN ('running', 'at_risk', 'breached') AND NEW.confirmed_at IS "
 "NULL THEN NEW.confirm_risk_at END) IS NULL OR (CASE WHEN NEW.arrival_state IN ('none', "
 "'running', 'at_risk', 'breached') AND NEW.arrived_at IS NULL THEN NEW.window_end END) < (CASE "
 "WHEN NEW.confirm_state IN ('running', 'at_risk', 'breached') AND NEW.confirmed_at IS NULL THEN "
 "NEW.confirm_risk_at END) THEN (CASE WHEN NEW.arrival_state IN ('none', 'running', 'at_risk', "
 "'breached') AND NEW.arrived_at IS NULL THEN NEW.window_end END) ELSE (CASE WHEN "
 "NEW.confirm_state IN ('running', 'at_risk', 'breached') AND NEW.confirmed_at IS NULL THEN "
 'NEW.confirm_risk_at END) END END WHERE id = NEW.id; END',
 'CREATE TRIGGER followup_next_check_insert AFTER INSERT ON followup FOR EACH ROW BEGIN UPDATE '
 "followup SET next_check_at = CASE WHEN NEW.status IN ('planned', 'overdue') THEN CASE WHEN "
 "NEW.due_state IN ('running', 'at_risk', 'breached') THEN NEW.risk_at END END WHERE id = NEW.id; "
 'END',
 'CREATE TRIGGER followup_next_check_update AFTER UPDATE OF due_at, due_state, risk_at, status ON '
 'followup FOR EACH ROW WHEN NEW.due_at IS NOT OLD.due_at OR NEW.due_state IS NOT OLD.due_state OR '
 'NEW.risk_at IS NOT OLD.risk_at OR NEW.status IS NOT OLD.status BEGIN UPDATE followup SET '
 "next_check_at = CASE WHEN NEW.status IN ('planned', 'overdue') THEN CASE WHEN NEW.due_state IN "
 "('running', 'at_risk', 'breached') THEN NEW.risk_at END END WHERE id = NEW.id; END",
 'CREATE TRIGGER improvement_action_next_check_insert AFTER INSERT ON improvement_action FOR EACH '
 "ROW BEGIN UPDATE improvement_action SET next_check_at = CASE WHEN NEW.status IN ('open', "
 "'in_progress') THEN CASE WHEN NEW.due_state IN ('running', 'at_risk', 'breached') THEN "
 'NEW.risk_at END END WHERE id = NEW.id; END',
 'CREATE TRIGGER improvement_action_next_check_update AFTER UPDATE OF due_at, due_state, risk_at, '
 'status ON improvement_action FOR EACH ROW WHEN NEW.due_at IS NOT OLD.due_at OR NEW.due_state IS '
 'NOT OLD.due_state OR NEW.risk_at IS NOT OLD.risk_at OR NEW.status IS NOT OLD.status BEGIN UPDATE '
 "improvement_action SET next_check_at = CASE WHEN NEW.status IN ('open', 'in_progress') THEN CASE "
 "WHEN NEW.due_state IN ('running', 'at_risk', 'breached') THEN NEW.risk_at END END WHERE id = "
 'NEW.id; END',
 'CREATE TRIGGER settlement_next_check_insert AFTER INSERT ON settlement FOR EACH ROW BEGIN UPDATE '
 "settlement SET next_check_at = CASE WHEN NEW.status = 'confirmed' THEN CASE WHEN NEW.due_state "
 "IN ('running', 'at_risk', 'breached') AND NEW.paid_at IS NULL THEN NEW.due_risk_at END END WHERE "
 'id = NEW.id; END',
 'CREATE TRIGGER settlement_next_check_update AFTER UPDATE OF due_at, due_risk_at, due_state, '
 'paid_at, status ON settlement FOR EACH ROW WHEN NEW.due_at IS NOT OLD.due_at OR NEW.due_risk_at '
 'IS NOT OLD.due_risk_at OR NEW.due_state IS NOT OLD.due_state OR NEW.paid_at IS NOT OLD.paid_at '
 'OR NEW.status IS NOT OLD.status BEGIN UPDATE settlement SET next_check_at = CASE WHEN NEW.status '
 "= 'confirmed' THEN CASE WHEN NEW.due_state IN ('running', 'at_risk', 'breached') AND NEW.paid_at "
 'IS NULL THEN NEW.due_risk_at END END WHERE id = NEW.id; END'],
}

DROP_TRIGGERS = {
    "postgresql": ['DROP TRIGGER IF EXISTS service_case_next_check ON service_case',
 'DROP FUNCTION IF EXISTS service_case_next_check()',
 'DROP TRIGGER IF EXISTS pickup_next_check ON pickup',
 'DROP FUNCTION IF EXISTS pickup_next_check()',
 'DROP TRIGGER IF EXISTS followup_next_check ON followup',
 'DROP FUNCTION IF EXISTS followup_next_check()',
 'DROP TRIGGER IF EXISTS improvement_action_next_check ON improvement_action',
 'DROP FUNCTION IF EXISTS improvement_action_next_check()',
 'DROP TRIGGER IF EXISTS settlement_next_check ON settlement',
 'DROP FUNCTION IF EXISTS settlement_next_check()'],
    "sqlite": ['DROP TRIGGER IF EXISTS service_case_next_check_insert',
 'DROP TRIGGER IF EXISTS service_case_next_check_update',
 'DROP TRIGGER IF EXISTS pickup_next_check_insert',
 'DROP TRIGGER IF EXISTS pickup_next_check_update',
 'DROP TRIGGER IF EXISTS followup_next_check_insert',
 'DROP TRIGGER IF EXISTS followup_next_check_update',
 'DROP TRIGGER IF EXISTS improvement_action_next_check_insert',
 'DROP TRIGGER IF EXISTS improvement_action_next_check_update',
 'DROP TRIGGER IF EXISTS settlement_next_check_insert',
 'DROP TRIGGER IF EXISTS settlement_next_check_update'],
}


def upgrade():
    for table, prefix, look in TABLES:
        op.add_column(table, sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True))
        op.execute(f"UPDATE {table} SET next_check_at = {look}")
        op.create_index(
            f'ix_{prefix}_next_check', table, ['next_check_at'], unique=False,
            postgresql_where=NEXT_CHECK, sqlite_where=NEXT_CHECK,
        )
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    for table, prefix, _look in TABLES:
        op.drop_index(
            f'ix_{prefix}_next_check', table_name=table,
            postgresql_where=NEXT_CHECK, sqlite_where=NEXT_CHECK,
        )
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('next_check_at')
