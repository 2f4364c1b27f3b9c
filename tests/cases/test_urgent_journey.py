"""CustomerService flags a case urgent (紧急) and finds it by the quick
filter and by sorting the list on the flag."""

from __future__ import annotations

from app.models import Case
from tests.browser import screenshot_dir


def test_clerk_flags_a_case_urgent_and_finds_it_in_the_list(demo_db, person):
    case = (
        demo_db.session.query(Case)
        .filter_by(status="new", urgent=False)
        .order_by(Case.id)
        .first()
    )
    assert case is not None
    cs = person("cs")
    cs.open(f"/cases/edit/{case.id}")
    cs.click("input[name='urgent']")
    cs.click_button("保存")
    demo_db.session.expire_all()
    assert demo_db.session.get(Case, case.id).urgent is True

    cs.open("/cases/list/")
    cs.click(".quick-filters a:text-is('紧急')")
    rows = cs.page.locator("tbody tr:has(a[href*='/cases/show/'])")
    assert rows.count() >= 1
    numbers = [rows.nth(i).inner_text() for i in range(rows.count())]
    assert any(case.number in row for row in numbers)
    assert all("紧急" in row for row in numbers)
    cs.screenshot(screenshot_dir(), "case_list_urgent")

    # Sorted on the flag (twice: descending), urgent cases come first.
    cs.open("/cases/list/")
    cs.click("a[href*='_oc_CaseView=urgent']")
    cs.page.wait_for_url("**_oc_CaseView=urgent**")
    cs.click("a[href*='_oc_CaseView=urgent'][href*='_od_CaseView=desc']")
    cs.page.wait_for_url("**_od_CaseView=desc**")
    first = cs.page.locator("tbody tr:has(a[href*='/cases/show/'])").first
    assert "紧急" in first.inner_text()
