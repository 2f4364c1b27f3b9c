"""Helpers of the finance tests: confirmed sales at a given instant, quickly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from itertools import count

from flask import current_app

from app.extensions import db
from app.models import (
    BUSINESS_TZ,
    AppUser,
    Customer,
    Department,
    Inspection,
    Material,
    PriceListItem,
    Settlement,
)
from app.models.base import clock_at
from app.security.access import acting_as
from app.services.recycling.settlement_steps import build_sales_settlement
from tests.factories import by_code, user
from tests.recycling.flow import grade_of, save, settle_step

# Sale price of office paper A in the seeded price list (CNY/kg).
OFFICE_A = D("2.55")
_lots = count(1)
YEAR_START = dt.date(2026, 1, 1)


def prices_from_2026() -> None:
    """The seeded price list starts on Jan 1 of the year it was seeded; these
    tests write their months in 2026."""
    db.session.query(PriceListItem).filter(
        PriceListItem.valid_from > YEAR_START
    ).update({"valid_from": YEAR_START})
    db.session.commit()


def day(year: int, month: int, day_: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day_, hour, tzinfo=BUSINESS_TZ)


def sale(
    customer: Customer,
    kg: str,
    when: dt.datetime,
    due_on: dt.date | None = None,
    confirm: bool = True,
) -> Settlement:
    """A receipt settlement for a lot of office paper A: kg x 2.55, confirmed at
    `when` (due by the customer's term, or on `due_on`)."""
    with clock_at(when - dt.timedelta(hours=1)):
        lot = save(
            Inspection(
                sales_lot=f"LOT-T-{next(_lots):04d}",
                material=by_code(Material, "paper-office"),
                grade=grade_of("paper-office", "A"),
                net_kg=D(kg),
                result="pass",
            ),
            "qc",
        )
        finance = user("finance")
        with acting_as(finance):
            settlement = build_sales_settlement(customer, [lot], finance, "cash")
            db.session.commit()
    if confirm:
        with clock_at(when):
            data = {"due_on": due_on} if due_on else {}
            settle_step(settlement, "confirm", **data)
    return settlement


def add_sales_rep(username: str = "sales2") -> AppUser:
    """A second Sales clerk (the demo has one)."""
    sm = current_app.appbuilder.sm
    clerk = sm.add_user(
        username,
        "晓",
        "孙",
        f"{username}@example.com",
        sm.find_role("Sales"),
        password="Test-pass-2026",
    )
    clerk.department_id = by_code(Department, "sales").id
    db.session.commit()
    return clerk
