"""The settlement workflow: draft → confirmed → paid, or voided; adjusting entries.

Finance confirms a draft (payment method fixed, lines final), records the
payment or receipt (voucher number 凭证号, paid at) and may void a draft or a
confirmed settlement with a reason. A paid settlement never changes: a
correction is an adjusting entry, a new settlement whose `adjusts` names the
original and whose lines may be negative. A receipt settlement (a sale to a
buyer of recycled material) takes its lines from inspected sales lots at the
sale price in force.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Customer,
    Inspection,
    Material,
    MaterialGrade,
    Settlement,
    SettlementLine,
    now,
)
from app.models.codes import PAYMENT_METHODS, SETTLEMENT_STATUSES
from app.security.scope import restrict
from app.services.core import records
from app.services.core.errors import InvalidInput
from app.services.core.numbering import next_number
from app.services.core.workflow import (
    Ask,
    Step,
    Workflow,
    as_datetime,
    code_choices,
    not_future,
)
from app.services.finance import invoices, receivables, terms
from app.services.notify import customer_notices
from app.services.recycling.pickup_steps import log_step
from app.services.recycling.recycling_rules import price_line, recompute_total, related


# -------------------------------------------------------------- builders
def build_sales_settlement(
    customer: Customer,
    lots: Iterable[Inspection],
    user: Any,
    payment_method: str | None = None,
    sales_order: str | None = None,
) -> Settlement:
    """A receipt settlement for inspected sales lots at the sale price in force."""
    settlement = records.add(
        Settlement(
            direction="receive",
            customer=customer,
            payment_method=payment_method,
            sales_order=sales_order,
        ),
        user,
    )
    for lot in lots:
        add_lot(settlement, lot)
    return settlement


def add_lot(settlement: Settlement, lot: Inspection) -> SettlementLine:
    """Add an inspected sales lot to a draft receipt settlement."""
    if settlement.direction != "receive" or lot.sales_lot is None:
        raise InvalidInput(
            _l("Sales lots are settled on receipt settlements."), field="inspection"
        )
    buyer = related(settlement, "customer", Customer)
    if lot.customer_id is not None and lot.customer_id != buyer.id:
        raise InvalidInput(
            _l("Lot %(lot)s was inspected for another buyer.", lot=lot.sales_lot),
            field="inspection",
        )
    line = price_line(SettlementLine(), settlement, lot)
    settlement.lines.append(line)
    # The buyer of the lot is known from now on (a dispute names the customer).
    lot.customer = buyer
    recompute_total(settlement)
    return line


def _open_lots(settlement: Settlement) -> list[tuple[str, str]]:
    """Inspected sales lots not yet on a settlement in force, that the user sees."""
    taken = (
        select(SettlementLine.inspection_id)
        .join(Settlement)
        .where(Settlement.status != "voided", SettlementLine.inspection_id.is_not(None))
    )
    stmt = restrict(
        select(Inspection)
        .where(
            Inspection.sales_lot.is_not(None),
            Inspection.result != "reject",
            Inspection.id.not_in(taken),
        )
        .order_by(Inspection.id)
        .options(selectinload(Inspection.material), selectinload(Inspection.grade)),
        Inspection,
    )
    return [
        (
            str(lot.id),
            f"{lot.number} · {lot.sales_lot} · {lot.material.name} "
            f"{lot.grade.name if lot.grade else ''} · {lot.accepted_net_kg} kg",
        )
        for lot in db.session.scalars(stmt)
    ]


# ------------------------------------------------------------------ steps
def _receipt(settlement: Settlement) -> Any:
    if settlement.direction != "receive" or settlement.adjusts_id is not None:
        return _l("Only a receipt settlement takes sales lots.")
    return None


def _add_lot(settlement: Settlement, data: dict[str, Any], user: Any) -> None:
    lot = db.session.get(Inspection, int(data["inspection"]))
    if lot is None:
        raise InvalidInput(_l("Choose an inspected sales lot."), field="inspection")
    add_lot(settlement, lot)


def _has_lines(settlement: Settlement) -> Any:
    if not settlement.lines:
        return _l("The settlement has no lines.")
    return None


def _confirm(settlement: Settlement, data: dict[str, Any], user: Any) -> None:
    settlement.payment_method = data.get("payment_method") or settlement.payment_method
    if not settlement.payment_method:
        raise InvalidInput(_l("Choose the payment method."), field="payment_method")
    recompute_total(settlement)
    settlement.confirmed_at = now()
    settlement.confirmed_by_id = user.id
    terms.start_clock(settlement, data.get("due_on"))


def _pay(settlement: Settlement, data: dict[str, Any], user: Any) -> None:
    paid_at = not_future(as_datetime(data.get("paid_at")) or now(), "paid_at")
    if settlement.confirmed_at is not None and paid_at < settlement.confirmed_at:
        raise InvalidInput(
            _l("The payment cannot precede the confirmation."), field="paid_at"
        )
    voucher = (data.get("voucher_no") or "").strip()
    if voucher:
        used = db.session.scalars(
            select(Settlement.number).where(Settlement.voucher_no == voucher)
        ).first()
        if used:
            raise InvalidInput(
                _l(
                    "Voucher number %(voucher)s is already used by %(number)s.",
                    voucher=voucher,
                    number=used,
                ),
                field="voucher_no",
            )
    else:
        voucher = next_number("voucher", paid_at)
    settlement.voucher_no = voucher
    settlement.paid_at = paid_at
    settlement.paid_by_id = user.id
    terms.stop_clock(settlement)
    receivables.settle_tasks(
        settlement, f"{settlement.number} 已付款（凭证 {voucher}）"
    )
    customer_notices.queue(
        "settlement_paid",
        settlement.customer,
        user,
        pickup=settlement.pickup,
        settlement=settlement,
    )


def _void(settlement: Settlement, data: dict[str, Any], user: Any) -> None:
    settlement.voided_at = now()
    settlement.void_reason = data["reason"].strip()
    terms.stop_clock(settlement)
    receivables.settle_tasks(
        settlement, f"{settlement.number} 已作废：{settlement.void_reason}"
    )
    pickup = settlement.pickup
    if (
        pickup is not None
        and settlement.adjusts_id is None
        and pickup.status == "settled"
    ):
        # The pickup is no longer settled; Finance settles it again.
        pickup.status = "inspected"
        pickup.settled_at = None
        log_step(
            pickup,
            "unsettle",
            "settled",
            user,
            f"{settlement.number}: {settlement.void_reason}",
        )


def _materials(_settlement: Settlement) -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(Material).where(Material.active.is_(True)).order_by(Material.code)
    )
    return [(str(m.id), m.name) for m in rows]


def _grades(_settlement: Settlement) -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(MaterialGrade).join(Material).order_by(Material.code, MaterialGrade.rank)
    )
    return [(str(g.id), str(g)) for g in rows]


def _adjust(settlement: Settlement, data: dict[str, Any], user: Any) -> None:
    """Open an adjusting entry with its first line (more lines on its screen)."""
    material = db.session.get(Material, int(data["material"]))
    grade = (
        db.session.get(MaterialGrade, int(data["grade"])) if data.get("grade") else None
    )
    if material is None:
        raise InvalidInput(_l("Choose the material."), field="material")
    if grade is not None and grade.material_id != material.id:
        raise InvalidInput(_l("This grade belongs to another material."), field="grade")
    reason = data["reason"].strip()
    entry = records.add(
        Settlement(
            adjusts=settlement, payment_method=settlement.payment_method, notes=reason
        ),
        user,
    )
    records.add(
        SettlementLine(
            settlement=entry,
            material=material,
            grade=grade,
            net_kg=data["net_kg"],
            unit_price=data["unit_price"],
            note=reason[:300],
        ),
        user,
    )


REASON = Ask("reason", _l("Reason"), "textarea", required=True, max_length=300)

SETTLEMENT_FLOW = Workflow(
    model=Settlement,
    resource="SettlementWorkflow",
    statuses=SETTLEMENT_STATUSES,
    steps=(
        Step(
            "add_lot",
            _l("Add an inspected sales lot"),
            ("draft",),
            None,
            asks=(
                Ask(
                    "inspection",
                    _l("Sales lot"),
                    "select",
                    required=True,
                    choices=_open_lots,
                ),
            ),
            apply=_add_lot,
            guard=_receipt,
            style="default",
            icon="fa-plus",
        ),
        Step(
            "confirm",
            _l("Confirm"),
            ("draft",),
            "confirmed",
            asks=(
                Ask(
                    "payment_method",
                    _l("Payment method"),
                    "select",
                    choices=code_choices(PAYMENT_METHODS),
                ),
                Ask(
                    "due_on",
                    _l("Due date"),
                    "date",
                    description=_l("Empty: from the customer's payment term."),
                ),
            ),
            apply=_confirm,
            guard=_has_lines,
            icon="fa-check",
        ),
        Step(
            "pay",
            _l("Record payment or receipt"),
            ("confirmed",),
            "paid",
            asks=(
                Ask(
                    "voucher_no",
                    _l("Voucher number"),
                    max_length=30,
                    description=_l("Empty: the next voucher number."),
                ),
                Ask(
                    "paid_at", _l("Paid at"), "datetime", description=_l("Empty: now.")
                ),
            ),
            apply=_pay,
            style="success",
            icon="fa-money",
        ),
        Step(
            "void",
            _l("Void"),
            ("draft", "confirmed"),
            "voided",
            asks=(REASON,),
            apply=_void,
            style="danger",
            icon="fa-ban",
        ),
        Step(
            "adjust",
            _l("Adjusting entry"),
            ("paid",),
            None,
            asks=(
                REASON,
                Ask(
                    "material",
                    _l("Material"),
                    "select",
                    required=True,
                    choices=_materials,
                ),
                Ask("grade", _l("Grade"), "select", choices=_grades),
                Ask(
                    "net_kg",
                    _l("Weight to correct (kg)"),
                    "decimal",
                    required=True,
                    description=_l("Negative to take weight back."),
                ),
                Ask(
                    "unit_price",
                    _l("Unit price (CNY/kg)"),
                    "decimal",
                    required=True,
                    minimum=0,
                ),
            ),
            apply=_adjust,
            style="warning",
            icon="fa-pencil",
        ),
        *invoices.STEPS,
    ),
)
