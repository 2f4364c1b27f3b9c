"""Benchmark: the deadline check with 1 000 cases due among 10 k and among 1 M.

Run with `python bench/bench_sweep.py [postgresql://postgres@127.0.0.1:5432/test]`.
Creates a dedicated database next to the given one (dropped at the end), runs
the real migration, roles and reference seed, bulk-loads open cases with
generate_series (1 000 of them past their response deadline, the rest not
yet at risk), and times, at 10 k and then at 1 M open cases:

- the first sweep: finds the 1 000, marks them breached and raises their
  alerts (breached to the owner, escalated to the department head);
- a repeat sweep: the same 1 000 are still open and due, nothing is new;
- the bare SQL selecting the same 1 000 rows from the same partial index;
- the bare SQL doing the first sweep's writes (one hand-written statement).

Each figure is the median of several runs (the first sweep's state is reset
between runs). Targets: 1 M / 10 k <= 1.5; sweep / bare SQL <= 3.
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DUE = 1_000
RUNS = 7


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
       :department, :owner, :owner, now() - interval '1 hour', :policy,
       CASE WHEN g <= :due THEN now() - interval '10 minutes'
            ELSE now() + interval '1 day' + (g % 5000) * interval '1 minute' END,
       CASE WHEN g <= :due THEN now() - interval '2 hours'
            ELSE now() + interval '20 hours' + (g % 5000) * interval '1 minute' END,
       'running', now() - interval '1 hour',
       now() + interval '7 days', now() + interval '5 days', 'running', 0, 0, 0,
       now(), now(), :owner, :owner
FROM generate_series(:first, :last) AS g
"""

BARE = """
SELECT id FROM service_case
WHERE status NOT IN ('closed', 'cancelled') AND response_risk_at <= :now
  AND response_state IN ('running', 'at_risk', 'breached')
  AND responded_at IS NULL
"""


# The same work as the first sweep, hand-written in one statement: mark the
# due rows breached (escalation level 1), raise the breached alert to the
# owner and the escalated alert to the department head.
BARE_WRITES = """
WITH due AS (
    UPDATE service_case SET response_state = 'breached', escalation_level = 1
    WHERE id IN (
        SELECT id FROM service_case
        WHERE status NOT IN ('closed', 'cancelled') AND response_risk_at <= :now
          AND response_state IN ('running', 'at_risk') AND responded_at IS NULL)
    RETURNING id, number, department_id, owner_id, response_due_at
), raised AS (
    INSERT INTO notification (record_type, record_id, clock, level, cycle, title,
                              body, link, department_id, created_at)
    SELECT 'case', due.id, 'response', level.name, 0,
           '【超时】工单 ' || due.number || ' 响应时限已超时',
           due.number, '/cases/show/' || due.id, due.department_id, now()
    FROM due CROSS JOIN (VALUES ('breached'), ('escalated')) AS level(name)
    ON CONFLICT DO NOTHING
    RETURNING id, record_id, level
)
INSERT INTO notification_recipient (notification_id, user_id)
SELECT raised.id, CASE raised.level WHEN 'breached' THEN due.owner_id
                   ELSE :head END
FROM raised JOIN due ON due.id = raised.record_id
ON CONFLICT DO NOTHING
"""


def main() -> int:
    base = sa.engine.make_url(
        sys.argv[1]
        if len(sys.argv) > 1
        else os.environ.get(
            "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
        )
    )
    name = f"bench_sweep_{os.getpid()}"
    _admin(base, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    url = base.set(database=name)
    try:
        return run(url)
    finally:
        _admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(url: sa.URL) -> int:
    import logging

    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.models import (
        AppUser,
        CaseCategory,
        Channel,
        Customer,
        CustomerType,
        SlaPolicy,
        now,
    )
    from app.security.access import acting_as, system_user
    from app.seed.demo import seed_users
    from app.seed.reference import seed_reference
    from app.services.clocks import deadline_check
    from app.services.core import records
    from app.services.core.setup import sync_roles
    from config import get_config

    config = get_config("development")
    config.SECRET_KEY = secrets.token_hex(32)  # signs nothing that outlives the run
    config.SQLALCHEMY_DATABASE_URI = url.render_as_string(hide_password=False)
    app = create_app(config)
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
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
        logging.getLogger().setLevel(logging.WARNING)
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

        def load(first: int, last: int) -> float:
            start = time.perf_counter()
            db.session.execute(sa.text(LOAD), {**params, "first": first, "last": last})
            db.session.commit()
            with db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as conn:
                conn.execute(sa.text("VACUUM ANALYZE service_case"))
            return time.perf_counter() - start

        def analyze() -> None:
            with db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as conn:
                conn.execute(sa.text("ANALYZE"))

        def reset() -> None:
            db.session.execute(
                sa.text(
                    "UPDATE service_case SET response_state = 'running', "
                    "escalation_level = 0 WHERE id IN (SELECT id FROM service_case "
                    "WHERE response_state = 'breached')"
                )
            )
            db.session.execute(sa.text("DELETE FROM notification_recipient"))
            db.session.execute(sa.text("DELETE FROM notification"))
            db.session.commit()

        def sweep() -> deadline_check.SweepResult:
            result = deadline_check.check_deadlines()
            db.session.remove()
            return result

        def bare() -> int:
            rows = db.session.execute(sa.text(BARE), {"now": now()}).all()
            db.session.rollback()
            return len(rows)

        head = owner.id  # the demo CustomerService user heads its department

        def bare_writes() -> None:
            db.session.execute(sa.text(BARE_WRITES), {"now": now(), "head": head})
            db.session.commit()

        figures = {}
        for total, first in ((10_000, 1), (1_000_000, 10_001)):
            seconds = load(first, total)
            print(f"loaded {total - first + 1:,} cases in {seconds:.1f} s", flush=True)
            reset()
            check = sweep()
            if (check.marked["case"], check.raised["case"], bare()) != (
                DUE,
                2 * DUE,
                DUE,
            ):
                raise RuntimeError(f"unexpected sweep: {check}")
            # Statistics with alerts present, as autovacuum keeps them.
            analyze()
            first_ms = _median_ms(sweep, reset=reset)
            sweep()
            analyze()
            repeat_ms = _median_ms(sweep)
            bare_ms = _median_ms(bare, runs=3 * RUNS)
            writes_ms = _median_ms(bare_writes, reset=reset)
            figures[total] = (first_ms, repeat_ms, bare_ms, writes_ms)

    print()
    print(
        f"{'open cases':>12} {'due':>6} {'first sweep':>13} {'repeat sweep':>14} "
        f"{'bare SQL':>10} {'bare SQL + same writes':>23}"
    )
    for total, (first_ms, repeat_ms, bare_ms, writes_ms) in figures.items():
        print(
            f"{total:>12,} {DUE:>6,} {first_ms:>10.1f} ms {repeat_ms:>11.1f} ms "
            f"{bare_ms:>7.2f} ms {writes_ms:>20.1f} ms"
        )
    small, large = figures[10_000], figures[1_000_000]
    print()
    print(
        f"1 M / 10 k: first sweep {large[0] / small[0]:.2f}, repeat sweep "
        f"{large[1] / small[1]:.2f}, bare SQL {large[2] / small[2]:.2f} "
        "(target <= 1.5)"
    )
    for total, (first_ms, repeat_ms, bare_ms, writes_ms) in figures.items():
        print(
            f"at {total:,}: repeat sweep / bare SELECT {repeat_ms / bare_ms:.1f}; "
            f"first sweep / bare SQL doing the same writes "
            f"{first_ms / writes_ms:.1f} (target <= 3); "
            f"first sweep / bare SELECT {first_ms / bare_ms:.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
