"""Journey 4 in Chromium: an unhappy follow-up visit reopens its case; an
improvement action started from the complaint analysis is carried out by its
department and closed by Management with its effectiveness check.

Each step is taken by the role owning it (seed 001 §6-7): customer service
reviews, closes, and calls the customer back; the warehouse carries out the
measure; Management checks whether it worked.
"""

from __future__ import annotations

import datetime as dt

from app.jobs import tasks
from app.models import Case, FollowUp, ImprovementAction, now


def _step(who, label: str, **fields: str) -> None:
    """On the record's page: open a step, fill its fields, take it."""
    who.click(f".record-steps a:has-text('{label}')")
    for name, value in fields.items():
        if who.field(name).evaluate("e => e.tagName") == "SELECT":
            who.choose(name, value)
        else:
            who.type(name, value)
    who.click_button(label)
    who.expect_text(f"{label}：已完成")


def _shown(who, label: str) -> str:
    """The value of a field on a detail page, by its label."""
    cell = who.page.locator(f"th:text-is('{label}') + td")
    return cell.first.inner_text().strip()


def test_unhappy_visit_reopens_the_case(demo_db, person):
    case = (
        demo_db.session.query(Case)
        .filter_by(title="回收价格低于报价", status="review")
        .one()
    )
    cs = person("cs")
    cs.open(f"/cases/show/{case.id}")
    _step(cs, "审核通过")
    _step(cs, "反馈并办结", satisfaction="4", content="已电话告知按报价补足差额。")
    assert _shown(cs, "状态") == "已关闭"
    # The closing event's job plans the visit (3 working days later).
    assert tasks.followups_for_case(case.id) == 1
    visit = demo_db.session.query(FollowUp).filter_by(case_id=case.id).one()

    # The clerk calls the customer back, from the visits still to do.
    cs.open("/followups/list/")
    cs.click("待回访")
    rows = cs.page.locator("table tbody tr")
    assert rows.count() == rows.filter(has_text="待回访").count() > 0
    row = rows.filter(has_text=case.number)
    row.locator(f"a[href*='/followups/show/{visit.id}']").first.click()
    cs.page.wait_for_load_state()
    assert _shown(cs, "状态") == "待回访"
    _step(
        cs,
        "登记回访结果",
        channel="客服热线",
        outcome="客户称差额尚未到账，对处理结果不满意。",
        satisfaction="2",
        comment="要求财务核实到账时间。",
    )
    assert _shown(cs, "状态") == "已完成"
    assert _shown(cs, "满意度（1-5分）") == "2"

    # The visit sent the case back for a second handling.
    cs.open(f"/cases/show/{case.id}")
    assert _shown(cs, "状态") == "处理中"
    assert _shown(cs, "重新处理次数") == "1"
    cs.click("沟通记录")
    cs.expect_text(visit.number)
    demo_db.session.expire_all()
    reopened = demo_db.session.get(Case, case.id)
    assert (reopened.status, reopened.reopen_count) == ("in_progress", 1)


def test_improvement_action_from_the_analysis_to_its_check(demo_db, person):
    cs = person("cs")
    cs.open("/analysis/")
    # The last three months: the demo's weighing complaint, received a few
    # days ago, is in them even on the 1st of a month.
    cs.choose("span", "3个月")
    cs.click_button("查询")
    # The weighing complaints' row: its "improvement action" button.
    cs.page.locator("tr", has_text="计量").locator("a.improve-link").first.click()
    cs.page.wait_for_load_state()
    # Prefilled from the analysis: the problem names the category and its figure.
    assert "计量" in cs.field("problem").input_value()
    cs.type("measure", "地磅每月校验；过磅单打印复磅记录；司磅员复训。")
    cs.choose("owner", "刘洋 · 仓储部")
    due = (now() + dt.timedelta(days=30)).replace(hour=17, minute=30)
    cs.type("due_at", due.strftime("%Y-%m-%d %H:%M"), clear=True)
    cs.press("Tab")
    cs.click_button("保存")
    action = (
        demo_db.session.query(ImprovementAction)
        .order_by(ImprovementAction.id.desc())
        .first()
    )
    cs.expect_text(f"{action.number} 已创建")
    assert _shown(cs, "状态") == "待处理"

    store = person("warehouse")
    store.open(f"/improvementactionview/show/{action.id}")
    _step(store, "开始")
    _step(store, "完成", outcome="10月起每月校验地磅，过磅单增加复磅栏，司磅员已复训。")
    assert _shown(store, "状态") == "已完成待验证"
    assert _shown(store, "已采取的措施").startswith("10月起每月校验地磅")

    manager = person("manager")
    manager.open(f"/improvementactionview/show/{action.id}")
    _step(
        manager,
        "验证效果",
        effective="有效",
        effectiveness="实施后一个月计量类投诉由5件降至1件。",
    )
    assert _shown(manager, "状态") == "已验证"
    assert "由5件降至1件" in manager.text()
