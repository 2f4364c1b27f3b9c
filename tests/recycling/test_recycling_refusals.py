"""Bad input and wrong hands are refused with a clear message, and nothing changes."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from app.models import (
    AuditLog,
    Inspection,
    Material,
    NumberSequence,
    PickupLog,
    PriceListItem,
    Settlement,
    SettlementLine,
    WeighLine,
    WeighTicket,
)
from app.services.core import records
from app.services.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from app.services.recycling.pickup_steps import line_field
from app.services.recycling.recycling_rules import PAID_IS_FINAL, number
from tests.factories import by_code
from tests.recycling.flow import (
    collected,
    inspect_all,
    inspected,
    lines_of,
    new_pickup,
    paid,
    save,
    step,
    today,
    update,
    weigh,
)

FINAL = re.escape("已结清的结算单不能修改或删除；如需更正，请开具调整结算单。")


def _counter(db, kind: str) -> int:
    row = db.session.query(NumberSequence).filter_by(name=kind).one_or_none()
    return row.last_value if row else 0


def _text(response) -> str:
    return response.get_data(as_text=True)


# ------------------------------------------------------------------ weights
def test_tare_above_gross_is_refused_everywhere(db, login):
    pickup = collected(new_pickup())
    ticket = save(WeighTicket(pickup=pickup), "warehouse")
    line = lines_of(pickup)[0]
    with pytest.raises(InvalidInput, match=r"800\.001") as refused:
        save(
            WeighLine(
                ticket=ticket,
                pickup_line=line,
                material=line.material,
                gross_kg=Decimal("800"),
                tare_kg=Decimal("800.001"),
            ),
            "warehouse",
        )
    assert refused.value.field == "tare_kg"
    db.session.rollback()
    assert db.session.query(WeighLine).count() == 0

    browser = login("warehouse")
    response = browser.post(
        "/weighlineview/add",
        {
            "ticket": ticket.id,
            "pickup_line": line.id,
            "material": line.material_id,
            "gross_kg": "800",
            "tare_kg": "950",
        },
        follow_redirects=True,
    )
    assert "950" in _text(response) and "800" in _text(response)  # the message
    assert response.status_code == 200
    assert db.session.query(WeighLine).count() == 0

    # The second pass (tare entered later) is checked the same way.
    weighed = save(
        WeighLine(
            ticket=ticket,
            pickup_line=line,
            material=line.material,
            gross_kg=Decimal("800"),
        ),
        "warehouse",
    )
    browser.post(
        f"/weighlineview/edit/{weighed.id}", {"gross_kg": "800", "tare_kg": "801"}
    )
    db.session.expire_all()
    assert weighed.tare_kg is None and weighed.net_kg is None


@pytest.mark.parametrize("value", ["-1", "abc", "1.0005", "NaN", "Infinity"])
def test_bad_weights_are_refused_by_the_rules(value):
    with pytest.raises(InvalidInput) as refused:
        number(value, "gross_kg")
    assert refused.value.field == "gross_kg"


def test_negative_and_non_numeric_weights_on_screens_and_api(db, login, api):
    pickup = collected(new_pickup())
    ticket = save(WeighTicket(pickup=pickup), "warehouse")
    line = lines_of(pickup)[0]
    browser = login("warehouse")
    for gross in ("-12", "十二公斤"):
        response = browser.post(
            "/weighlineview/add",
            {
                "ticket": ticket.id,
                "pickup_line": line.id,
                "material": line.material_id,
                "gross_kg": gross,
            },
            follow_redirects=True,
        )
        assert response.status_code == 200  # the form again, or the refusal shown
    assert db.session.query(WeighLine).count() == 0

    other = new_pickup()
    step(
        other,
        "schedule",
        "ops",
        **{
            "crew": "王师傅",
            "vehicle": "浙A11111",
            "window_start": dt.datetime(2026, 12, 1, 9),
            "window_end": dt.datetime(2026, 12, 1, 11),
        },
    )
    field = line_field(lines_of(other)[0], "assessed_kg")
    ops = login("ops")
    page = ops.post(
        f"/pickups/step/assess/{other.id}", {"assessment_note": "现场评估", field: "-5"}
    )
    assert page.status_code == 400
    client = api("ops")
    for bad in ("-5", "五百"):
        response = client.post(
            f"/api/v1/pickup/{other.id}/step/assess",
            json={"assessment_note": "现场评估", field: bad},
        )
        assert response.status_code == 400, response.get_json()
        assert response.get_json()["field"] == field
    db.session.expire_all()
    assert other.status == "scheduled" and lines_of(other)[0].assessed_kg is None


def test_impurity_above_100_percent_is_refused(db, login):
    pickup = collected(new_pickup())
    weigh(pickup)
    step(pickup, "weigh", "warehouse")
    line = db.session.query(WeighLine).one()
    with pytest.raises(InvalidInput) as refused:
        save(
            Inspection(weigh_line=line, impurity_pct=Decimal("100.5"), result="pass"),
            "qc",
        )
    assert refused.value.field == "impurity_pct"
    db.session.rollback()
    with pytest.raises(InvalidInput) as refused:
        save(
            Inspection(
                weigh_line=line,
                moisture_pct=Decimal("60"),
                impurity_pct=Decimal("40.5"),
                result="pass",
            ),
            "qc",
        )
    assert refused.value.field == "impurity_pct"
    db.session.rollback()
    browser = login("qc")
    browser.post(
        "/inspections/add",
        {
            "weigh_line": line.id,
            "material": line.material_id,
            "result": "pass",
            "moisture_pct": "0",
            "impurity_pct": "120",
            "deduction_kg": "0",
        },
    )
    assert db.session.query(Inspection).count() == 0
    assert _counter(db, "inspection") == 0


def test_weighing_before_collection_is_refused(db, login):
    pickup = new_pickup()
    step(
        pickup,
        "schedule",
        "ops",
        crew="王师傅",
        vehicle="浙A11111",
        window_start=dt.datetime(2026, 12, 1, 9),
        window_end=dt.datetime(2026, 12, 1, 11),
    )
    with pytest.raises(NotFound):  # the warehouse does not see it yet
        save(WeighTicket(pickup=pickup), "warehouse")
    db.session.rollback()
    with pytest.raises(Conflict, match=pickup.number) as refused:
        save(WeighTicket(pickup=pickup), "admin")
    assert refused.value.field == "pickup"
    db.session.rollback()
    assert db.session.query(WeighTicket).count() == 0
    assert _counter(db, "ticket") == 0

    # The warehouse cannot even pick a pickup that is not collected yet.
    browser = login("warehouse")
    response = browser.post(
        "/weighticketview/add",
        {"pickup": pickup.id, "customer": pickup.customer_id, "vehicle": "浙A11111"},
    )
    assert response.status_code == 200
    assert db.session.query(WeighTicket).count() == 0

    # Nor finish weighing of a collected pickup with nothing on the scale.
    other = collected(new_pickup())
    with pytest.raises(Conflict):
        step(other, "weigh", "warehouse")
    db.session.rollback()
    assert other.status == "collected"


def test_no_price_in_force_is_refused_by_name(db, login, api):
    pickup = inspected(new_pickup())
    item = (
        db.session.query(PriceListItem)
        .filter_by(
            material_id=by_code(Material, "paper-cardboard").id,
            direction="purchase",
            grade_id=lines_of(pickup)[0].grade_id,
        )
        .one()
    )
    item.valid_to = today() - dt.timedelta(days=1)
    db.session.commit()

    with pytest.raises(InvalidInput) as refused:
        step(pickup, "settle", "finance")
    assert "黄板纸" in str(refused.value) and "一级" in str(refused.value)
    assert today().isoformat() in str(refused.value)
    db.session.rollback()

    browser = login("finance")
    page = browser.post(f"/pickups/step/settle/{pickup.id}", {}, follow_redirects=True)
    assert "黄板纸" in _text(page) and today().isoformat() in _text(page)
    response = api("finance").post(f"/api/v1/pickup/{pickup.id}/step/settle", json={})
    assert response.status_code == 400 and "黄板纸" in response.get_json()["message"]

    db.session.expire_all()
    assert pickup.status == "inspected" and pickup.settled_at is None
    assert db.session.query(Settlement).count() == 0
    assert _counter(db, "settlement") == 0


# ------------------------------------------------------- paid settlements
def test_paid_settlement_cannot_be_edited_or_deleted(db, login, api):
    settlement = paid(new_pickup())
    before = (settlement.total, settlement.notes, settlement.payment_method)
    audit_rows = (
        db.session.query(AuditLog)
        .filter_by(table_name="settlement", row_id=settlement.id)
        .count()
    )

    finance = login("finance")
    page = finance.post(
        f"/settlements/edit/{settlement.id}",
        {"payment_method": "cash", "notes": "改为现金"},
        follow_redirects=True,
    )
    assert str(PAID_IS_FINAL) in _text(page)
    admin = login("admin")
    admin.post(f"/settlements/delete/{settlement.id}", {})

    client = api("finance")
    response = client.put(
        f"/api/v1/settlement/{settlement.id}", json={"payment_method": "cash"}
    )
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["message"] == str(PAID_IS_FINAL)
    # Finance may not delete settlements at all; an admin is refused by the rule.
    assert client.delete(f"/api/v1/settlement/{settlement.id}").status_code == 403
    response = api("admin").delete(f"/api/v1/settlement/{settlement.id}")
    assert response.status_code == 409
    assert response.get_json()["message"] == str(PAID_IS_FINAL)

    line = settlement.lines[0]
    finance.post(
        f"/settlementlineview/edit/{line.id}",
        {"net_kg": "1", "unit_price": "1", "note": "x"},
    )
    response = finance.post(
        "/settlementlineview/add",
        {
            "settlement": settlement.id,
            "material": line.material_id,
            "net_kg": "10",
            "unit_price": "1",
        },
    )

    db.session.expire_all()
    assert (settlement.total, settlement.notes, settlement.payment_method) == before
    assert settlement.status == "paid" and len(settlement.lines) == 1
    assert line.net_kg == Decimal("1000.000")
    assert (
        db.session.query(AuditLog)
        .filter_by(table_name="settlement", row_id=settlement.id)
        .count()
        == audit_rows
    )


def test_paid_settlement_is_final_in_services_too(db):
    settlement = paid(new_pickup())
    settlement.total = Decimal("1.00")
    with pytest.raises(Conflict, match=FINAL):
        db.session.commit()
    db.session.rollback()
    line = settlement.lines[0]
    line.note = "改"
    with pytest.raises(Conflict, match=FINAL):
        db.session.commit()
    db.session.rollback()
    db.session.add(
        SettlementLine(
            settlement=settlement,
            material=line.material,
            net_kg=Decimal(1),
            unit_price=Decimal(1),
            amount=Decimal(1),
        )
    )
    with pytest.raises(Conflict, match=FINAL):
        db.session.commit()
    db.session.rollback()
    db.session.delete(settlement)
    with pytest.raises(Conflict, match=FINAL):
        db.session.flush()
    db.session.rollback()
    assert settlement.total == Decimal("1600.00") and settlement.status == "paid"


# ------------------------------------------------------ owning departments
STAGES = {
    "requested": lambda p: p,
    "collected": collected,
    "weighed": lambda p: _weighed(p),
    "inspected": inspected,
}


def _weighed(pickup):
    collected(pickup)
    weigh(pickup)
    step(pickup, "weigh", "warehouse")
    inspect_all(pickup)
    return pickup


@pytest.mark.parametrize(
    "stage, name, username",
    [
        ("requested", "schedule", "cs"),
        ("collected", "weigh", "ops"),
        ("weighed", "inspect", "warehouse"),
        ("weighed", "inspect", "ops"),
        ("inspected", "settle", "qc"),
        ("inspected", "settle", "ops"),
    ],
)
def test_step_by_a_department_that_does_not_own_it(
    db, login, api, stage, name, username
):
    pickup = STAGES[stage](new_pickup())
    logged = db.session.query(PickupLog).count()
    with pytest.raises(NotAllowed):
        step(pickup, name, username)
    db.session.rollback()
    assert (
        login(username).post(f"/pickups/step/{name}/{pickup.id}", {}).status_code == 403
    )
    response = api(username).post(f"/api/v1/pickup/{pickup.id}/step/{name}", json={})
    assert response.status_code == 403, response.get_json()
    db.session.expire_all()
    assert pickup.status == stage
    assert db.session.query(PickupLog).count() == logged


def test_settlement_steps_belong_to_finance(db, api):
    settlement = paid(new_pickup())
    draft = db.session.query(Settlement).count()
    for username in ("cs", "manager"):
        response = api(username).post(
            f"/api/v1/settlement/{settlement.id}/step/adjust",
            json={
                "reason": "少算",
                "material": settlement.lines[0].material_id,
                "net_kg": "10",
                "unit_price": "1.6",
            },
        )
        assert response.status_code == 403
    assert db.session.query(Settlement).count() == draft


def test_locked_ticket_after_payment(db):
    pickup = new_pickup()
    settlement = paid(pickup)
    line = db.session.query(WeighLine).one()
    with pytest.raises(Conflict, match=pickup.number):
        update(line, "warehouse", tare_kg=Decimal("400"))
    db.session.rollback()
    with pytest.raises(Conflict):
        records.before_delete(line.ticket)
    db.session.expire_all()
    assert line.net_kg == Decimal("1000.000") and settlement.status == "paid"


def test_weigh_line_material_comes_from_the_pickup_line_or_is_asked(db, login):
    """The add form does not ask again for the pickup line's material; goods
    weighed without a pickup are refused at the material field, form kept."""
    pickup = collected(new_pickup())
    ticket = save(WeighTicket(pickup=pickup), "warehouse")
    line = lines_of(pickup)[0]
    browser = login("warehouse")
    form = _text(browser.get(f"/weighlineview/add?_flt_0_ticket={ticket.id}"))
    material = re.search(r'<select[^>]*name="material"[^>]*>', form).group(0)
    assert "required" not in material
    browser.post(
        "/weighlineview/add",
        {"ticket": ticket.id, "pickup_line": line.id, "gross_kg": "800"},
    )
    weighed = db.session.query(WeighLine).one()
    assert weighed.material_id == line.material_id

    loose = save(WeighTicket(customer=pickup.customer), "warehouse")
    response = browser.post(
        "/weighlineview/add", {"ticket": loose.id, "gross_kg": "612.5"}
    )
    page = _text(response)
    assert response.status_code == 200
    assert "请选择品类" in page and "612.5" in page
    assert db.session.query(WeighLine).count() == 1
