"""Monthly statements of account (对账单): prepare, send, confirm or dispute.

Seed 003 物流 第十七–十八条: reconcile with the customer every month and
confirm what is still unpaid. A statement covers one customer and one
calendar month (business time): the opening balance (every ledger entry
before the month), the month's entries (`ledger`), their debit and credit
totals and the closing balance. Finance prepares statements (one customer, or
every customer with entries or a balance); Finance or the customer's sales
representative sends it, then records the customer's confirmation - who
signed, when, and the closing balance they confirmed, which must equal ours -
or their dispute, which opens a settlement complaint routed to Finance. A
confirmed statement is final; a change in the ledger after it was sent sends
it back to preparation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import (
    Case,
    CaseCategory,
    Channel,
    Customer,
    Settlement,
    Statement,
    now,
)
from app.models.codes import LEDGER_ENTRIES, STATEMENT_STATUSES, label
from app.security.scope import restrict
from app.services.core import records
from app.services.core.errors import Conflict, InvalidInput
from app.services.core.numbering import next_number
from app.services.core.records import RecordRules, department, register
from app.services.core.workflow import (
    Ask,
    Step,
    Workflow,
    as_datetime,
    channel_choices,
    not_future,
)
from app.services.finance import ledger
from app.services.reporting.kpi import add_months, month_key, month_of, month_start

CONFIRMED_IS_FINAL = _l(
    "A statement confirmed by the customer is final; prepare next month's "
    "statement for later changes."
)
NEVER_DELETED = _l(
    "Statements keep gap-free numbers and are never deleted; prepare it again instead."
)
DISPUTE_CATEGORY = "settlement"


# ---------------------------------------------------------------- figures
@dataclass(frozen=True)
class Figures:
    """A statement's figures in CNY."""

    opening: Decimal
    debit: Decimal
    credit: Decimal
    count: int

    @property
    def closing(self) -> Decimal:
        return self.opening + self.debit - self.credit

    def as_stored(self) -> tuple[Decimal, Decimal, Decimal, Decimal, int]:
        return (self.opening, self.debit, self.credit, self.closing, self.count)


def period(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first instant, first instant of next month) in business time."""
    return month_start(month), month_start(add_months(month, 1))


def figures(customer_id: int, month: dt.date) -> Figures:
    """The customer's figures for the month, from the ledger as it is now."""
    start, end = period(month)
    opening = ledger.balances(start, [customer_id]).get(customer_id, 0)
    moved = ledger.movements(start, end, [customer_id]).get(
        customer_id, ledger.Movement()
    )
    return Figures(
        ledger.to_money(opening),
        ledger.to_money(moved.debit),
        ledger.to_money(moved.credit),
        moved.count,
    )


def stored(statement: Statement) -> tuple[Decimal, Decimal, Decimal, Decimal, int]:
    return (
        Decimal(statement.opening).quantize(ledger.CENT),
        Decimal(statement.debit).quantize(ledger.CENT),
        Decimal(statement.credit).quantize(ledger.CENT),
        Decimal(statement.closing).quantize(ledger.CENT),
        int(statement.entry_count or 0),
    )


def _store(statement: Statement, found: Figures) -> None:
    (
        statement.opening,
        statement.debit,
        statement.credit,
        statement.closing,
        statement.entry_count,
    ) = found.as_stored()
    statement.prepared_at = now()


def changed_since_prepared(statement: Statement) -> bool:
    """Whether the ledger moved after the statement's figures were taken."""
    return figures(statement.customer_id, statement.month).as_stored() != stored(
        statement
    )


def lines(statement: Statement) -> list[ledger.Entry]:
    """The month's entries with the running balance from the opening."""
    start, end = period(statement.month)
    opening = figures(statement.customer_id, statement.month).opening
    return ledger.entries(statement.customer_id, start, end, opening)


# ------------------------------------------------------------------ rules
def _month(value: Any) -> dt.date:
    if not isinstance(value, dt.date):
        raise InvalidInput(_l("Give the month of the statement."), field="month")
    month = dt.date(value.year, value.month, 1)
    if month > month_of(now()):
        raise InvalidInput(
            _l("A statement covers a month that has begun."), field="month"
        )
    return month


@register
class StatementRules(RecordRules):
    model = Statement

    def before_create(self, item: Statement, user: Any) -> None:
        customer = item.customer or (
            db.session.get(Customer, item.customer_id) if item.customer_id else None
        )
        if customer is None:
            raise InvalidInput(_l("Choose the customer."), field="customer")
        item.month = _month(item.month)
        existing = db.session.scalars(
            select(Statement.number).where(
                Statement.customer_id == customer.id, Statement.month == item.month
            )
        ).first()
        if existing:
            raise Conflict(
                _l(
                    "%(customer)s already has statement %(number)s for %(month)s.",
                    customer=customer.name,
                    number=existing,
                    month=month_key(item.month),
                ),
                field="month",
            )
        item.customer = customer
        item.number = next_number("statement")
        item.department = department("finance")
        item.status = "draft"
        _store(item, figures(customer.id, item.month))

    def before_update(self, item: Statement, user: Any) -> None:
        if _previous_status(item) == "confirmed":
            raise Conflict(CONFIRMED_IS_FINAL)
        if _changed(item, "customer_id") or _changed(item, "month"):
            raise InvalidInput(
                _l("Prepare a new statement for another customer or month."),
                field="month",
            )

    def before_delete(self, item: Statement, user: Any) -> None:
        raise Conflict(NEVER_DELETED)


def _previous_status(item: Statement) -> str | None:
    history = sa_inspect(item).attrs["status"].history
    return history.deleted[0] if history.deleted else item.status


def _changed(item: Any, name: str) -> bool:
    history = sa_inspect(item).attrs[name].history
    return bool(history.deleted) and history.deleted[0] != getattr(item, name)


def _confirmed_is_final(session: Session, flush_context: Any, instances: Any) -> None:
    """A confirmed statement never changes, whatever path tries (rule on flush)."""
    for obj in session.dirty:
        if not isinstance(obj, Statement) or _previous_status(obj) != "confirmed":
            continue
        state = sa_inspect(obj)
        if any(
            state.attrs[a.key].history.has_changes() for a in state.mapper.column_attrs
        ):
            raise Conflict(CONFIRMED_IS_FINAL)
    for obj in session.deleted:
        if isinstance(obj, Statement):
            raise Conflict(NEVER_DELETED)


if not event.contains(Session, "before_flush", _confirmed_is_final):
    event.listen(Session, "before_flush", _confirmed_is_final)


# -------------------------------------------------------------- preparing
def prepare(customer: Customer, month: dt.date, user: Any) -> Statement:
    """The customer's statement of the month: created, or refreshed if open."""
    month = _month(month)
    found = db.session.scalars(
        select(Statement).where(
            Statement.customer_id == customer.id, Statement.month == month
        )
    ).one_or_none()
    if found is None:
        found = records.add(Statement(customer=customer, month=month), user)
    elif found.status != "confirmed":
        _refresh(found)
    db.session.commit()
    return found


@dataclass(frozen=True)
class Prepared:
    created: int
    refreshed: int


def prepare_month(month: dt.date, user: Any) -> Prepared:
    """Statements for every customer with entries in the month or an open balance.

    Covers the customers whose settlements the user may see; statements not
    yet confirmed are refreshed, confirmed ones left as they are.
    """
    month = _month(month)
    start, end = period(month)
    opening = ledger.balances(start)
    moved = ledger.movements(start, end)
    wanted = {cid for cid, cents in opening.items() if cents} | set(moved)
    visible = set(
        db.session.scalars(
            restrict(select(Settlement.customer_id).distinct(), Settlement, user).where(
                Settlement.customer_id.in_(wanted)
            )
        )
    )
    existing = {
        s.customer_id: s
        for s in db.session.scalars(
            select(Statement).where(
                Statement.month == month, Statement.customer_id.in_(visible)
            )
        )
    }
    created = refreshed = 0
    customers = {
        c.id: c
        for c in db.session.scalars(select(Customer).where(Customer.id.in_(visible)))
    }
    for customer_id in sorted(visible):
        statement = existing.get(customer_id)
        if statement is None:
            records.add(Statement(customer=customers[customer_id], month=month), user)
            created += 1
        elif statement.status != "confirmed" and _refresh(statement):
            refreshed += 1
    db.session.commit()
    return Prepared(created, refreshed)


def _refresh(statement: Statement) -> bool:
    """Take the figures again; a sent statement that changed goes back to draft."""
    found = figures(statement.customer_id, statement.month)
    if found.as_stored() == stored(statement):
        return False
    _store(statement, found)
    if statement.status == "sent":
        statement.status = "draft"
        statement.sent_at = None
    return True


# ------------------------------------------------------------------ steps
def _prepare_step(statement: Statement, data: dict[str, Any], user: Any) -> None:
    if not _refresh(statement):
        statement.prepared_at = now()


def _send(statement: Statement, data: dict[str, Any], user: Any) -> None:
    _refresh(statement)
    statement.sent_at = now()
    statement.sent_channel_id = int(data["channel"]) if data.get("channel") else None
    note = (data.get("note") or "").strip()
    if note:
        statement.notes = _append(statement.notes, note)


def _confirm(statement: Statement, data: dict[str, Any], user: Any) -> None:
    if changed_since_prepared(statement):
        raise Conflict(
            _l(
                "The ledger changed after the statement was sent; prepare it "
                "again and send the new figures."
            )
        )
    confirmed = ledger.to_money(0) + Decimal(str(data["confirmed_balance"]))
    closing = stored(statement)[3]
    if confirmed.quantize(ledger.CENT) != confirmed or confirmed != closing:
        raise InvalidInput(
            _l(
                "The customer confirmed a closing balance of %(given)s, the "
                "statement shows %(ours)s: record the customer's dispute instead.",
                given=f"{confirmed:,.2f}",
                ours=f"{closing:,.2f}",
            ),
            field="confirmed_balance",
        )
    moment = not_future(as_datetime(data.get("confirmed_at")) or now(), "confirmed_at")
    statement.confirmed_at = moment
    statement.confirmed_by_name = data["confirmed_by_name"].strip()
    statement.confirmation_note = (data.get("note") or "").strip() or None
    statement.recorded_by_id = user.id


def _dispute(statement: Statement, data: dict[str, Any], user: Any) -> None:
    category = db.session.scalars(
        select(CaseCategory).where(CaseCategory.code == DISPUTE_CATEGORY)
    ).one_or_none()
    if category is None:
        raise InvalidInput(
            _l("The case category %(code)s is not set up.", code=DISPUTE_CATEGORY)
        )
    case = Case(
        customer=statement.customer,
        kind="complaint",
        severity="general",
        category=category,
        channel=db.session.get(Channel, int(data["channel"])),
        stage="settlement",
        title=str(
            _l(
                "Statement dispute: %(number)s (%(month)s)",
                number=statement.number,
                month=month_key(statement.month),
            )
        )[:200],
        description=data["description"].strip(),
        expected_solution=(data.get("expected_solution") or "").strip() or None,
    )
    records.add(case, user)  # numbered, routed to Finance, clocks started
    statement.dispute_case = case


def _disputed(statement: Statement, step: Step) -> None:
    if step.name == "dispute" and statement.dispute_case is not None:
        records.after_create(statement.dispute_case)


def _append(text: str | None, line: str) -> str:
    stamp = now().strftime("%Y-%m-%d %H:%M")
    return f"{text}\n{stamp} {line}" if text else f"{stamp} {line}"


STATEMENT_FLOW = Workflow(
    model=Statement,
    resource="StatementWorkflow",
    statuses=STATEMENT_STATUSES,
    steps=(
        Step(
            "prepare",
            _l("Prepare again"),
            ("draft", "sent", "disputed"),
            None,
            apply=_prepare_step,
            style="default",
            icon="fa-refresh",
            help=_l("Takes the figures from the settlements as they are now."),
        ),
        Step(
            "send",
            _l("Send to customer"),
            ("draft", "disputed"),
            "sent",
            asks=(
                Ask("channel", _l("Channel"), "select", choices=channel_choices),
                Ask("note", _l("Note"), "textarea", max_length=500),
            ),
            apply=_send,
            icon="fa-paper-plane",
        ),
        Step(
            "confirm",
            _l("Record customer's confirmation"),
            ("sent",),
            "confirmed",
            asks=(
                Ask(
                    "confirmed_by_name",
                    _l("Confirmed by (customer)"),
                    required=True,
                    max_length=50,
                ),
                Ask(
                    "confirmed_at",
                    _l("Confirmed at"),
                    "datetime",
                    description=_l("Empty: now."),
                ),
                Ask(
                    "confirmed_balance",
                    _l("Closing balance confirmed (CNY)"),
                    "decimal",
                    required=True,
                    description=_l(
                        "As written on the statement the customer signed: "
                        "positive when the customer owes us."
                    ),
                ),
                Ask("note", _l("Note"), "textarea", max_length=2000),
            ),
            apply=_confirm,
            style="success",
            icon="fa-check",
        ),
        Step(
            "dispute",
            _l("Record customer's dispute"),
            ("sent",),
            "disputed",
            asks=(
                Ask(
                    "channel",
                    _l("Channel"),
                    "select",
                    required=True,
                    choices=channel_choices,
                ),
                Ask(
                    "description",
                    _l("What the customer contests"),
                    "textarea",
                    required=True,
                ),
                Ask(
                    "expected_solution", _l("Customer's expected solution"), "textarea"
                ),
            ),
            apply=_dispute,
            style="warning",
            icon="fa-exclamation-triangle",
            help=_l("Opens a settlement complaint for Finance."),
        ),
    ),
    after=_disputed,
)


# ------------------------------------------------------- print and export
def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def balance_text(value: Decimal) -> str:
    """Who owes whom, in words a customer reads."""
    if value > 0:
        return str(_l("The customer owes us %(amount)s", amount=_yuan(value)))
    if value < 0:
        return str(_l("We owe the customer %(amount)s", amount=_yuan(-value)))
    return str(_l("Settled, nothing owed"))


def sheet(statement: Statement) -> dict[str, Any]:
    """Everything the screen, the print and the workbook show, computed once."""
    from app.services.recycling.printing import company

    items = lines(statement)
    found = figures(statement.customer_id, statement.month)
    start, end = period(statement.month)
    sums = ledger.subtotals(items)
    return {
        "company": company(),
        "title": _l("Statement of account"),
        "statement": statement,
        "customer": statement.customer,
        "month": month_key(statement.month),
        "period_from": start.date().isoformat(),
        "period_to": (end - dt.timedelta(days=1)).date().isoformat(),
        "lines": [
            {
                "date": entry.at.strftime("%Y-%m-%d"),
                "document": entry.document,
                "kind": label(LEDGER_ENTRIES, entry.kind),
                "reference": entry.reference,
                "debit": entry.debit if entry.debit else None,
                "credit": entry.credit if entry.credit else None,
                "balance": entry.balance,
                "settlement_id": entry.settlement.id,
            }
            for entry in items
        ],
        "subtotals": [
            (label(LEDGER_ENTRIES, kind), sums[kind])
            for kind in LEDGER_ENTRIES
            if kind in sums
        ],
        "opening": found.opening,
        "debit": found.debit,
        "credit": found.credit,
        "closing": found.closing,
        "closing_text": balance_text(found.closing),
        "opening_text": balance_text(found.opening),
        "changed": found.as_stored() != stored(statement),
        "status": label(STATEMENT_STATUSES, statement.status),
        "printed_at": now().strftime("%Y-%m-%d %H:%M"),
        "yuan": _yuan,
    }
