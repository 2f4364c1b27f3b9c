"""Benchmark: open clocks recomputed after a holiday is added, 10 k vs 100 k open.

Run with `python bench/bench_recompute.py [postgresql://postgres@127.0.0.1:5432/test]`.
Creates a dedicated database next to the given one (dropped at the end), runs
the real migration, roles and reference seed (this year's calendar), then:

- loads 10 000 open complaints received on Tuesday 24 November 2026 whose
  resolution deadline (7 working days: Thursday 3 December) spans Wednesday
  2 December, with the dates the application computes for them;
- times the commit that adds 2 December as a day off (the calendar write
  plus the recomputation it triggers: 10 000 clocks move to 4 December) and
  the commit that removes it again (they move back), median of several;
- adds 90 000 open complaints received earlier whose deadlines passed before
  2 December (100 000 open, the same 10 000 affected) and times the same.

Target: the 100 k time within 1.5 x the 10 k time (the cost follows the
clocks affected, not the table).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AFFECTED = 10_000
OTHERS = 90_000
RUNS = 3
HOLIDAY = dt.date(2026, 12, 2)


def _admin(url: sa.URL, *statements: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


LOAD = """
INSERT INTO service_case (
    number, customer_id, kind, severity, category_id, channel_id, stage, urgent,
    title, description, status, department_id, first_ask_owner_id, owner_id,
    received_at, sla_policy_id, response_due_at, response_risk_at, responded_at,
    response_state, resolution_started_at, resolution_due_at, resolution_risk_at,
    resolution_state, resolution_cycle, escalation_level, reopen_count, version,
    created_at, changed_at, created_by_id, changed_by_id)
SELECT 'RC-' || lpad(g::text, 8, '0'), :customer, 'complaint', 'general',
       :category, :channel, 'other', false, '基准工单 ' || g, '基准数据',
       'in_progress', :department, :owner, :owner, :received, :policy,
       :response_due, :response_risk, :responded, 'met', :received,
       :resolution_due, :resolution_risk, :state, 0, 0, 0, 1,
       now(), now(), :owner, :owner
FROM generate_series(:first, :last) AS g
"""


def main() -> int:
    base = sa.engine.make_url(
        sys.argv[1]
        if len(sys.argv) > 1
        else os.environ.get(
            "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
        )
    )
    name = "bench_clocks"
    _admin(
        base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"
    )
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
        BUSINESS_TZ,
        AppUser,
        CalendarDay,
        Case,
        CaseCategory,
        Channel,
        Customer,
        CustomerType,
        SlaPolicy,
    )
    from app.models.base import clock_at
    from app.security.access import acting_as, system_user
    from app.seed.demo import seed_users
    from app.seed.reference import seed_calendar, seed_reference
    from app.services.clocks import record_clocks
    from app.services.core import records
    from app.services.core.setup import sync_roles
    from config import get_config

    config = get_config("development")
    config.SQLALCHEMY_DATABASE_URI = url.render_as_string(hide_password=False)
    app = create_app(config)
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
        sync_roles()
        with acting_as(system_user()):
            seed_reference()
            seed_calendar(2026)
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
        common = {
            "customer": customer.id,
            "category": category.id,
            "channel": db.session.scalars(
                sa.select(Channel.id).filter_by(code="hotline")
            ).one(),
            "department": category.default_department_id,
            "owner": owner.id,
            "policy": db.session.scalars(
                sa.select(SlaPolicy.id).filter_by(
                    kind="complaint", severity="general", customer_type_id=None
                )
            ).one(),
        }
        moment = dt.datetime(2026, 11, 30, 9, 0, tzinfo=BUSINESS_TZ)

        def params(received: dt.datetime) -> dict[str, object]:
            """The dates the application gives a complaint received then."""
            due = record_clocks.due_times("complaint", "general", received)
            return {
                **common,
                "received": received,
                "response_due": due.response.due,
                "response_risk": due.response.risk,
                "responded": received + dt.timedelta(hours=1),
                "resolution_due": due.resolution.due,
                "resolution_risk": due.resolution.risk,
                "state": record_clocks.state_of(due.resolution, moment),
            }

        affected = params(dt.datetime(2026, 11, 24, 10, 0, tzinfo=BUSINESS_TZ))
        others = params(dt.datetime(2026, 11, 10, 10, 0, tzinfo=BUSINESS_TZ))
        if (
            affected["resolution_due"]
            != dt.datetime(2026, 12, 3, 17, 30, tzinfo=BUSINESS_TZ)
            or not others["resolution_due"].date() < HOLIDAY
        ):  # type: ignore[attr-defined]
            raise RuntimeError(f"unexpected deadlines: {affected} {others}")
        moved = dt.datetime(2026, 12, 4, 17, 30, tzinfo=BUSINESS_TZ)

        def load(values: dict[str, object], first: int, last: int) -> float:
            start = time.perf_counter()
            db.session.execute(sa.text(LOAD), {**values, "first": first, "last": last})
            db.session.commit()
            with db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as conn:
                conn.execute(sa.text("VACUUM ANALYZE service_case"))
            return time.perf_counter() - start

        def count_due(when: dt.datetime) -> int:
            found = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Case)
                .where(Case.resolution_due_at == when)
            )
            db.session.rollback()
            return int(found or 0)

        def add_holiday() -> float:
            start = time.perf_counter()
            with clock_at(moment), acting_as(system_user()):
                db.session.add(CalendarDay(day=HOLIDAY, kind="holiday", name="基准"))
                db.session.commit()
            return time.perf_counter() - start

        def remove_holiday() -> float:
            start = time.perf_counter()
            with clock_at(moment), acting_as(system_user()):
                day = db.session.scalars(
                    sa.select(CalendarDay).filter_by(day=HOLIDAY)
                ).one()
                db.session.delete(day)
                db.session.commit()
            return time.perf_counter() - start

        figures: dict[int, tuple[float, float]] = {}
        for total, values, first, last in (
            (AFFECTED, affected, 1, AFFECTED),
            (AFFECTED + OTHERS, others, AFFECTED + 1, AFFECTED + OTHERS),
        ):
            seconds = load(values, first, last)
            print(
                f"loaded {last - first + 1:,} open cases in {seconds:.1f} s", flush=True
            )
            adds, removes = [], []
            for _ in range(RUNS):
                adds.append(add_holiday())
                if count_due(moved) != AFFECTED:
                    raise RuntimeError("the holiday did not move every affected clock")
                removes.append(remove_holiday())
                if count_due(affected["resolution_due"]) != AFFECTED:  # type: ignore[arg-type]
                    raise RuntimeError("removing the holiday did not move them back")
            figures[total] = (
                statistics.median(adds) * 1000,
                statistics.median(removes) * 1000,
            )
            db.session.remove()

    print()
    print(f"{'open cases':>12} {'affected':>9} {'add holiday':>13} {'remove it':>11}")
    for total, (add_ms, remove_ms) in figures.items():
        print(f"{total:>12,} {AFFECTED:>9,} {add_ms:>10.0f} ms {remove_ms:>8.0f} ms")
    small, large = figures[AFFECTED], figures[AFFECTED + OTHERS]
    print()
    print(
        f"100 k / 10 k open: add {large[0] / small[0]:.2f}, remove "
        f"{large[1] / small[1]:.2f} (target <= 1.5); "
        f"per affected clock {large[0] / AFFECTED * 1000:.0f} us"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
