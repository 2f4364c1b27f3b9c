"""Finance journeys in Chromium, by the roles that own them, typing and clicking.

Finance prepares the month's statements, sends one and records the customer's
confirmation, then downloads it as a workbook; a sales representative finds
only their customers' statements and records a customer's dispute.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func

from app.models import Settlement, Statement
from app.services.finance.statements import prepare
from app.services.reporting.kpi import month_of
from tests.factories import CustomerFactory, user


def _with_entries(db) -> Statement:
    return (
        db.session.query(Statement)
        .filter(Statement.entry_count > 0)
        .order_by(Statement.id)
        .first()
    )


def _entries_month(db) -> dt.date:
    """The month of the demo's latest settlement: the month whose statements
    have entries (the current one, or the one just ended on the 1st, when the
    demo's recent business all lies in the month before)."""
    latest = db.session.query(func.max(Settlement.confirmed_at)).scalar()
    return month_of(latest)


def test_finance_prepares_sends_and_records_a_confirmation(demo_db, person):
    finance = person("finance")
    finance.open("/statements/list/")
    finance.type("month", _entries_month(demo_db).strftime("%Y-%m"))
    finance.click_button("为所有有往来或有余额的客户编制")
    finance.expect_text("对账单：新编制")
    statement = _with_entries(demo_db)
    assert statement is not None
    finance.click(f"a[href$='/statements/show/{statement.id}']")  # its magnifier
    finance.expect_text("期初余额", "期末余额", statement.customer.name)
    closing = finance.page.locator("[data-figure=closing]").first.inner_text()

    finance.click("发送客户")
    finance.choose("channel", "电子邮箱")
    finance.click_button("发送客户")
    finance.expect_text("已发送客户")

    finance.click("记录客户确认")
    finance.type("confirmed_by_name", "王会计")
    finance.type("confirmed_balance", closing.replace(",", ""))
    finance.click_button("记录客户确认")
    finance.expect_text("客户已确认", "王会计")
    demo_db.session.expire_all()
    confirmed = demo_db.session.get(Statement, statement.id)
    assert confirmed.status == "confirmed"
    assert confirmed.closing == Decimal(closing.replace(",", ""))

    with finance.page.expect_download() as download:
        finance.click("导出（.xlsx）")
    assert download.value.suggested_filename == f"statement-{statement.number}.xlsx"
    data = io.BytesIO(Path(download.value.path()).read_bytes())
    rows = list(load_workbook(data).active.iter_rows(values_only=True))
    closing_row = next(r for r in rows if r[2] == "期末余额")
    assert Decimal(str(closing_row[6])).quantize(Decimal("0.01")) == confirmed.closing


def test_sales_sees_their_customers_and_records_a_dispute(demo_db, person):
    month = _entries_month(demo_db)
    theirs = _with_entries_prepared(demo_db, month)
    stranger = CustomerFactory(name="没有业务员的客户")  # no sales rep
    other = prepare(stranger, month, user("finance"))
    sales = person("sales")
    sales.open("/statements/list/")
    sales.expect_text(theirs.number)
    assert other.number not in sales.text()
    sales.click(f"a[href$='/statements/show/{theirs.id}']")
    sales.click("发送客户")
    sales.click_button("发送客户")
    sales.click("记录客户异议")
    sales.choose("channel", "客服热线")
    sales.type("description", "客户称本月有一笔回收款已收到，对账单仍列为未付。")
    sales.click_button("记录客户异议")
    sales.expect_text("客户有异议")
    demo_db.session.expire_all()
    case = demo_db.session.get(Statement, theirs.id).dispute_case
    assert case is not None and case.department.code == "finance"
    sales.expect_text(case.number)
    sales.open("/receivables/")
    assert re.search(r"应收（客户欠我方）", sales.text())


def _with_entries_prepared(db, month) -> Statement:
    from app.services.finance.statements import prepare_month

    prepare_month(month, user("finance"))
    return _with_entries(db)
