"""The head of customer service plans a key account's monthly visits in
Chromium (seed 003 公司客户服务办法 第四、五条): the visitor picker offers staff
who make visits - own department first, never the administrator - and finds
a colleague by her full name typed in Chinese; the plan's period reads 月度
and its visit still to make reads 待巡访."""

from __future__ import annotations

from sqlalchemy import select

from app.models import BUSINESS_TZ, Visit, VisitPlan, now
from tests.browser import screenshot_dir
from tests.factories import CustomerFactory, user

SERVICE_MENU = ".dropdown-toggle:has-text('客户服务')"


def test_cs_finds_the_visitor_by_full_name_and_plans_a_month(demo_db, person):
    account = CustomerFactory(
        name="临平再生纸业有限公司", sales_rep=user("sales"), key_account=True
    )
    today = now().astimezone(BUSINESS_TZ).date()

    cs = person("cs")
    cs.click(SERVICE_MENU)
    cs.click("巡访计划")
    cs.click("a[href*='/visitplans/add']")
    cs.pick("customer", "临平再生")
    cs.choose("period", "月度")
    cs.type("starts_on", today.isoformat())
    cs.press("Escape")
    # Opened without typing: the staff who may visit, own department first.
    cs.page.locator("select[name='visitor'] + .select2-container").click()
    options = cs.page.locator(
        ".select2-container--open .select2-results__option:not(.loading-results)"
    )
    options.first.wait_for()
    offered = options.all_inner_texts()
    cs.screenshot(screenshot_dir(), "visitor-picker-offered")
    assert offered[0].endswith("（客户服务部）")
    assert not any("系统" in text or "管理员" in text for text in offered)
    assert not any(name in " ".join(offered) for name in ("刘洋", "陈静", "杨敏"))
    cs.press("Escape")
    cs.pick("visitor", "周婷")
    cs.type("focus_materials", "废纸板")
    cs.click_button("保存")
    cs.expect_text("已创建", "月度", "周婷")
    plan = demo_db.session.scalars(
        select(VisitPlan).where(VisitPlan.customer_id == account.id)
    ).one()
    assert (plan.period, plan.visitor.username) == ("month", "cs2")

    cs.click("重点客户巡访")
    cs.click(f"a[href*='/visits/add'][href*='_flt_0_plan={plan.id}']")
    cs.type("planned_on", today.isoformat())
    cs.press("Escape")
    cs.click_button("保存")
    cs.expect_text("已创建", "待巡访")
    assert "待回访" not in cs.text()
    visit = demo_db.session.scalars(select(Visit).where(Visit.plan_id == plan.id)).one()
    assert visit.status == "planned"
    cs.click(SERVICE_MENU)
    cs.click("巡访计划")
    row = cs.page.locator("tr", has_text="临平再生纸业有限公司")
    assert "月度" in row.inner_text()
    cs.screenshot(screenshot_dir(), "visit-plan-monthly")
