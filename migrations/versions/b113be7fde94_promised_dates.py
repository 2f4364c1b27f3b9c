"""Promised dates: a date promised to the customer on a case, with its own clock

The case gets the promised date, its at-risk instant, state, the instant it
was kept, a cycle per new promise and what was promised; the triggers keeping
the case's next look (migration 5c1d2e3f4a5b) now also watch the promise
clock (SQL of app.services.clocks.deadline_check at this revision). Customer
notices know the occasion "case_promised".

Revision ID: b113be7fde94
Revises: c4e6a8b0d2f3
Create Date: 2026-11-30 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b113be7fde94'
down_revision = 'c4e6a8b0d2f3'
branch_labels = None
depends_on = None

CLOCK_STATES = "('running', 'at_risk', 'breached', 'met', 'missed', 'paused', 'unknown', 'none')"
EVENTS_OLD = "('case_accepted', 'case_assigned', 'case_result', 'case_closed', 'pickup_confirmed', 'pickup_on_way', 'inspection_result', 'settlement_paid')"
EVENTS_NEW = "('case_accepted', 'case_assigned', 'case_promised', 'case_result', 'case_closed', 'pickup_confirmed', 'pickup_on_way', 'inspection_result', 'settlement_paid')"

NEW_TRIGGERS = {'postgresql': ['CREATE OR REPLACE FUNCTION service_case_next_check() RETURNS trigger LANGUAGE '
                "plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' OR ROW(NEW.kind, NEW.paused_since, "
                'NEW.promise_cycle, NEW.promise_kept_at, NEW.promise_state, NEW.promised_at, '
                'NEW.promised_risk_at, NEW.resolution_cycle, NEW.resolution_due_at, '
                'NEW.resolution_risk_at, NEW.resolution_state, NEW.resolved_at, NEW.responded_at, '
                'NEW.response_due_at, NEW.response_risk_at, NEW.response_state, NEW.severity, '
                'NEW.status) IS DISTINCT FROM ROW(OLD.kind, OLD.paused_since, OLD.promise_cycle, '
                'OLD.promise_kept_at, OLD.promise_state, OLD.promised_at, OLD.promised_risk_at, '
                'OLD.resolution_cycle, OLD.resolution_due_at, OLD.resolution_risk_at, '
                'OLD.resolution_state, OLD.resolved_at, OLD.responded_at, OLD.response_due_at, '
                'OLD.response_risk_at, OLD.response_state, OLD.severity, OLD.status) THEN '
                "NEW.next_check_at := CASE WHEN NEW.status NOT IN ('closed', 'cancelled') THEN "
                "CASE WHEN (CASE WHEN (CASE WHEN NEW.response_state IN ('running', 'at_risk', "
                "'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) IS NULL "
                "OR (CASE WHEN NEW.resolution_state IN ('running', 'at_risk', 'breached') AND "
                'NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) < (CASE WHEN '
                "NEW.response_state IN ('running', 'at_risk', 'breached') AND NEW.responded_at IS "
                'NULL THEN NEW.response_risk_at END) THEN (CASE WHEN NEW.resolution_state IN '
                "('running', 'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN "
                "NEW.resolution_risk_at END) ELSE (CASE WHEN NEW.response_state IN ('running', "
                "'at_risk', 'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at "
                "END) END) IS NULL OR (CASE WHEN NEW.promise_state IN ('running', 'at_risk', "
                "'breached') AND NEW.promise_kept_at IS NULL THEN NEW.promised_risk_at END) < "
                "(CASE WHEN (CASE WHEN NEW.response_state IN ('running', 'at_risk', 'breached') "
                'AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) IS NULL OR (CASE WHEN '
                "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS "
                'NULL THEN NEW.resolution_risk_at END) < (CASE WHEN NEW.response_state IN '
                "('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL THEN "
                "NEW.response_risk_at END) THEN (CASE WHEN NEW.resolution_state IN ('running', "
                "'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN NEW.resolution_risk_at "
                "END) ELSE (CASE WHEN NEW.response_state IN ('running', 'at_risk', 'breached') AND "
                'NEW.responded_at IS NULL THEN NEW.response_risk_at END) END) THEN (CASE WHEN '
                "NEW.promise_state IN ('running', 'at_risk', 'breached') AND NEW.promise_kept_at "
                'IS NULL THEN NEW.promised_risk_at END) ELSE (CASE WHEN (CASE WHEN '
                "NEW.response_state IN ('running', 'at_risk', 'breached') AND NEW.responded_at IS "
                'NULL THEN NEW.response_risk_at END) IS NULL OR (CASE WHEN NEW.resolution_state IN '
                "('running', 'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN "
                "NEW.resolution_risk_at END) < (CASE WHEN NEW.response_state IN ('running', "
                "'at_risk', 'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at "
                "END) THEN (CASE WHEN NEW.resolution_state IN ('running', 'at_risk', 'breached') "
                'AND NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) ELSE (CASE WHEN '
                "NEW.response_state IN ('running', 'at_risk', 'breached') AND NEW.responded_at IS "
                'NULL THEN NEW.response_risk_at END) END) END END; END IF; RETURN NEW; END $$',
                'CREATE TRIGGER service_case_next_check BEFORE INSERT OR UPDATE OF kind, '
                'paused_since, promise_cycle, promise_kept_at, promise_state, promised_at, '
                'promised_risk_at, resolution_cycle, resolution_due_at, resolution_risk_at, '
                'resolution_state, resolved_at, responded_at, response_due_at, response_risk_at, '
                'response_state, severity, status ON service_case FOR EACH ROW EXECUTE FUNCTION '
                'service_case_next_check()'],
 'sqlite': ['CREATE TRIGGER service_case_next_check_insert AFTER INSERT ON service_case FOR EACH '
            'ROW BEGIN UPDATE service_case SET next_check_at = CASE WHEN NEW.status NOT IN '
            "('closed', 'cancelled') THEN CASE WHEN (CASE WHEN (CASE WHEN NEW.response_state IN "
            "('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL THEN "
            "NEW.response_risk_at END) IS NULL OR (CASE WHEN NEW.resolution_state IN ('running', "
            "'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) < "
            "(CASE WHEN NEW.response_state IN ('running', 'at_risk', 'breached') AND "
            'NEW.responded_at IS NULL THEN NEW.response_risk_at END) THEN (CASE WHEN '
            "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS "
            'NULL THEN NEW.resolution_risk_at END) ELSE (CASE WHEN NEW.response_state IN '
            "('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL THEN "
            "NEW.response_risk_at END) END) IS NULL OR (CASE WHEN NEW.promise_state IN ('running', "
            "'at_risk', 'breached') AND NEW.promise_kept_at IS NULL THEN NEW.promised_risk_at END) "
            "< (CASE WHEN (CASE WHEN NEW.response_state IN ('running', 'at_risk', 'breached') AND "
            'NEW.responded_at IS NULL THEN NEW.response_risk_at END) IS NULL OR (CASE WHEN '
            "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS "
            "NULL THEN NEW.resolution_risk_at END) < (CASE WHEN NEW.response_state IN ('running', "
            "'at_risk', 'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) "
            "THEN (CASE WHEN NEW.resolution_state IN ('running', 'at_risk', 'breached') AND "
            'NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) ELSE (CASE WHEN '
            "NEW.response_state IN ('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL "
            "THEN NEW.response_risk_at END) END) THEN (CASE WHEN NEW.promise_state IN ('running', "
            "'at_risk', 'breached') AND NEW.promise_kept_at IS NULL THEN NEW.promised_risk_at END) "
            "ELSE (CASE WHEN (CASE WHEN NEW.response_state IN ('running', 'at_risk', 'breached') "
            'AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) IS NULL OR (CASE WHEN '
            "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS "
            "NULL THEN NEW.resolution_risk_at END) < (CASE WHEN NEW.response_state IN ('running', "
            "'at_risk', 'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) "
            "THEN (CASE WHEN NEW.resolution_state IN ('running', 'at_risk', 'breached') AND "
            'NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) ELSE (CASE WHEN '
            "NEW.response_state IN ('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL "
            'THEN NEW.response_risk_at END) END) END END WHERE id = NEW.id; END',
            'CREATE TRIGGER service_case_next_check_update AFTER UPDATE OF kind, paused_since, '
            'promise_cycle, promise_kept_at, promise_state, promised_at, promised_risk_at, '
            'resolution_cycle, resolution_due_at, resolution_risk_at, resolution_state, '
            'resolved_at, responded_at, response_due_at, response_risk_at, response_state, '
            'severity, status ON service_case FOR EACH ROW WHEN NEW.kind IS NOT OLD.kind OR '
            'NEW.paused_since IS NOT OLD.paused_since OR NEW.promise_cycle IS NOT '
            'OLD.promise_cycle OR NEW.promise_kept_at IS NOT OLD.promise_kept_at OR '
            'NEW.promise_state IS NOT OLD.promise_state OR NEW.promised_at IS NOT OLD.promised_at '
            'OR NEW.promised_risk_at IS NOT OLD.promised_risk_at OR NEW.resolution_cycle IS NOT '
            'OLD.resolution_cycle OR NEW.resolution_due_at IS NOT OLD.resolution_due_at OR '
            'NEW.resolution_risk_at IS NOT OLD.resolution_risk_at OR NEW.resolution_state IS NOT '
            'OLD.resolution_state OR NEW.resolved_at IS NOT OLD.resolved_at OR NEW.responded_at IS '
            'NOT OLD.responded_at OR NEW.response_due_at IS NOT OLD.response_due_at OR '
            'NEW.response_risk_at IS NOT OLD.response_risk_at OR NEW.response_state IS NOT '
            'OLD.response_state OR NEW.severity IS NOT OLD.severity OR NEW.status IS NOT '
            'OLD.status BEGIN UPDATE service_case SET next_check_at = CASE WHEN NEW.status NOT IN '
            "('closed', 'cancelled') THEN CASE WHEN (CASE WHEN (CASE WHEN NEW.response_state IN "
            "('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL THEN "
            "NEW.response_risk_at END) IS NULL OR (CASE WHEN NEW.resolution_state IN ('running', "
            "'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) < "
            "(CASE WHEN NEW.response_state IN ('running', 'at_risk', 'breached') AND "
            'NEW.responded_at IS NULL THEN NEW.response_risk_at END) THEN (CASE WHEN '
            "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS "
            'NULL THEN NEW.resolution_risk_at END) ELSE (CASE WHEN NEW.response_state IN '
            "('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL THEN "
            "NEW.response_risk_at END) END) IS NULL OR (CASE WHEN NEW.promise_state IN ('running', "
            "'at_risk', 'breached') AND NEW.promise_kept_at IS NULL THEN NEW.promised_risk_at END) "
            "< (CASE WHEN (CASE WHEN NEW.response_state IN ('running', 'at_risk', 'breached') AND "
            'NEW.responded_at IS NULL THEN NEW.response_risk_at END) IS NULL OR (CASE WHEN '
            "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS "
            "NULL THEN NEW.resolution_risk_at END) < (CASE WHEN NEW.response_state IN ('running', "
            "'at_risk', 'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) "
            "THEN (CASE WHEN NEW.resolution_state IN ('running', 'at_risk', 'breached') AND "
            'NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) ELSE (CASE WHEN '
            "NEW.response_state IN ('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL "
            "THEN NEW.response_risk_at END) END) THEN (CASE WHEN NEW.promise_state IN ('running', "
            "'at_risk', 'breached') AND NEW.promise_kept_at IS NULL THEN NEW.promised_risk_at END) "
            "ELSE (CASE WHEN (CASE WHEN NEW.response_state IN ('running', 'at_risk', 'breached') "
            'AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) IS NULL OR (CASE WHEN '
            "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS "
            "NULL THEN NEW.resolution_risk_at END) < (CASE WHEN NEW.response_state IN ('running', "
            "'at_risk', 'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) "
            "THEN (CASE WHEN NEW.resolution_state IN ('running', 'at_risk', 'breached') AND "
            'NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) ELSE (CASE WHEN '
            "NEW.response_state IN ('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL "
            'THEN NEW.response_risk_at END) END) END END WHERE id = NEW.id; END']}
OLD_TRIGGERS = {'postgresql': ['CREATE OR REPLACE FUNCTION service_case_next_check() RETURNS trigger LANGUAGE '
                "plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' OR ROW(NEW.kind, NEW.paused_since, "
                'NEW.resolution_cycle, NEW.resolution_due_at, NEW.resolution_risk_at, '
                'NEW.resolution_state, NEW.resolved_at, NEW.responded_at, NEW.response_due_at, '
                'NEW.response_risk_at, NEW.response_state, NEW.severity, NEW.status) IS DISTINCT '
                'FROM ROW(OLD.kind, OLD.paused_since, OLD.resolution_cycle, OLD.resolution_due_at, '
                'OLD.resolution_risk_at, OLD.resolution_state, OLD.resolved_at, OLD.responded_at, '
                'OLD.response_due_at, OLD.response_risk_at, OLD.response_state, OLD.severity, '
                "OLD.status) THEN NEW.next_check_at := CASE WHEN NEW.status NOT IN ('closed', "
                "'cancelled') THEN CASE WHEN (CASE WHEN NEW.response_state IN ('running', "
                "'at_risk', 'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at "
                "END) IS NULL OR (CASE WHEN NEW.resolution_state IN ('running', 'at_risk', "
                "'breached') AND NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) < (CASE "
                "WHEN NEW.response_state IN ('running', 'at_risk', 'breached') AND "
                'NEW.responded_at IS NULL THEN NEW.response_risk_at END) THEN (CASE WHEN '
                "NEW.resolution_state IN ('running', 'at_risk', 'breached') AND NEW.resolved_at IS "
                'NULL THEN NEW.resolution_risk_at END) ELSE (CASE WHEN NEW.response_state IN '
                "('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL THEN "
                'NEW.response_risk_at END) END END; END IF; RETURN NEW; END $$',
                'CREATE TRIGGER service_case_next_check BEFORE INSERT OR UPDATE OF kind, '
                'paused_since, resolution_cycle, resolution_due_at, resolution_risk_at, '
                'resolution_state, resolved_at, responded_at, response_due_at, response_risk_at, '
                'response_state, severity, status ON service_case FOR EACH ROW EXECUTE FUNCTION '
                'service_case_next_check()'],
 'sqlite': ['CREATE TRIGGER service_case_next_check_insert AFTER INSERT ON service_case FOR EACH '
            'ROW BEGIN UPDATE service_case SET next_check_at = CASE WHEN NEW.status NOT IN '
            "('closed', 'cancelled') THEN CASE WHEN (CASE WHEN NEW.response_state IN ('running', "
            "'at_risk', 'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) IS "
            "NULL OR (CASE WHEN NEW.resolution_state IN ('running', 'at_risk', 'breached') AND "
            'NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) < (CASE WHEN '
            "NEW.response_state IN ('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL "
            "THEN NEW.response_risk_at END) THEN (CASE WHEN NEW.resolution_state IN ('running', "
            "'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) "
            "ELSE (CASE WHEN NEW.response_state IN ('running', 'at_risk', 'breached') AND "
            'NEW.responded_at IS NULL THEN NEW.response_risk_at END) END END WHERE id = NEW.id; '
            'END',
            'CREATE TRIGGER service_case_next_check_update AFTER UPDATE OF kind, paused_since, '
            'resolution_cycle, resolution_due_at, resolution_risk_at, resolution_state, '
            'resolved_at, responded_at, response_due_at, response_risk_at, response_state, '
            'severity, status ON service_case FOR EACH ROW WHEN NEW.kind IS NOT OLD.kind OR '
            'NEW.paused_since IS NOT OLD.paused_since OR NEW.resolution_cycle IS NOT '
            'OLD.resolution_cycle OR NEW.resolution_due_at IS NOT OLD.resolution_due_at OR '
            'NEW.resolution_risk_at IS NOT OLD.resolution_risk_at OR NEW.resolution_state IS NOT '
            'OLD.resolution_state OR NEW.resolved_at IS NOT OLD.resolved_at OR NEW.responded_at IS '
            'NOT OLD.responded_at OR NEW.response_due_at IS NOT OLD.response_due_at OR '
            'NEW.response_risk_at IS NOT OLD.response_risk_at OR NEW.response_state IS NOT '
            'OLD.response_state OR NEW.severity IS NOT OLD.severity OR NEW.status IS NOT '
            'OLD.status BEGIN UPDATE service_case SET next_check_at = CASE WHEN NEW.status NOT IN '
            "('closed', 'cancelled') THEN CASE WHEN (CASE WHEN NEW.response_state IN ('running', "
            "'at_risk', 'breached') AND NEW.responded_at IS NULL THEN NEW.response_risk_at END) IS "
            "NULL OR (CASE WHEN NEW.resolution_state IN ('running', 'at_risk', 'breached') AND "
            'NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) < (CASE WHEN '
            "NEW.response_state IN ('running', 'at_risk', 'breached') AND NEW.responded_at IS NULL "
            "THEN NEW.response_risk_at END) THEN (CASE WHEN NEW.resolution_state IN ('running', "
            "'at_risk', 'breached') AND NEW.resolved_at IS NULL THEN NEW.resolution_risk_at END) "
            "ELSE (CASE WHEN NEW.response_state IN ('running', 'at_risk', 'breached') AND "
            'NEW.responded_at IS NULL THEN NEW.response_risk_at END) END END WHERE id = NEW.id; '
            'END']}
DROP_TRIGGERS = {'postgresql': ['DROP TRIGGER IF EXISTS service_case_next_check ON service_case',
                'DROP FUNCTION IF EXISTS service_case_next_check()'],
 'sqlite': ['DROP TRIGGER IF EXISTS service_case_next_check_insert',
            'DROP TRIGGER IF EXISTS service_case_next_check_update']}
NEW_LOOK = ("CASE WHEN service_case.status NOT IN ('closed', 'cancelled') THEN CASE WHEN (CASE WHEN (CASE "
 "WHEN service_case.response_state IN ('running', 'at_risk', 'breached') AND "
 'service_case.responded_at IS NULL THEN service_case.response_risk_at END) IS NULL OR (CASE WHEN '
 "service_case.resolution_state IN ('running', 'at_risk', 'breached') AND service_case.resolved_at "
 'IS NULL THEN service_case.resolution_risk_at END) < (CASE WHEN service_case.response_state IN '
 "('running', 'at_risk', 'breached') AND service_case.responded_at IS NULL THEN "
 "service_case.response_risk_at END) THEN (CASE WHEN service_case.resolution_state IN ('running', "
 "'at_risk', 'breached') AND service_case.resolved_at IS NULL THEN service_case.resolution_risk_at "
 "END) ELSE (CASE WHEN service_case.response_state IN ('running', 'at_risk', 'breached') AND "
 'service_case.responded_at IS NULL THEN service_case.response_risk_at END) END) IS NULL OR (CASE '
 "WHEN service_case.promise_state IN ('running', 'at_risk', 'breached') AND "
 'service_case.promise_kept_at IS NULL THEN service_case.promised_risk_at END) < (CASE WHEN (CASE '
 "WHEN service_case.response_state IN ('running', 'at_risk', 'breached') AND "
 'service_case.responded_at IS NULL THEN service_case.response_risk_at END) IS NULL OR (CASE WHEN '
 "service_case.resolution_state IN ('running', 'at_risk', 'breached') AND service_case.resolved_at "
 'IS NULL THEN service_case.resolution_risk_at END) < (CASE WHEN service_case.response_state IN '
 "('running', 'at_risk', 'breached') AND service_case.responded_at IS NULL THEN "
 "service_case.response_risk_at END) THEN (CASE WHEN service_case.resolution_state IN ('running', "
 "'at_risk', 'breached') AND service_case.resolved_at IS NULL THEN service_case.resolution_risk_at "
 "END) ELSE (CASE WHEN service_case.response_state IN ('running', 'at_risk', 'breached') AND "
 'service_case.responded_at IS NULL THEN service_case.response_risk_at END) END) THEN (CASE WHEN '
 "service_case.promise_state IN ('running', 'at_risk', 'breached') AND "
 'service_case.promise_kept_at IS NULL THEN service_case.promised_risk_at END) ELSE (CASE WHEN '
 "(CASE WHEN service_case.response_state IN ('running', 'at_risk', 'breached') AND "
 'service_case.responded_at IS NULL THEN service_case.response_risk_at END) IS NULL OR (CASE WHEN '
 "service_case.resolution_state IN ('running', 'at_risk', 'breached') AND service_case.resolved_at "
 'IS NULL THEN service_case.resolution_risk_at END) < (CASE WHEN service_case.response_state IN '
 "('running', 'at_risk', 'breached') AND service_case.responded_at IS NULL THEN "
 "service_case.response_risk_at END) THEN (CASE WHEN service_case.resolution_state IN ('running', "
 "'at_risk', 'breached') AND service_case.resolved_at IS NULL THEN service_case.resolution_risk_at "
 "END) ELSE (CASE WHEN service_case.response_state IN ('running', 'at_risk', 'breached') AND "
 'service_case.responded_at IS NULL THEN service_case.response_risk_at END) END) END END')


def _triggers(statements):
    dialect = op.get_bind().dialect.name
    for statement in statements[dialect]:
        op.execute(statement)


def _events(events):
    for table in ('notice_template', 'customer_notice'):
        with op.batch_alter_table(table, schema=None, recreate='always') as batch_op:
            batch_op.drop_constraint('event', type_='check')
            batch_op.create_check_constraint('event', f'event IN {events}')


def upgrade():
    _triggers(DROP_TRIGGERS)
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promised_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('promised_risk_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('promise_state', sa.String(length=20), server_default='none', nullable=False))
        batch_op.add_column(sa.Column('promise_kept_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('promise_cycle', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('promise_note', sa.String(length=300), nullable=True))
        batch_op.create_check_constraint('promise_state', f'promise_state IN {CLOCK_STATES}')
    _triggers(NEW_TRIGGERS)
    _events(EVENTS_NEW)


def downgrade():
    op.execute("DELETE FROM customer_notice WHERE event = 'case_promised'")
    op.execute("DELETE FROM notice_template WHERE event = 'case_promised'")
    _events(EVENTS_OLD)
    _triggers(DROP_TRIGGERS)
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.drop_constraint('promise_state', type_='check')
        batch_op.drop_column('promise_note')
        batch_op.drop_column('promise_cycle')
        batch_op.drop_column('promise_kept_at')
        batch_op.drop_column('promise_state')
        batch_op.drop_column('promised_risk_at')
        batch_op.drop_column('promised_at')
    _triggers(OLD_TRIGGERS)
