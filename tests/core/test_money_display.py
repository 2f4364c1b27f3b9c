"""Money on the screens reads with thousands separators, as on the prints
(11,332.19), in lists and on show pages."""

from __future__ import annotations

from decimal import Decimal

from app.models import Settlement
from tests.factories import PickupFactory, SettlementFactory


def test_money_reads_with_thousands_separators(db, login):
    pickup = PickupFactory(quoted_amount=Decimal("11332.19"), _as="ops")
    settlement = SettlementFactory(customer=pickup.customer, _as="finance")
    db.session.query(Settlement).filter_by(id=settlement.id).update(
        {"total": Decimal("1234567.80")}
    )
    db.session.commit()

    ops = login("ops")
    page = ops.get(f"/pickups/show/{pickup.id}").get_data(as_text=True)
    assert "11,332.19" in page
    assert "11332.19" not in page

    finance = login("finance")
    listed = finance.get("/settlements/list/").get_data(as_text=True)
    assert "1,234,567.80" in listed
    shown = finance.get(f"/settlements/show/{settlement.id}").get_data(as_text=True)
    assert "1,234,567.80" in shown
