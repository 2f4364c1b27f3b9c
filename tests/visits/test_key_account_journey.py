"""Key-account visits in Chromium (seed 003 公司客户服务办法 第四、五、九–十一条).

The head of customer service plans a quarter's visits of a key account (the
account's own sales rep is refused as the visitor, the form keeps what was
typed), schedules a visit; the designated visitor types the visit report
(customer card) and an urgent report; Management finds the alert and the
month's summary.
"""

from __future__ import annotations

from sqlalchemy import select

from app.models import BUSINESS_TZ, Customer, Notification, Visit, VisitPlan, now
from tests.browser import screenshot_dir
from tests.factories import CustomerFactory, user
from tests.visits.test_key_account_visits import make_plan, make_visit

# The menu, not the site's name (which also says 客户服务).
SERVICE_MENU = ".dropdown-toggle:has-text('客户服务')"


def test_a_plan_made_a_visit_reported_and_an_urgent_report_raised(demo_db, person):
    account = CustomerFactory(
        name="钱塘再生纸业有限公司", sales_rep=user("sales"), key_account=True
    )
    plans = select(VisitPlan).where(VisitPlan.customer_id == account.id)
    today = now().astimezone(BUSINESS_TZ).date()

    cs = person("cs")
    cs.click(SERVICE_MENU)
    cs.click("巡访计划")
    cs.click("a[href*='/visitplans/add']")
    cs.pick("customer", "钱塘再生")
    cs.choose("period", "季度")
    cs.type("starts_on", today.isoformat())
    cs.press("Escape")
    cs.pick("visitor", "sales")
    cs.type("survey_items", "废纸库存与月度出货量")
    cs.click_button("保存")
    cs.expect_text("负责业务员")
    assert cs.field("survey_items").input_value() == "废纸库存与月度出货量"
    assert demo_db.session.scalars(plans).all() == []
    cs.pick("visitor", "cs2")
    cs.click_button("保存")
    cs.expect_text("巡访计划", "已创建")
    plan = demo_db.session.scalars(plans).one()
    assert plan.visitor.username == "cs2"

    cs.click("重点客户巡访")  # the plan's visits, a tab of the plan
    cs.click(f"a[href*='/visits/add'][href*='_flt_0_plan={plan.id}']")
    cs.type("planned_on", today.isoformat())
    cs.press("Escape")
    cs.click_button("保存")
    cs.expect_text("已创建", "周婷")
    visit = demo_db.session.scalars(select(Visit).where(Visit.plan_id == plan.id)).one()
    cs.screenshot(screenshot_dir(), "visit_planned")

    visitor = person("cs2")
    visitor.click(SERVICE_MENU)
    visitor.click("重点客户巡访")
    visitor.click("我的待巡访")
    visitor.click(f"a[href*='/visits/show/{visit.id}']")
    visitor.click("填写巡访日报")
    visitor.type("opinions", "希望结算周期缩短到十五天")
    visitor.type("needs", "每月两次上门回收废纸板")
    visitor.type("competitor_info", "同行收购价每吨高出五十元")
    visitor.type("issues_handled", "核对了上月磅差，客户认可")
    visitor.click_button("填写巡访日报")
    visitor.expect_text("填写巡访日报：已完成。", "希望结算周期缩短到十五天")
    visitor.screenshot(screenshot_dir(), "visit_reported")

    visitor.click("巡访紧急报告")
    visitor.choose("urgent_kind", "同行的销售方针政策发生重大变化")
    visitor.type("urgent_note", "同行自下月起废纸收购价上调百分之八")
    visitor.click_button("巡访紧急报告")
    visitor.expect_text("巡访紧急报告：已完成。")

    manager = person("manager")
    manager.click("我的待办")
    manager.click("我的预警")
    manager.expect_text("巡访紧急报告：钱塘再生纸业有限公司")
    manager.screenshot(screenshot_dir(), "visit_urgent_alert")
    manager.click(SERVICE_MENU)
    manager.click("每月巡访情况报告")
    manager.expect_text("周婷", "钱塘再生纸业有限公司")
    manager.screenshot(screenshot_dir(), "visit_summary")

    demo_db.session.expire_all()
    done = demo_db.session.get(Visit, visit.id)
    assert (done.status, done.urgent, done.urgent_kind) == (
        "done",
        True,
        "competitor_policy",
    )
    alert = demo_db.session.scalars(
        select(Notification).where(
            Notification.record_type == "visit", Notification.record_id == visit.id
        )
    ).one()
    assert user("manager").id in {r.user_id for r in alert.recipients}
    assert alert.title.startswith("巡访紧急报告：钱塘再生纸业有限公司")


def test_the_rep_waits_until_the_plan_has_another_visitor(demo_db, person):
    """The head of Sales wants 周婷 as the account's rep while she is the
    plan's designated visitor: refused at the field naming the plan, the form
    kept; he gives the plan another visitor (its open visit follows), then
    the rep change goes through. The grade is not on the customer's form."""
    account = CustomerFactory(
        _as="sales",
        name="富阳再生资源有限公司",
        sales_rep=user("sales"),
        key_account=True,
    )
    today = now().astimezone(BUSINESS_TZ).date()
    plan = make_plan(customer=account, period="year", starts_on=today)
    visit = make_visit(plan, today)

    sales = person("sales")
    sales.open(f"/customers/show/{account.id}")
    sales.click(f"a[href$='/customers/edit/{account.id}']")
    assert sales.page.locator("[name='grade']").count() == 0
    sales.pick("sales_rep", "周")
    sales.type("notes", "客户要求更换对接业务员", clear=True)
    sales.click_button("保存")
    sales.expect_text(plan.number, "请先在该计划中指定其他巡访人")
    assert sales.field("notes").input_value() == "客户要求更换对接业务员"
    sales.screenshot(screenshot_dir(), "customer_rep_refused_plan_visitor")
    demo_db.session.expire_all()
    assert demo_db.session.get(Customer, account.id).sales_rep.username == "sales"

    sales.open(f"/visitplans/show/{plan.id}")
    sales.click(f"a[href$='/visitplans/edit/{plan.id}']")
    sales.pick("visitor", "李")
    sales.click_button("保存")
    sales.open(f"/customers/show/{account.id}")
    sales.click(f"a[href$='/customers/edit/{account.id}']")
    sales.pick("sales_rep", "周")
    sales.click_button("保存")
    sales.open(f"/customers/show/{account.id}")
    sales.expect_text("周婷")
    sales.screenshot(screenshot_dir(), "customer_rep_changed")

    demo_db.session.expire_all()
    assert demo_db.session.get(Customer, account.id).sales_rep.username == "cs2"
    assert demo_db.session.get(VisitPlan, plan.id).visitor.username == "cs"
    assert demo_db.session.get(Visit, visit.id).visitor.username == "cs"
