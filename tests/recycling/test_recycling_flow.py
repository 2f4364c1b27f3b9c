"""A pickup from request to paid settlement, each step by its department.

The same pickup is walked once through the services and once through the
screens' step pages. Every weight and amount is checked to the gram and the
cent, including a moisture/impurity deduction, a fixed deduction, half-up
rounding and a price change that takes effect on the weighing date.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from app.models import (
    BUSINESS_TZ,
    AuditLog,
    Channel,
    Inspection,
    Material,
    Pickup,
    PickupLine,
    PickupLog,
    Settlement,
    WeighLine,
    WeighTicket,
    now,
)
from app.services.recycling.pickup_steps import line_field
from tests.factories import CustomerFactory, by_code
from tests.recycling.flow import (
    WINDOW,
    change_price,
    grade_of,
    lines_of,
    per_line,
    save,
    settle_step,
    step,
    today,
    update,
)

PAPER, STEEL = ("paper-cardboard", "A"), ("steel-heavy", "A")


def _prices() -> None:
    """Paper 1.60 → 1.65 and steel 2.25 → 2.45 per kg, both from today."""
    change_price(*PAPER, old="1.60", new="1.65", on=today())
    change_price(*STEEL, old="2.25", new="2.45", on=today())


def _lines_by_material(settlement: Settlement) -> dict[str, tuple]:
    return {
        line.material.code: (line.net_kg, line.unit_price, line.amount)
        for line in settlement.lines
    }


def test_pickup_to_paid_settlement_through_services(db, users):
    _prices()
    customer = CustomerFactory()
    pickup = save(
        Pickup(
            customer=customer,
            channel=by_code(Channel, "hotline"),
            address="杭州市余杭区良渚街道好运路18号",
            contact_name="周建华",
            contact_phone="13805710001",
        ),
        "cs",
    )
    for material, grade in (PAPER, STEEL):
        save(
            PickupLine(
                pickup=pickup,
                material=by_code(Material, material),
                grade=grade_of(material, grade),
                estimated_kg=Decimal(1500),
            ),
            "cs",
        )
    assert pickup.status == "requested" and pickup.confirm_due_at is not None

    step(pickup, "schedule", "ops", **WINDOW)
    assert pickup.status == "scheduled" and pickup.crew == "张师傅班组"
    assert pickup.confirmed_at is not None and pickup.confirm_state == "met"

    step(
        pickup,
        "assess",
        "ops",
        assessment_note="黄板纸较干燥；重废钢含少量泥土",
        **per_line(pickup, "assessed_kg", [Decimal("1250"), Decimal("1800")]),
        **{line_field(lines_of(pickup)[1], "quoted_unit_price"): Decimal("2.40")},
    )
    paper_line, steel_line = lines_of(pickup)
    # An empty quote takes today's purchase price; the quoted amount is the sum.
    assert paper_line.quoted_unit_price == Decimal("1.6500")
    assert pickup.quoted_amount == Decimal("6382.50")  # 1250*1.65 + 1800*2.40
    assert pickup.arrived_at is not None and pickup.arrival_state == "met"

    step(
        pickup,
        "collect",
        "ops",
        **per_line(pickup, "collected_kg", [Decimal("1230"), Decimal("1790")]),
    )
    assert [line.label for line in lines_of(pickup)] == [
        f"{pickup.number}-01",
        f"{pickup.number}-02",
    ]

    # Two-pass weighing; the steel's gross pass was read late yesterday evening.
    ticket = save(WeighTicket(pickup=pickup), "warehouse")
    assert ticket.customer == customer and ticket.vehicle == "浙AD8866"
    late_yesterday = dt.datetime.combine(
        today() - dt.timedelta(days=1), dt.time(23, 50), tzinfo=BUSINESS_TZ
    )
    paper = save(
        WeighLine(
            ticket=ticket,
            pickup_line=paper_line,
            material=paper_line.material,
            gross_kg=Decimal("2345.600"),
        ),
        "warehouse",
    )
    steel = save(
        WeighLine(
            ticket=ticket,
            pickup_line=steel_line,
            material=steel_line.material,
            gross_kg=Decimal("5000"),
            gross_at=late_yesterday,
        ),
        "warehouse",
    )
    assert paper.net_kg is None and paper.gross_by == users["warehouse"]
    for line, tare in ((paper, "1120.350"), (steel, "3200.500")):
        update(line, "warehouse", tare_kg=Decimal(tare))
    assert (paper.net_kg, steel.net_kg) == (Decimal("1225.250"), Decimal("1799.500"))
    assert steel.gross_at == late_yesterday and steel.tare_at > steel.gross_at
    assert paper.tare_by == users["warehouse"]

    step(pickup, "weigh", "warehouse")
    assert pickup.status == "weighed" and pickup.weighed_at is not None

    paper_check = save(
        Inspection(
            weigh_line=paper,
            moisture_pct=Decimal("3.5"),
            impurity_pct=Decimal("1.2"),
            result="pass",
        ),
        "qc",
    )
    steel_check = save(
        Inspection(weigh_line=steel, deduction_kg=Decimal("35.400"), result="pass"),
        "qc",
    )
    # 1225.250 x (100 - 3.5 - 1.2) / 100 = 1167.66325 → 1167.663
    assert paper_check.accepted_net_kg == Decimal("1167.663")
    assert steel_check.accepted_net_kg == Decimal("1764.100")  # 1799.500 - 35.400
    assert paper_check.grade == grade_of(*PAPER)
    step(pickup, "inspect", "qc")

    step(pickup, "settle", "finance", payment_method="bank_transfer")
    assert pickup.status == "settled"
    settlement = db.session.query(Settlement).filter_by(pickup_id=pickup.id).one()
    lines = _lines_by_material(settlement)
    # Paper weighed today: new price. 1167.663 x 1.65 = 1926.64395 → 1926.64
    assert lines["paper-cardboard"] == (
        Decimal("1167.663"),
        Decimal("1.6500"),
        Decimal("1926.64"),
    )
    # Steel weighed yesterday: old price. 1764.100 x 2.25 = 3969.225 → 3969.23
    # (half-up; half-even would give 3969.22).
    assert lines["steel-heavy"] == (
        Decimal("1764.100"),
        Decimal("2.2500"),
        Decimal("3969.23"),
    )
    assert settlement.total == Decimal("5895.87")
    assert settlement.customer == customer and settlement.status == "draft"

    settle_step(settlement, "confirm")
    settle_step(settlement, "pay", voucher_no="记-2026-0815")
    assert settlement.status == "paid" and settlement.voucher_no == "记-2026-0815"
    assert settlement.paid_by == users["finance"]
    assert settlement.confirmed_by == users["finance"]

    step(pickup, "close", "finance")
    assert pickup.status == "closed" and pickup.closed_at is not None
    log = (
        db.session.query(PickupLog)
        .filter_by(pickup_id=pickup.id)
        .order_by(PickupLog.id)
        .all()
    )
    assert [(e.step, e.user.username, e.to_status) for e in log] == [
        # The customer is told at confirmation, inspection and payment.
        ("notice", "ops", "scheduled"),
        ("schedule", "ops", "scheduled"),
        ("assess", "ops", "assessed"),
        ("collect", "ops", "collected"),
        ("weigh", "warehouse", "weighed"),
        ("notice", "qc", "inspected"),
        ("inspect", "qc", "inspected"),
        ("settle", "finance", "settled"),
        ("notice", "finance", "settled"),
        ("close", "finance", "closed"),
    ]
    assert "张师傅班组" in log[1].note
    # Every step's change is in the audit trail too, with who made it.
    status_changes = (
        db.session.query(AuditLog)
        .filter_by(table_name="pickup", row_id=pickup.id, action="update")
        .all()
    )
    assert {entry.user_id for entry in status_changes} >= {
        users[name].id for name in ("ops", "warehouse", "qc", "finance")
    }


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _form_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def _done(response) -> None:
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]


def test_pickup_to_paid_settlement_through_screens(db, users, login):
    _prices()
    customer = CustomerFactory()
    cs, ops, warehouse, qc, finance = (
        login(name) for name in ("cs", "ops", "warehouse", "qc", "finance")
    )

    _done(
        cs.post(
            "/pickups/add",
            {
                "customer": customer.id,
                "channel": by_code(Channel, "wechat").id,
                "contact_name": "周建华",
                "contact_phone": "13805710001",
                "address": "杭州市余杭区良渚街道好运路18号",
                "region": "杭州市余杭区",
                "requested_start": (now() + dt.timedelta(days=1)).strftime(
                    "%Y-%m-%d 09:00:00"
                ),
                "requested_end": (now() + dt.timedelta(days=1)).strftime(
                    "%Y-%m-%d 12:00:00"
                ),
            },
        )
    )
    pickup = db.session.query(Pickup).filter_by(customer_id=customer.id).one()
    for material, grade in (PAPER, STEEL):
        _done(
            ops.post(
                "/pickuplineview/add",
                {
                    "pickup": pickup.id,
                    "material": by_code(Material, material).id,
                    "grade": grade_of(material, grade).id,
                    "estimated_kg": "1500",
                },
            )
        )
    paper_line, steel_line = lines_of(pickup)

    start = now() + dt.timedelta(days=1)
    _done(
        ops.post(
            f"/pickups/step/schedule/{pickup.id}",
            {
                "crew": "李师傅班组",
                "vehicle": "浙A5M321",
                "window_start": _form_time(start),
                "window_end": _form_time(start + dt.timedelta(hours=2)),
                "distance_km": "18.2",
                "difficulty": "high",
            },
        )
    )
    form = ops.get(f"/pickups/step/assess/{pickup.id}").get_data(as_text=True)
    for line in (paper_line, steel_line):  # one weight and one price per line
        assert line_field(line, "assessed_kg") in form
        assert line_field(line, "quoted_unit_price") in form
    _done(
        ops.post(
            f"/pickups/step/assess/{pickup.id}",
            {
                "assessment_note": "黄板纸一级，重废钢一级",
                line_field(paper_line, "assessed_kg"): "1250",
                line_field(steel_line, "assessed_kg"): "1800",
                line_field(steel_line, "quoted_unit_price"): "2.40",
            },
        )
    )
    _done(
        ops.post(
            f"/pickups/step/collect/{pickup.id}",
            {
                line_field(paper_line, "collected_kg"): "1230",
                line_field(paper_line, "label"): "A区-黄板纸-01",
                line_field(steel_line, "collected_kg"): "1790",
            },
        )
    )

    _done(
        warehouse.post(
            "/weighticketview/add",
            {"pickup": pickup.id, "customer": customer.id, "vehicle": "浙A5M321"},
        )
    )
    ticket = db.session.query(WeighTicket).filter_by(pickup_id=pickup.id).one()
    for line, gross in ((paper_line, "2345.600"), (steel_line, "5000")):
        _done(
            warehouse.post(
                "/weighlineview/add",
                {
                    "ticket": ticket.id,
                    "pickup_line": line.id,
                    "material": line.material_id,
                    "grade": line.grade_id,
                    "gross_kg": gross,
                },
            )
        )
    paper, steel = (
        db.session.query(WeighLine)
        .filter_by(ticket_id=ticket.id)
        .order_by(WeighLine.id)
        .all()
    )
    first_pass = paper.gross_at
    # Second pass: the tare, entered later by editing the line.
    for line, tare in ((paper, "1120.350"), (steel, "3200.500")):
        _done(
            warehouse.post(
                f"/weighlineview/edit/{line.id}",
                {
                    "grade": line.grade_id,
                    "gross_kg": str(line.gross_kg),
                    "tare_kg": tare,
                },
            )
        )
    db.session.expire_all()
    assert (paper.net_kg, steel.net_kg) == (Decimal("1225.250"), Decimal("1799.500"))
    assert paper.gross_at == first_pass and paper.tare_at >= paper.gross_at
    assert paper.tare_by == users["warehouse"] == paper.gross_by
    _done(warehouse.post(f"/pickups/step/weigh/{pickup.id}", {}))

    for line, values in (
        (paper, {"moisture_pct": "3.5", "impurity_pct": "1.2", "deduction_kg": "0"}),
        (steel, {"moisture_pct": "0", "impurity_pct": "0", "deduction_kg": "35.400"}),
    ):
        _done(
            qc.post(
                "/inspections/add",
                {
                    "weigh_line": line.id,
                    "material": line.material_id,
                    "grade": line.grade_id,
                    "result": "pass",
                    "report": "抽检合格",
                    **values,
                },
            )
        )
    _done(qc.post(f"/pickups/step/inspect/{pickup.id}", {}))

    _done(
        finance.post(f"/pickups/step/settle/{pickup.id}", {"payment_method": "wechat"})
    )
    settlement = db.session.query(Settlement).filter_by(pickup_id=pickup.id).one()
    _done(finance.post(f"/settlements/step/confirm/{settlement.id}", {}))
    _done(
        finance.post(
            f"/settlements/step/pay/{settlement.id}", {"voucher_no": "记-2026-0816"}
        )
    )
    _done(finance.post(f"/pickups/step/close/{pickup.id}", {}))

    db.session.expire_all()
    assert pickup.status == "closed"
    assert [line.label for line in lines_of(pickup)] == [
        "A区-黄板纸-01",
        f"{pickup.number}-02",
    ]
    assert pickup.quoted_amount == Decimal("6382.50")
    inspections = {
        i.material.code: i.accepted_net_kg
        for i in db.session.query(Inspection).filter_by(pickup_id=pickup.id)
    }
    assert inspections == {
        "paper-cardboard": Decimal("1167.663"),
        "steel-heavy": Decimal("1764.100"),
    }
    lines = _lines_by_material(settlement)
    assert lines["paper-cardboard"] == (
        Decimal("1167.663"),
        Decimal("1.6500"),
        Decimal("1926.64"),
    )
    # Both weighed today: the new steel price. 1764.100 x 2.45 = 4322.045 → 4322.05
    assert lines["steel-heavy"] == (
        Decimal("1764.100"),
        Decimal("2.4500"),
        Decimal("4322.05"),
    )
    assert settlement.total == Decimal("6248.69")
    assert (settlement.status, settlement.payment_method, settlement.voucher_no) == (
        "paid",
        "wechat",
        "记-2026-0816",
    )
    steps = [
        (e.step, e.user.username)
        for e in db.session.query(PickupLog)
        .filter_by(pickup_id=pickup.id)
        .order_by(PickupLog.id)
    ]
    assert steps == [
        ("notice", "ops"),
        ("schedule", "ops"),
        ("assess", "ops"),
        ("collect", "ops"),
        ("weigh", "warehouse"),
        ("notice", "qc"),
        ("inspect", "qc"),
        ("settle", "finance"),
        ("notice", "finance"),
        ("close", "finance"),
    ]
    # The show page offers nothing more, and the pickup log is on it.
    page = finance.get(f"/pickups/show/{pickup.id}").get_data(as_text=True)
    assert "/pickups/step/" not in page and "李师傅班组" in page
