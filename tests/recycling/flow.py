"""Helpers of the recycling tests: prices, steps as a user, a pickup at any stage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.extensions import db
from app.models import (
    Inspection,
    Material,
    MaterialGrade,
    Pickup,
    PickupLine,
    PriceListItem,
    Settlement,
    WeighLine,
    WeighTicket,
    now,
)
from app.security.access import acting_as
from app.services.core import records
from app.services.recycling.pickup_steps import PICKUP_FLOW, line_field
from app.services.recycling.pricing import business_date
from app.services.recycling.settlement_steps import SETTLEMENT_FLOW
from tests.factories import PickupFactory, by_code, user


def today() -> dt.date:
    return business_date(now())


def grade_of(material: str, grade: str) -> MaterialGrade:
    found = by_code(Material, material)
    return (
        db.session.query(MaterialGrade)
        .filter_by(material_id=found.id, code=grade)
        .one()
    )


def save(item: Any, username: str = "admin") -> Any:
    """Create a record through its rules as `username`."""
    with db.session.no_autoflush:  # the item is not checked (nor added) yet
        actor = user(username)
    with acting_as(actor):
        records.before_create(item)
        db.session.add(item)
        db.session.commit()
        records.after_create(item)
    return item


def update(item: Any, username: str, **values: Any) -> Any:
    """Change a record through its rules as `username` (like an edit form)."""
    actor = user(username)
    for name, value in values.items():
        setattr(item, name, value)
    with acting_as(actor):
        records.before_update(item)
        db.session.commit()
        records.after_update(item)
    return item


def change_price(
    material: str,
    grade: str,
    old: str,
    new: str,
    on: dt.date,
    direction: str = "purchase",
) -> None:
    """The price list entry ends the day before `on`; a new one starts on `on`."""
    item = (
        db.session.query(PriceListItem)
        .filter_by(
            material_id=by_code(Material, material).id,
            grade_id=grade_of(material, grade).id,
            direction=direction,
            customer_type_id=None,
        )
        .one()
    )
    item.unit_price = Decimal(old)
    item.valid_from = on - dt.timedelta(days=30)
    item.valid_to = on - dt.timedelta(days=1)
    db.session.commit()
    save(
        PriceListItem(
            material=by_code(Material, material),
            grade=grade_of(material, grade),
            direction=direction,
            unit_price=Decimal(new),
            valid_from=on,
        )
    )


def step(
    record: Any, name: str, username: str, flow: Any = PICKUP_FLOW, **data: Any
) -> Any:
    """Take a workflow step through the service as `username`."""
    actor = user(username)
    with acting_as(actor):
        return flow.run(record, name, data, actor)


def settle_step(
    settlement: Settlement, name: str, username: str = "finance", **data: Any
) -> Settlement:
    return step(settlement, name, username, SETTLEMENT_FLOW, **data)


def lines_of(pickup: Pickup) -> list[PickupLine]:
    return (
        db.session.query(PickupLine)
        .filter_by(pickup_id=pickup.id)
        .order_by(PickupLine.id)
        .all()
    )


def per_line(pickup: Pickup, name: str, values: list[Any]) -> dict[str, Any]:
    return {
        line_field(line, name): value
        for line, value in zip(lines_of(pickup), values, strict=True)
    }


WINDOW = {
    "crew": "张师傅班组",
    "vehicle": "浙AD8866",
    "window_start": now().replace(tzinfo=None, second=0, microsecond=0)
    + dt.timedelta(days=1),
    "window_end": now().replace(tzinfo=None, second=0, microsecond=0)
    + dt.timedelta(days=1, hours=2),
    "distance_km": Decimal("12.5"),
    "difficulty": "medium",
}


def new_pickup(
    materials: tuple[tuple[str, str], ...] = (("paper-cardboard", "A"),), **kwargs: Any
) -> Pickup:
    pickup = PickupFactory(**kwargs)
    for material, grade in materials:
        save(
            PickupLine(
                pickup=pickup,
                material=by_code(Material, material),
                grade=grade_of(material, grade),
                estimated_kg=Decimal(1000),
            ),
            "ops",
        )
    return pickup


def collected(pickup: Pickup, kg: str = "1000") -> Pickup:
    """Schedule, assess and collect a pickup (Operations)."""
    count = len(lines_of(pickup))
    step(pickup, "schedule", "ops", **WINDOW)
    step(
        pickup,
        "assess",
        "ops",
        assessment_note="纸板干燥，夹杂少量塑料膜",
        **per_line(pickup, "assessed_kg", [Decimal(kg)] * count),
    )
    step(
        pickup,
        "collect",
        "ops",
        **per_line(pickup, "collected_kg", [Decimal(kg)] * count),
    )
    return pickup


def weigh(
    pickup: Pickup,
    gross: str = "1500",
    tare: str | None = "500",
    username: str = "warehouse",
) -> list[WeighLine]:
    """One ticket with a weigh line per pickup line (Warehouse)."""
    ticket = save(WeighTicket(pickup=pickup), username)
    return [
        save(
            WeighLine(
                ticket=ticket,
                pickup_line=line,
                material=line.material,
                gross_kg=Decimal(gross),
                tare_kg=None if tare is None else Decimal(tare),
            ),
            username,
        )
        for line in lines_of(pickup)
    ]


def inspect_all(
    pickup: Pickup, username: str = "qc", **values: Any
) -> list[Inspection]:
    found = []
    for line in (
        db.session.query(WeighLine)
        .join(WeighTicket)
        .filter(WeighTicket.pickup_id == pickup.id)
        .order_by(WeighLine.id)
    ):
        fields = {
            "moisture_pct": Decimal(0),
            "impurity_pct": Decimal(0),
            "deduction_kg": Decimal(0),
            "result": "pass",
            **values,
        }
        found.append(save(Inspection(weigh_line=line, **fields), username))
    return found


def inspected(pickup: Pickup, **values: Any) -> Pickup:
    collected(pickup)
    weigh(pickup)
    step(pickup, "weigh", "warehouse")
    inspect_all(pickup, **values)
    step(pickup, "inspect", "qc")
    return pickup


def settled(pickup: Pickup) -> Settlement:
    inspected(pickup)
    step(pickup, "settle", "finance", payment_method="bank_transfer")
    return db.session.query(Settlement).filter_by(pickup_id=pickup.id).one()


def paid(pickup: Pickup) -> Settlement:
    settlement = settled(pickup)
    settle_step(settlement, "confirm")
    settle_step(settlement, "pay")
    return settlement
