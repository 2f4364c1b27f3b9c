"""Payment terms (账期) and the payment clock of a confirmed settlement.

Seed 002 §3(四): settle promptly on the agreed terms. The term of a customer is
looked up along `TERM_SOURCES`, first match wins: the customer's own term, then
(once customer grades exist) the grade's default, then the company default
(setting `finance.default_payment_term`, a term code). Days are calendar days
(a commercial term, not a service target): due = confirmation date + days, or
end of the confirmation month + days for monthly terms (月结). Payment on the
due date is on time; the clock is at risk `finance.due_warning_days` days
before (default 3) and breached after the due date.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import BUSINESS_TZ, Customer, PaymentTerm, Setting, Settlement, now
from app.models.codes import TERM_BASES
from app.services.core.errors import InvalidInput
from app.services.core.records import RecordRules, register

DEFAULT_WARNING_DAYS = 3
DEFAULT_TERM_CODE = "net7"


@dataclass(frozen=True)
class Term:
    """The term that applies to a customer, and where it came from."""

    term: PaymentTerm
    source: str  # "customer", "grade", "default"

    @property
    def label(self) -> str:
        return str(TERM_SOURCE_LABELS.get(self.source, self.source))


TermSource = Callable[[Customer], PaymentTerm | None]


def setting(key: str, default: str) -> str:
    """An admin-edited setting's value, or the default when empty or missing."""
    value = db.session.execute(
        select(Setting.value).where(Setting.key == key)
    ).scalar_one_or_none()
    return (value or "").strip() or default


def setting_int(key: str, default: int) -> int:
    try:
        return int(setting(key, str(default)))
    except ValueError:
        return default


def _customer_term(customer: Customer) -> PaymentTerm | None:
    term = customer.payment_term
    return term if term is not None and term.active else None


def _default_term(_customer: Customer) -> PaymentTerm | None:
    code = setting("finance.default_payment_term", DEFAULT_TERM_CODE)
    return db.session.scalars(
        select(PaymentTerm).where(PaymentTerm.code == code)
    ).one_or_none()


# Looked up in order; a customer-grade source goes before "default".
TERM_SOURCES: list[tuple[str, TermSource]] = [
    ("customer", _customer_term),
    ("default", _default_term),
]
TERM_SOURCE_LABELS: dict[str, Any] = {
    "customer": _l("Customer's own term"),
    "grade": _l("Default of the customer grade"),
    "default": _l("Company default"),
}


def register_source(name: str, source: TermSource, label: Any = None) -> None:
    """Add a term source just before the company default (e.g. per grade)."""
    if any(existing == name for existing, _ in TERM_SOURCES):
        return
    TERM_SOURCES.insert(len(TERM_SOURCES) - 1, (name, source))
    if label is not None:
        TERM_SOURCE_LABELS[name] = label


def term_for(customer: Customer) -> Term:
    """The payment term in force for a customer; InvalidInput if none is set up."""
    for name, source in TERM_SOURCES:
        found = source(customer)
        if found is not None:
            return Term(found, name)
    raise InvalidInput(
        _l(
            "No payment term applies: set the customer's term or the setting "
            "finance.default_payment_term."
        )
    )


def due_date(term: PaymentTerm, settled_on: dt.date) -> dt.date:
    """The last day to pay: days after the settlement date or after month end."""
    start = settled_on
    if term.basis == "month_end":
        last = calendar.monthrange(settled_on.year, settled_on.month)[1]
        start = settled_on.replace(day=last)
    return start + dt.timedelta(days=term.days)


def end_of(day: dt.date) -> dt.datetime:
    """The instant a due date has passed: midnight after it, business time."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), BUSINESS_TZ)


def state_at(settlement: Settlement, moment: dt.datetime) -> str:
    """Clock state of an unpaid settlement at `moment`."""
    if settlement.due_at is not None and moment >= settlement.due_at:
        return "breached"
    if settlement.due_risk_at is not None and moment >= settlement.due_risk_at:
        return "at_risk"
    return "running"


def start_clock(settlement: Settlement, due_on: dt.date | None = None) -> None:
    """Give a settlement being confirmed its due date and start its clock.

    `due_on` is a date agreed for this settlement (it overrides the term and
    may not precede the confirmation date).
    """
    moment = settlement.confirmed_at or now()
    settled_on = moment.astimezone(BUSINESS_TZ).date()
    customer = settlement.customer or db.session.get(Customer, settlement.customer_id)
    term = term_for(customer).term
    if due_on is not None:
        if due_on < settled_on:
            raise InvalidInput(
                _l("The due date cannot precede the settlement date."), field="due_on"
            )
    else:
        due_on = due_date(term, settled_on)
    settlement.payment_term = term
    settlement.due_on = due_on
    settlement.due_at = end_of(due_on)
    warning = dt.timedelta(days=setting_int("finance.due_warning_days", 3))
    settlement.due_risk_at = max(settlement.due_at - warning, moment)
    settlement.due_state = state_at(settlement, moment)


def stop_clock(settlement: Settlement) -> None:
    """Paid: met when paid by the due date (the payment's own time, which
    Finance may record later than it happened); voided: no clock."""
    if settlement.status == "voided" or settlement.voided_at is not None:
        settlement.due_state = "none"
        return
    if settlement.due_at is None:
        settlement.due_state = "none"
        return
    paid = settlement.paid_at or now()
    settlement.due_state = "missed" if paid >= settlement.due_at else "met"


@register
class PaymentTermRules(RecordRules):
    model = PaymentTerm

    def before_create(self, item: PaymentTerm, user: Any) -> None:
        if item.days is None or not 0 <= int(item.days) <= 365:
            raise InvalidInput(_l("A payment term is 0 to 365 days."), field="days")
        if item.basis not in TERM_BASES:
            raise InvalidInput(_l("Choose how the days are counted."), field="basis")
        item.code = (item.code or "").strip()
        item.name = (item.name or "").strip()
        if not item.code or not item.name:
            raise InvalidInput(_l("Give the code and the name."), field="code")

    before_update = before_create
