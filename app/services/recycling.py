"""Recycling-flow record rules: numbers, owning departments, weights, locks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect

from app.models import (
    Inspection,
    Pickup,
    PickupLine,
    Reweigh,
    Settlement,
    SettlementLine,
    WeighLine,
    WeighTicket,
    now,
)
from app.services import sla
from app.services.errors import Conflict, InvalidInput
from app.services.numbering import next_number
from app.services.records import RecordRules, department, register
from app.services.validation import check_phone

WEIGHT_STEP = Decimal("0.001")


def previous(item: Any, attribute: str) -> Any:
    """The value an attribute had when loaded (before this request changed it)."""
    history = sa_inspect(item).attrs[attribute].history
    if history.deleted:
        return history.deleted[0]
    return getattr(item, attribute)


def non_negative(value: Any, field: str) -> Decimal | None:
    if value is None:
        return None
    value = Decimal(value)
    if value < 0:
        raise InvalidInput(_l("A weight or amount cannot be negative."), field=field)
    return value


@register
class PickupRules(RecordRules):
    model = Pickup

    def before_create(self, item: Pickup, user: Any) -> None:
        self._validate(item)
        item.received_at = now()
        item.number = next_number("pickup", item.received_at)
        item.department = department("ops")
        item.status = "requested"
        sla.start_pickup(item)
        if not item.address and item.customer is not None:
            item.address = item.customer.address
        if not item.address:
            raise InvalidInput(_l("Give the pickup address."), field="address")

    def before_update(self, item: Pickup, user: Any) -> None:
        if previous(item, "status") in ("closed", "cancelled"):
            raise Conflict(_l("A closed or cancelled pickup cannot be edited."))
        self._validate(item)

    def before_delete(self, item: Pickup, user: Any) -> None:
        if item.status != "requested" or item.tickets:
            raise Conflict(
                _l("Only a pickup still in the requested state can be deleted; "
                   "cancel it instead.")
            )

    @staticmethod
    def _validate(item: Pickup) -> None:
        item.contact_phone = check_phone(item.contact_phone, "contact_phone")
        if (
            item.requested_start
            and item.requested_end
            and item.requested_end <= item.requested_start
        ):
            raise InvalidInput(_l("The requested window must end after it starts."),
                               field="requested_end")


@register
class PickupLineRules(RecordRules):
    model = PickupLine

    def before_create(self, item: PickupLine, user: Any) -> None:
        pickup = item.pickup
        if pickup is not None and pickup.status not in ("requested", "scheduled",
                                                         "assessed", "collected"):
            raise Conflict(_l("Lines cannot change once the pickup is weighed."))
        for field in ("estimated_kg", "assessed_kg", "collected_kg",
                      "quoted_unit_price"):
            non_negative(getattr(item, field), field)

    before_update = before_create
    before_delete = before_create


@register
class TicketRules(RecordRules):
    model = WeighTicket

    def before_create(self, item: WeighTicket, user: Any) -> None:
        if item.pickup is not None and item.customer is None:
            item.customer = item.pickup.customer
        if item.customer is None and item.customer_id is None:
            raise InvalidInput(_l("Choose the customer or the pickup."),
                               field="customer")
        item.number = next_number("ticket")
        item.department = department("warehouse")


def check_weighing(line: WeighLine, user: Any) -> None:
    """Gross and tare are non-negative, tare <= gross; net is their difference."""
    gross = non_negative(line.gross_kg, "gross_kg")
    tare = non_negative(line.tare_kg, "tare_kg")
    if gross is None:
        raise InvalidInput(_l("Give the gross weight."), field="gross_kg")
    if tare is not None and tare > gross:
        raise InvalidInput(_l("The tare cannot exceed the gross weight."),
                           field="tare_kg")
    stamp = now()
    line.gross_at = line.gross_at or stamp
    line.gross_by_id = line.gross_by_id or user.id
    if tare is not None:
        line.tare_at = line.tare_at or stamp
        line.tare_by_id = line.tare_by_id or user.id
        line.net_kg = (gross - tare).quantize(WEIGHT_STEP)
    else:
        line.net_kg = None


@register
class WeighLineRules(RecordRules):
    model = WeighLine

    def before_create(self, item: WeighLine, user: Any) -> None:
        check_weighing(item, user)

    before_update = before_create


@register
class ReweighRules(RecordRules):
    model = Reweigh

    def before_create(self, item: Reweigh, user: Any) -> None:
        non_negative(item.net_kg, "net_kg")
        if item.net_kg is None:
            raise InvalidInput(_l("Give the re-weighed net weight."), field="net_kg")
        item.operator_id = user.id
        item.weighed_at = item.weighed_at or now()

    before_update = before_create


def accepted_net(net: Decimal, moisture: Decimal, impurity: Decimal,
                 deduction: Decimal, result: str) -> Decimal:
    """Net minus moisture and impurity shares minus a fixed deduction (0 if rejected)."""
    if result == "reject":
        return Decimal("0.000")
    share = (moisture + impurity) / Decimal(100)
    accepted = net - net * share - deduction
    return max(Decimal(0), accepted).quantize(WEIGHT_STEP)


@register
class InspectionRules(RecordRules):
    model = Inspection

    def before_create(self, item: Inspection, user: Any) -> None:
        self._compute(item)
        item.number = next_number("inspection")
        item.department = department("qc")
        item.inspector_id = user.id
        item.inspected_at = item.inspected_at or now()

    def before_update(self, item: Inspection, user: Any) -> None:
        self._compute(item)

    @staticmethod
    def _compute(item: Inspection) -> None:
        if item.weigh_line is not None:
            if item.weigh_line.net_kg is None:
                raise InvalidInput(_l("The weigh line has no net weight yet."),
                                   field="weigh_line")
            item.net_kg = item.weigh_line.net_kg
            item.material = item.weigh_line.material
            item.pickup = item.weigh_line.ticket.pickup
            item.customer = item.weigh_line.ticket.customer
        elif not item.sales_lot:
            raise InvalidInput(_l("Choose the weigh line or give the sales lot."),
                               field="weigh_line")
        net = non_negative(item.net_kg, "net_kg")
        if net is None:
            raise InvalidInput(_l("Give the net weight inspected."), field="net_kg")
        moisture = Decimal(item.moisture_pct or 0)
        impurity = Decimal(item.impurity_pct or 0)
        for value, field in ((moisture, "moisture_pct"), (impurity, "impurity_pct")):
            if not Decimal(0) <= value <= Decimal(100):
                raise InvalidInput(_l("A percentage must be between 0 and 100."),
                                   field=field)
        if moisture + impurity > 100:
            raise InvalidInput(_l("Moisture and impurity together exceed 100%."),
                               field="impurity_pct")
        deduction = non_negative(item.deduction_kg or 0, "deduction_kg")
        if deduction > net:
            raise InvalidInput(_l("The deduction exceeds the net weight."),
                               field="deduction_kg")
        if item.result is None:
            raise InvalidInput(_l("Choose the inspection result."), field="result")
        item.moisture_pct, item.impurity_pct, item.deduction_kg = (
            moisture, impurity, deduction)
        item.accepted_net_kg = accepted_net(net, moisture, impurity, deduction,
                                            item.result)


@register
class SettlementRules(RecordRules):
    model = Settlement

    def before_create(self, item: Settlement, user: Any) -> None:
        item.number = next_number("settlement")
        item.department = department("finance")
        item.status = "draft"
        item.total = Decimal("0.00")
        if item.pickup is not None:
            item.customer = item.pickup.customer

    def before_update(self, item: Settlement, user: Any) -> None:
        if previous(item, "status") != "draft":
            raise Conflict(_l("Only a draft settlement can be edited; corrections "
                              "of a confirmed or paid one are adjusting entries."))

    def before_delete(self, item: Settlement, user: Any) -> None:
        if item.status != "draft":
            raise Conflict(_l("Only a draft settlement can be deleted."))


@register
class SettlementLineRules(RecordRules):
    model = SettlementLine

    def before_create(self, item: SettlementLine, user: Any) -> None:
        settlement = item.settlement
        if settlement is not None and settlement.status != "draft":
            raise Conflict(_l("Only a draft settlement's lines can change."))

    before_update = before_create
    before_delete = before_create
