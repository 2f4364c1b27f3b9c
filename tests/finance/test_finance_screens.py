"""Finance screens by their owning roles: statements (screen, print, workbook),
ageing, overdue tasks, invoices; scoping and bad input."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal as D
from typing import Any

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import Customer, OverdueTask, Statement
from app.models.base import clock_at
from app.services.finance import receivables
from app.services.finance.statements import STATEMENT_FLOW, prepare
from tests.factories import CustomerFactory, user
from tests.finance.money import add_sales_rep, day, sale
from tests.finance.month import LINES, MARCH, at, build, march_statement
from tests.recycling.flow import step

FIGURES = {
    "opening": "-1,600.00",
    "debit": "14,197.00",
    "credit": "4,284.91",
    "closing": "8,312.09",
}
CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
TAG = re.compile(r"<[^>]+>")


def figures(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', page))


def table_rows(page: str, marker: str) -> list[list[str]]:
    """Cells (text) of each <tr> whose opening tag contains `marker`."""
    found = []
    for row in re.findall(rf"<tr[^>]*{marker}[^>]*>(.*?)</tr>", page, re.S):
        found.append([TAG.sub("", c).strip() for c in CELL.findall(row)])
    return found


def download(browser: Any, url: str) -> Any:
    response = browser.post(url)
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    assert "/exports/download/" in response.headers["Location"]
    file = browser.get(response.headers["Location"])
    assert file.status_code == 200
    return load_workbook(io.BytesIO(file.data))


@pytest.fixture
def month(db):
    return build()


def test_finance_prepares_the_hand_made_month_screen_print_and_workbook(
    db, login, month
):
    finance = login("finance")
    response = finance.post(
        "/statements/add", {"customer": month.customer.id, "month": "2026-03"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-600:]
    statement = db.session.query(Statement).one()
    assert (statement.month, statement.closing) == (MARCH, D("8312.09"))

    page = finance.get(f"/statements/show/{statement.id}").get_data(as_text=True)
    assert figures(page) == FIGURES
    lines = table_rows(page, 'class="statement-line"')
    assert [(r[0], r[2], r[4], r[5], r[6]) for r in lines] == LINES

    printed = finance.get(f"/statements/print/{statement.id}")
    assert printed.status_code == 200
    text = printed.get_data(as_text=True)
    assert figures(text) == FIGURES
    assert month.customer.name in text and statement.number in text
    assert "客户欠我方 8,312.09" in text

    book = download(finance, f"/statements/export/{statement.id}")
    sheet = book.active
    values = list(sheet.iter_rows(values_only=True))
    by_label = {row[2]: row for row in values if row and row[2]}
    assert by_label["期初余额"][6] == -1600
    assert by_label["本月合计"][4:6] == (14197, 4284.91)
    assert by_label["期末余额"][6] == 8312.09
    entries = [
        (row[0], row[2], row[4], row[5], row[6])
        for row in values
        if row[0] and re.match(r"2026-03-\d\d$", str(row[0]))
    ]
    assert entries == [
        ("2026-03-03", "付款", 1600, None, 0),
        ("2026-03-05", "采购结算", None, 1568, -1568),
        ("2026-03-12", "采购结算", None, 2796.91, -4364.91),
        ("2026-03-18", "销售结算", 12597, None, 8232.09),
        ("2026-03-25", "采购调整", None, -80, 8312.09),
    ]


def test_a_sales_rep_sees_the_statements_of_their_customers_only(db, login, month):
    statement = march_statement(month)
    other = march_statement_of_other(month)
    add_sales_rep()
    listing = login("sales").get("/statements/list/").get_data(as_text=True)
    assert f"/statements/show/{statement.id}" in listing
    assert f"/statements/show/{other.id}" not in listing
    assert login("sales").get(f"/statements/show/{other.id}").status_code == 404
    stranger = login("sales2")
    assert stranger.get(f"/statements/show/{statement.id}").status_code == 404
    assert stranger.post(f"/statements/export/{statement.id}").status_code == 404
    everything = login("finance").get("/statements/list/").get_data(as_text=True)
    assert f"/statements/show/{other.id}" in everything
    assert login("warehouse").get("/statements/list/").status_code == 403
    # Sales reads and confirms, but does not prepare statements.
    assert login("sales").get("/statements/add").status_code == 403


def march_statement_of_other(month: Any) -> Statement:
    """The statement of the other customer of the month (no sales rep)."""
    customer = db.session.query(Customer).filter_by(name="宁波北仑废钢回收站").one()
    with clock_at(at(2, 9, month=4)):
        return prepare(customer, MARCH, user("finance"))


def test_bad_statement_input_is_refused_in_chinese_keeping_the_form(db, login, month):
    finance = login("finance")
    future = finance.post(
        "/statements/add", {"customer": month.customer.id, "month": "2099-01"}
    )
    text = future.get_data(as_text=True)
    assert future.status_code == 200 and "对账单只能覆盖已开始的月份" in text
    assert 'value="2099-01"' in text
    assert db.session.query(Statement).count() == 0
    finance.post("/statements/add", {"customer": month.customer.id, "month": "2026-03"})
    again = finance.post(
        "/statements/add", {"customer": month.customer.id, "month": "2026-03"}
    )
    assert "已有" in again.get_data(as_text=True)
    assert db.session.query(Statement).count() == 1


def test_sales_records_the_confirmation_and_a_wrong_balance_is_refused(
    db, login, month
):
    statement = march_statement(month)
    with clock_at(at(3, 9, month=4)):
        step(statement, "send", "finance", STATEMENT_FLOW)
    sales = login("sales")
    url = f"/statements/step/confirm/{statement.id}"
    form = sales.get(url).get_data(as_text=True)
    assert "客户确认的期末余额" in form
    wrong = sales.post(
        url, {"confirmed_by_name": "王会计", "confirmed_balance": "8312.90"}
    )
    assert wrong.status_code == 400
    text = wrong.get_data(as_text=True)
    assert "8,312.09" in text and 'value="王会计"' in text
    db.session.expire_all()
    assert db.session.get(Statement, statement.id).status == "sent"
    done = sales.post(
        url,
        {
            "confirmed_by_name": "王会计",
            "confirmed_balance": "8312.09",
            "confirmed_at": "2026-04-05 14:00",
        },
    )
    assert done.status_code == 302
    db.session.expire_all()
    confirmed = db.session.get(Statement, statement.id)
    assert (confirmed.status, confirmed.confirmed_by_name) == ("confirmed", "王会计")
    page = sales.get(f"/statements/print/{statement.id}").get_data(as_text=True)
    assert "王会计" in page and "2026-04-05" in page


def test_prepare_a_month_for_every_customer_from_the_list(db, login, month):
    finance = login("finance")
    response = finance.post("/statements/prepare_month", {"month": "2026-03"})
    assert response.status_code == 302
    assert db.session.query(Statement).count() == 2
    bad = finance.post("/statements/prepare_month", {"month": "三月"})
    assert bad.status_code == 302
    assert "YYYY-MM" in finance.get("/statements/list/").get_data(as_text=True)


def test_ageing_screen_and_workbook_by_role(db, login):
    mine = CustomerFactory(name="甲客户", sales_rep=user("sales"))
    theirs = CustomerFactory(name="乙客户")
    sale(mine, "100", day(2026, 5, 20), dt.date(2026, 6, 1))  # 255.00, 29 days
    sale(theirs, "200", day(2026, 5, 20), dt.date(2026, 6, 1))  # 510.00
    finance = login("finance")
    page = finance.get("/receivables/?direction=receive&as_of=2026-06-30")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "甲客户" in text and "乙客户" in text
    assert 'id="ageing-total">765.00<' in text
    sales_page = login("sales").get("/receivables/?as_of=2026-06-30")
    assert "乙客户" not in sales_page.get_data(as_text=True)
    assert finance.get("/receivables/?as_of=June").status_code == 400
    assert login("warehouse").get("/receivables/").status_code == 403
    book = download(finance, "/receivables/export?direction=receive&as_of=2026-06-30")
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[-1][1] == "合计" and rows[-1][8] == 765  # total column


def test_overdue_tasks_by_role(db, login):
    owed = sale(CustomerFactory(sales_rep=user("sales")), "100", day(2026, 3, 5))
    with clock_at(day(2026, 3, 13, 1)):
        receivables.open_overdue_tasks()
    task = db.session.query(OverdueTask).one()
    sales = login("sales")
    assert f"/overduetasks/show/{task.id}" in sales.get("/overduetasks/list/").get_data(
        as_text=True
    )
    response = sales.post(
        f"/overduetasks/step/log/{task.id}",
        {"outcome": "客户承诺月底付款", "promised_on": "2099-03-31"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert task.promised_on == dt.date(2099, 3, 31) and "月底付款" in task.log
    assert sales.get(f"/overduetasks/step/close/{task.id}").status_code == 403
    add_sales_rep()
    assert login("sales2").get(f"/overduetasks/show/{task.id}").status_code == 404
    assert owed.status == "confirmed"


def test_invoice_recorded_from_the_settlement_screen(db, login):
    settlement = sale(CustomerFactory(), "100", day(2026, 3, 5))
    finance = login("finance")
    show = finance.get(f"/settlements/show/{settlement.id}").get_data(as_text=True)
    assert f"/settlements/step/invoice/{settlement.id}" in show
    bad = finance.post(
        f"/settlements/step/invoice/{settlement.id}",
        {"invoice_no": "FP-001", "invoice_date": "2099-01-01"},
    )
    assert bad.status_code == 400 and "未来" in bad.get_data(as_text=True)
    ok = finance.post(
        f"/settlements/step/invoice/{settlement.id}",
        {"invoice_no": "FP-001", "invoice_date": "2026-03-06"},
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert settlement.invoice_status == "invoiced"
    pending = finance.get("/settlements/list/?_flt_3_invoice_status=pending")
    assert f"/settlements/show/{settlement.id}" not in pending.get_data(as_text=True)
