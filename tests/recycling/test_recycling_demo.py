"""The demo builder leaves pickups and settlements in every state, through the rules."""

from __future__ import annotations

import random
from decimal import Decimal

from app.models import Case, CustomerType, Inspection, Pickup, Reweigh, Settlement
from app.models.codes import PICKUP_STATUSES, SETTLEMENT_STATUSES
from app.seed import demo_recycling
from tests.factories import CustomerFactory, by_code


def test_demo_recycling_covers_every_state(db, users):
    customers = [CustomerFactory() for _ in range(4)] + [
        CustomerFactory(customer_type=by_code(CustomerType, "buyer"))
    ]
    demo_recycling.build(users, customers, random.Random(7))

    statuses = {p.status for p in db.session.query(Pickup)}
    assert statuses == set(PICKUP_STATUSES)
    settlements = db.session.query(Settlement).all()
    assert {s.status for s in settlements} == set(SETTLEMENT_STATUSES)
    assert any(s.adjusts_id for s in settlements)
    sale = [s for s in settlements if s.direction == "receive"]
    assert len(sale) == 1 and sale[0].status == "paid" and sale[0].total > 0
    inspections = db.session.query(Inspection).all()
    assert any(i.deduction_kg > 0 for i in inspections)
    assert any(i.result == "downgrade" for i in inspections)
    assert db.session.query(Reweigh).count() == 1
    assert db.session.query(Case).filter(Case.inspection_id.is_not(None)).count() == 1
    for settlement in settlements:
        assert settlement.total == sum(
            (line.amount for line in settlement.lines), Decimal("0.00")
        )
