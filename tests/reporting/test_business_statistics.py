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

from app.models import (
    BUSINESS_TZ,
    AppUser,
    BusinessFact,
    Customer,
    Department,
    Material,
    Pickup,
    Settlement,
    WeighTicket,
)
from app.models.base import clock_at
from app.services.reporting import business, business_facts, kpi, kpi_facts
from app.services.reporting.kpi import Window
from tests.factories import by_code, user
from tests.finance.month import MARCH, at, build
from tests.recycling.flow import grade_of, settle_step


def rows(found: list[business.VolumeRow]) -> dict[str, tuple[D, D]]:
    return {r.key: (r.received, r.sold) for r in found}


@pytest.fixture
def month(db):
    return build()


def test_a_deviation_that_rounds_to_nothing_has_no_sign():
    """1 000 kg settled at 1 599.99 against a list of 1.60: -0.000625 %."""
    row = business.PriceRow(
        "pay", "黄板纸", "一级", D("1000"), D("1599.99"), D("1000"), D("1600")
    )
    assert str(row.deviation) == "0.0"
    below = business.PriceRow(
        "pay", "黄板纸", "一级", D("1000"), D("1599.00"), D("1000"), D("1600")
    )
    assert str(below.deviation) == "-0.1"


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


# The facts job runs on 20 April: March and April are recounted every 15
# minutes, February nightly.
AS_OF = dt.datetime(2026, 4, 20, 12, 0, tzinfo=BUSINESS_TZ)
SPRING = [kpi.Period("month", dt.date(2026, m, 1)) for m in (2, 3, 4)]


def test_business_facts_read_as_the_records_count(db, month):
    """The business figures read from the facts job's sums equal the hand
    figures of the month and the count from the records, in every breakdown,
    for one month and three; only for a viewer who sees everything, only
    while current."""
    manager, qc = user("manager"), user("qc")
    # A customer without a region: shown as such, not under a stored name.
    ningbo = db.session.query(Customer).filter_by(region="宁波市北仑区").one()
    ningbo.region = None
    db.session.commit()
    march = Window.ending(MARCH, 1)
    spring = Window.ending(dt.date(2026, 4, 1), 3)
    no_region = business.missing_name("region")

    def everything() -> list:
        return [
            *(
                business.volumes(dimension, window, manager)
                for dimension in business.DIMENSIONS
                for window in (march, spring)
            ),
            *(business.prices(window, manager) for window in (march, spring)),
            *(business.amounts(window, manager) for window in (march, spring)),
        ]

    with clock_at(AS_OF):
        assert business_facts.as_of(march, manager) is None
        counted = everything()
        kpi_facts.refresh(SPRING)
        assert business_facts.as_of(spring, manager) == AS_OF
        assert business_facts.volume_sums("region", march, manager) is not None
        assert everything() == counted
        assert rows(business.volumes("region", march, manager)) == {
            "杭州市西湖区": (D("2234.567"), D("4940.000")),
            no_region: (D("1000.000"), D("0.000")),
        }
        assert rows(business.volumes("month", spring, manager)) == {
            "2026-02": (D("1000.000"), D("0.000")),
            "2026-03": (D("3234.567"), D("4940.000")),
            "2026-04": (D("0.000"), D("4940.000")),
        }
        by_month = {r.month: r for r in business.amounts(spring, manager)}
        assert (by_month["2026-03"].purchases, by_month["2026-03"].paid) == (
            D("6334.91"),
            D("1600.00"),
        )
        # A clerk reads their department's facts (tested below).
        assert rows(business.volumes("material", march, qc))["重废钢"] == (
            D("2234.567"),
            D("0.000"),
        )
        # A window reaching a month the job has not counted is counted live.
        assert business_facts.as_of(Window.ending(MARCH, 3), manager) is None
    # What is shown is read from the facts: a changed fact shows.
    fact = (
        db.session.query(BusinessFact)
        .filter_by(
            view_key="",
            month=MARCH,
            dimension="material",
            key="=重废钢",
            measure="received",
        )
        .one()
    )
    fact.value += 1000
    db.session.commit()
    with clock_at(AS_OF + dt.timedelta(minutes=39)):
        assert rows(business.volumes("material", march, manager))["重废钢"] == (
            D("2235.567"),
            D("0.000"),
        )
    # March's facts stand 40 minutes; then the records are counted again.
    with clock_at(AS_OF + dt.timedelta(minutes=41)):
        assert business_facts.as_of(march, manager) is None
        assert rows(business.volumes("material", march, manager))["重废钢"] == (
            D("2234.567"),
            D("0.000"),
        )


def _everything(viewer, windows) -> list:
    return [
        *(
            business.volumes(dimension, window, viewer)
            for dimension in business.DIMENSIONS
            for window in windows
        ),
        *(business.prices(window, viewer) for window in windows),
        *(business.amounts(window, viewer) for window in windows),
    ]


def test_a_clerks_figures_are_the_department_facts_or_the_records(db, month):
    """Every department clerk's business figures equal the count over their
    scope from the records: read from their department view's facts when
    they see no weigh ticket or settlement beyond that view, else counted
    from the records (finance, whose March purchase went to another
    department; the sales rep of the month's customer)."""
    march = Window.ending(MARCH, 1)
    spring = Window.ending(dt.date(2026, 4, 1), 3)
    windows = (march, spring)
    # The March purchase of P2 (recorded by finance) handled by another
    # department: finance sees it only as its own record, beyond its view.
    purchase = (
        db.session.query(Settlement)
        .filter(Settlement.direction == "pay", Settlement.total == D("2796.91"))
        .one()
    )
    finance, warehouse = user("finance"), user("warehouse")
    assert purchase.created_by_id == finance.id
    with clock_at(AS_OF - dt.timedelta(hours=1)):
        purchase.department_id = by_code(Department, "cs").id
        db.session.commit()
    clerks = [
        u
        for u in db.session.query(AppUser).order_by(AppUser.id)
        if u.department_id is not None and not kpi_facts.serves(u)
    ]
    assert {"finance", "qc", "warehouse"} <= {u.username for u in clerks}
    with clock_at(AS_OF):
        counted = {u.username: _everything(u, windows) for u in clerks}
        kpi_facts.refresh(SPRING)
        # Counted from the records: finance, and the customer's sales rep
        # (the customer's settlements are theirs, beyond Sales' view).
        live = {"finance", "sales"}
        for clerk in clerks:
            stamp = None if clerk.username in live else AS_OF
            assert business_facts.as_of(spring, clerk) == stamp, clerk.username
            assert _everything(clerk, windows) == counted[clerk.username], (
                clerk.username
            )
        by_month = {r.month: r for r in business.amounts(march, finance)}
        assert by_month["2026-03"].purchases == D("6334.91")
        received = rows(business.volumes("month", march, warehouse))["2026-03"][0]
    # What is read for a clerk is the department's facts: a changed one shows.
    fact = (
        db.session.query(BusinessFact)
        .filter_by(
            view_key=str(warehouse.department_id),
            month=MARCH,
            dimension="month",
            key="=2026-03",
            measure="received",
        )
        .one()
    )
    fact.value += 1000
    db.session.commit()
    with clock_at(AS_OF + dt.timedelta(minutes=5)):
        shown = rows(business.volumes("month", march, warehouse))["2026-03"][0]
    assert shown == received + D("1.000")


@pytest.mark.parametrize(
    ("username", "status", "move"),
    [
        ("ops", None, "pickup handed to sales"),
        ("qc", "weighed", "pickup cancelled"),
    ],
)
def test_a_ticket_that_leaves_the_department_through_its_pickup_counts_once(
    db, month, username, status, move
):
    """A weigh ticket a clerk recorded (routed to Warehouse) is in their
    department's view through its pickup when the facts are counted: an
    Operations pickup, or one Quality control sees at its stage (weighed).
    Then the pickup goes to Sales, or is cancelled: the ticket itself does
    not change, but it is now only the clerk's own record beyond the
    department. Counted from the records, its 1 234.567 kg count once, not
    in the facts and again beyond them."""
    clerk = user(username)
    ticket = db.session.query(WeighTicket).filter_by(pickup_id=month.p2.pickup_id).one()
    pickup = db.session.get(Pickup, ticket.pickup_id)
    with clock_at(AS_OF - dt.timedelta(hours=1)):
        ticket.created_by_id = clerk.id
        ticket.department_id = by_code(Department, "warehouse").id
        pickup.department_id = by_code(Department, "ops").id
        if status:
            pickup.status = status
        db.session.commit()
    march = Window.ending(MARCH, 1)
    with clock_at(AS_OF):
        kpi_facts.refresh(SPRING)
        assert business_facts.as_of(march, clerk) == AS_OF
        before = rows(business.volumes("material", march, clerk))
    assert before["重废钢"][0] >= D("1234.567")
    with clock_at(AS_OF + dt.timedelta(minutes=5)):
        if move == "pickup handed to sales":
            pickup.department_id = by_code(Department, "sales").id
        else:
            pickup.status = "cancelled"
        db.session.commit()
    with clock_at(AS_OF + dt.timedelta(minutes=6)):
        assert business_facts.as_of(march, clerk) is None
        assert rows(business.volumes("material", march, clerk)) == before


def test_a_recount_leaves_exactly_the_current_figures(db, month):
    """A settlement withdrawn after the count leaves the month's facts at the
    next run; a second run changes nothing."""
    manager = user("manager")
    march = Window.ending(MARCH, 1)
    with clock_at(AS_OF):
        kpi_facts.refresh(SPRING[1:2])
        db.session.commit()
        before = db.session.query(BusinessFact).count()
        sale = (
            db.session.query(Settlement)
            .filter(
                Settlement.direction == "receive",
                Settlement.status.in_(business.IN_FORCE),
                march.contains(Settlement.confirmed_at),
            )
            .one()
        )
        sale.status, sale.void_reason = "voided", "买方退货"
        db.session.commit()
        kpi_facts.refresh(SPRING[1:2])
        kpi_facts.refresh(SPRING[1:2])
        assert "办公白纸" not in rows(business.volumes("material", march, manager))
        assert db.session.query(BusinessFact).filter_by(key="=办公白纸").count() == 0
        assert db.session.query(BusinessFact).count() < before


def test_the_business_page_says_when_its_figures_stand_as_of(db, month, login):
    with clock_at(AS_OF):
        kpi_facts.refresh(SPRING)
        db.session.commit()
        page = login("manager").get("/business/?month=2026-03").get_data(as_text=True)
        qc_page = login("qc").get("/business/?month=2026-03").get_data(as_text=True)
    assert "facts-stamp" in page and "2026-04-20 12:00" in page
    # A clerk's figures: the department's facts.
    assert "facts-stamp" in qc_page and "2026-04-20 12:00" in qc_page
    # Counted from the records when no facts stand for the window.
    with clock_at(AS_OF + dt.timedelta(hours=27)):
        qc_page = login("qc").get("/business/?month=2026-03").get_data(as_text=True)
    assert "facts-stamp" not in qc_page
    assert "按打开本页时的记录实时统计" in qc_page
