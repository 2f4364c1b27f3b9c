"""Business statistics (业务数据统计分析, seed 002 §7(二)) by SQL GROUP BY.

- Volume received: the net weight on weigh tickets (gross - tare) by the month
  of the gross weighing, material, grade and the customer's region.
- Volume sold: the accepted weight on sales settlements (receipts) in force
  (confirmed or paid), by the month of confirmation.
- Prices: per material and grade and direction, the average price settled
  (amount / weight, adjusting entries included) against the price list (the
  list price of each line, weighted by its weight), and the deviation in %.
- Settlement amounts per month: purchases and sales settled (confirmed),
  payments made and received.

Every figure is one aggregate over the rows the viewer may see (weigh lines
by the weighing scope, settlement lines by the settlement scope); weights are
summed in grams and amounts in cents, so SQLite and PostgreSQL give the same
exact figures. Months are business-time months (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, case, cast, func, literal, select

from app.extensions import db
from app.models import (
    Customer,
    Material,
    MaterialGrade,
    PriceListItem,
    Settlement,
    SettlementLine,
    WeighLine,
    WeighTicket,
)
from app.security.scope import restrict
from app.services.reporting import business_facts
from app.services.reporting.kpi import Window, month_key

IN_FORCE = ("confirmed", "paid")
DIMENSIONS: dict[str, Any] = {
    "month": _l("Month"),
    "material": _l("Material"),
    "grade": _l("Grade"),
    "region": _l("Region"),
}
KG = Decimal("0.001")
PRICE = Decimal("0.0001")
CENT = Decimal("0.01")


def grams(column: Any) -> Any:
    """A kg weight as whole grams (exact on both dialects)."""
    return cast(func.round(column * 1000), BigInteger)


def cents(column: Any) -> Any:
    return cast(func.round(column * 100), BigInteger)


def _kg(value: int | None) -> Decimal:
    return (Decimal(value or 0) * KG).quantize(KG)


# What a row without a grade or a region is shown under.
MISSING = {"grade": _l("No grade"), "region": _l("No region")}


def missing_name(dimension: str) -> str:
    """The name shown for a row with no value of `dimension` (grade, region)."""
    return str(MISSING[dimension])


def _dimension(name: str, window: Window, instant: Any, named: bool) -> Any:
    """The key of a breakdown; with `named` False, a missing grade or region
    is NULL (the facts keep it so, whatever the job's language)."""
    if name == "month":
        return window.bucket(instant)
    if name == "material":
        return Material.name
    if name not in MISSING:
        raise ValueError(name)
    column = MaterialGrade.name if name == "grade" else Customer.region
    return func.coalesce(column, literal(missing_name(name))) if named else column


def _grouped(inner: Any) -> Any:
    """Sum the grams per key of a (key, grams) row set.

    Grouped outside the row set, so a key computed with bound parameters (the
    month CASE) is grouped by its column, never repeated with new parameters.
    """
    rows = inner.subquery()
    return select(rows.c.key, func.sum(rows.c.grams)).group_by(rows.c.key)


def received_query(
    window: Window, user: Any, dimension: str, named: bool = True
) -> Any:
    """(key, grams) of the net weight weighed in the window, by one dimension."""
    key = _dimension(dimension, window, WeighLine.gross_at, named).label("key")
    stmt = (
        select(key, grams(WeighLine.net_kg).label("grams"))
        .select_from(WeighLine)
        .join(WeighTicket, WeighLine.ticket_id == WeighTicket.id)
        .join(Material, WeighLine.material_id == Material.id)
        .where(window.contains(WeighLine.gross_at), WeighLine.net_kg.is_not(None))
    )
    if dimension == "grade":
        stmt = stmt.outerjoin(MaterialGrade, WeighLine.grade_id == MaterialGrade.id)
    if dimension == "region":
        stmt = stmt.join(Customer, WeighTicket.customer_id == Customer.id)
    return _grouped(restrict(stmt, WeighLine, user))


def sold_query(window: Window, user: Any, dimension: str, named: bool = True) -> Any:
    """(key, grams) of the accepted weight sold (receipts in force) in the window."""
    key = _dimension(dimension, window, Settlement.confirmed_at, named).label("key")
    stmt = (
        select(key, grams(SettlementLine.net_kg).label("grams"))
        .select_from(SettlementLine)
        .join(Settlement, SettlementLine.settlement_id == Settlement.id)
        .join(Material, SettlementLine.material_id == Material.id)
        .where(
            Settlement.direction == "receive",
            Settlement.status.in_(IN_FORCE),
            window.contains(Settlement.confirmed_at),
        )
    )
    if dimension == "grade":
        stmt = stmt.outerjoin(
            MaterialGrade, SettlementLine.grade_id == MaterialGrade.id
        )
    if dimension == "region":
        stmt = stmt.join(Customer, Settlement.customer_id == Customer.id)
    return _grouped(restrict(stmt, Settlement, user))


@dataclass(frozen=True)
class VolumeRow:
    """Weights received and sold under one key (a month, material ...), in kg."""

    key: str
    received: Decimal
    sold: Decimal


def volumes(dimension: str, window: Window, user: Any) -> list[VolumeRow]:
    """Received and sold kg by `dimension`; months in order, others by weight."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    facts = business_facts.volume_sums(dimension, window, user)
    if facts is None:
        received = {
            k: int(g or 0)
            for k, g in db.session.execute(received_query(window, user, dimension))
        }
        sold = {
            k: int(g or 0)
            for k, g in db.session.execute(sold_query(window, user, dimension))
        }
    else:
        received, sold = facts["received"], facts["sold"]
    if dimension == "month":
        keys = [month_key(m) for m in window.months]
    else:
        keys = sorted(
            set(received) | set(sold),
            key=lambda k: (-(received.get(k, 0) + sold.get(k, 0)), str(k)),
        )
    return [
        VolumeRow(str(k), _kg(received.get(k)), _kg(sold.get(k)))
        for k in keys
        if k is not None
    ]


@dataclass(frozen=True)
class PriceRow:
    """Average price settled against the price list, for one material and grade.

    The list average is that of the lines priced from the list (weight x list
    price in force on their weighing date); the settled average also counts
    the adjusting entries' typed lines, so a price correction shows as a
    deviation.
    """

    direction: str
    material: str
    grade: str
    kg: Decimal
    amount: Decimal
    list_kg: Decimal
    list_amount: Decimal  # to 1/10000 CNY, not rounded per line

    @property
    def average(self) -> Decimal | None:
        return (self.amount / self.kg).quantize(PRICE) if self.kg else None

    @property
    def list_average(self) -> Decimal | None:
        return (
            (self.list_amount / self.list_kg).quantize(PRICE) if self.list_kg else None
        )

    @property
    def deviation(self) -> Decimal | None:
        """(settled average - list average) / list average in %, one decimal."""
        if not self.kg or not self.list_kg or not self.list_amount:
            return None
        listed = self.list_amount / self.list_kg
        ratio = (self.amount / self.kg - listed) / listed * 100
        rounded = ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        # A settled average a hair below the list rounds to 0.0, not "-0.0".
        return rounded.copy_abs() if rounded.is_zero() else rounded


def price_sums(window: Window, user: Any) -> list[tuple[Any, ...]]:
    """Per direction, material and grade (None: no grade), counted from the
    settlement lines: (direction, material, grade, grams, cents, list grams,
    list value in 1/10 000 000 CNY)."""
    linked = SettlementLine.price_id.is_not(None)
    stmt = restrict(
        select(
            Settlement.direction,
            Material.name,
            MaterialGrade.name,
            func.sum(grams(SettlementLine.net_kg)),
            func.sum(cents(SettlementLine.amount)),
            func.sum(case((linked, grams(SettlementLine.net_kg)), else_=0)),
            # Weight (grams) x list price (1/10000 CNY): exact integers.
            func.sum(
                case(
                    (
                        linked,
                        grams(SettlementLine.net_kg)
                        * cast(
                            func.round(PriceListItem.unit_price * 10000), BigInteger
                        ),
                    ),
                    else_=0,
                )
            ),
        )
        .select_from(SettlementLine)
        .join(Settlement, SettlementLine.settlement_id == Settlement.id)
        .join(Material, SettlementLine.material_id == Material.id)
        .outerjoin(MaterialGrade, SettlementLine.grade_id == MaterialGrade.id)
        .outerjoin(PriceListItem, SettlementLine.price_id == PriceListItem.id)
        .where(
            Settlement.status.in_(IN_FORCE), window.contains(Settlement.confirmed_at)
        )
        .group_by(Settlement.direction, Material.name, MaterialGrade.name),
        Settlement,
        user,
    )
    return [
        (direction, material, grade, *(int(v or 0) for v in sums))
        for direction, material, grade, *sums in db.session.execute(stmt)
    ]


def prices(window: Window, user: Any) -> list[PriceRow]:
    """Per direction, material and grade: weights, amounts, list amounts;
    from the business facts when they serve (business_facts)."""
    sums = business_facts.price_sums(window, user)
    if sums is None:
        sums = price_sums(window, user)
    rows = [
        PriceRow(
            direction,
            material,
            grade or missing_name("grade"),
            _kg(weight),
            (Decimal(amount) * CENT).quantize(CENT),
            _kg(list_weight),
            # grams x 1/10000 CNY = 1/10 000 000 CNY.
            Decimal(listed) / 10_000_000,
        )
        for direction, material, grade, weight, amount, list_weight, listed in sums
    ]
    return sorted(rows, key=lambda r: (r.direction, -r.amount, r.material, r.grade))


@dataclass(frozen=True)
class AmountRow:
    """Settled and paid amounts of one month, in CNY."""

    month: str
    purchases: Decimal
    sales: Decimal
    paid: Decimal
    received: Decimal


# The amounts of a month, in cents: settled (in force) and paid, per direction.
AMOUNTS = ("settled_pay", "settled_receive", "paid_pay", "paid_receive")


def amount_sums(window: Window, user: Any) -> dict[tuple[str, str], int]:
    """{(month key, one of AMOUNTS): cents}, counted from the settlements
    (months without any left out)."""

    def by_month(instant: Any, *conditions: Any) -> Any:
        rows = restrict(
            select(
                window.bucket(instant).label("month"),
                Settlement.direction,
                cents(Settlement.total).label("cents"),
            ).where(window.contains(instant), *conditions),
            Settlement,
            user,
        ).subquery()
        return select(rows.c.month, rows.c.direction, func.sum(rows.c.cents)).group_by(
            rows.c.month, rows.c.direction
        )

    by_settled = by_month(Settlement.confirmed_at, Settlement.status.in_(IN_FORCE))
    by_paid = by_month(Settlement.paid_at, Settlement.status == "paid")
    figures: dict[tuple[str, str], int] = {}
    for month, direction, total in db.session.execute(by_settled):
        figures[(month, f"settled_{direction}")] = int(total or 0)
    for month, direction, total in db.session.execute(by_paid):
        figures[(month, f"paid_{direction}")] = int(total or 0)
    return figures


def amounts(window: Window, user: Any) -> list[AmountRow]:
    """Per month: purchases and sales settled (in force), payments made and
    received; from the business facts when they serve (business_facts)."""
    figures = business_facts.amount_sums(window, user)
    if figures is None:
        figures = amount_sums(window, user)

    def money(month: str, name: str) -> Decimal:
        return (Decimal(figures.get((month, name), 0)) * CENT).quantize(CENT)

    return [
        AmountRow(
            key,
            money(key, "settled_pay"),
            money(key, "settled_receive"),
            money(key, "paid_pay"),
            money(key, "paid_receive"),
        )
        for key in (month_key(m) for m in window.months)
    ]


# --------------------------------------------------------- monthly report
def write_sheet(
    book: Any,
    month: dt.date,
    user: Any,
    window: Window | None = None,
    title: str | None = None,
) -> None:
    """The business statistics of a month (or of the months of `window`,
    named `title`) as a sheet of the KPI report."""
    from app.services.reporting.sheets import append

    window = window or Window.ending(month, 1)
    sheet = book.create_sheet(str(_l("Business statistics")))
    append(sheet, [str(_l("Business statistics")), title or month_key(month)])
    for name in ("material", "grade", "region"):
        append(sheet, [])
        append(
            sheet,
            [str(DIMENSIONS[name]), str(_l("Received (kg)")), str(_l("Sold (kg)"))],
        )
        for row in volumes(name, window, user):
            append(sheet, [row.key, row.received, row.sold])
    append(sheet, [])
    append(
        sheet,
        [
            str(t)
            for t in (
                _l("Direction"),
                _l("Material"),
                _l("Grade"),
                _l("Weight settled (kg)"),
                _l("Amount (CNY)"),
                _l("Average price (CNY/kg)"),
                _l("List price (CNY/kg)"),
                _l("Deviation from the list (percent)"),
            )
        ],
    )
    for row in prices(window, user):
        append(
            sheet,
            [
                str(_l("Purchase") if row.direction == "pay" else _l("Sale")),
                row.material,
                row.grade,
                row.kg,
                row.amount,
                row.average,
                row.list_average,
                row.deviation,
            ],
        )
    append(sheet, [])
    append(
        sheet,
        [
            str(t)
            for t in (
                _l("Month"),
                _l("Purchases settled"),
                _l("Sales settled"),
                _l("Paid to suppliers"),
                _l("Received from buyers"),
            )
        ],
    )
    for row in amounts(window, user):
        append(sheet, [row.month, row.purchases, row.sales, row.paid, row.received])
    sheet.column_dimensions["A"].width = 24


# ------------------------------------------------------------ dashboard
def _tonnes(value: Decimal) -> float:
    return float((value / 1000).quantize(KG))


def _pair(
    labels: list[str], first: tuple[Any, list[float]], second: tuple[Any, list[float]]
) -> dict[str, Any]:
    """A chart of two series side by side (bars grouped per label)."""
    return {
        "labels": labels,
        "datasets": [
            {"label": str(title), "data": data} for title, data in (first, second)
        ],
        "grouped": True,
    }


def volume_chart(dimension: str, limit: int | None = None) -> Any:
    """A dashboard chart: received and sold tonnes by a dimension (12 months)."""

    def build(user: Any, month: dt.date) -> dict[str, Any]:
        rows = volumes(dimension, Window.ending(month, 12), user)[:limit]
        return _pair(
            [r.key for r in rows],
            (_l("Received (t)"), [_tonnes(r.received) for r in rows]),
            (_l("Sold (t)"), [_tonnes(r.sold) for r in rows]),
        )

    return build


def amount_chart(user: Any, month: dt.date) -> dict[str, Any]:
    """A dashboard chart: purchases and sales settled per month (12 months), CNY."""
    rows = amounts(Window.ending(month, 12), user)
    return _pair(
        [r.month for r in rows],
        (_l("Purchases settled"), [float(r.purchases) for r in rows]),
        (_l("Sales settled"), [float(r.sales) for r in rows]),
    )


CHARTS = {
    "business_volumes": volume_chart("month"),
    "business_materials": volume_chart("material", 10),
    "business_regions": volume_chart("region", 10),
    "business_amounts": amount_chart,
}
