"""The deadline check's insert triggers skip their function when the row brings its next look

A set-based insert (follow-up generation) computes each row's next look
itself; the trigger's function (PL/pgSQL, about a tenth of the insert's
cost per row) is then not called. The condition, evaluated without
PL/pgSQL, is the trigger's own rule: the row's next_check_at differs from
the earliest risk instant of its open clocks. Updates are unchanged.
PostgreSQL only (SQLite keeps its AFTER triggers). The SQL is that of
app.services.clocks.deadline_check (trigger_sql) at this revision.

Revision ID: a7c9e1f3b5d8
Revises: f3b5d7e9a1c2
Create Date: 2026-12-01 11:20:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "a7c9e1f3b5d8"
down_revision = "f3b5d7e9a1c2"
branch_labels = None
depends_on = None

TABLES = ["service_case", "pickup", "followup", "improvement_action", "settlement"]

TRIGGERS = [
    "CREATE TRIGGER service_case_next_check BEFORE UPDATE OF kind, paused_since, promise_cycle, "
    "promise_kept_at, promise_state, promised_at, promised_risk_at, resolution_cycle, "
    "resolution_due_at, resolution_risk_at, resolution_state, resolved_at, responded_at, "
    "response_due_at, response_risk_at, response_state, severity, status ON service_case FOR EACH ROW "
    "EXECUTE FUNCTION service_case_next_check()",
    "CREATE TRIGGER service_case_next_check_insert BEFORE INSERT ON service_case FOR EACH ROW WHEN "
    "(NEW.next_check_at IS DISTINCT FROM (CASE WHEN NEW.status NOT IN ('closed', 'cancelled') THEN "
    "CASE WHEN (CASE WHEN (CASE WHEN NEW.response_state IN ('running', 'at_risk', 'breached') AND "
    "NEW.responded_at IS NULL THEN NEW.response_risk_at END) IS NULL OR (CASE WHEN "
    "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN "
    "NEW.resolution_risk_at END) < (CASE WHEN NEW.response_state IN ('running', 'at_risk', "
    "'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) THEN (CASE WHEN "
    "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN "
    "NEW.resolution_risk_at END) ELSE (CASE WHEN NEW.response_state IN ('running', 'at_risk', "
    "'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) END) IS NULL OR (CASE "
    "WHEN NEW.promise_state IN ('running', 'at_risk', 'breached') AND NEW.promise_kept_at IS NULL "
    "THEN NEW.promised_risk_at END) < (CASE WHEN (CASE WHEN NEW.response_state IN ('running', "
    "'at_risk', 'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) IS NULL OR "
    "(CASE WHEN NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS "
    "NULL THEN NEW.resolution_risk_at END) < (CASE WHEN NEW.response_state IN ('running', 'at_risk', "
    "'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) THEN (CASE WHEN "
    "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN "
    "NEW.resolution_risk_at END) ELSE (CASE WHEN NEW.response_state IN ('running', 'at_risk', "
    "'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) END) THEN (CASE WHEN "
    "NEW.promise_state IN ('running', 'at_risk', 'breached') AND NEW.promise_kept_at IS NULL THEN "
    "NEW.promised_risk_at END) ELSE (CASE WHEN (CASE WHEN NEW.response_state IN ('running', "
    "'at_risk', 'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) IS NULL OR "
    "(CASE WHEN NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS "
    "NULL THEN NEW.resolution_risk_at END) < (CASE WHEN NEW.response_state IN ('running', 'at_risk', "
    "'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) THEN (CASE WHEN "
    "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN "
    "NEW.resolution_risk_at END) ELSE (CASE WHEN NEW.response_state IN ('running', 'at_risk', "
    "'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) END) END END)) EXECUTE "
    "FUNCTION service_case_next_check()",
    "CREATE TRIGGER pickup_next_check BEFORE UPDATE OF arrival_state, arrived_at, confirm_due_at, "
    "confirm_risk_at, confirm_state, confirmed_at, status, window_end ON pickup FOR EACH ROW EXECUTE "
    "FUNCTION pickup_next_check()",
    "CREATE TRIGGER pickup_next_check_insert BEFORE INSERT ON pickup FOR EACH ROW WHEN "
    "(NEW.next_check_at IS DISTINCT FROM (CASE WHEN NEW.status NOT IN ('closed', 'cancelled') THEN "
    "CASE WHEN (CASE WHEN NEW.confirm_state IN ('running', 'at_risk', 'breached') AND "
    "NEW.confirmed_at IS NULL THEN NEW.confirm_risk_at END) IS NULL OR (CASE WHEN NEW.arrival_state "
    "IN ('none', 'running', 'at_risk', 'breached') AND NEW.arrived_at IS NULL THEN NEW.window_end "
    "END) < (CASE WHEN NEW.confirm_state IN ('running', 'at_risk', 'breached') AND NEW.confirmed_at "
    "IS NULL THEN NEW.confirm_risk_at END) THEN (CASE WHEN NEW.arrival_state IN ('none', 'running', "
    "'at_risk', 'breached') AND NEW.arrived_at IS NULL THEN NEW.window_end END) ELSE (CASE WHEN "
    "NEW.confirm_state IN ('running', 'at_risk', 'breached') AND NEW.confirmed_at IS NULL THEN "
    "NEW.confirm_risk_at END) END END)) EXECUTE FUNCTION pickup_next_check()",
    "CREATE TRIGGER followup_next_check BEFORE UPDATE OF due_at, due_state, risk_at, status ON "
    "followup FOR EACH ROW EXECUTE FUNCTION followup_next_check()",
    "CREATE TRIGGER followup_next_check_insert BEFORE INSERT ON followup FOR EACH ROW WHEN "
    "(NEW.next_check_at IS DISTINCT FROM (CASE WHEN NEW.status IN ('planned', 'overdue') THEN CASE "
    "WHEN NEW.due_state IN ('running', 'at_risk', 'breached') THEN NEW.risk_at END END)) EXECUTE "
    "FUNCTION followup_next_check()",
    "CREATE TRIGGER improvement_action_next_check BEFORE UPDATE OF due_at, due_state, risk_at, status "
    "ON improvement_action FOR EACH ROW EXECUTE FUNCTION improvement_action_next_check()",
    "CREATE TRIGGER improvement_action_next_check_insert BEFORE INSERT ON improvement_action FOR EACH "
    "ROW WHEN (NEW.next_check_at IS DISTINCT FROM (CASE WHEN NEW.status IN ('open', 'in_progress') "
    "THEN CASE WHEN NEW.due_state IN ('running', 'at_risk', 'breached') THEN NEW.risk_at END END)) "
    "EXECUTE FUNCTION improvement_action_next_check()",
    "CREATE TRIGGER settlement_next_check BEFORE UPDATE OF due_at, due_risk_at, due_state, paid_at, "
    "status ON settlement FOR EACH ROW EXECUTE FUNCTION settlement_next_check()",
    "CREATE TRIGGER settlement_next_check_insert BEFORE INSERT ON settlement FOR EACH ROW WHEN "
    "(NEW.next_check_at IS DISTINCT FROM (CASE WHEN NEW.status = 'confirmed' THEN CASE WHEN "
    "NEW.due_state IN ('running', 'at_risk', 'breached') AND NEW.paid_at IS NULL THEN NEW.due_risk_at "
    "END END)) EXECUTE FUNCTION settlement_next_check()",
]

OLD_TRIGGERS = [
    "CREATE TRIGGER service_case_next_check BEFORE INSERT OR UPDATE OF kind, paused_since, "
    "promise_cycle, promise_kept_at, promise_state, promised_at, promised_risk_at, resolution_cycle, "
    "resolution_due_at, resolution_risk_at, resolution_state, resolved_at, responded_at, "
    "response_due_at, response_risk_at, response_state, severity, status ON service_case FOR EACH ROW "
    "EXECUTE FUNCTION service_case_next_check()",
    "CREATE TRIGGER pickup_next_check BEFORE INSERT OR UPDATE OF arrival_state, arrived_at, "
    "confirm_due_at, confirm_risk_at, confirm_state, confirmed_at, status, window_end ON pickup FOR "
    "EACH ROW EXECUTE FUNCTION pickup_next_check()",
    "CREATE TRIGGER followup_next_check BEFORE INSERT OR UPDATE OF due_at, due_state, risk_at, status "
    "ON followup FOR EACH ROW EXECUTE FUNCTION followup_next_check()",
    "CREATE TRIGGER improvement_action_next_check BEFORE INSERT OR UPDATE OF due_at, due_state, "
    "risk_at, status ON improvement_action FOR EACH ROW EXECUTE FUNCTION "
    "improvement_action_next_check()",
    "CREATE TRIGGER settlement_next_check BEFORE INSERT OR UPDATE OF due_at, due_risk_at, due_state, "
    "paid_at, status ON settlement FOR EACH ROW EXECUTE FUNCTION settlement_next_check()",
]


def _drop() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_next_check_insert ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_next_check ON {table}")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    _drop()
    for statement in TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    _drop()
    for statement in OLD_TRIGGERS:
        op.execute(statement)
