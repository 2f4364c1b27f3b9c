"""Sales records in Chromium that a customer's file was verified today; the
date shows on the customer's file."""

from __future__ import annotations

from app.models import Customer, now
from tests.factories import CustomerFactory, user


def test_sales_records_the_file_verification(demo_db, person):
    customer = CustomerFactory(name="临平纸品回收站", sales_rep=user("sales"))
    today = now().date()
    sales = person("sales")
    sales.open(f"/customers/show/{customer.id}")
    sales.click(f"a[href$='/customers/edit/{customer.id}']")
    sales.type("verified_on", today.isoformat(), clear=True)
    sales.press("Escape")
    sales.click_button("保存")
    sales.open(f"/customers/show/{customer.id}")
    sales.expect_text("档案核实日期", today.isoformat())
    demo_db.session.expire_all()
    assert demo_db.session.get(Customer, customer.id).verified_on == today
