"""Business statistics: volumes, prices against the list, amounts - by hand.

The month of tests/finance/month.py (weights and amounts written out there):
February: P0 1 000.000 kg cardboard A weighed. March: P1 1 000.000 kg
cardboard A (980.000 accepted), P2 1 234.567 kg heavy steel A (1 216.048
accepted), the other customer's 1 000.000 kg heavy steel B (region 宁波市北仑区);
sale of 4 940.000 kg office paper A; adjusting entry -50 kg cardboard A x 1.60.
April 2: sale of 4 940.000 kg office paper A.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from app.models import Material, Settlement
from app.models.base import clock_at
from app.services.reporting import business
from app.services.reporting.kpi import Window
from tests.factories import by_code, user
from tests.finance.month import MARCH, at, build
from tests.recycling.flow import grade_of, settle_step


def rows(found: list[business.VolumeRow]) -> dict[str, tuple[D, D]]:
    return {r.key: (r.received, r.sold) for r in found}


@pytest.fixture
def month(db):
    return build()


def test_volumes_by_material_grade_region_and_month(db, month):
    march = Window.ending(MARCH, 1)
    manager = user("manager")
    assert rows(business.volumes("material", march, manager)) == {
        "重废钢": (D("2234.567"), D("0.000")),
        "黄板纸": (D("1000.000"), D("0.000")),
        "办公白纸": (D("0.000"), D("4940.000")),
    }
    assert rows(business.volumes("grade", march, manager)) == {
        "一级": (D("2234.567"), D("4940.000")),
        "二级": (D("1000.000"), D("0.000")),
    }
    assert rows(business.volumes("region", march, manager)) == {
        "杭州市西湖区": (D("2234.567"), D("4940.000")),
        "宁波市北仑区": (D("1000.000"), D("0.000")),
    }
    spring = Window.ending(dt.date(2026, 4, 1), 3)
    assert rows(business.volumes("month", spring, manager)) == {
        "2026-02": (D("1000.000"), D("0.000")),
        "2026-03": (D("3234.567"), D("4940.000")),
        "2026-04": (D("0.000"), D("4940.000")),
    }


def test_prices_against_the_list_and_a_price_correction(db, month):
    # A price correction on P0: +100 kg cardboard A at 2.00 (off the list).
    with clock_at(at(26, 9)):
        settle_step(
            month.p0,
            "adjust",
            reason="补差价",
            material=str(by_code(Material, "paper-cardboard").id),
            grade=str(grade_of("paper-cardboard", "A").id),
            net_kg=D("100"),
            unit_price=D("2.00"),
        )
    correction = (
        db.session.query(Settlement)
        .filter(Settlement.adjusts_id == month.p0.id, Settlement.status == "draft")
        .one()
    )
    with clock_at(at(26, 10)):
        settle_step(correction, "confirm")
    found = {
        (r.direction, r.material, r.grade): r
        for r in business.prices(Window.ending(MARCH, 1), user("finance"))
    }
    cardboard = found[("pay", "黄板纸", "一级")]
    # 980 - 50 + 100 = 1 030 kg for 1 568.00 - 80.00 + 200.00 = 1 688.00;
    # list: 980 kg x 1.60 (the typed lines are not from the list).
    assert (cardboard.kg, cardboard.amount) == (D("1030.000"), D("1688.00"))
    assert (cardboard.average, cardboard.list_average) == (D("1.6388"), D("1.6000"))
    assert cardboard.deviation == D("2.4")  # (1688/1030 - 1.60) / 1.60
    steel = found[("pay", "重废钢", "一级")]
    assert (steel.kg, steel.amount, steel.deviation) == (
        D("1216.048"),
        D("2796.91"),
        D("0.0"),
    )
    assert found[("pay", "重废钢", "二级")].amount == D("2050.00")  # 1000 x 2.05
    office = found[("receive", "办公白纸", "一级")]
    assert (office.kg, office.amount, office.average) == (
        D("4940.000"),
        D("12597.00"),
        D("2.5500"),
    )


def test_settlement_amounts_per_month(db, month):
    spring = {
        r.month: r
        for r in business.amounts(
            Window.ending(dt.date(2026, 4, 1), 3), user("finance")
        )
    }
    # February: P0 1 600.00 settled. March: 1 568.00 + 2 796.91 + 2 050.00 - 80.00
    # purchases, 12 597.00 sales; P0 paid (1 600.00). April: 12 597.00 sales.
    assert (spring["2026-02"].purchases, spring["2026-02"].paid) == (
        D("1600.00"),
        D("0.00"),
    )
    march = spring["2026-03"]
    assert (march.purchases, march.sales, march.paid, march.received) == (
        D("6334.91"),
        D("12597.00"),
        D("1600.00"),
        D("0.00"),
    )
    assert spring["2026-04"].sales == D("12597.00")


def test_statistics_are_scoped_to_the_viewer(db, month):
    march = Window.ending(MARCH, 1)
    # The sales rep sees the settlements of their customer, not the other's.
    sales = {
        (r.direction, r.material, r.grade)
        for r in business.prices(march, user("sales"))
    }
    assert ("pay", "重废钢", "二级") not in sales and ("pay", "重废钢", "一级") in sales
    # QC sees weighed lines (pickups from weighed on) but no settlements.
    qc = rows(business.volumes("material", march, user("qc")))
    assert qc["重废钢"] == (D("2234.567"), D("0.000"))
    assert "办公白纸" not in qc


def test_dashboard_charts_and_monthly_report_sheet(db, month, login):
    manager = login("manager")
    data = manager.get("/dashboard/data/business_volumes?month=2026-03").get_json()
    assert data["grouped"] and data["labels"][-1] == "2026-03"
    assert data["datasets"][0]["data"][-1] == 3.235  # 3 234.567 kg in tonnes
    assert data["datasets"][1]["data"][-1] == 4.94
    amounts = manager.get("/dashboard/data/business_amounts?month=2026-03").get_json()
    assert amounts["datasets"][1]["data"][-1] == 12597.0
    page = manager.get("/business/?month=2026-03").get_data(as_text=True)
    assert "2,234.567" in page and "12,597.00" in page and "宁波市北仑区" in page
    assert login("qc").get("/business/?month=2026-03").status_code == 200
