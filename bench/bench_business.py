"""Benchmark: the dashboard's business charts over 10 k and 1 M weigh lines.

Run with `python bench/bench_business.py [postgresql://postgres@127.0.0.1:5432/test]`.
Creates a dedicated database next to the given one (dropped at the end), runs
the real migration, roles and reference seed, bulk-loads with generate_series
weigh tickets and weigh lines spread over the last 12 months (4 lines a
ticket, 200 customers in 10 regions, every seeded material and grade), plus
one settlement line in force per 10 weigh lines (half purchases, half sales),
and times, at 10 k and then at 1 M weigh lines, each chart of the dashboard's
business statistics (the JSON the page fetches, built by SQL GROUP BY) for
Management (sees everything) and for a Warehouse clerk (scoped: the rule's
subquery on weigh tickets), and the bare SQL of the largest one. Each figure
is the median of several runs. Also prints the size of each chart's JSON,
which does not grow with the table (12 months, at most 10 materials/regions).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import volume
from bench.bench_sweep import _median_ms

RUNS = 5
CHARTS = ("business_volumes", "business_materials", "business_regions")
CHARTS += ("business_amounts",)


CUSTOMERS = """
INSERT INTO customer (code, name, customer_type_id, region, department_id, status,
                      version, created_at, changed_at, created_by_id, changed_by_id)
SELECT 'BK-' || lpad(g::text, 6, '0'), '基准客户' || g, :ctype,
       (ARRAY['杭州市西湖区','宁波市北仑区','温州市鹿城区','嘉兴市南湖区','湖州市吴兴区',
              '绍兴市越城区','金华市婺城区','衢州市柯城区','台州市椒江区','丽水市莲都区'])
       [1 + g % 10], :department, 'active', 1, now(), now(), :user, :user
FROM generate_series(1, 200) AS g
"""

TICKETS = """
INSERT INTO weigh_ticket (number, customer_id, department_id, created_at, changed_at,
                          created_by_id, changed_by_id)
SELECT 'BT-' || lpad(g::text, 8, '0'),
       (SELECT min(id) FROM customer WHERE code LIKE 'BK-%') + g % 200,
       :department, now(), now(), :user, :user
FROM generate_series(:first, :last) AS g
"""

# Materials and grades as in the price list (purchase side), cycled.
LINES = """
WITH kinds AS (
    SELECT row_number() OVER (ORDER BY id) - 1 AS k, material_id, grade_id
    FROM price_list WHERE direction = 'purchase'
), n AS (SELECT count(*) AS c FROM kinds)
INSERT INTO weigh_line (ticket_id, material_id, grade_id, gross_kg, gross_at,
                        gross_by_id, tare_kg, tare_at, tare_by_id, net_kg, version)
SELECT t.id, kinds.material_id, kinds.grade_id, 1500 + g % 700, at, :user,
       500 + g % 300, at, :user, (1500 + g % 700) - (500 + g % 300), 1
FROM generate_series(:first, :last) AS g
CROSS JOIN n
JOIN kinds ON kinds.k = g % n.c
JOIN weigh_ticket t ON t.number = 'BT-' || lpad(((g + 3) / 4)::text, 8, '0')
CROSS JOIN LATERAL (
    SELECT now() - ((g::bigint * 7919) % (360 * 24)) * interval '1 hour' AS at
) instant
"""

SETTLEMENTS = """
INSERT INTO settlement (number, direction, customer_id, status, total, confirmed_at,
                        paid_at, voucher_no, department_id, due_state,
                        escalation_level, invoice_status, version, created_at,
                        changed_at, created_by_id, changed_by_id)
SELECT 'BS-' || lpad(g::text, 8, '0'),
       CASE WHEN g % 2 = 0 THEN 'pay' ELSE 'receive' END,
       (SELECT min(id) FROM customer WHERE code LIKE 'BK-%') + g % 200,
       CASE WHEN g % 3 = 0 THEN 'paid' ELSE 'confirmed' END,
       2000.00, at, CASE WHEN g % 3 = 0 THEN at + interval '2 days' END,
       CASE WHEN g % 3 = 0 THEN 'BV-' || g END, :finance, 'none', 0, 'pending', 1,
       now(), now(), :user, :user
FROM generate_series(:first, :last) AS g
CROSS JOIN LATERAL (
    SELECT now() - ((g::bigint * 7919) % (360 * 24)) * interval '1 hour' AS at
) instant
"""

SETTLEMENT_LINES = """
WITH kinds AS (
    SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, material_id, grade_id,
           unit_price
    FROM price_list WHERE direction = 'purchase'
), n AS (SELECT count(*) AS c FROM kinds)
INSERT INTO settlement_line (settlement_id, material_id, grade_id, price_id, net_kg,
                             unit_price, amount)
SELECT s.id, kinds.material_id, kinds.grade_id, kinds.id, 1000, kinds.unit_price,
       1000 * kinds.unit_price
FROM generate_series(:first, :last) AS g
CROSS JOIN n
JOIN kinds ON kinds.k = g % n.c
JOIN settlement s ON s.number = 'BS-' || lpad(g::text, 8, '0')
"""

BARE = """
SELECT m.name, sum(round(w.net_kg * 1000)::bigint)
FROM weigh_line w JOIN weigh_ticket t ON t.id = w.ticket_id
JOIN material m ON m.id = w.material_id
WHERE w.gross_at >= :start AND w.gross_at < :end AND w.net_kg IS NOT NULL
GROUP BY m.name
"""


def main() -> int:
    with volume.scratch_database("bench_finance") as url:
        return run(url)


def run(url: sa.URL) -> int:
    from app.extensions import db
    from app.models import AppUser, CustomerType, Department, now
    from app.services.reporting import dashboard, kpi

    volume.prepare(url)
    app = volume.app_for(url)
    with app.app_context():

        def one(model: object, **where: object) -> object:
            return db.session.scalars(sa.select(model).filter_by(**where)).one()

        manager = one(AppUser, username="manager")
        clerk = one(AppUser, username="warehouse")
        params = {
            "user": manager.id,
            "department": one(Department, code="warehouse").id,
            "finance": one(Department, code="finance").id,
            "ctype": one(CustomerType, code="supplier").id,
        }
        db.session.execute(sa.text(CUSTOMERS), params)
        db.session.commit()
        month = kpi.month_of(now())
        window = kpi.Window.ending(month, 12)

        def load(first: int, last: int) -> float:
            start = time.perf_counter()
            span = {"first": first, "last": last}
            tickets = {"first": (first + 3) // 4, "last": (last + 3) // 4}
            settlements = {"first": (first + 9) // 10, "last": last // 10}
            db.session.execute(sa.text(TICKETS), {**params, **tickets})
            db.session.execute(sa.text(LINES), {**params, **span})
            db.session.execute(sa.text(SETTLEMENTS), {**params, **settlements})
            db.session.execute(sa.text(SETTLEMENT_LINES), settlements)
            db.session.commit()
            with db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
            return time.perf_counter() - start

        def chart(name: str, user: object) -> Callable[[], int]:
            def build() -> int:
                payload = dashboard.chart(name, user, month)
                db.session.rollback()
                return len(json.dumps(payload, ensure_ascii=False))

            return build

        def bare() -> None:
            db.session.execute(
                sa.text(BARE), {"start": window.start, "end": window.end}
            ).all()
            db.session.rollback()

        figures: dict[int, dict[str, tuple[float, float, int]]] = {}
        bare_ms: dict[int, float] = {}
        for total, first in ((10_000, 1), (1_000_000, 10_001)):
            seconds = load(first, total)
            print(
                f"loaded {total - first + 1:,} weigh lines (and their tickets, "
                f"settlements) in {seconds:.1f} s",
                flush=True,
            )
            figures[total] = {}
            for name in CHARTS:
                size = chart(name, manager)()
                figures[total][name] = (
                    _median_ms(chart(name, manager)),
                    _median_ms(chart(name, clerk)),
                    size,
                )
            bare_ms[total] = _median_ms(bare)

    print()
    print(
        f"{'chart':<20} {'weigh lines':>12} {'Management':>12} {'Warehouse':>12} "
        f"{'JSON bytes':>11}"
    )
    for total, charts in figures.items():
        for name, (all_ms, scoped_ms, size) in charts.items():
            print(
                f"{name:<20} {total:>12,} {all_ms:>9.1f} ms {scoped_ms:>9.1f} ms "
                f"{size:>11,}"
            )
        print(f"{'bare SQL (materials)':<20} {total:>12,} {bare_ms[total]:>9.1f} ms")
    print()
    small, large = figures[10_000], figures[1_000_000]
    for name in CHARTS:
        print(
            f"{name}: 1 M / 10 k = {large[name][0] / small[name][0]:.1f} "
            f"(Management), {large[name][1] / small[name][1]:.1f} (Warehouse); "
            f"JSON {small[name][2]:,} -> {large[name][2]:,} bytes"
        )
    print(f"bare SQL: 1 M / 10 k = {bare_ms[1_000_000] / bare_ms[10_000]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
