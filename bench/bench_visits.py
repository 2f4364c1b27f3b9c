"""Benchmark: the monthly visit summary over 10 k and 1 M key-account visits.

Run with `python bench/bench_visits.py [postgresql://postgres@127.0.0.1:5432/test]`.
Creates a dedicated database next to the given one (dropped at the end), runs
the real migration, roles and reference seed and the demo users, bulk-loads
with generate_series 200 key accounts (half of them represented by the demo
sales rep), one yearly plan each, and visits spread over the last 12 months
(visitors cycling through the customer-service and operations staff, one in
three made, one in fifty cancelled, one in a hundred with an urgent report),
then times, at 10 k and then at 1 M visits, the monthly summary of the
current month (seed 003 第十条, one SQL GROUP BY) for Management (sees
everything), the Sales rep (the accounts they represent) and an Operations
technician (the visits they make). Each figure is the median of several
runs. The summary's rows are at most visitors x accounts of the month (here
8 x 200), whatever the table holds; its cost follows the month's visits.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import volume
from bench.bench_sweep import _median_ms

CUSTOMERS = """
INSERT INTO customer (code, name, customer_type_id, region, department_id, status,
                      sales_rep_id, key_account, version, created_at, changed_at,
                      created_by_id, changed_by_id)
SELECT 'VK-' || lpad(g::text, 6, '0'), '重点客户' || g, :ctype, '杭州市西湖区',
       :sales_department, 'active', CASE WHEN g % 2 = 0 THEN :rep END, true, 1,
       now(), now(), :user, :user
FROM generate_series(1, 200) AS g
"""

PLANS = """
INSERT INTO visit_plan (number, customer_id, period, starts_on, ends_on, visitor_id,
                        department_id, version, created_at, changed_at,
                        created_by_id, changed_by_id)
SELECT 'VP-' || c.code, c.id, 'year', make_date(y, 1, 1), make_date(y, 12, 31),
       :visitor, :cs_department, 1, now(), now(), :user, :user
FROM customer c CROSS JOIN (SELECT :year AS y) AS year
WHERE c.code LIKE 'VK-%'
"""

# Visitors cycle through :visitors; dates spread over the 360 days up to today.
VISITS = """
WITH plans AS (
    SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, customer_id
    FROM visit_plan WHERE number LIKE 'VP-VK-%'
), n AS (SELECT count(*) AS c FROM plans)
INSERT INTO visit (number, plan_id, customer_id, visitor_id, planned_on, status,
                   visited_at, opinions, urgent, urgent_kind, department_id, version,
                   created_at, changed_at, created_by_id, changed_by_id)
SELECT 'BV-' || lpad(g::text, 8, '0'), plans.id, plans.customer_id,
       (CAST(:visitors AS integer[]))[1 + g % :visitor_count],
       day,
       CASE WHEN g % 50 = 0 THEN 'cancelled' WHEN g % 3 = 0 THEN 'done'
            ELSE 'planned' END,
       CASE WHEN g % 3 = 0 AND g % 50 <> 0 THEN day + time '10:00' END,
       CASE WHEN g % 3 = 0 AND g % 50 <> 0 THEN '客户意见' END,
       g % 100 = 0, CASE WHEN g % 100 = 0 THEN 'other' END,
       :cs_department, 1, now(), now(), :user, :user
FROM generate_series(:first, :last) AS g
CROSS JOIN n
JOIN plans ON plans.k = g % n.c
CROSS JOIN LATERAL (
    SELECT current_date - CAST((g::bigint * 7919) % 360 AS integer) AS day
) planned
"""


def main() -> int:
    with volume.scratch_database("bench_visits") as url:
        return run(url)


def run(url: sa.URL) -> int:
    from app.extensions import db
    from app.models import BUSINESS_TZ, AppUser, CustomerType, Department, now
    from app.services.reporting import kpi
    from app.services.visits.key_accounts import monthly_summary

    volume.prepare(url)
    app = volume.app_for(url)
    with app.app_context():

        def one(model: object, **where: object) -> object:
            return db.session.scalars(sa.select(model).filter_by(**where)).one()

        manager = one(AppUser, username="manager")
        rep = one(AppUser, username="sales")
        technician = one(AppUser, username="ops2")
        visitors = [
            one(AppUser, username=n).id for n in ("cs", "cs2", "ops", "ops2")
        ] * 2
        today = now().astimezone(BUSINESS_TZ).date()
        params = {
            "user": manager.id,
            "rep": rep.id,
            "visitor": visitors[1],
            "sales_department": one(Department, code="sales").id,
            "cs_department": one(Department, code="cs").id,
            "ctype": one(CustomerType, code="partner").id,
            "year": today.year,
        }
        db.session.execute(sa.text(CUSTOMERS), params)
        db.session.execute(sa.text(PLANS), params)
        db.session.commit()
        month = kpi.month_of(now())

        def load(first: int, last: int) -> float:
            start = time.perf_counter()
            db.session.execute(
                sa.text(VISITS),
                {
                    **params,
                    "first": first,
                    "last": last,
                    "visitors": visitors,
                    "visitor_count": len(visitors),
                },
            )
            db.session.commit()
            with db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
            return time.perf_counter() - start

        def summary(user: object) -> object:
            def build() -> int:
                found = monthly_summary(month, user)
                db.session.rollback()
                return len(found.rows)

            return build

        figures: dict[int, dict[str, tuple[float, int]]] = {}
        for total, first in ((10_000, 1), (1_000_000, 10_001)):
            seconds = load(first, total)
            print(f"loaded {total - first + 1:,} visits in {seconds:.1f} s", flush=True)
            in_month = db.session.scalar(
                sa.text("SELECT count(*) FROM visit WHERE planned_on >= :m"),
                {"m": month},
            )
            db.session.rollback()
            figures[total] = {}
            for who, user in (
                ("Management", manager),
                ("Sales", rep),
                ("Operations", technician),
            ):
                rows = summary(user)()
                figures[total][who] = (_median_ms(summary(user)), rows, in_month)

    print()
    print(f"{'visits':>10} {'viewer':<11} {'summary':>10} {'rows':>6} {'in month':>9}")
    for total, viewers in figures.items():
        for who, (ms, rows, in_month) in viewers.items():
            print(f"{total:>10,} {who:<11} {ms:>7.1f} ms {rows:>6} {in_month:>9,}")
    print()
    small, large = figures[10_000], figures[1_000_000]
    for who in small:
        print(
            f"monthly summary, {who}: 1 M / 10 k = {large[who][0] / small[who][0]:.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
