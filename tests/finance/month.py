"""A hand-made month of one customer's settlements (March 2026).

Written out by hand, in CNY (balance = what the customer owes us):

    opening (Feb 20: pickup P0, 1 000.000 kg cardboard A x 1.60, unpaid)  -1 600.00
    Mar  3  payment of P0's settlement            debit   1 600.00    =      0.00
    Mar  5  pickup P1: 1 000.000 kg cardboard A, moisture 2 %
            -> 980.000 kg x 1.60                  credit  1 568.00    = -1 568.00
    Mar 12  pickup P2: 1 234.567 kg heavy steel A, impurity 1.5 %
            -> 1 216.048 kg x 2.30 = 2 796.9104   credit  2 796.91    = -4 364.91
    Mar 18  sale S1: lot of 5 000.000 kg office paper A, moisture 1.2 %
            -> 4 940.000 kg x 2.55                debit  12 597.00    =  8 232.09
    Mar 25  adjusting entry on P0: -50.000 kg x 1.60
                                                  credit    -80.00    =  8 312.09
    totals                                        debit  14 197.00
                                                  credit  4 284.91
    closing                                                              8 312.09

Around it, what must not count: a draft of another pickup (March), the same
customer's sale confirmed on April 2, another customer's purchase in March.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D

from app.extensions import db
from app.models import (
    BUSINESS_TZ,
    Customer,
    CustomerType,
    Inspection,
    Material,
    PaymentTerm,
    Pickup,
    Settlement,
    WeighLine,
    WeighTicket,
)
from app.models.base import clock_at
from app.services.finance.statements import prepare
from app.services.recycling.settlement_steps import build_sales_settlement
from tests.factories import CustomerFactory, by_code, user
from tests.finance.money import prices_from_2026
from tests.recycling.flow import (
    collected,
    grade_of,
    lines_of,
    new_pickup,
    save,
    settle_step,
    step,
)

MARCH = dt.date(2026, 3, 1)
OPENING = D("-1600.00")
DEBIT = D("14197.00")
CREDIT = D("4284.91")
CLOSING = D("8312.09")
# (date, document kind, debit, credit, balance) as printed, in order.
LINES = [
    ("2026-03-03", "付款", "1,600.00", "", "0.00"),
    ("2026-03-05", "采购结算", "", "1,568.00", "-1,568.00"),
    ("2026-03-12", "采购结算", "", "2,796.91", "-4,364.91"),
    ("2026-03-18", "销售结算", "12,597.00", "", "8,232.09"),
    ("2026-03-25", "采购调整", "", "-80.00", "8,312.09"),
]


def at(day: int, hour: int = 10, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=BUSINESS_TZ)


@dataclass
class Month:
    customer: Customer
    p0: Settlement
    p1: Settlement
    p2: Settlement
    sale: Settlement
    adjustment: Settlement


def pickup_settled(
    customer: Customer,
    day: int,
    material: str,
    grade: str,
    gross: str,
    tare: str,
    month: int = 3,
    **inspection: D,
) -> Settlement:
    """A pickup taken to a confirmed settlement on one day (each step by its role)."""
    with clock_at(at(day, 8, month)):
        pickup = new_pickup(((material, grade),), customer=customer, _as="cs")
        collected(pickup)
        ticket = save(WeighTicket(pickup=pickup), "warehouse")
        (line,) = lines_of(pickup)
        weigh = save(
            WeighLine(
                ticket=ticket,
                pickup_line=line,
                material=line.material,
                gross_kg=D(gross),
                tare_kg=D(tare),
            ),
            "warehouse",
        )
        step(pickup, "weigh", "warehouse")
        values = {
            "moisture_pct": D(0),
            "impurity_pct": D(0),
            "deduction_kg": D(0),
            "result": "pass",
            **inspection,
        }
        save(Inspection(weigh_line=weigh, **values), "qc")
        step(pickup, "inspect", "qc")
        step(pickup, "settle", "finance", payment_method="bank_transfer")
    settlement = db.session.query(Settlement).filter_by(pickup_id=pickup.id).one()
    with clock_at(at(day, 15, month)):
        settle_step(settlement, "confirm")
    return settlement


def sale_confirmed(customer: Customer, day: int, month: int = 3) -> Settlement:
    with clock_at(at(day, 9, month)):
        lot = save(
            Inspection(
                sales_lot=f"LOT-2026-{month:02d}{day:02d}",
                material=by_code(Material, "paper-office"),
                grade=grade_of("paper-office", "A"),
                net_kg=D("5000"),
                moisture_pct=D("1.2"),
                result="pass",
            ),
            "qc",
        )
        finance = user("finance")
        from app.security.access import acting_as

        with acting_as(finance):
            sale = build_sales_settlement(
                customer, [lot], finance, "bank_transfer", f"XS-{month:02d}{day:02d}"
            )
            db.session.commit()
    with clock_at(at(day, 16, month)):
        settle_step(sale, "confirm")
    return sale


def build() -> Month:
    """The month above, through the services, each step by its role."""
    prices_from_2026()
    customer = CustomerFactory(
        name="杭州恒达再生资源有限公司",
        customer_type=by_code(CustomerType, "partner"),
        payment_term=by_code(PaymentTerm, "net15"),
        sales_rep=user("sales"),
    )
    p0 = pickup_settled(customer, 20, "paper-cardboard", "A", "1500", "500", month=2)
    with clock_at(at(3, 11)):
        settle_step(p0, "pay", voucher_no="PZ-TEST-0303")
    p1 = pickup_settled(
        customer, 5, "paper-cardboard", "A", "1500", "500", moisture_pct=D(2)
    )
    p2 = pickup_settled(
        customer, 12, "steel-heavy", "A", "3234.567", "2000", impurity_pct=D("1.5")
    )
    sale = sale_confirmed(customer, 18)
    with clock_at(at(25, 9)):
        settle_step(
            p0,
            "adjust",
            reason="复核少计扣杂 50 kg",
            material=str(by_code(Material, "paper-cardboard").id),
            grade=str(grade_of("paper-cardboard", "A").id),
            net_kg=D("-50"),
            unit_price=D("1.60"),
        )
    adjustment = (
        db.session.query(Settlement).filter(Settlement.adjusts_id == p0.id).one()
    )
    with clock_at(at(25, 10)):
        settle_step(adjustment, "confirm")
    # Noise: a March draft, an April sale, another customer's March purchase.
    with clock_at(at(28, 8)):
        draft_pickup = new_pickup(customer=customer, _as="cs")
        collected(draft_pickup)
    sale_confirmed(customer, 2, month=4)
    other = CustomerFactory(name="宁波北仑废钢回收站", region="宁波市北仑区")
    pickup_settled(other, 10, "steel-heavy", "B", "2000", "1000")
    return Month(customer, p0, p1, p2, sale, adjustment)


def march_statement(month: Month, username: str = "finance"):
    with clock_at(at(2, 9, month=4)):
        return prepare(month.customer, MARCH, user(username))


__all__ = [
    "CLOSING",
    "CREDIT",
    "DEBIT",
    "LINES",
    "MARCH",
    "OPENING",
    "Month",
    "Pickup",
    "build",
    "march_statement",
]
