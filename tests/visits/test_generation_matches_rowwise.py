"""Set-based follow-up generation creates the rows the row-by-row generation created.

A seeded random world (closures at any instant, to the microsecond, over
weekends, make-up days and the Spring Festival; reopened cases; owners in and
out of the rule's department, one of them inactive; customers of every type;
pickups in every state, settled or not, with active or voided settlements) is
generated once by the reference (`rowwise_generation`, the code as it was)
and once by `app.services.visits.generation`, from the same starting state;
every column of every visit and of its audit row must agree. Numbers are
compared as each rule's block (the order inside a block is not a rule).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update

from app.models import (
    BUSINESS_TZ,
    AppUser,
    AuditLog,
    Case,
    CustomerType,
    Department,
    FollowUp,
    NumberSequence,
)
from app.models.base import clock_at
from app.services.visits import generation
from tests.factories import by_code, user
from tests.visits import rowwise_generation
from tests.visits.test_generation_rules import (
    _closed_case,
    _customer,
    _rule,
    _settled_pickup,
    _settlement,
)

MOMENT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=BUSINESS_TZ)
SINCE = dt.datetime(2026, 2, 1, tzinfo=BUSINESS_TZ)
FIRST = dt.datetime(2026, 1, 25, tzinfo=BUSINESS_TZ)
STAFF = ("cs", "cs2", "ops", "ops2", "sales")


def _instant(rng: random.Random) -> dt.datetime:
    span = (MOMENT - FIRST).total_seconds()
    return FIRST + dt.timedelta(
        seconds=rng.randrange(int(span)), microseconds=rng.randrange(1_000_000)
    )


def _world(db) -> dict[str, Any]:
    rng = random.Random(1603)
    departments = {d.code: d.id for d in db.session.scalars(select(Department))}
    types = {t: by_code(CustomerType, t).id for t in ("partner", "walkin")}
    _rule(
        db,
        "partner-complaint",
        trigger="case_closed",
        case_kind="complaint",
        customer_type_id=types["partner"],
        delay_amount=2,
        delay_unit="calendar_days",
        department_id=departments["sales"],
    )
    _rule(
        db,
        "walkin-any",
        trigger="case_closed",
        customer_type_id=types["walkin"],
        delay_amount=1,
        delay_unit="working_days",
        department_id=departments["ops"],
    )
    _rule(
        db,
        "aftersales-same-day",
        trigger="case_closed",
        case_kind="aftersales",
        delay_amount=0,
        delay_unit="calendar_days",
        department_id=departments["ops"],
    )
    _rule(
        db,
        "partner-settled",
        trigger="pickup_settled",
        customer_type_id=types["partner"],
        delay_amount=2,
        delay_unit="working_days",
        department_id=departments["sales"],
    )
    customers = (
        [_customer(db, "supplier") for _ in range(6)]
        + [_customer(db, "partner", sales_rep_id=user("sales").id) for _ in range(3)]
        + [_customer(db, "partner", sales_rep_id=user("cs").id)]
        + [_customer(db, "partner", sales_rep_id=None)]
        + [_customer(db, "partner", status="suspended")]
        + [_customer(db, "walkin") for _ in range(3)]
    )
    # Key accounts with visit plans: their partner visits go to the visitor.
    from app.models import VisitPlan
    from app.services.core import records

    for customer, period, visitor in (
        (customers[6], "month", "cs2"),
        (customers[7], "year", "ops2"),
    ):
        customer.key_account = True
        records.add(
            VisitPlan(
                customer=customer,
                period=period,
                starts_on=MOMENT.date(),
                visitor=user(visitor),
            ),
            user("cs"),
        )
    db.session.commit()
    cases = []
    for _ in range(45):
        kind = rng.choice(("complaint", "complaint", "inquiry", "aftersales"))
        case = _closed_case(
            db,
            rng.choice(customers),
            _instant(rng),
            rng.choice(STAFF),
            rng.choice(STAFF),
            kind=kind,
            cycle=rng.choice((0, 0, 1, 2)),
        )
        if kind == "aftersales":
            db.session.execute(
                update(Case).where(Case.id == case.id).values(severity="normal")
            )
        if rng.random() < 0.1:  # closed once, reopened and being handled again
            db.session.execute(
                update(Case).where(Case.id == case.id).values(status="in_progress")
            )
        cases.append(case)
    pickups = []
    for _ in range(16):
        status = rng.choice(("settled", "settled", "closed", "inspected"))
        pickup = _settled_pickup(db, _instant(rng), rng.choice(STAFF), status)
        if status != "inspected" and rng.random() < 0.6:
            _settlement(db, pickup)
        elif rng.random() < 0.5:
            _settlement(db, pickup, status="voided", void_reason="重复结算")
        pickups.append(pickup)
    db.session.execute(
        update(AppUser).where(AppUser.username == "ops2").values(active=False)
    )
    db.session.commit()
    return {"cases": [c.id for c in cases], "pickups": [p.id for p in pickups]}


VISIT_COLUMNS = [
    c.key for c in FollowUp.__table__.columns if c.key not in ("id", "number")
]


def _snapshot(db) -> dict[str, Any]:
    visits = list(db.session.scalars(select(FollowUp)))
    audits = {
        a.row_id: a
        for a in db.session.scalars(
            select(AuditLog).where(AuditLog.table_name == "followup")
        )
    }
    blocks: dict[int, list[int]] = {}
    rows = {}
    for visit in visits:
        blocks.setdefault(visit.rule_id, []).append(int(visit.number.rsplit("-")[-1]))
        audit = audits[visit.id]
        changes = {
            key: _instant_or_value(new)
            for key, (_, new) in json.loads(audit.changes).items()
            if key != "number"
        }
        rows[visit.source_key] = (
            {c: getattr(visit, c) for c in VISIT_COLUMNS},
            (audit.at, audit.user_id, audit.action),
            changes,
        )
    return {"rows": rows, "blocks": {k: sorted(v) for k, v in blocks.items()}}


def _instant_or_value(value: Any) -> Any:
    if isinstance(value, str) and value[:2] == "20" and "T" in value:
        return dt.datetime.fromisoformat(value)
    return value


def _forget(db) -> None:
    db.session.execute(delete(AuditLog).where(AuditLog.table_name == "followup"))
    db.session.execute(delete(FollowUp))
    db.session.execute(delete(NumberSequence).where(NumberSequence.name == "followup"))
    db.session.commit()


def _both(db, run: Callable[[Any], int]) -> tuple[dict, dict, int]:
    created = run(rowwise_generation)
    reference = _snapshot(db)
    _forget(db)
    assert run(generation) == created
    return reference, _snapshot(db), created


def test_periodic_run_matches_the_rowwise_generation(db, written):
    _world(db)
    reference, setwise, created = _both(
        db, lambda module: module.generate(since=SINCE, moment=MOMENT)
    )
    assert created > 40  # the world asks for visits under every rule
    assert {v[0]["source"] for v in reference["rows"].values()} == {
        "case",
        "pickup",
        "partner",
    }
    assert setwise == reference


def test_closing_events_match_the_rowwise_generation(db):
    world = _world(db)

    def events(module: Any) -> int:
        with clock_at(MOMENT):
            return sum(map(module.for_case, world["cases"])) + sum(
                map(module.for_pickup, world["pickups"])
            )

    reference, setwise, created = _both(db, events)
    assert created > 30
    assert setwise == reference
