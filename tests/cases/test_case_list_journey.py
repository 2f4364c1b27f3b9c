"""The case list filtered by a customer picked by typing a fragment of its
name (the filter's picker searches; it never lists every customer)."""

from __future__ import annotations

from app.models import Case, Customer


def test_case_list_filtered_by_a_customer_found_by_typing(demo_db, person):
    customer = (
        demo_db.session.query(Customer).filter_by(name="杭州华新纸业有限公司").one()
    )
    theirs = demo_db.session.query(Case).filter_by(customer_id=customer.id).count()
    assert theirs and demo_db.session.query(Case).count() > theirs
    cs = person("cs")
    cs.open("/cases/list/")
    cs.click("搜索")  # opens the search panel
    cs.click("添加过滤条件")
    cs.click("a.filter[name='customer']")
    cs.pick("_flt_0_customer", "华新纸", "杭州华新纸业有限公司")
    cs.click_button("搜索")

    rows = cs.page.locator("tbody tr:has(a[href*='/cases/show/'])")
    assert rows.count() == theirs
    for index in range(rows.count()):
        assert "杭州华新纸业有限公司" in rows.nth(index).inner_text()
    # The applied filter shows the customer's name again (looked up by id).
    cs.click("搜索")
    picker = "select[name='_flt_0_customer'] + .select2-container"
    chosen = cs.page.locator(f"{picker} .select2-selection__rendered")
    chosen.filter(has_text="杭州华新纸业有限公司").wait_for()
