"""Benchmark: the monthly regrading proposal over 10 k and 1 M weigh lines.

Run with `python bench/bench_grading.py [postgresql://postgres@127.0.0.1:5432/test]
[LARGE]` (LARGE default 1 000 000; pass 100000 on a busy machine). Creates a
dedicated database next to the given one (dropped at the end), runs the real
migration, roles and reference seed (grades A-D), loads with the statements
of bench/bench_business.py weigh tickets and lines spread over the last 12
months across 200 customers, one settlement line in force per 10 weigh lines
(half of them sales, which count as volume), and times
`grading.propose(month)` - the one INSERT ... SELECT that sums each
customer's 12 months and picks the grade - at 10 k and then at the large
size, median of several runs (the proposals are deleted between runs).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import volume
from bench.bench_business import (
    CUSTOMERS,
    LINES,
    SETTLEMENT_LINES,
    SETTLEMENTS,
    TICKETS,
)
from bench.bench_sweep import _median_ms

RUNS = 5


def main() -> int:
    large = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    with volume.scratch_database("bench_grading") as url:
        return run(url, large)


def run(url: sa.URL, large: int) -> int:
    from app.extensions import db
    from app.models import AppUser, CustomerType, Department, GradeProposal
    from app.services.customers import grading

    volume.prepare(url)
    app = volume.app_for(url)
    with app.app_context():

        def one(model: object, **where: object) -> object:
            return db.session.scalars(sa.select(model).filter_by(**where)).one()

        params = {
            "user": one(AppUser, username="manager").id,
            "department": one(Department, code="warehouse").id,
            "finance": one(Department, code="finance").id,
            "ctype": one(CustomerType, code="supplier").id,
        }
        db.session.execute(sa.text(CUSTOMERS), params)
        db.session.commit()
        # The month after the loaded 12: every loaded line is in the window.
        period = grading.current_period()

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

        def clear() -> None:
            db.session.execute(sa.delete(GradeProposal))
            db.session.commit()

        made: dict[int, int] = {}

        def propose(total: int) -> None:
            made[total] = grading.propose(period)

        timings: dict[int, float] = {}
        for total, first in ((10_000, 1), (large, 10_001)):
            seconds = load(first, total)
            print(
                f"loaded {total - first + 1:,} weigh lines (and their tickets, "
                f"settlements) in {seconds:.1f} s",
                flush=True,
            )
            timings[total] = _median_ms(lambda t=total: propose(t), RUNS, clear)

    print()
    print(f"{'weigh lines':>12} {'proposal job':>14} {'proposals':>10}")
    for total, ms in timings.items():
        print(f"{total:>12,} {ms:>11.1f} ms {made[total]:>10,}")
    print(
        f"proposal job: {large:,} / 10 k = {timings[large] / timings[10_000]:.1f} "
        f"(rows {large // 10_000}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
