"""The recycling rules one by one: weighing passes, accepted net, prices, disputes,
sales, voids, adjusting entries, cancellation and locks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.models import (
    BUSINESS_TZ,
    Case,
    Channel,
    CustomerType,
    Inspection,
    Material,
    PickupLog,
    PriceListItem,
    Reweigh,
    Settlement,
    WeighLine,
    WeighTicket,
)
from app.services.core.errors import Conflict, InvalidInput, NotFound
from app.services.recycling.pricing import business_date, price_in_force
from app.services.recycling.recycling_rules import accepted_net
from tests.factories import CustomerFactory, by_code
from tests.recycling.flow import (
    collected,
    grade_of,
    inspect_all,
    inspected,
    lines_of,
    new_pickup,
    paid,
    save,
    settle_step,
    settled,
    step,
    today,
    update,
    weigh,
)

D = Decimal


@pytest.mark.parametrize(
    "net, moisture, impurity, deduction, result, accepted",
    [
        ("1000", "2", "3", "0", "pass", "950.000"),
        ("1225.250", "3.5", "1.2", "0", "pass", "1167.663"),  # 1167.66325
        ("1799.500", "0", "0", "35.400", "pass", "1764.100"),
        ("1000", "2", "3", "50", "downgrade", "900.000"),  # shares first, then the kg
        ("0.001", "50", "0", "0", "pass", "0.001"),  # 0.0005 rounds half-up
        ("100.001", "0", "0.5", "0", "pass", "99.501"),  # 99.500995
        ("10", "60", "40", "0", "pass", "0.000"),
        ("10", "0", "0", "10", "pass", "0.000"),
        ("1000", "0", "0", "0", "reject", "0.000"),
    ],
)
def test_accepted_net_formula(net, moisture, impurity, deduction, result, accepted):
    assert accepted_net(D(net), D(moisture), D(impurity), D(deduction), result) == D(
        accepted
    )


def test_two_pass_weighing_stamps_each_pass(db, users):
    pickup = collected(new_pickup())
    ticket = save(WeighTicket(pickup=pickup), "warehouse")
    line = lines_of(pickup)[0]
    weighed = save(
        WeighLine(
            ticket=ticket,
            pickup_line=line,
            material=line.material,
            gross_kg=D("1520.5"),
        ),
        "warehouse",
    )
    first = weighed.gross_at
    assert weighed.gross_by == users["warehouse"] and weighed.net_kg is None
    assert weighed.grade == line.grade  # from the pickup line
    update(weighed, "admin", tare_kg=D("480.25"))
    assert (weighed.gross_at, weighed.gross_by) == (first, users["warehouse"])
    assert weighed.tare_by == users["admin"] and weighed.tare_at >= first
    assert weighed.net_kg == D("1040.250")
    # Weighing the gross again is a new pass: its operator and time change.
    update(weighed, "warehouse", gross_kg=D("1521"))
    assert weighed.gross_at > first and weighed.net_kg == D("1040.750")
    assert weighed.tare_by == users["admin"]
    # A warehouse re-weigh is recorded beside it, once per line.
    reweigh = save(Reweigh(weigh_line=weighed, net_kg=D("1038.5")), "warehouse")
    assert reweigh.operator == users["warehouse"] and weighed.net_kg == D("1040.750")
    with pytest.raises(Conflict):
        save(Reweigh(weigh_line=weighed, net_kg=D("1039")), "warehouse")


def test_weigh_line_must_belong_to_the_pickup(db):
    pickup = collected(new_pickup())
    other = collected(new_pickup())
    ticket = save(WeighTicket(pickup=pickup), "warehouse")
    foreign = lines_of(other)[0]
    with pytest.raises(InvalidInput) as refused:
        save(
            WeighLine(
                ticket=ticket,
                pickup_line=foreign,
                material=foreign.material,
                gross_kg=D(100),
            ),
            "warehouse",
        )
    assert refused.value.field == "pickup_line"
    db.session.rollback()
    own = lines_of(pickup)[0]
    with pytest.raises(InvalidInput) as refused:
        save(
            WeighLine(
                ticket=ticket,
                pickup_line=own,
                material=by_code(Material, "steel-heavy"),
                gross_kg=D(100),
            ),
            "warehouse",
        )
    assert refused.value.field == "material"


def test_downgrade_settles_at_the_lower_grade_price(db):
    pickup = collected(new_pickup())
    weigh(pickup, gross="2000", tare="800")
    step(pickup, "weigh", "warehouse")
    line = db.session.query(WeighLine).one()
    with pytest.raises(InvalidInput) as refused:
        save(Inspection(weigh_line=line, result="downgrade"), "qc")
    assert refused.value.field == "grade"
    db.session.rollback()
    with pytest.raises(InvalidInput) as refused:
        save(
            Inspection(
                weigh_line=line, result="pass", grade=grade_of("paper-cardboard", "C")
            ),
            "qc",
        )
    assert refused.value.field == "result"
    db.session.rollback()
    check = save(
        Inspection(
            weigh_line=line,
            result="downgrade",
            moisture_pct=D(8),
            grade=grade_of("paper-cardboard", "B"),
        ),
        "qc",
    )
    assert check.accepted_net_kg == D("1104.000")
    step(pickup, "inspect", "qc")
    step(pickup, "settle", "finance")
    settlement = db.session.query(Settlement).one()
    (settled_line,) = settlement.lines
    assert settled_line.grade == grade_of("paper-cardboard", "B")
    assert (settled_line.unit_price, settled_line.amount) == (D("1.4000"), D("1545.60"))
    assert settlement.total == D("1545.60")


def test_price_in_force_is_the_most_specific_match(db):
    paper = by_code(Material, "paper-cardboard")
    copper = by_code(Material, "copper-mixed")
    partner = by_code(CustomerType, "partner")
    supplier = by_code(CustomerType, "supplier")
    a, b = grade_of("paper-cardboard", "A"), grade_of("paper-cardboard", "B")
    start = today() - dt.timedelta(days=10)
    save(
        PriceListItem(
            material=paper,
            grade=a,
            customer_type=partner,
            direction="purchase",
            unit_price=D("1.75"),
            valid_from=start,
        )
    )
    save(
        PriceListItem(
            material=paper,
            customer_type=partner,
            direction="purchase",
            unit_price=D("1.50"),
            valid_from=start,
        )
    )
    save(
        PriceListItem(
            material=copper,
            direction="purchase",
            unit_price=D("50"),
            valid_from=start,
            valid_to=today(),
        )
    )

    def price(material, grade, ctype, on=None):
        return price_in_force(
            material, grade, "purchase", ctype, on or today()
        ).unit_price

    assert price(paper, a, supplier) == D("1.6000")  # generic, grade A
    assert price(paper, a, partner) == D("1.7500")  # partner, grade A
    # Customer type before grade: the partner's material-wide price wins.
    assert price(paper, b, partner) == D("1.5000")
    assert price(paper, b, supplier) == D("1.4000")
    assert price(copper, grade_of("copper-mixed", "A"), supplier) == D("52.0000")
    assert price(copper, None, supplier) == D("50.0000")  # material-wide
    with pytest.raises(InvalidInput) as refused:  # valid_to is the last day
        price(copper, None, supplier, today() + dt.timedelta(days=1))
    assert by_code(Material, "copper-mixed").name in str(refused.value)
    with pytest.raises(InvalidInput):
        price(
            paper, a, supplier, today().replace(month=1, day=1) - dt.timedelta(days=1)
        )


def test_weighing_date_is_the_business_date():
    # 00:10 in Shanghai is still the previous day in UTC.
    moment = dt.datetime(2026, 3, 1, 16, 10, tzinfo=dt.UTC)
    assert business_date(moment) == dt.date(2026, 3, 2)
    assert business_date(moment.astimezone(BUSINESS_TZ)) == dt.date(2026, 3, 2)


def test_dispute_opens_a_case_routed_to_qc(db, api, login):
    pickup = inspected(new_pickup())
    inspection = db.session.query(Inspection).one()
    channel = by_code(Channel, "hotline")
    client = api("cs")
    response = client.post(
        f"/api/v1/inspection/{inspection.id}/step/dispute",
        json={
            "channel": channel.id,
            "description": "客户认为扣杂比例过高，应在2%以内。",
            "expected_solution": "重新抽检",
        },
    )
    assert response.status_code == 200, response.get_json()
    case = db.session.query(Case).one()
    assert case.category.code == "inspection_dispute"
    assert case.department.code == "qc" and case.kind == "complaint"
    assert (case.inspection, case.pickup, case.customer) == (
        inspection,
        pickup,
        pickup.customer,
    )
    assert case.first_ask_owner.username == "cs" and case.number.startswith("CS-")
    # One open dispute per inspection; QC sees the case, the pickup is unchanged.
    again = client.post(
        f"/api/v1/inspection/{inspection.id}/step/dispute",
        json={"channel": channel.id, "description": "再次投诉"},
    )
    assert again.status_code == 409
    assert login("qc").get(f"/cases/show/{case.id}").status_code == 200
    assert (
        api("ops")
        .post(
            f"/api/v1/inspection/{inspection.id}/step/dispute",
            json={"channel": channel.id, "description": "x"},
        )
        .status_code
        == 403
    )
    db.session.expire_all()
    assert pickup.status == "inspected" and db.session.query(Case).count() == 1


def test_sale_to_a_buyer_through_the_screens(db, login):
    buyer = CustomerFactory(
        customer_type=by_code(CustomerType, "buyer"), name="宁波华新纸业有限公司"
    )
    lot = save(
        Inspection(
            sales_lot="LOT-2026-118",
            material=by_code(Material, "paper-office"),
            grade=grade_of("paper-office", "A"),
            net_kg=D("5000"),
            moisture_pct=D("1.2"),
            result="pass",
        ),
        "qc",
    )
    assert lot.accepted_net_kg == D("4940.000")
    finance = login("finance")
    response = finance.post(
        "/settlements/add",
        {
            "direction": "receive",
            "customer": buyer.id,
            "sales_order": "XS-2026-0301",
            "payment_method": "bank_transfer",
        },
    )
    assert response.status_code == 302
    settlement = db.session.query(Settlement).one()
    response = finance.post(
        f"/settlements/step/add_lot/{settlement.id}", {"inspection": lot.id}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    finance.post(f"/settlements/step/confirm/{settlement.id}", {})
    finance.post(f"/settlements/step/pay/{settlement.id}", {})
    db.session.expire_all()
    (line,) = settlement.lines
    # Sale price of office paper A: 4940.000 x 2.55 = 12597.00
    assert (line.unit_price, line.amount) == (D("2.5500"), D("12597.00"))
    assert (settlement.direction, settlement.status, settlement.total) == (
        "receive",
        "paid",
        D("12597.00"),
    )
    assert settlement.voucher_no == f"PZ-{today().year}-000001"
    assert lot.customer == buyer
    # The lot is settled once: it is no longer offered.
    page = finance.get(f"/settlements/step/add_lot/{settlement.id}")
    assert "LOT-2026-118" not in page.get_data(as_text=True)


def test_void_with_reason_and_settle_again(db, api):
    pickup = new_pickup()
    first = settled(pickup)
    client = api("finance")
    assert (
        client.post(f"/api/v1/settlement/{first.id}/step/void", json={}).status_code
        == 400
    )
    response = client.post(
        f"/api/v1/settlement/{first.id}/step/void",
        json={"reason": "单价录入有误，作废重开"},
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert (first.status, first.void_reason) == ("voided", "单价录入有误，作废重开")
    assert pickup.status == "inspected" and pickup.settled_at is None
    assert db.session.query(PickupLog).filter_by(step="unsettle").count() == 1
    step(pickup, "settle", "finance")
    second = db.session.query(Settlement).filter(Settlement.id != first.id).one()
    assert second.total == first.total == D("1600.00")
    assert (first.number[-6:], second.number[-6:]) == ("000001", "000002")
    with pytest.raises(Conflict):
        settle_step(first, "confirm")


def test_adjusting_entry_corrects_a_paid_settlement(db, api, login):
    pickup = new_pickup()
    original = paid(pickup)
    step(pickup, "close", "finance")
    material = by_code(Material, "paper-cardboard")
    settle_step(
        original,
        "adjust",
        reason="复磅少计30公斤，冲减",
        material=str(material.id),
        grade=str(grade_of("paper-cardboard", "A").id),
        net_kg=D("-30"),
        unit_price=D("1.60"),
    )
    adjustment = (
        db.session.query(Settlement).filter(Settlement.adjusts_id == original.id).one()
    )
    assert (adjustment.status, adjustment.direction, adjustment.customer) == (
        "draft",
        "pay",
        original.customer,
    )
    assert adjustment.total == D("-48.00") and adjustment.lines[0].amount == D("-48.00")
    assert original.total == D("1600.00") and original.status == "paid"
    # More lines on the adjusting entry through its screen, then confirm and pay.
    login("finance").post(
        "/settlementlineview/add",
        {
            "settlement": adjustment.id,
            "material": material.id,
            "net_kg": "2.5",
            "unit_price": "1.60",
            "note": "尾差",
        },
    )
    db.session.expire_all()
    assert adjustment.total == D("-44.00")
    settle_step(adjustment, "confirm")
    settle_step(adjustment, "pay")
    assert adjustment.status == "paid" and adjustment.voucher_no
    # Typed-in lines are for adjusting entries only; adjust only what is paid.
    draft = settled(new_pickup())
    response = login("finance").post(
        "/settlementlineview/add",
        {
            "settlement": draft.id,
            "material": material.id,
            "net_kg": "10",
            "unit_price": "1",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert len(draft.lines) == 1 and draft.total == D("1600.00")
    response = api("finance").post(
        f"/api/v1/settlement/{draft.id}/step/adjust",
        json={"reason": "x", "material": material.id, "net_kg": "1", "unit_price": "1"},
    )
    assert response.status_code == 409


def test_cancel_with_reason_before_settlement_only(db):
    pickup = new_pickup()
    with pytest.raises(InvalidInput):
        step(pickup, "cancel", "ops")
    db.session.rollback()
    step(pickup, "cancel", "ops", reason="客户已自行处理废品")
    assert (pickup.status, pickup.cancel_reason) == ("cancelled", "客户已自行处理废品")
    assert pickup.cancelled_at is not None
    other = new_pickup()
    settled(other)
    with pytest.raises(Conflict):
        step(other, "cancel", "ops", reason="晚了")
    db.session.rollback()
    assert other.status == "settled"


def test_inspection_is_locked_while_on_a_settlement(db):
    pickup = new_pickup()
    settled(pickup)
    inspection = db.session.query(Inspection).one()
    with pytest.raises(Conflict):
        update(inspection, "qc", impurity_pct=D(5))
    db.session.rollback()
    db.session.expire_all()
    assert inspection.impurity_pct == D(0) and inspection.accepted_net_kg == D(1000)


def test_rejected_lot_is_not_settled(db):
    pickup = collected(new_pickup((("paper-cardboard", "A"), ("steel-heavy", "A"))))
    weigh(pickup)
    step(pickup, "weigh", "warehouse")
    paper, steel = db.session.query(WeighLine).order_by(WeighLine.id).all()
    save(Inspection(weigh_line=paper, result="pass"), "qc")
    rejected = save(
        Inspection(weigh_line=steel, result="reject", report="夹杂密封容器，拒收"), "qc"
    )
    assert rejected.accepted_net_kg == D(0)
    step(pickup, "inspect", "qc")
    step(pickup, "settle", "finance")
    settlement = db.session.query(Settlement).one()
    assert [line.material.code for line in settlement.lines] == ["paper-cardboard"]
    assert settlement.total == D("1600.00")


def test_inspection_through_the_api_takes_the_weigh_line_net(db, api):
    pickup = collected(new_pickup())
    weigh(pickup, gross="1300", tare="250.5")
    step(pickup, "weigh", "warehouse")
    line = db.session.query(WeighLine).one()
    response = api("qc").post(
        "/api/v1/inspection/",
        json={
            "weigh_line": line.id,
            "material": line.material_id,
            "result": "pass",
            "impurity_pct": "2",
        },
    )
    assert response.status_code == 201, response.get_json()
    inspection = db.session.query(Inspection).one()
    # 1049.500 x 98 / 100 = 1028.51
    assert (inspection.net_kg, inspection.accepted_net_kg) == (
        D("1049.500"),
        D("1028.510"),
    )


def test_inspection_waits_for_the_weighing(db):
    pickup = collected(new_pickup())
    weigh(pickup)
    with pytest.raises(NotFound):  # QC does not see the pickup before weighing
        inspect_all(pickup)
    db.session.rollback()
    with pytest.raises(Conflict):
        inspect_all(pickup, username="admin")
    db.session.rollback()
    assert db.session.query(Inspection).count() == 0
