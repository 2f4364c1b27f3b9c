"""The printed weigh ticket and settlement voucher carry every required field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models import Setting, Settlement, WeighTicket
from app.models.codes import PAYMENT_METHODS
from app.services.recycling.printing import amount_in_words
from tests.recycling.flow import new_pickup, paid, settle_step, settled, step


@pytest.mark.parametrize(
    "amount, words",
    [
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角整"),
        ("1", "壹元整"),
        ("10", "壹拾元整"),
        ("105", "壹佰零伍元整"),
        ("1010", "壹仟零壹拾元整"),
        ("2.05", "贰元零伍分"),
        ("1409.50", "壹仟肆佰零玖元伍角整"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("10000", "壹万元整"),
        ("100000", "壹拾万元整"),
        ("100010", "壹拾万零壹拾元整"),
        ("101000", "壹拾万壹仟元整"),
        ("1000100", "壹佰万零壹佰元整"),
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        ("1000000005", "壹拾亿零伍元整"),
        ("5895.87", "伍仟捌佰玖拾伍元捌角柒分"),
        ("-123.40", "负壹佰贰拾叁元肆角整"),
        ("0.005", "壹分"),  # money rounds half-up first
    ],
)
def test_amount_in_chinese_capitals(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_printed_weigh_ticket(db, login):
    pickup = new_pickup()
    settled(pickup)
    ticket = db.session.query(WeighTicket).one()
    line = ticket.lines[0]
    company = db.session.query(Setting).filter_by(key="company.name").one().value
    page = login("warehouse").get(f"/weighticketview/print/{ticket.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for value in (
        company,
        ticket.number,
        pickup.number,
        pickup.customer.name,
        pickup.customer.code,
        "浙AD8866",
        "黄板纸",
        "一级",
        f"{pickup.number}-01",
        "1500.000",
        "500.000",
        "1000.000",
        line.gross_at.strftime("%Y-%m-%d %H:%M"),
        line.tare_at.strftime("%Y-%m-%d %H:%M"),
        str(line.gross_by),
        str(line.tare_by),
    ):
        assert value in text, value
    # The show page links to it; other departments read it only in scope.
    assert f"/weighticketview/print/{ticket.id}" in login("warehouse").get(
        f"/weighticketview/show/{ticket.id}"
    ).get_data(as_text=True)
    assert login("sales").get(f"/weighticketview/print/{ticket.id}").status_code in (
        302,
        403,
        404,
    )


def test_printed_settlement_voucher(db, login):
    pickup = new_pickup()
    settlement = settled(pickup)
    settle_step(settlement, "confirm", payment_method="wechat")
    settle_step(settlement, "pay", voucher_no="记-2026-1108")
    step(pickup, "close", "finance")
    page = login("finance").get(f"/settlements/print/{settlement.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for value in (
        "绿源再生资源回收有限公司",
        settlement.number,
        "记-2026-1108",
        settlement.paid_at.strftime("%Y-%m-%d %H:%M"),
        pickup.customer.name,
        pickup.number,
        "黄板纸",
        "一级",
        settlement.lines[0].inspection.number,
        "1000.000",
        "1.6000",
        "1,600.00",
        "¥1,600.00",
        "壹仟陆佰元整",
        str(PAYMENT_METHODS["wechat"]),
        str(settlement.created_by),
    ):
        assert value in text, value
    assert f"/settlements/print/{settlement.id}" in login("finance").get(
        f"/settlements/show/{settlement.id}"
    ).get_data(as_text=True)


def test_printed_adjusting_voucher_shows_negative_amounts(db, login):
    original = paid(new_pickup())
    settle_step(
        original,
        "adjust",
        reason="复磅少计",
        material=str(original.lines[0].material_id),
        net_kg=Decimal("-12.5"),
        unit_price=Decimal("1.60"),
    )
    adjustment = (
        db.session.query(Settlement).filter(Settlement.adjusts_id == original.id).one()
    )
    text = (
        login("finance")
        .get(f"/settlements/print/{adjustment.id}")
        .get_data(as_text=True)
    )
    for value in (
        adjustment.number,
        original.number,
        "-12.500",
        "-20.00",
        "负贰拾元整",
        "复磅少计",
    ):
        assert value in text, value
