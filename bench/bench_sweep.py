"""Benchmark: the deadline check among 10 k and 1 M open cases, realistic data.

Run with `python bench/bench_sweep.py [postgresql://postgres@127.0.0.1:5432/test]`.
Creates a dedicated database next to the given one (dropped at the end), runs
the real migration, roles and reference seed, bulk-loads open cases with
generate_series and times, at 10 k and then at 1 M open cases:

- realistic data: 10 % of the cases are long past due (both clocks breached a
  month ago, alerted and escalated to Management), 2 % are at risk (alerted),
  1 000 have just passed their response deadline, the rest run; one real
  check first brings the loaded rows to the state checks leave them in
  ("settle", timed once);
- an idle check: nothing new since the last one (the bulk of the rows are
  past due or at risk, none has anything to raise);
- a check with 1 000 newly due: finds them, marks them breached and raises
  their alerts (breached to the owner, escalated to the department head);
  their state and alerts are reset between runs.

Each figure is the median of several runs. Targets: idle check <= 50 ms, and
1 M / 10 k <= 1.5 for both.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DUE = 1_000
RUNS = 7
# The large size, smaller for a quick trial: BENCH_LARGE=50000.
LARGE = int(os.environ.get("BENCH_LARGE", 1_000_000))


def _admin(url: sa.URL, *statements: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


def _median_ms(
    func: Callable[[], object],
    runs: int = RUNS,
    reset: Callable[[], object] | None = None,
) -> float:
    times = []
    for _ in range(runs):
        if reset is not None:
            reset()
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


LOAD = """
INSERT INTO service_case (
    number, customer_id, kind, severity, category_id, channel_id, stage, urgent,
    title, description, status, department_id, first_ask_owner_id, owner_id,
    received_at, sla_policy_id, response_due_at, response_risk_at, response_state,
    resolution_started_at, resolution_due_at, resolution_risk_at,
    resolution_state, resolution_cycle, escalation_level, reopen_count,
    created_at, changed_at, created_by_id, changed_by_id)
SELECT 'BC-' || lpad(g::text, 8, '0'), :customer, 'complaint', 'general',
       :category, :channel, 'other', false, '基准工单 ' || g, '基准数据', 'new',
       :department, :owner, :owner,
       CASE WHEN g > :due AND g % 10 = 0 THEN now() - interval '40 days'
            ELSE now() - interval '1 hour' END,
       :policy,
       CASE WHEN g <= :due THEN now() - interval '10 minutes'
            WHEN g % 10 = 0 THEN now() - interval '39 days'
            WHEN g % 50 = 1 THEN now() + interval '1 day'
            ELSE now() + interval '1 day' + (g % 5000) * interval '1 minute' END,
       CASE WHEN g <= :due THEN now() - interval '2 hours'
            WHEN g % 10 = 0 THEN now() - interval '39 days 2 hours'
            WHEN g % 50 = 1 THEN now() - interval '1 hour'
            ELSE now() + interval '20 hours' + (g % 5000) * interval '1 minute' END,
       CASE WHEN g <= :due THEN 'running' WHEN g % 10 = 0 THEN 'breached'
            WHEN g % 50 = 1 THEN 'at_risk' ELSE 'running' END,
       now() - interval '1 hour',
       CASE WHEN g > :due AND g % 10 = 0 THEN now() - interval '33 days'
            ELSE now() + interval '7 days' END,
       CASE WHEN g > :due AND g % 10 = 0 THEN now() - interval '35 days'
            ELSE now() + interval '5 days' END,
       CASE WHEN g > :due AND g % 10 = 0 THEN 'breached' ELSE 'running' END,
       0, CASE WHEN g > :due AND g % 10 = 0 THEN 2 ELSE 0 END, 0,
       now(), now(), :owner, :owner
FROM generate_series(:first, :last) AS g
"""

# The alerts the long past due and at-risk cases already had.
ALERTED = """
INSERT INTO notification (record_type, record_id, clock, level, cycle, title,
                          body, link, department_id, created_at)
SELECT 'case', c.id, a.clock, a.level, 0, '基准提醒 ' || c.number, c.number,
       '/cases/show/' || c.id, c.department_id, now()
FROM service_case c
JOIN (VALUES ('response', 'breached'), ('response', 'escalated'),
             ('response', 'management'), ('resolution', 'breached'),
             ('resolution', 'escalated'), ('resolution', 'management'))
     AS a(clock, level) ON c.response_state = 'breached'
WHERE c.number BETWEEN :lo AND :hi AND c.number > :last_due
UNION ALL
SELECT 'case', c.id, 'response', 'at_risk', 0, '基准提醒 ' || c.number, c.number,
       '/cases/show/' || c.id, c.department_id, now()
FROM service_case c
WHERE c.number BETWEEN :lo AND :hi AND c.response_state = 'at_risk'
"""

NEWLY_DUE = "SELECT id FROM service_case WHERE number <= :last_due"


def _mark(total: int) -> str:
    return f"bench sweep: {total} cases, settled"


def _is_built(base: sa.URL, name: str, total: int) -> bool:
    engine = sa.create_engine(base)
    with engine.connect() as conn:
        comment = conn.execute(
            sa.text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname = :name"
            ),
            {"name": name},
        ).scalar()
    engine.dispose()
    return comment == _mark(total)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "url",
        nargs="?",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep each scale's database (bench_sweep_<cases>) and reuse it",
    )
    parser.add_argument(
        "--prefix", default="bench_sweep", help="database names: PREFIX_<cases>"
    )
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--json", action="store_true", help="last line: the figures as JSON"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reuse", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    base = sa.engine.make_url(options.url)
    if options.child:
        # One scale in its own interpreter (caches of one database stay there).
        total = options.child
        figures = run(
            base.set(database=f"{options.prefix}_{total}"),
            total,
            reuse=options.reuse,
            explain=options.explain,
        )
        print(json.dumps(figures))
        return 0
    figures = {}
    for total in (10_000, LARGE):
        name = f"{options.prefix}_{total}"
        reuse = options.keep and _is_built(base, name, total)
        if not reuse:
            _admin(
                base,
                f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
                f"CREATE DATABASE {name}",
            )
        try:
            command = [sys.executable, __file__, options.url, "--child", str(total)]
            command += ["--prefix", options.prefix]
            command += ["--reuse"] * reuse + ["--explain"] * options.explain
            child = subprocess.run(  # noqa: S603 - this script, no outside input
                command, check=True, stdout=subprocess.PIPE, text=True
            )
            lines = child.stdout.strip().splitlines()
            print("\n".join(lines[:-1]), flush=True)
            figures[total] = json.loads(lines[-1])
            if options.keep and not reuse:
                _admin(base, f"COMMENT ON DATABASE {name} IS '{_mark(total)}'")
        finally:
            if not options.keep:
                _admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    report(figures)
    if options.json:
        print(json.dumps(figures))
    return 0


def run(url: sa.URL, total: int, reuse: bool, explain: bool) -> list:
    """Load `total` open cases into the empty database of `url` (unless
    `reuse`), then time an idle check and a check with 1 000 newly due."""
    import logging

    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.clocks import deadline_check
    from config import get_config

    config = get_config("development")
    config.SECRET_KEY = secrets.token_hex(32)  # signs nothing that outlives the run
    config.SQLALCHEMY_DATABASE_URI = url.render_as_string(hide_password=False)
    app = create_app(config)
    logging.getLogger().setLevel(logging.WARNING)
    last_due = f"BC-{DUE:08d}"
    with app.app_context():
        upgrade()
        if not reuse:
            _load(db, total, last_due)
        logging.getLogger().setLevel(logging.WARNING)

        due_ids = [
            r[0] for r in db.session.execute(sa.text(NEWLY_DUE), {"last_due": last_due})
        ]
        db.session.rollback()

        def reset() -> None:
            """The 1 000 newly due again: running, no alerts, level 0."""
            ids = {"ids": due_ids}
            db.session.execute(
                sa.text(
                    "UPDATE service_case SET response_state = 'running', "
                    "escalation_level = 0 WHERE id = ANY(:ids)"
                ),
                ids,
            )
            db.session.execute(
                sa.text(
                    "DELETE FROM notification_recipient WHERE notification_id IN "
                    "(SELECT id FROM notification WHERE record_type = 'case' "
                    "AND record_id = ANY(:ids))"
                ),
                ids,
            )
            db.session.execute(
                sa.text(
                    "DELETE FROM notification WHERE record_type = 'case' "
                    "AND record_id = ANY(:ids)"
                ),
                ids,
            )
            db.session.commit()

        def sweep() -> deadline_check.SweepResult:
            result = deadline_check.check_deadlines()
            db.session.remove()
            return result

        def idle() -> None:
            result = sweep()
            if result.total_raised or result.total_marked:
                raise RuntimeError(f"idle check did something: {result}")

        if reuse:
            reset()
            sweep()  # the 1 000 handled: the state an idle check finds
        past_due = db.session.execute(
            sa.text(
                "SELECT count(*) FILTER (WHERE response_state = 'breached'), "
                "count(*) FILTER (WHERE response_state = 'at_risk'), count(*) "
                "FROM service_case WHERE status NOT IN ('closed', 'cancelled')"
            )
        ).one()
        db.session.rollback()
        if explain:
            _explain(db, deadline_check)
        idle_ms = _median_ms(idle, runs=3 * RUNS)

        def newly_due() -> None:
            result = sweep()
            if (result.marked["case"], result.raised["case"]) != (DUE, 2 * DUE):
                raise RuntimeError(f"unexpected check: {result}")

        due_ms = _median_ms(newly_due, reset=reset)
        db.session.remove()
        db.engine.dispose()
    return [list(past_due), idle_ms, due_ms]


def _explain(db, deadline_check) -> None:
    """Print the plan of the idle check's one read."""
    from app.models import now

    params = {"moment": now(), "policies": deadline_check._immediate_policies()}
    compiled = (
        deadline_check._due_query()
        .params(**params)
        .compile(dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True})
    )
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET LOCAL enable_bitmapscan = off")  # as the check does
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + compiled.string, compiled.params)
        print("\n".join(r[0] for r in cursor.fetchall()), flush=True)
        raw.rollback()
    finally:
        raw.close()


def _load(db, total: int, last_due: str) -> None:
    """Seed the reference data, load `total` open cases, settle them."""
    from app.models import (
        AppUser,
        CaseCategory,
        Channel,
        Customer,
        CustomerType,
        SlaPolicy,
    )
    from app.security import customer_scope
    from app.security.access import acting_as, system_user
    from app.seed.demo import seed_users
    from app.seed.reference import seed_reference
    from app.services.clocks import deadline_check
    from app.services.core import records
    from app.services.core.setup import sync_roles

    sync_roles()
    with acting_as(system_user()):
        seed_reference()
        seed_users("bench-only-password")
        customer = Customer(
            name="基准测试客户有限公司",
            status="active",
            customer_type=db.session.scalars(
                sa.select(CustomerType).filter_by(code="supplier")
            ).one(),
        )
        records.before_create(customer)
        db.session.add(customer)
        db.session.commit()
    owner = db.session.scalars(sa.select(AppUser).filter_by(username="cs")).one()
    category = db.session.scalars(
        sa.select(CaseCategory).filter_by(code="quality")
    ).one()
    params = {
        "customer": customer.id,
        "category": category.id,
        "channel": db.session.scalars(
            sa.select(Channel.id).filter_by(code="hotline")
        ).one(),
        "department": category.default_department_id,
        "owner": owner.id,
        "policy": db.session.scalars(
            sa.select(SlaPolicy.id).filter_by(kind="complaint", severity="general")
        ).one(),
        "due": DUE,
    }
    start = time.perf_counter()
    # All the cases are the one customer's: counted by the scope trigger one
    # by one in one statement, its scope row would get `total` versions, each
    # insert walking the ones before it. Counted once after the load instead.
    scope_trigger = "service_case_customer_scope"
    db.session.execute(
        sa.text(f"ALTER TABLE service_case DISABLE TRIGGER {scope_trigger}")
    )
    db.session.execute(sa.text(LOAD), {**params, "first": 1, "last": total})
    db.session.execute(
        sa.text(f"ALTER TABLE service_case ENABLE TRIGGER {scope_trigger}")
    )
    for statement in customer_scope.rebuild_sql():
        db.session.execute(sa.text(statement))
    db.session.execute(
        sa.text(ALERTED),
        {"lo": f"BC-{1:08d}", "hi": f"BC-{total:08d}", "last_due": last_due},
    )
    db.session.commit()
    _vacuum(db)
    print(f"loaded {total:,} cases in {time.perf_counter() - start:.1f} s", flush=True)
    start = time.perf_counter()
    settle = deadline_check.check_deadlines()
    db.session.remove()
    print(f"settle check: {time.perf_counter() - start:.1f} s, {settle}", flush=True)
    if (settle.marked["case"], settle.raised["case"]) != (DUE, 2 * DUE):
        raise RuntimeError(f"unexpected settle check: {settle}")
    _autovacuum(db)


def _vacuum(db) -> None:
    """What autovacuum does after a bulk change (it is off on this server)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE service_case"))
        conn.execute(sa.text("VACUUM ANALYZE notification"))


AUTOVACUUM = """
SELECT s.relname, s.n_dead_tup, s.n_mod_since_analyze, c.reltuples,
       coalesce((SELECT split_part(o, '=', 2)::float FROM unnest(c.reloptions) o
                 WHERE o LIKE 'autovacuum_vacuum_scale_factor=%'),
                current_setting('autovacuum_vacuum_scale_factor')::float),
       coalesce((SELECT split_part(o, '=', 2)::float FROM unnest(c.reloptions) o
                 WHERE o LIKE 'autovacuum_vacuum_threshold=%'),
                current_setting('autovacuum_vacuum_threshold')::float),
       current_setting('autovacuum_analyze_scale_factor')::float,
       current_setting('autovacuum_analyze_threshold')::float
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.relname = ANY(:tables)
"""


def _autovacuum(db) -> None:
    db.session.remove()
    db.engine.dispose()  # the closed sessions report their statistics
    autovacuum(db.engine, ("service_case", "notification", "notification_recipient"))


def autovacuum(engine: sa.Engine, tables: tuple[str, ...]) -> None:
    """What autovacuum would do now (it is off on this server), by its
    thresholds (the table's own settings, else the server's): VACUUM a table
    with more dead rows than threshold + scale x rows, ANALYZE one with more
    changes than the analyze threshold; printed."""
    time.sleep(1)  # statistics are reported at most once a second
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
        found = conn.execute(sa.text(AUTOVACUUM), {"tables": list(tables)}).all()
        for name, dead, changed, rows, scale, base, a_scale, a_base in found:
            vacuum = dead > base + scale * rows
            analyze = changed > a_base + a_scale * rows
            verb = " ".join(
                w for w, on in (("VACUUM", vacuum), ("ANALYZE", analyze)) if on
            )
            print(
                f"  {name}: {dead:,} dead of {rows:,.0f} rows (vacuum above "
                f"{base + scale * rows:,.0f}), {changed:,} changed: "
                f"{verb or 'nothing'}",
                file=sys.stderr,
                flush=True,
            )
            if verb:
                conn.execute(sa.text(f"{verb} {name}"))


def report(figures: dict) -> None:
    print()
    print(
        f"{'open cases':>12} {'breached':>9} {'at risk':>8} "
        f"{'idle check':>12} {'1,000 newly due':>16}"
    )
    for total, ((breached, at_risk, _), idle_ms, due_ms) in figures.items():
        print(
            f"{total:>12,} {breached:>9,} {at_risk:>8,} "
            f"{idle_ms:>9.1f} ms {due_ms:>13.1f} ms"
        )
    small, large = figures[10_000], figures[LARGE]
    print()
    print(
        f"1 M / 10 k: idle check {large[1] / small[1]:.2f}, check with 1,000 "
        f"newly due {large[2] / small[2]:.2f} (target <= 1.5; idle <= 50 ms)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
