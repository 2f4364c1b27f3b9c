"""Invoice status of settlements (发票): pending, invoiced, or not needed.

Seed 003 物流 第十七条: once the amount is confirmed, the invoice is issued at
once. For a sale Finance issues the invoice to the buyer; for a purchase it
records the supplier's invoice (or the company's own purchase invoice). A
settlement is `pending` from creation; the steps below record the invoice
number and date, or why no invoice is needed. They are the only changes a
paid settlement still takes (bookkeeping columns, see `BOOKKEEPING`), so an
invoice that arrives after the payment can be recorded.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Settlement, now
from app.services.core.errors import InvalidInput
from app.services.core.workflow import Ask, Step

# Columns of a settlement that change after payment without touching what was
# paid: the invoice, and the payment clock kept by the deadline check.
BOOKKEEPING = frozenset(
    {
        "invoice_status",
        "invoice_no",
        "invoice_date",
        "invoice_note",
        "due_state",
        "escalation_level",
        # Stamps of the change itself.
        "version",
        "changed_at",
        "changed_by_id",
    }
)


def _invoice(settlement: Settlement, data: dict[str, Any], user: Any) -> None:
    number = (data.get("invoice_no") or "").strip()
    if not number:
        raise InvalidInput(_l("Give the invoice number."), field="invoice_no")
    day = data.get("invoice_date") or now().date()
    if day > now().date():
        raise InvalidInput(
            _l("An invoice date cannot be in the future."), field="invoice_date"
        )
    if settlement.confirmed_at is not None and day < settlement.confirmed_at.date():
        raise InvalidInput(
            _l("The invoice cannot precede the confirmation of the settlement."),
            field="invoice_date",
        )
    used = db.session.scalars(
        select(Settlement.number).where(
            Settlement.invoice_no == number,
            Settlement.direction == settlement.direction,
            Settlement.customer_id == settlement.customer_id,
            Settlement.id != settlement.id,
        )
    ).first()
    if used:
        raise InvalidInput(
            _l(
                "Invoice %(invoice)s is already recorded on %(number)s.",
                invoice=number,
                number=used,
            ),
            field="invoice_no",
        )
    settlement.invoice_no = number
    settlement.invoice_date = day
    settlement.invoice_status = "invoiced"
    settlement.invoice_note = None


def _no_invoice(settlement: Settlement, data: dict[str, Any], user: Any) -> None:
    settlement.invoice_status = "not_required"
    settlement.invoice_no = None
    settlement.invoice_date = None
    settlement.invoice_note = data["reason"].strip()[:200]


def _pending(settlement: Settlement) -> Any:
    if settlement.invoice_status != "pending":
        return _l("The invoice is already recorded.")
    return None


STEPS = (
    Step(
        "invoice",
        _l("Record the invoice"),
        ("confirmed", "paid"),
        None,
        asks=(
            Ask("invoice_no", _l("Invoice number"), required=True, max_length=50),
            Ask(
                "invoice_date",
                _l("Invoice date"),
                "date",
                description=_l("Empty: today."),
            ),
        ),
        apply=_invoice,
        style="default",
        icon="fa-file-text-o",
        help=_l("Correcting a number recorded by mistake is kept in the audit trail."),
    ),
    Step(
        "no_invoice",
        _l("No invoice needed"),
        ("confirmed", "paid"),
        None,
        asks=(
            Ask(
                "reason",
                _l("Reason"),
                "textarea",
                required=True,
                max_length=200,
            ),
        ),
        apply=_no_invoice,
        guard=_pending,
        style="default",
        icon="fa-ban",
    ),
)
