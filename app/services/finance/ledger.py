"""The customer ledger (往来账): what moved a customer's balance, and when.

Every entry comes from a settlement (seed 002 §3(四), SPEC §3 Settlement):

| event                        | at            | debit (借)      | credit (贷)     |
|------------------------------|---------------|-----------------|-----------------|
| sale confirmed (receive)     | confirmed_at  | + total         |                 |
| purchase confirmed (pay)     | confirmed_at  |                 | + total         |
| confirmed sale voided        | voided_at     | - total (红字)   |                 |
| confirmed purchase voided    | voided_at     |                 | - total (红字)   |
| receipt from the buyer       | paid_at       |                 | + total         |
| payment to the supplier      | paid_at       | + total         |                 |

Adjusting entries are settlements of their own (totals may be negative) and
move the balance the same way. Balance = debits - credits: positive, the
customer owes the company; negative, the company owes the customer. A draft
moves nothing; a voided draft leaves no trace. Sums run on whole cents in SQL
so that SQLite (binary floating point NUMERIC) is exact too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    union_all,
)

from app.extensions import db
from app.models import Settlement

CENT = Decimal("0.01")
# Entries of one instant are listed confirm, void, then payment.
ORDER = {"confirm": 0, "void": 1, "paid": 2}


def cents(column: Any) -> Any:
    """A CNY column as whole cents (exact on both dialects)."""
    return cast(func.round(column * 100), BigInteger)


def to_money(value: int | None) -> Decimal:
    return (Decimal(value or 0) * CENT).quantize(CENT)


def _events(*conditions: Any) -> Any:
    """The ledger as rows (at, event, order, settlement id, customer, debit,
    credit) in cents, from the settlements matching `conditions`."""
    s = Settlement.__table__
    amount = cents(s.c.total)
    receive = s.c.direction == "receive"
    pay = s.c.direction == "pay"

    def part(event: str, at: Any, debit: Any, credit: Any, *where: Any) -> Any:
        return select(
            at.label("at"),
            literal(event).label("event"),
            literal(ORDER[event], Integer).label("seq"),
            s.c.id.label("settlement_id"),
            s.c.customer_id.label("customer_id"),
            debit.label("debit"),
            credit.label("credit"),
        ).where(*where, *conditions)

    return union_all(
        part(
            "confirm",
            s.c.confirmed_at,
            case((receive, amount), else_=0),
            case((pay, amount), else_=0),
            s.c.confirmed_at.is_not(None),
        ),
        part(
            "void",
            s.c.voided_at,
            case((receive, -amount), else_=0),
            case((pay, -amount), else_=0),
            s.c.voided_at.is_not(None),
            s.c.confirmed_at.is_not(None),
        ),
        part(
            "paid",
            s.c.paid_at,
            case((pay, amount), else_=0),
            case((receive, amount), else_=0),
            s.c.paid_at.is_not(None),
        ),
    ).subquery("ledger")


@dataclass(frozen=True)
class Movement:
    """A customer's debits and credits over a period, in cents."""

    debit: int = 0
    credit: int = 0
    count: int = 0


def _of(customer_ids: Iterable[int] | None) -> Any:
    """The ledger of some customers (all when None)."""
    if customer_ids is None:
        return _events()
    return _events(Settlement.__table__.c.customer_id.in_(list(customer_ids)))


def balances(
    before: dt.datetime, customer_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Balance in cents of each customer from every entry before `before`."""
    ledger = _of(customer_ids)
    stmt = (
        select(ledger.c.customer_id, func.sum(ledger.c.debit - ledger.c.credit))
        .where(ledger.c.at < before)
        .group_by(ledger.c.customer_id)
    )
    return {row[0]: int(row[1] or 0) for row in db.session.execute(stmt)}


def movements(
    start: dt.datetime,
    end: dt.datetime,
    customer_ids: Iterable[int] | None = None,
) -> dict[int, Movement]:
    """Debits, credits and entry count per customer for [start, end)."""
    ledger = _of(customer_ids)
    stmt = (
        select(
            ledger.c.customer_id,
            func.sum(ledger.c.debit),
            func.sum(ledger.c.credit),
            func.count(),
        )
        .where(and_(ledger.c.at >= start, ledger.c.at < end))
        .group_by(ledger.c.customer_id)
    )
    return {
        row[0]: Movement(int(row[1] or 0), int(row[2] or 0), int(row[3]))
        for row in db.session.execute(stmt)
    }


@dataclass(frozen=True)
class Entry:
    """One line of a statement: an event on a settlement, with the balance after."""

    at: dt.datetime
    event: str  # confirm, void, paid
    kind: str  # LEDGER_ENTRIES code
    settlement: Settlement
    debit: Decimal
    credit: Decimal
    balance: Decimal

    @property
    def document(self) -> str:
        """The settlement number, and for a payment its voucher number."""
        if self.event == "paid" and self.settlement.voucher_no:
            return f"{self.settlement.number} / {self.settlement.voucher_no}"
        return self.settlement.number

    @property
    def reference(self) -> str:
        """What the settlement was for: pickup, sales order, corrected settlement."""
        settlement = self.settlement
        parts = []
        if settlement.adjusts is not None:
            parts.append(settlement.adjusts.number)
        if settlement.pickup is not None:
            parts.append(settlement.pickup.number)
        if settlement.sales_order:
            parts.append(settlement.sales_order)
        if self.event == "void" and settlement.void_reason:
            parts.append(settlement.void_reason)
        elif settlement.adjusts is not None and settlement.notes:
            parts.append(settlement.notes)
        return " · ".join(parts)


def _kind(event: str, settlement: Settlement) -> str:
    sale = settlement.direction == "receive"
    if event == "paid":
        return "receipt" if sale else "payment"
    base = "sale" if sale else "purchase"
    if event == "void":
        return f"{base}_void"
    return f"{base}_adjustment" if settlement.adjusts_id else base


def entries(
    customer_id: int, start: dt.datetime, end: dt.datetime, opening: Decimal
) -> list[Entry]:
    """The customer's entries in [start, end), oldest first, with running balance."""
    ledger = _events(Settlement.__table__.c.customer_id == customer_id)
    rows = db.session.execute(
        select(ledger)
        .where(ledger.c.at >= start, ledger.c.at < end)
        .order_by(ledger.c.at, ledger.c.settlement_id, ledger.c.seq)
    ).all()
    settlements = {
        s.id: s
        for s in db.session.scalars(
            select(Settlement).where(Settlement.id.in_({r.settlement_id for r in rows}))
        )
    }
    balance = opening
    result = []
    for row in rows:
        debit, credit = to_money(row.debit), to_money(row.credit)
        balance += debit - credit
        settlement = settlements[row.settlement_id]
        result.append(
            Entry(
                at=settlement_instant(settlement, row.event),
                event=row.event,
                kind=_kind(row.event, settlement),
                settlement=settlement,
                debit=debit,
                credit=credit,
                balance=balance,
            )
        )
    return result


def settlement_instant(settlement: Settlement, event: str) -> dt.datetime:
    """The aware instant of an event (the union's column loses the type on SQLite)."""
    return {
        "confirm": settlement.confirmed_at,
        "void": settlement.voided_at,
        "paid": settlement.paid_at,
    }[event]


def subtotals(items: Iterable[Entry]) -> dict[str, Decimal]:
    """Debit or credit per entry kind (sales, purchases, receipts ...)."""
    sums: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for entry in items:
        sums[entry.kind] += entry.debit + entry.credit
    return dict(sums)
