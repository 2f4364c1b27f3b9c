"""Journey 3 in Chromium: a pickup from its booking to a paid settlement.

Operations schedules the booked pickup, arrives, assesses and collects; the
warehouse weighs in two passes (gross, then tare, typed on the weigh line);
QC inspects with moisture and impurity deductions; Finance settles, confirms
and records the payment with its voucher number. The weigh ticket and the
settlement voucher are opened from their records and read: their figures
equal the computation written below, to the gram and the cent, and the total
in words (大写金额).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from app.models import Pickup, Settlement, WeighTicket, now
from tests.browser import screenshot_dir

# The booked demo pickup: 重废钢 一级, estimated 5200 kg (seed 002 §3).
PICKUP = "PK-2026-000002"
CUSTOMER = "杭州新世纪纸业有限公司"
GROSS, TARE = Decimal("5860"), Decimal("720")
MOISTURE, IMPURITY, DEDUCTION = Decimal("1.6"), Decimal("2.3"), Decimal("12.5")
# The purchase price of 重废钢 一级 in the demo price list (CNY/kg).
UNIT_PRICE = Decimal("2.30")

# The computation by hand (seed 002: net = gross - tare; accepted net = net x
# (100 - moisture % - impurity %) / 100 - deduction, to the gram; amount =
# accepted net x unit price, to the cent, half up):
#   5860 - 720 = 5140.000 kg
#   5140 x (100 - 1.6 - 2.3) / 100 = 4939.540; - 12.5 = 4927.040 kg
#   4927.040 x 2.30 = 11332.192 -> 11332.19 CNY
NET = Decimal("5140.000")
ACCEPTED = Decimal("4927.040")
AMOUNT = Decimal("11332.19")
IN_WORDS = "壹万壹仟叁佰叁拾贰元壹角玖分"


def test_hand_computation_is_consistent():
    """The constants above are one computation, not three guesses."""
    assert GROSS - TARE == NET
    accepted = (NET * (100 - MOISTURE - IMPURITY) / 100 - DEDUCTION).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_UP
    )
    assert accepted == ACCEPTED
    assert (ACCEPTED * UNIT_PRICE).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    ) == AMOUNT


def _step(who, label: str, **fields: str) -> None:
    """On the record's page: open a step, fill its fields, take it."""
    who.click(f".record-steps a:has-text('{label}')")
    for name, value in fields.items():
        if who.field(name).evaluate("e => e.tagName") == "SELECT":
            who.choose(name, value)
        else:
            who.type(name, value)
            if who.field(name).get_attribute("data-datetime") is not None:
                who.press("Tab")  # on to the next field: the calendar closes
    who.click_button(label)
    who.expect_text(f"{label}：已完成")


def _shown(who, label: str) -> str:
    """The value of a field on a detail page, by its label."""
    cell = who.page.locator(f"th:text-is('{label}') + td, td:text-is('{label}') + td")
    return cell.first.inner_text().strip()


def _printed(who, name: str) -> str:
    """Open the record's print (a new tab), keep a picture of it, read it."""
    with who.page.context.expect_page() as opened:
        who.click("打印")
    sheet = opened.value
    sheet.wait_for_load_state()
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    sheet.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    text = sheet.locator("body").inner_text()
    sheet.close()
    return text


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def test_pickup_from_booking_to_paid_settlement(demo_db, person):
    pickup = demo_db.session.query(Pickup).filter_by(number=PICKUP).one()
    assert (pickup.status, pickup.customer.name) == ("requested", CUSTOMER)
    page = f"/pickups/show/{pickup.id}"

    # Operations: dispatch for a window around now, arrive, assess, collect.
    ops = person("ops")
    ops.open(page)
    start = now().replace(second=0, microsecond=0) - dt.timedelta(minutes=30)
    _step(
        ops,
        "排期并确认",
        crew="张师傅班组",
        vehicle="浙AD8866",
        window_start=start.strftime("%Y-%m-%d %H:%M"),
        window_end=(start + dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
    )
    assert _shown(ops, "状态") == "已排期"
    _step(ops, "班组到场")  # blank: arrived now
    line = pickup.lines[0]
    _step(
        ops,
        "现场评估",
        assessment_note="重废钢为主，少量油污，无夹杂物。",
        **{f"line{line.id}_assessed_kg": "5150"},
    )
    _step(ops, "收货", **{f"line{line.id}_collected_kg": "5120"})
    assert _shown(ops, "状态") == "已收货"

    # Warehouse: a weigh ticket from the pickup, weighed in two passes.
    store = person("warehouse")
    store.open(page)
    store.click("过磅单")
    store.click("a[href^='/weighticketview/add']")
    # Opened from the pickup: its customer and truck are already there.
    chosen = store.page.locator("select[name=customer] + .select2-container")
    assert CUSTOMER in chosen.inner_text()
    assert store.field("vehicle").input_value() == "浙AD8866"
    store.click_button("保存")
    ticket = demo_db.session.query(WeighTicket).filter_by(pickup_id=pickup.id).one()
    store.expect_text(f"过磅单 {ticket.number} 已创建")

    store.click("过磅明细")
    store.click("a[href^='/weighlineview/add']")
    store.pick("pickup_line", PICKUP)  # the material comes with the line
    store.type("gross_kg", str(GROSS))
    store.click_button("保存")
    store.expect_text("重废钢", "5860.000")
    assert _shown(store, "皮重（kg）") == ""  # first pass: gross only
    assert _shown(store, "净重（kg）") == ""
    store.click("编辑")
    store.type("tare_kg", str(TARE))
    store.click_button("保存")
    store.open(page)
    _step(store, "完成过磅")
    assert _shown(store, "状态") == "已过磅"
    store.open(f"/weighticketview/show/{ticket.id}")
    ticket_sheet = _printed(store, "pickup_journey-weigh_ticket_print")
    for value in (ticket.number, PICKUP, CUSTOMER, "浙AD8866", "重废钢", "一级"):
        assert value in ticket_sheet, value
    for weight in (GROSS, TARE, NET):
        assert f"{weight:.3f}" in ticket_sheet, weight

    # QC: inspects the weigh line with moisture and impurity deductions.
    qc = person("qc")
    qc.open(page)
    qc.click("质检单")
    qc.click("a[href^='/inspections/add']")
    qc.pick("weigh_line", ticket.number)
    # The deductions start empty: what QC types is the whole value.
    for name, value in (
        ("moisture_pct", MOISTURE),
        ("impurity_pct", IMPURITY),
        ("deduction_kg", DEDUCTION),
    ):
        assert qc.field(name).input_value() == "", name
        qc.type(name, str(value))
    qc.choose("result", "合格")
    qc.click_button("保存")
    qc.expect_text("已创建")
    assert Decimal(_shown(qc, "验收净重（kg）").replace(",", "")) == ACCEPTED
    qc.open(page)
    _step(qc, "完成质检")
    assert _shown(qc, "状态") == "已质检"

    # Finance: settles, confirms and pays; the pickup is closed.
    finance = person("finance")
    finance.open(page)
    _step(finance, "结算", payment_method="银行转账")
    settlement = demo_db.session.query(Settlement).filter_by(pickup_id=pickup.id).one()
    finance.click("结算单")
    finance.click(f"a[href^='/settlements/show/{settlement.id}']")
    assert _shown(finance, "合计金额（元）").replace(",", "") == f"{AMOUNT}"
    _step(finance, "确认", payment_method="银行转账")
    _step(finance, "登记收付款", voucher_no="记-2026-1130")
    assert _shown(finance, "状态") == "已结清"
    assert _shown(finance, "凭证号") == "记-2026-1130"
    voucher = _printed(finance, "pickup_journey-settlement_voucher_print")
    for value in (
        settlement.number,
        "记-2026-1130",
        CUSTOMER,
        PICKUP,
        "重废钢",
        f"{ACCEPTED:.3f}",
        f"{UNIT_PRICE:.4f}",
        _money(AMOUNT),
        f"¥{_money(AMOUNT)}",
        IN_WORDS,
        "银行转账",
    ):
        assert value in voucher, value
    finance.open(page)
    _step(finance, "关闭")
    assert _shown(finance, "状态") == "已关闭"
