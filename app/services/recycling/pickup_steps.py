"""The pickup workflow (seed 002 §3) as explicit steps of the owning departments.

requested → scheduled (Operations dispatches crew and vehicle for an agreed
window and confirms it to the customer: the confirmation clock stops) →
assessed (Operations on site: arrival, type and quality found, assessed kg and
quoted price per line, quoted amount) → collected (Operations: collected kg
and label per line, sorted by type) → weighed (Warehouse: every collected line
has a complete weigh line) → inspected (QC: every weigh line is inspected) →
settled (Finance: builds the settlement, or takes the one in force) → closed
(Finance: the settlement is paid). Operations cancels an open pickup, with a
reason, before it is settled.

Each step stamps its time on the pickup and appends a `PickupLog` entry (who,
when, from which state, what was given); every field change also lands in the
audit trail.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from app.models import Pickup, PickupLine, PickupLog, Settlement, now
from app.models.codes import (
    DIFFICULTIES,
    PAYMENT_METHODS,
    PICKUP_STATUSES,
    PICKUP_STEPS,
)
from app.services.clocks import record_clocks
from app.services.core import events, records
from app.services.core.errors import InvalidInput
from app.services.core.workflow import (
    Ask,
    Step,
    Workflow,
    as_datetime,
    code_choices,
    not_future,
)
from app.services.notify import customer_notices
from app.services.recycling.pricing import business_date, line_amount, price_in_force
from app.services.recycling.recycling_rules import (
    active_settlement,
    number,
    pickup_inspections,
    pickup_lines,
    pickup_weigh_lines,
)

BEFORE_SETTLEMENT = (
    "requested",
    "scheduled",
    "assessed",
    "collected",
    "weighed",
    "inspected",
)


def _line_name(line: PickupLine) -> str:
    grade = f" {line.grade.name}" if line.grade is not None else ""
    return f"{line.material.name}{grade}"


def line_field(line: PickupLine, name: str) -> str:
    """Name of a per-line field of a step form, e.g. line12_assessed_kg."""
    return f"line{line.id}_{name}"


# ------------------------------------------------------------- scheduling
def _schedule(pickup: Pickup, data: dict[str, Any], user: Any) -> None:
    start = as_datetime(data["window_start"])
    end = as_datetime(data["window_end"])
    if end <= start:
        raise InvalidInput(
            _l("The agreed window must end after it starts."), field="window_end"
        )
    pickup.crew = data["crew"].strip()
    pickup.vehicle = data["vehicle"].strip().upper()
    pickup.window_start, pickup.window_end = start, end
    pickup.distance_km = number(data.get("distance_km"), "distance_km")
    pickup.difficulty = data.get("difficulty") or None
    # Confirming the window to the customer answers the confirmation clock;
    # a reschedule keeps the first confirmation.
    record_clocks.confirm_pickup(pickup, now())


def _not_arrived(pickup: Pickup) -> Any:
    if pickup.arrived_at is not None:
        return _l(
            "The crew arrived at %(at)s.",
            at=pickup.arrived_at.strftime("%Y-%m-%d %H:%M"),
        )
    return None


def _not_departed(pickup: Pickup) -> Any:
    if pickup.departed_at is not None:
        return _l(
            "The crew set off at %(at)s.",
            at=pickup.departed_at.strftime("%Y-%m-%d %H:%M"),
        )
    return _not_arrived(pickup)


def _depart(pickup: Pickup, data: dict[str, Any], user: Any) -> None:
    pickup.departed_at = now()


def _arrive(pickup: Pickup, data: dict[str, Any], user: Any) -> None:
    at = as_datetime(data.get("arrived_at")) or now()
    record_clocks.arrive(pickup, not_future(at, "arrived_at"))


# ---------------------------------------------------------------- on site
def _has_lines(pickup: Pickup) -> Any:
    if not pickup_lines(pickup):
        return _l("Add the materials to collect (pickup lines) first.")
    return None


def _assess_asks(pickup: Pickup) -> tuple[Ask, ...]:
    asks: list[Ask] = []
    for line in pickup_lines(pickup):
        name = _line_name(line)
        estimate = (
            _l("Estimated %(kg)s kg.", kg=line.estimated_kg)
            if line.estimated_kg is not None
            else None
        )
        asks += [
            Ask(
                line_field(line, "assessed_kg"),
                f"{name} · {ASSESSED_KG}",
                "decimal",
                required=True,
                minimum=0,
                description=estimate,
            ),
            Ask(
                line_field(line, "quoted_unit_price"),
                f"{name} · {_l('Quoted price (CNY/kg)')}",
                "decimal",
                minimum=0,
                description=_l("Empty: the purchase price in force today."),
            ),
        ]
    return tuple(asks)


def _assess(pickup: Pickup, data: dict[str, Any], user: Any) -> None:
    if pickup.arrived_at is None:
        at = as_datetime(data.get("arrived_at")) or now()
        record_clocks.arrive(pickup, not_future(at, "arrived_at"))
    today = business_date(now())
    quoted = Decimal("0.00")
    for line in pickup_lines(pickup):
        field = line_field(line, "assessed_kg")
        line.assessed_kg = number(data.get(field), field, required=True)
        field = line_field(line, "quoted_unit_price")
        price = number(data.get(field), field, places=4)
        if price is None:
            price = price_in_force(
                line.material,
                line.grade,
                "purchase",
                pickup.customer.customer_type_id,
                today,
            ).unit_price
        line.quoted_unit_price = price
        quoted += line_amount(line.assessed_kg, price)
    pickup.assessment_note = data["assessment_note"].strip()
    given = number(data.get("quoted_amount"), "quoted_amount", places=2)
    pickup.quoted_amount = quoted if given is None else given
    pickup.assessed_at = now()


def _collect_asks(pickup: Pickup) -> tuple[Ask, ...]:
    asks: list[Ask] = []
    for line in pickup_lines(pickup):
        name = _line_name(line)
        assessed = (
            _l("Assessed %(kg)s kg.", kg=line.assessed_kg)
            if line.assessed_kg is not None
            else None
        )
        asks += [
            Ask(
                line_field(line, "collected_kg"),
                f"{name} · {COLLECTED_KG}",
                "decimal",
                required=True,
                minimum=0,
                description=assessed,
            ),
            Ask(
                line_field(line, "label"),
                f"{name} · {_l('Label')}",
                max_length=50,
                description=_l("Empty: the pickup number and the line number."),
            ),
        ]
    return tuple(asks)


def _collect(pickup: Pickup, data: dict[str, Any], user: Any) -> None:
    lines = pickup_lines(pickup)
    for index, line in enumerate(lines, start=1):
        field = line_field(line, "collected_kg")
        line.collected_kg = number(data.get(field), field, required=True)
        given = (data.get(line_field(line, "label")) or "").strip()
        line.label = given or f"{pickup.number}-{index:02d}"
    if not any(line.collected_kg for line in lines):
        raise InvalidInput(_l("Nothing was collected: cancel the pickup instead."))
    pickup.collected_at = now()


# ------------------------------------------------- weighing and inspection
def _weighing_done(pickup: Pickup) -> Any:
    """Every collected line has a weigh line, and every weigh line has its tare."""
    weighed = pickup_weigh_lines(pickup)
    if not weighed:
        return _l(
            "Nothing is weighed yet: record a weigh ticket with a line per material."
        )
    open_lines = [str(line) for line in weighed if line.net_kg is None]
    if open_lines:
        return _l("No tare yet: %(lines)s.", lines="、".join(open_lines))
    done = {line.pickup_line_id for line in weighed}
    missing = [
        _line_name(line)
        for line in pickup_lines(pickup)
        if line.collected_kg and line.id not in done
    ]
    if missing:
        return _l("Not weighed yet: %(lines)s.", lines="、".join(missing))
    return None


def _weigh(pickup: Pickup, data: dict[str, Any], user: Any) -> None:
    pickup.weighed_at = now()


def _inspection_done(pickup: Pickup) -> Any:
    inspected = {i.weigh_line_id for i in pickup_inspections(pickup)}
    missing = [
        str(line) for line in pickup_weigh_lines(pickup) if line.id not in inspected
    ]
    if missing:
        return _l("Not inspected yet: %(lines)s.", lines="、".join(missing))
    return None


def _inspect(pickup: Pickup, data: dict[str, Any], user: Any) -> None:
    pickup.inspected_at = now()


# ------------------------------------------------------------- settlement
def _settle(pickup: Pickup, data: dict[str, Any], user: Any) -> None:
    """Take the settlement in force, or build it from the inspections now."""
    method = data.get("payment_method") or None
    settlement = active_settlement(pickup)
    if settlement is None:
        records.add(
            Settlement(direction="pay", pickup=pickup, payment_method=method), user
        )
    elif method and settlement.status == "draft":
        settlement.payment_method = method
    pickup.settled_at = now()


def _paid(pickup: Pickup) -> Any:
    settlement = active_settlement(pickup)
    if settlement is None or settlement.status != "paid":
        return _l(
            "Close the pickup once its settlement %(number)s is paid.",
            number=settlement.number if settlement else "",
        )
    return None


def _close(pickup: Pickup, data: dict[str, Any], user: Any) -> None:
    pickup.closed_at = now()


def _unsettled(pickup: Pickup) -> Any:
    settlement = active_settlement(pickup)
    if settlement is not None:
        return _l(
            "Settlement %(number)s is in force: void it before cancelling.",
            number=settlement.number,
        )
    return None


def _cancel(pickup: Pickup, data: dict[str, Any], user: Any) -> None:
    pickup.cancelled_at = now()
    pickup.cancel_reason = data["reason"].strip()


# ------------------------------------------------------------------ log
def _shown(ask: Ask, value: Any, pickup: Pickup) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if ask.kind == "select" and ask.choices is not None:
        return str(dict(ask.choices(pickup)).get(value, value))
    return str(value)


def log_step(
    pickup: Pickup,
    step: str,
    from_status: str | None,
    user: Any,
    note: str | None = None,
) -> PickupLog:
    """Append a step to the pickup's log (saved with the pickup)."""
    entry = PickupLog(
        step=step,
        from_status=from_status,
        to_status=pickup.status,
        user_id=user.id,
        at=now(),
        note=note,
    )
    pickup.logs.append(entry)
    return entry


def _record(
    pickup: Pickup, step: Step, data: dict[str, Any], user: Any, from_status: str
) -> None:
    given = [
        f"{ask.label}: {_shown(ask, data[ask.name], pickup)}"
        for ask in PICKUP_FLOW.asks(step, pickup)
        if data.get(ask.name) not in (None, "")
    ]
    if step.name in NOTICE_AT_STEP:
        customer_notices.queue(
            NOTICE_AT_STEP[step.name], pickup.customer, user, pickup=pickup
        )
    log_step(pickup, step.name, from_status, user, "；".join(given)[:2000] or None)


# The customer is told of the pickup's progress (seed 002 §3).
NOTICE_AT_STEP = {
    "schedule": "pickup_confirmed",
    "reschedule": "pickup_confirmed",
    "depart": "pickup_on_way",
    "inspect": "inspection_result",
}


ASSESSED_KG = _l("Assessed weight (kg)")
COLLECTED_KG = _l("Collected weight (kg)")


def _after(pickup: Pickup, step: Step) -> None:
    """Once committed: a settled pickup is due a satisfaction call."""
    if step.name == "settle":
        events.emit("pickup_settled", pickup_id=pickup.id)


NOTE = Ask("note", _l("Note"), "textarea")
WINDOW = (
    Ask("crew", _l("Crew"), required=True, max_length=100),
    Ask("vehicle", _l("Vehicle"), required=True, max_length=20),
    Ask("window_start", _l("Agreed window from"), "datetime", required=True),
    Ask("window_end", _l("Agreed window until"), "datetime", required=True),
    Ask("distance_km", _l("Distance (km)"), "decimal", minimum=0),
    Ask("difficulty", _l("Difficulty"), "select", choices=code_choices(DIFFICULTIES)),
)
ARRIVED_AT = Ask(
    "arrived_at",
    _l("Arrived at"),
    "datetime",
    description=_l("Empty: now. Ignored when the arrival is recorded."),
)

PICKUP_FLOW = Workflow(
    model=Pickup,
    resource="PickupWorkflow",
    statuses=PICKUP_STATUSES,
    steps=(
        Step(
            "schedule",
            PICKUP_STEPS["schedule"],
            ("requested",),
            "scheduled",
            asks=WINDOW,
            apply=_schedule,
            icon="fa-calendar-check-o",
        ),
        Step(
            "reschedule",
            PICKUP_STEPS["reschedule"],
            ("scheduled",),
            None,
            asks=WINDOW,
            apply=_schedule,
            guard=_not_arrived,
            permission="schedule",
            style="default",
            icon="fa-calendar",
        ),
        Step(
            "depart",
            PICKUP_STEPS["depart"],
            ("scheduled",),
            None,
            asks=(NOTE,),
            apply=_depart,
            guard=_not_departed,
            style="default",
            icon="fa-truck",
            help=_l("The customer is told that the crew is on the way."),
        ),
        Step(
            "arrive",
            PICKUP_STEPS["arrive"],
            ("scheduled",),
            None,
            asks=(ARRIVED_AT,),
            apply=_arrive,
            guard=_not_arrived,
            style="default",
            icon="fa-map-marker",
        ),
        Step(
            "assess",
            PICKUP_STEPS["assess"],
            ("scheduled",),
            "assessed",
            asks=(
                ARRIVED_AT,
                Ask(
                    "assessment_note",
                    _l("Type and quality found"),
                    "textarea",
                    required=True,
                ),
                Ask(
                    "quoted_amount",
                    _l("Quoted amount (CNY)"),
                    "decimal",
                    minimum=0,
                    description=_l("Empty: the sum of the lines."),
                ),
            ),
            more_asks=_assess_asks,
            apply=_assess,
            guard=_has_lines,
            icon="fa-search",
        ),
        Step(
            "collect",
            PICKUP_STEPS["collect"],
            ("assessed",),
            "collected",
            more_asks=_collect_asks,
            apply=_collect,
            guard=_has_lines,
            icon="fa-truck",
        ),
        Step(
            "weigh",
            PICKUP_STEPS["weigh"],
            ("collected",),
            "weighed",
            asks=(NOTE,),
            apply=_weigh,
            guard=_weighing_done,
            icon="fa-balance-scale",
        ),
        Step(
            "inspect",
            PICKUP_STEPS["inspect"],
            ("weighed",),
            "inspected",
            asks=(NOTE,),
            apply=_inspect,
            guard=_inspection_done,
            icon="fa-flask",
        ),
        Step(
            "settle",
            PICKUP_STEPS["settle"],
            ("inspected",),
            "settled",
            asks=(
                Ask(
                    "payment_method",
                    _l("Payment method"),
                    "select",
                    choices=code_choices(PAYMENT_METHODS),
                ),
            ),
            apply=_settle,
            icon="fa-money",
        ),
        Step(
            "close",
            PICKUP_STEPS["close"],
            ("settled",),
            "closed",
            asks=(NOTE,),
            apply=_close,
            guard=_paid,
            icon="fa-check",
        ),
        Step(
            "cancel",
            PICKUP_STEPS["cancel"],
            BEFORE_SETTLEMENT,
            "cancelled",
            asks=(
                Ask("reason", _l("Reason"), "textarea", required=True, max_length=300),
            ),
            apply=_cancel,
            guard=_unsettled,
            style="danger",
            icon="fa-ban",
        ),
    ),
    record=_record,
    after=_after,
)
