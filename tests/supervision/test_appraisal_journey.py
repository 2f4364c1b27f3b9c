"""The monthly appraisal in Chromium (seed 002 §4(三)(四)): the Operations
head opens a clerk's sheet, records a reward and reviews it; Management
approves it, and the sheet is locked (its edit button disabled with the
reason)."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Appraisal, AppUser
from app.services.reporting import kpi
from app.services.supervision import appraisal
from tests.browser import screenshot_dir


def _shown(who, label: str) -> str:
    return who.page.locator(f"th:text-is('{label}') + td").first.inner_text().strip()


def _step(who, label: str, **fields: str) -> None:
    who.click(f".record-steps a:has-text('{label}')")
    for name, value in fields.items():
        if who.field(name).evaluate("e => e.tagName") == "SELECT":
            who.choose(name, value)
        else:
            who.type(name, value, clear=True)
    who.click_button(label)
    who.expect_text(f"{label}：已完成")


def test_head_reviews_management_approves_a_sheet(demo_db, person):
    session = demo_db.session
    month = kpi.previous_month()
    appraisal.generate(month)
    clerk = session.scalars(select(AppUser).where(AppUser.username == "ops2")).one()
    sheet = session.scalars(
        select(Appraisal).where(Appraisal.user_id == clerk.id, Appraisal.month == month)
    ).one()

    ops = person("ops")
    ops.click(".dropdown-toggle:has-text('监督考核')")
    ops.click("月度考核")
    ops.click(f"a[href*='/appraisals/show/{sheet.id}']")
    ops.expect_text("月度考核", str(clerk), "监督检查得分（当月抽查及巡查平均分）")
    _step(
        ops,
        "登记奖惩",
        kind="加分",
        points="5",
        reason="主动协调车辆，提前完成三家客户的上门回收。",
    )
    ops.expect_text("主动协调车辆，提前完成三家客户的上门回收。", "+5")
    _step(ops, "部门负责人审核", note="本月回收任务完成良好。")
    assert _shown(ops, "状态") == "部门负责人已审核"

    manager = person("manager")
    manager.click(".dropdown-toggle:has-text('监督考核')")
    manager.click("月度考核")
    manager.click(f"a[href*='/appraisals/show/{sheet.id}']")
    _step(manager, "管理层批准并锁定", note="同意。")
    assert _shown(manager, "状态") == "管理层已批准（已锁定）"
    assert _shown(manager, "批准人") == str(
        session.scalars(select(AppUser).where(AppUser.username == "manager")).one()
    )
    # Locked: the edit button is disabled with the reason, no step is left.
    manager.expect_text("考核表已经管理层批准并锁定，不能修改。")
    assert manager.page.locator(".record-steps a:has-text('登记奖惩')").count() == 0
    manager.screenshot(screenshot_dir(), "appraisal-approved")

    # The quarter view shows the approved month.
    manager.click(".dropdown-toggle:has-text('监督考核')")
    manager.click("季度及年度考核")
    manager.click("a[data-period='quarter']")
    row = manager.page.locator(f"tr[data-user='{clerk.id}']")
    assert "管理层已批准（已锁定）" in row.inner_text()
    assert row.locator(".period-points").inner_text() == "+5"
    manager.screenshot(screenshot_dir(), "appraisal-quarter")

    session.expire_all()
    done = session.get(Appraisal, sheet.id)
    assert (done.status, done.reviewed_by.username, done.approved_by.username) == (
        "approved",
        "ops",
        "manager",
    )
    assert [(a.kind, a.points) for a in done.adjustments] == [("bonus", 5)]
