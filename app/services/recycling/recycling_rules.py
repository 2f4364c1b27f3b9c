"""Recycling-flow record rules: numbers, owning departments, weights, prices, locks.

Screens, the REST API, the workflow steps and the demo builder all save
pickups, weigh tickets, inspections and settlements through these rules.

Rules decided here (stated once):

- Weights are kg with at most 3 decimals (grams), never negative; tare <= gross;
  net = gross - tare. Each weighing pass stamps its own operator and time.
- Accepted net = net x (100 - moisture% - impurity%) / 100 - deduction kg,
  floored at 0, rounded half-up to the gram; a rejected lot accepts 0 kg.
- A settlement line = accepted net x the unit price in force on the weighing
  date (the business-time date of the weigh line's gross weighing; for a sales
  lot, of its inspection), rounded half-up to the cent per line; the total is
  the sum of the rounded lines.
- A paid settlement is final everywhere (screens, API, services): corrections
  are adjusting entries; only its invoice and payment-clock columns still
  change (app.services.finance.invoices.BOOKKEEPING). Settlements and weigh
  tickets are never deleted, so their numbers stay gap-free.
- A new pickup left without contact, phone or address takes the customer's
  (contact person, phone, address); with no address at all it is refused.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import (
    Customer,
    Inspection,
    MaterialGrade,
    Pickup,
    PickupLine,
    Reweigh,
    Settlement,
    SettlementLine,
    WeighLine,
    WeighTicket,
    now,
)
from app.models.codes import (
    INSPECTION_RESULTS,
    PICKUP_STATUSES,
    SETTLEMENT_DIRECTIONS,
    label,
)
from app.services.clocks import record_clocks
from app.services.core.errors import Conflict, InvalidInput
from app.services.core.numbering import next_number
from app.services.core.records import RecordRules, department, register
from app.services.core.validation import check_phone
from app.services.finance.invoices import BOOKKEEPING
from app.services.recycling.pricing import business_date, line_amount, price_in_force

WEIGHT_STEP = Decimal("0.001")
# Pickup states in which the warehouse adds or removes weigh lines, and edits them.
WEIGHING_OPEN = ("collected",)
WEIGHING_EDITABLE = ("collected", "weighed")
SETTLED = ("settled", "closed")
# Settlement direction -> price list direction.
PRICE_DIRECTION = {"pay": "purchase", "receive": "sale"}
PAID_IS_FINAL = _l(
    "A paid settlement is final and cannot be changed or deleted; "
    "correct it with an adjusting entry."
)


# ----------------------------------------------------------------- helpers
def previous(item: Any, attribute: str) -> Any:
    """The value an attribute had when loaded (before this request changed it)."""
    history = sa_inspect(item).attrs[attribute].history
    if history.deleted:
        return history.deleted[0]
    return getattr(item, attribute)


def changed(item: Any, attribute: str) -> bool:
    """Whether an attribute got a different value (1500 and 1500.000 are equal)."""
    history = sa_inspect(item).attrs[attribute].history
    if not history.added and not history.deleted:
        return False
    old = history.deleted[0] if history.deleted else None
    new = history.added[0] if history.added else None
    return old != new


def related(item: Any, name: str, model: type) -> Any:
    """A many-to-one target whether the caller set the object or only its id."""
    value = getattr(item, name)
    if value is None:
        pk = getattr(item, f"{name}_id")
        value = db.session.get(model, pk) if pk is not None else None
    return value


def number(
    value: Any,
    field: str,
    *,
    required: bool = False,
    negative: bool = False,
    places: int = 3,
) -> Decimal | None:
    """A decimal from user input: numeric, not negative unless allowed, few places."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(_l("Give a value."), field=field)
        return None
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(
            _l("“%(value)s” is not a number.", value=value), field=field
        ) from None
    if not result.is_finite():
        raise InvalidInput(_l("“%(value)s” is not a number.", value=value), field=field)
    if result < 0 and not negative:
        raise InvalidInput(_l("A weight or amount cannot be negative."), field=field)
    if result != result.quantize(Decimal(1).scaleb(-places)):
        raise InvalidInput(
            _l("At most %(places)s decimal places.", places=places), field=field
        )
    return result


# ----------------------------------------------------------------- pickups
@register
class PickupRules(RecordRules):
    model = Pickup

    def before_create(self, item: Pickup, user: Any) -> None:
        # Left empty, contact, phone and address are the customer's.
        customer = item.customer
        if customer is None and item.customer_id is not None:
            customer = db.session.get(Customer, item.customer_id)
        if customer is not None:
            item.contact_name = item.contact_name or customer.contact_person
            item.contact_phone = item.contact_phone or customer.phone
            item.address = item.address or customer.address
        self._validate(item)
        item.received_at = now()
        item.number = next_number("pickup", item.received_at)
        item.department = department("ops")
        item.status = "requested"
        record_clocks.start_pickup(item)
        if not item.address:
            raise InvalidInput(_l("Give the pickup address."), field="address")

    def before_update(self, item: Pickup, user: Any) -> None:
        if previous(item, "status") in ("closed", "cancelled"):
            raise Conflict(_l("A closed or cancelled pickup cannot be edited."))
        self._validate(item)

    def before_delete(self, item: Pickup, user: Any) -> None:
        if item.status != "requested" or item.tickets:
            raise Conflict(
                _l(
                    "Only a pickup still in the requested state can be deleted; "
                    "cancel it instead."
                )
            )

    @staticmethod
    def _validate(item: Pickup) -> None:
        item.contact_phone = check_phone(item.contact_phone, "contact_phone")
        if (
            item.requested_start
            and item.requested_end
            and item.requested_end <= item.requested_start
        ):
            raise InvalidInput(
                _l("The requested window must end after it starts."),
                field="requested_end",
            )


@register
class PickupLineRules(RecordRules):
    model = PickupLine

    def before_create(self, item: PickupLine, user: Any) -> None:
        pickup = related(item, "pickup", Pickup)
        reason = lines_locked(pickup)
        if reason is not None:
            raise Conflict(reason)
        for field in ("estimated_kg", "assessed_kg", "collected_kg"):
            number(getattr(item, field), field)
        number(item.quoted_unit_price, "quoted_unit_price", places=4)

    before_update = before_create

    def before_delete(self, item: PickupLine, user: Any) -> None:
        self.before_create(item, user)
        weighed = db.session.scalars(
            select(WeighLine.id).where(WeighLine.pickup_line_id == item.id)
        ).first()
        if weighed is not None:
            raise Conflict(_l("This line is on a weigh ticket and stays."))


def lines_locked(pickup: Pickup | None) -> Any | None:
    """Why the lines of `pickup` no longer change (weighed: the ticket holds
    them), or None."""
    if pickup is not None and pickup.status not in (
        "requested",
        "scheduled",
        "assessed",
        "collected",
    ):
        return _l("Lines cannot change once the pickup is weighed.")
    return None


def pickup_lines(pickup: Pickup) -> list[PickupLine]:
    return list(
        db.session.scalars(
            select(PickupLine)
            .where(PickupLine.pickup_id == pickup.id)
            .order_by(PickupLine.id)
        )
    )


def pickup_weigh_lines(pickup: Pickup) -> list[WeighLine]:
    return list(
        db.session.scalars(
            select(WeighLine)
            .join(WeighTicket)
            .where(WeighTicket.pickup_id == pickup.id)
            .order_by(WeighLine.id)
        )
    )


def pickup_inspections(pickup: Pickup) -> list[Inspection]:
    return list(
        db.session.scalars(
            select(Inspection)
            .where(Inspection.pickup_id == pickup.id)
            .order_by(Inspection.weigh_line_id, Inspection.id)
        )
    )


def active_settlement(pickup: Pickup) -> Settlement | None:
    """The pickup's settlement in force (not voided, not an adjusting entry)."""
    return db.session.scalars(
        select(Settlement).where(
            Settlement.pickup_id == pickup.id,
            Settlement.adjusts_id.is_(None),
            Settlement.status != "voided",
        )
    ).first()


# ---------------------------------------------------------------- weighing
def _settled_by(inspection_ids: Any, statuses: tuple[str, ...]) -> str | None:
    """Number of a settlement in `statuses` holding one of the inspections."""
    return db.session.scalars(
        select(Settlement.number)
        .join(SettlementLine)
        .where(
            SettlementLine.inspection_id.in_(inspection_ids),
            Settlement.status.in_(statuses),
        )
    ).first()


def ticket_lock(ticket: WeighTicket) -> Any:
    """Why a ticket's weights may no longer change (settled or paid), or None."""
    pickup = ticket.pickup
    if pickup is not None and pickup.status in SETTLED:
        return _l(
            "Weigh ticket %(ticket)s is locked: pickup %(pickup)s is settled.",
            ticket=ticket.number,
            pickup=pickup.number,
        )
    lines = select(WeighLine.id).where(WeighLine.ticket_id == ticket.id)
    inspections = select(Inspection.id).where(Inspection.weigh_line_id.in_(lines))
    settled = _settled_by(inspections, ("confirmed", "paid"))
    if settled:
        return _l(
            "Weigh ticket %(ticket)s is locked: settlement %(settlement)s is "
            "confirmed or paid.",
            ticket=ticket.number,
            settlement=settled,
        )
    return None


@register
class TicketRules(RecordRules):
    model = WeighTicket

    def before_create(self, item: WeighTicket, user: Any) -> None:
        pickup = related(item, "pickup", Pickup)
        if pickup is not None:
            if pickup.status not in WEIGHING_OPEN:
                raise Conflict(
                    _l(
                        "Weighing starts after collection: pickup %(pickup)s is "
                        "“%(status)s”.",
                        pickup=pickup.number,
                        status=label(PICKUP_STATUSES, pickup.status),
                    ),
                    field="pickup",
                )
            # The ticket weighs the pickup's goods: its customer and truck.
            item.customer = pickup.customer
            item.vehicle = item.vehicle or pickup.vehicle
        if item.customer is None and item.customer_id is None:
            raise InvalidInput(
                _l("Choose the customer or the pickup."), field="customer"
            )
        item.department = department("warehouse")
        item.number = next_number("ticket")

    def before_update(self, item: WeighTicket, user: Any) -> None:
        reason = ticket_lock(item)
        if reason is not None:
            raise Conflict(reason)

    def before_delete(self, item: WeighTicket, user: Any) -> None:
        raise Conflict(
            _l(
                "Weigh tickets keep gap-free numbers and are never "
                "deleted; correct or remove their lines instead."
            )
        )


def check_weighing(line: WeighLine, user: Any) -> None:
    """Gross and tare are valid weights, tare <= gross; each pass stamps who/when."""
    # A pass given again with a different weight is a new weighing: it gets the
    # current operator and time. The caller may give the time of a pass (a
    # weighbridge reading), never one in the future.
    gross = number(line.gross_kg, "gross_kg")
    tare = number(line.tare_kg, "tare_kg")
    if gross is None:
        raise InvalidInput(_l("Give the gross weight."), field="gross_kg")
    if tare is not None and tare > gross:
        raise InvalidInput(
            _l(
                "The tare (%(tare)s kg) cannot exceed the gross weight (%(gross)s kg).",
                tare=tare,
                gross=gross,
            ),
            field="tare_kg",
        )
    stamp = now()
    for weight, at, by in (
        ("gross_kg", "gross_at", "gross_by_id"),
        ("tare_kg", "tare_at", "tare_by_id"),
    ):
        if getattr(line, weight) is None:
            setattr(line, at, None)
            setattr(line, by, None)
        elif getattr(line, at) is None or changed(line, weight):
            if getattr(line, at) is None or not changed(line, at):
                setattr(line, at, stamp)
            setattr(line, by, user.id)
    line.net_kg = None if tare is None else gross - tare
    for moment, field in ((line.gross_at, "gross_at"), (line.tare_at, "tare_at")):
        if moment is not None and moment > stamp + dt.timedelta(minutes=1):
            raise InvalidInput(
                _l("A weighing time cannot be in the future."), field=field
            )


def weigh_line_lock(line: WeighLine) -> Any:
    """Why a weigh line may not change now (settled, paid or inspected), or None."""
    ticket = related(line, "ticket", WeighTicket)
    reason = ticket_lock(ticket) if ticket is not None else None
    if reason is not None or line.id is None:
        return reason
    inspected = db.session.scalars(
        select(Inspection.number).where(Inspection.weigh_line_id == line.id)
    ).first()
    if inspected:
        return _l(
            "This weigh line is inspected (%(inspection)s); QC must delete the "
            "inspection before the weights change.",
            inspection=inspected,
        )
    return None


def _weighing_state(ticket: WeighTicket, allowed: tuple[str, ...]) -> None:
    pickup = ticket.pickup
    if pickup is not None and pickup.status not in allowed:
        raise Conflict(
            _l(
                "Pickup %(pickup)s is “%(status)s”: its weigh lines cannot change now "
                "(weighing happens after collection and before inspection).",
                pickup=pickup.number,
                status=label(PICKUP_STATUSES, pickup.status),
            )
        )


@register
class WeighLineRules(RecordRules):
    model = WeighLine

    def before_create(self, item: WeighLine, user: Any) -> None:
        ticket = related(item, "ticket", WeighTicket)
        if ticket is None:
            raise InvalidInput(_l("Choose the weigh ticket."), field="ticket")
        reason = ticket_lock(ticket)
        if reason is not None:
            raise Conflict(reason)
        _weighing_state(ticket, WEIGHING_OPEN)
        self._match_pickup_line(item, ticket)
        check_weighing(item, user)

    def before_update(self, item: WeighLine, user: Any) -> None:
        reason = weigh_line_lock(item)
        if reason is not None:
            raise Conflict(reason)
        _weighing_state(item.ticket, WEIGHING_EDITABLE)
        if (
            item.ticket.pickup is not None
            and item.ticket.pickup.status == "weighed"
            and item.tare_kg is None
        ):
            raise InvalidInput(
                _l("The pickup's weighing is finished: the tare stays recorded."),
                field="tare_kg",
            )
        check_weighing(item, user)

    def before_delete(self, item: WeighLine, user: Any) -> None:
        reason = weigh_line_lock(item)
        if reason is not None:
            raise Conflict(reason)
        _weighing_state(item.ticket, WEIGHING_OPEN)

    @staticmethod
    def _match_pickup_line(item: WeighLine, ticket: WeighTicket) -> None:
        """A pickup's goods are weighed per pickup line, in that line's material."""
        line = related(item, "pickup_line", PickupLine)
        if ticket.pickup is None:
            if line is not None:
                raise InvalidInput(
                    _l("This ticket weighs no pickup."), field="pickup_line"
                )
        else:
            if line is None or line.pickup_id != ticket.pickup_id:
                raise InvalidInput(
                    _l(
                        "Choose the line of pickup %(pickup)s that is weighed.",
                        pickup=ticket.pickup.number,
                    ),
                    field="pickup_line",
                )
            material_id = item.material.id if item.material else item.material_id
            if material_id is not None and material_id != line.material_id:
                raise InvalidInput(
                    _l("The pickup line is %(material)s.", material=line.material.name),
                    field="material",
                )
            item.material = line.material
            if item.grade is None and item.grade_id is None:
                item.grade = line.grade
        if item.material is None and item.material_id is None:
            raise InvalidInput(_l("Choose the material."), field="material")


@register
class ReweighRules(RecordRules):
    model = Reweigh

    def before_create(self, item: Reweigh, user: Any) -> None:
        if number(item.net_kg, "net_kg") is None:
            raise InvalidInput(_l("Give the re-weighed net weight."), field="net_kg")
        line = related(item, "weigh_line", WeighLine)
        if line is None or line.net_kg is None:
            raise InvalidInput(
                _l("Re-weigh a weigh line whose tare is recorded."), field="weigh_line"
            )
        other = db.session.scalars(
            select(Reweigh.id).where(
                Reweigh.weigh_line_id == line.id, Reweigh.id != (item.id or 0)
            )
        ).first()
        if other is not None:
            raise Conflict(
                _l(
                    "This weigh line is already re-weighed; correct that "
                    "re-weigh instead."
                ),
                field="weigh_line",
            )
        item.operator_id = user.id
        item.weighed_at = item.weighed_at or now()

    before_update = before_create


# -------------------------------------------------------------- inspection
def accepted_net(
    net: Decimal, moisture: Decimal, impurity: Decimal, deduction: Decimal, result: str
) -> Decimal:
    """net x (100 - moisture% - impurity%) / 100 - deduction, >= 0, half-up to 1 g."""
    if result == "reject":
        return Decimal("0.000")
    accepted = net * (Decimal(100) - moisture - impurity) / Decimal(100) - deduction
    return max(Decimal(0), accepted).quantize(WEIGHT_STEP, rounding=ROUND_HALF_UP)


def original_grade(line: WeighLine | None) -> MaterialGrade | None:
    """The grade the goods came in as: the weigh line's, else the pickup line's."""
    if line is None:
        return None
    if line.grade is not None:
        return line.grade
    return line.pickup_line.grade if line.pickup_line is not None else None


def inspection_lock(item: Inspection) -> Any:
    """Why an inspection may not change: it is on a settlement in force."""
    if item.id is None:
        return None
    settled = _settled_by([item.id], ("draft", "confirmed", "paid"))
    if settled:
        return _l(
            "Inspection %(inspection)s is on settlement %(settlement)s; void "
            "that settlement before changing it.",
            inspection=item.number,
            settlement=settled,
        )
    return None


@register
class InspectionRules(RecordRules):
    model = Inspection

    def before_create(self, item: Inspection, user: Any) -> None:
        line = related(item, "weigh_line", WeighLine)
        given = related(item, "pickup", Pickup)
        if line is None and given is not None and given.status != "weighed":
            # Opened from its pickup: the pickup's state decides first.
            raise Conflict(
                _l(
                    "Inspect once the warehouse has finished weighing: pickup "
                    "%(pickup)s is “%(status)s”.",
                    pickup=given.number,
                    status=label(PICKUP_STATUSES, given.status),
                ),
                field="weigh_line",
            )
        if line is not None:
            done = db.session.scalars(
                select(Inspection.number).where(Inspection.weigh_line_id == line.id)
            ).first()
            if done:
                raise Conflict(
                    _l(
                        "This weigh line is already inspected (%(number)s).",
                        number=done,
                    ),
                    field="weigh_line",
                )
            pickup = line.ticket.pickup
            if pickup is not None and pickup.status != "weighed":
                raise Conflict(
                    _l(
                        "Inspect once the warehouse has finished weighing: pickup "
                        "%(pickup)s is “%(status)s”.",
                        pickup=pickup.number,
                        status=label(PICKUP_STATUSES, pickup.status),
                    ),
                    field="weigh_line",
                )
        self._compute(item)
        item.department = department("qc")
        item.inspector_id = user.id
        item.inspected_at = item.inspected_at or now()
        item.number = next_number("inspection")

    def before_update(self, item: Inspection, user: Any) -> None:
        reason = inspection_lock(item)
        if reason is not None:
            raise Conflict(reason)
        self._check_pickup(item, ("weighed", "inspected"))
        self._compute(item)

    def before_delete(self, item: Inspection, user: Any) -> None:
        reason = inspection_lock(item)
        if reason is not None:
            raise Conflict(reason)
        self._check_pickup(item, ("weighed",))

    @staticmethod
    def _check_pickup(item: Inspection, allowed: tuple[str, ...]) -> None:
        pickup = item.pickup
        if pickup is not None and pickup.status not in allowed:
            raise Conflict(
                _l(
                    "Pickup %(pickup)s is “%(status)s”: its inspections "
                    "cannot change now.",
                    pickup=pickup.number,
                    status=label(PICKUP_STATUSES, pickup.status),
                )
            )

    @staticmethod
    def _compute(item: Inspection) -> None:
        line = related(item, "weigh_line", WeighLine)
        if line is not None:
            if line.net_kg is None:
                raise InvalidInput(
                    _l("The weigh line has no net weight yet: record its tare first."),
                    field="weigh_line",
                )
            item.net_kg = line.net_kg
            item.material = line.material
            item.pickup = line.ticket.pickup
            item.customer = line.ticket.customer
        elif not item.sales_lot:
            raise InvalidInput(
                _l("Choose the weigh line or give the sales lot."), field="weigh_line"
            )
        if item.material is None and item.material_id is None:
            raise InvalidInput(_l("Choose the material."), field="material")
        net = number(item.net_kg, "net_kg")
        if net is None:
            raise InvalidInput(_l("Give the net weight inspected."), field="net_kg")
        moisture = number(item.moisture_pct or 0, "moisture_pct")
        impurity = number(item.impurity_pct or 0, "impurity_pct")
        for value, field in ((moisture, "moisture_pct"), (impurity, "impurity_pct")):
            if value > 100:
                raise InvalidInput(
                    _l("A percentage must be between 0 and 100."), field=field
                )
        if moisture + impurity > 100:
            raise InvalidInput(
                _l("Moisture and impurity together exceed 100%."), field="impurity_pct"
            )
        deduction = number(item.deduction_kg or 0, "deduction_kg")
        if deduction > net:
            raise InvalidInput(
                _l("The deduction exceeds the net weight."), field="deduction_kg"
            )
        if item.result not in INSPECTION_RESULTS:
            raise InvalidInput(_l("Choose the inspection result."), field="result")
        InspectionRules._check_grade(item, original_grade(line))
        item.moisture_pct, item.impurity_pct, item.deduction_kg = (
            moisture,
            impurity,
            deduction,
        )
        item.accepted_net_kg = accepted_net(
            net, moisture, impurity, deduction, item.result
        )

    @staticmethod
    def _check_grade(item: Inspection, came_as: MaterialGrade | None) -> None:
        """The grade found; a downgrade names a lower grade than the goods came as."""
        grade = related(item, "grade", MaterialGrade)
        if grade is None:
            grade = item.grade = came_as
        material_id = item.material.id if item.material else item.material_id
        if grade is not None and grade.material_id != material_id:
            raise InvalidInput(
                _l("This grade belongs to another material."), field="grade"
            )
        lower = grade is not None and came_as is not None and grade.rank > came_as.rank
        if item.result == "downgrade" and not (lower or (came_as is None and grade)):
            raise InvalidInput(
                _l("A downgrade names the lower grade found."), field="grade"
            )
        if item.result == "pass" and lower:
            raise InvalidInput(
                _l("A lower grade than delivered is a downgrade: choose that result."),
                field="result",
            )


# -------------------------------------------------------------- settlement
def weighing_date(inspection: Inspection) -> dt.date:
    """The date whose price applies: the gross weighing, else the inspection."""
    line = inspection.weigh_line
    moment = line.gross_at if line is not None else inspection.inspected_at
    return business_date(moment)


def price_line(
    line: SettlementLine, settlement: Settlement, inspection: Inspection
) -> SettlementLine:
    """Fill a line from an inspected lot at the price in force on its weighing date."""
    if inspection.result == "reject":
        raise InvalidInput(
            _l(
                "Inspection %(number)s rejected the lot: nothing to settle.",
                number=inspection.number,
            ),
            field="inspection",
        )
    taken = db.session.scalars(
        select(Settlement.number)
        .join(SettlementLine)
        .where(
            SettlementLine.inspection_id == inspection.id,
            Settlement.status != "voided",
            Settlement.id != (settlement.id or 0),
        )
    ).first()
    if taken:
        raise Conflict(
            _l(
                "Inspection %(inspection)s is already on settlement %(settlement)s.",
                inspection=inspection.number,
                settlement=taken,
            ),
            field="inspection",
        )
    customer = related(settlement, "customer", Customer)
    price = price_in_force(
        inspection.material,
        inspection.grade,
        PRICE_DIRECTION[settlement.direction],
        customer.customer_type_id if customer else None,
        weighing_date(inspection),
    )
    line.inspection = inspection
    line.material = inspection.material
    line.grade = inspection.grade
    line.price = price
    line.net_kg = inspection.accepted_net_kg
    line.unit_price = price.unit_price
    line.amount = line_amount(line.net_kg, line.unit_price)
    return line


def recompute_total(settlement: Settlement, without: Any = None) -> None:
    """Total = sum of the lines' amounts (each already rounded to the cent)."""
    settlement.total = sum(
        (Decimal(line.amount) for line in settlement.lines if line is not without),
        Decimal("0.00"),
    )


@register
class SettlementRules(RecordRules):
    model = Settlement

    def before_create(self, item: Settlement, user: Any) -> None:
        adjusts = related(item, "adjusts", Settlement)
        pickup = related(item, "pickup", Pickup)
        if adjusts is not None:
            if adjusts.status != "paid":
                raise Conflict(
                    _l(
                        "Only a paid settlement is corrected by an "
                        "adjusting entry; edit or void the others."
                    )
                )
            # An adjustment corrects the original: same parties, same direction.
            item.adjusts = adjusts.adjusts or adjusts
            item.direction = adjusts.direction
            item.customer = adjusts.customer
            item.pickup = adjusts.pickup
        elif pickup is not None:
            self._for_pickup(item, pickup)
        if item.direction not in SETTLEMENT_DIRECTIONS:
            raise InvalidInput(
                _l("Choose the direction: payment or receipt."), field="direction"
            )
        if item.customer is None and item.customer_id is None:
            raise InvalidInput(_l("Choose the customer."), field="customer")
        item.department = department("finance")
        item.status = "draft"
        recompute_total(item)
        item.number = next_number("settlement")

    @staticmethod
    def _for_pickup(item: Settlement, pickup: Pickup) -> None:
        """A pickup's settlement pays the supplier for every accepted lot."""
        if item.direction != "pay":
            raise InvalidInput(
                _l("A pickup is settled by paying the supplier."), field="direction"
            )
        if pickup.status != "inspected":
            raise Conflict(
                _l(
                    "Pickup %(pickup)s is “%(status)s”: it is settled once "
                    "every weigh line is inspected.",
                    pickup=pickup.number,
                    status=label(PICKUP_STATUSES, pickup.status),
                ),
                field="pickup",
            )
        existing = active_settlement(pickup)
        if existing is not None:
            raise Conflict(
                _l(
                    "Pickup %(pickup)s already has settlement %(number)s.",
                    pickup=pickup.number,
                    number=existing.number,
                ),
                field="pickup",
            )
        item.customer = pickup.customer
        for inspection in pickup_inspections(pickup):
            if inspection.result != "reject":
                item.lines.append(price_line(SettlementLine(), item, inspection))

    def before_update(self, item: Settlement, user: Any) -> None:
        reason = settlement_locked(item)
        if reason is not None:
            raise Conflict(reason)

    def before_delete(self, item: Settlement, user: Any) -> None:
        if previous(item, "status") == "paid":
            raise Conflict(PAID_IS_FINAL)
        raise Conflict(
            _l(
                "Settlements keep gap-free numbers and are never deleted; "
                "void it instead."
            )
        )


def settlement_locked(settlement: Settlement) -> Any | None:
    """Why a settlement no longer changes by editing (paid is final, a
    confirmed one is voided and settled again), or None for a draft."""
    status = previous(settlement, "status")
    if status == "paid":
        return PAID_IS_FINAL
    if status != "draft":
        return _l(
            "Only a draft settlement can be edited; void a "
            "confirmed one and settle again."
        )
    return None


def settlement_lines_locked(
    settlement: Settlement | None, by_hand: bool = False
) -> Any | None:
    """Why the lines of a settlement no longer change, or None. Lines typed
    in (`by_hand`) are corrections and belong to adjusting entries only."""
    if settlement is None:
        return None
    status = previous(settlement, "status")
    if status == "paid":
        return PAID_IS_FINAL
    if status != "draft":
        return _l("Only a draft settlement's lines can change.")
    if by_hand and settlement.adjusts_id is None and settlement.adjusts is None:
        return _l(
            "A settlement's lines come from its inspections; lines "
            "typed in belong to adjusting entries."
        )
    return None


@register
class SettlementLineRules(RecordRules):
    model = SettlementLine

    def before_create(self, item: SettlementLine, user: Any) -> None:
        settlement = self._draft(item)
        inspection = related(item, "inspection", Inspection)
        if inspection is not None:
            price_line(item, settlement, inspection)
        else:
            self._by_hand(item, settlement)
        recompute_total(settlement)

    def before_update(self, item: SettlementLine, user: Any) -> None:
        settlement = self._draft(item)
        if item.inspection_id is not None:
            if changed(item, "net_kg") or changed(item, "unit_price"):
                raise InvalidInput(
                    _l(
                        "This line comes from an inspection and the "
                        "price list; only its note can change."
                    ),
                    field="net_kg",
                )
        else:
            self._by_hand(item, settlement)
        recompute_total(settlement)

    def before_delete(self, item: SettlementLine, user: Any) -> None:
        settlement = self._draft(item)
        recompute_total(settlement, without=item)

    @staticmethod
    def _draft(item: SettlementLine) -> Settlement:
        settlement = related(item, "settlement", Settlement)
        if settlement is None:
            raise InvalidInput(_l("Choose the settlement."), field="settlement")
        reason = settlement_lines_locked(settlement)
        if reason is not None:
            raise Conflict(reason)
        return settlement

    @staticmethod
    def _by_hand(item: SettlementLine, settlement: Settlement) -> None:
        """Typed-in lines are corrections: adjusting entries only, may be negative."""
        reason = settlement_lines_locked(settlement, by_hand=True)
        if reason is not None:
            raise Conflict(reason)
        if item.material is None and item.material_id is None:
            raise InvalidInput(_l("Choose the material."), field="material")
        net = number(item.net_kg, "net_kg", required=True, negative=True)
        price = number(item.unit_price, "unit_price", required=True, places=4)
        if net == 0:
            raise InvalidInput(
                _l("An adjusting line corrects a non-zero weight."), field="net_kg"
            )
        item.net_kg, item.unit_price = net, price
        item.amount = line_amount(net, price)


# The paid-is-final rule also holds for services and scripts that skip the rules:
# checked on every flush, before any row is written.
def _column_changes(target: Any, allowed: frozenset[str] = frozenset()) -> bool:
    state = sa_inspect(target)
    return any(
        state.attrs[attr.key].history.has_changes()
        for attr in state.mapper.column_attrs
        if attr.key not in allowed
    )


def _paid(settlement: Settlement | None) -> bool:
    return settlement is not None and previous(settlement, "status") == "paid"


def _paid_is_final(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, Settlement):
            raise Conflict(
                PAID_IS_FINAL
                if _paid(obj)
                else _l("Settlements keep gap-free numbers and are never deleted.")
            )
        if isinstance(obj, SettlementLine) and _paid(obj.settlement):
            raise Conflict(PAID_IS_FINAL)
    for obj in session.dirty:
        if (
            isinstance(obj, Settlement)
            and _paid(obj)
            and _column_changes(obj, BOOKKEEPING)
        ):
            raise Conflict(PAID_IS_FINAL)
        if (
            isinstance(obj, SettlementLine)
            and _column_changes(obj)
            and (_paid(obj.settlement) or _paid(previous(obj, "settlement")))
        ):
            raise Conflict(PAID_IS_FINAL)
    for obj in session.new:
        if isinstance(obj, SettlementLine) and _paid(obj.settlement):
            raise Conflict(PAID_IS_FINAL)


if not event.contains(Session, "before_flush", _paid_is_final):
    event.listen(Session, "before_flush", _paid_is_final)
