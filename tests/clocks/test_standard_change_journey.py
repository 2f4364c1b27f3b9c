"""Standard changes in Chromium (seed 000 §2(六)1), typed and clicked in
Chinese: an administrator who is also a manager proposes a new escalation
grace on the settings screen and is not offered its approval; nor is the
administrator; Management rejects one change and approves another; both
see the version history with who proposed, who decided and from when."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.models import KpiTarget, Setting, StandardChange
from tests.browser import screenshot_dir
from tests.conftest import PASSWORD


def _open_changes(someone) -> None:
    someone.click("基础资料")
    someone.click("服务标准变更")


def test_management_decides_and_nobody_approves_their_own(demo_db, person):
    session = demo_db.session
    sm = current_app.appbuilder.sm
    sm.add_user(
        "wangzong",
        "总",
        "王",
        "wangzong@example.cn",
        [sm.find_role("Admin"), sm.find_role("Management")],
        password=PASSWORD,
    )
    session.commit()
    grace = session.scalars(
        select(Setting).where(Setting.key == "escalation.grace_hours")
    ).one()

    chief = person("wangzong")
    chief.click("基础资料")
    chief.click("[href='/settingview/list/']")
    chief.click("tr:has-text('escalation.grace_hours') a[href*='/settingview/edit/']")
    chief.type("value", "2", clear=True)
    chief.type("change_reason", "重大投诉超时2小时即升级至管理层")
    chief.click_button("保存")
    chief.expect_text("服务标准变更申请已提交", "待审批", "4 → 2")
    proposal = session.scalars(
        select(StandardChange).where(StandardChange.subject == "setting")
    ).one()
    # Not their own proposal: the chief's decision is offered disabled, with
    # the reason.
    chief.expect_text("不能审批自己提出的变更申请")
    assert chief.page.locator("a[href*='/standardchanges/step/']").count() == 0
    assert chief.page.locator(".step-waiting").count() == 2
    # Nor the administrator's, who is no manager: no decision is offered.
    admin = person("admin")
    admin.open(f"/standardchanges/show/{proposal.id}")
    admin.expect_text("待审批", "重大投诉超时2小时即升级至管理层")
    assert admin.page.locator("a[href*='/standardchanges/step/']").count() == 0
    session.expire_all()
    assert session.get(StandardChange, proposal.id).status == "pending"
    assert session.get(Setting, grace.id).value == "4"

    # The administrator proposes a KPI target; the manager rejects it, saying
    # why, and approves the chief's grace.
    admin.click("基础资料")
    admin.click("KPI目标")
    admin.click("tr:has(td:text-is('投诉处理及时率')) a[href*='/kpitargetview/edit/']")
    admin.type("target_percent", "99", clear=True)
    admin.type("change_reason", "提高投诉处理及时率目标")
    admin.click_button("保存")
    admin.expect_text("服务标准变更申请已提交", "待审批")

    manager = person("manager")
    _open_changes(manager)
    manager.click("待审批")
    manager.click(
        "tr:has(td:text-is('投诉处理及时率')) a[href*='/standardchanges/show/']"
    )
    manager.click("驳回变更")
    manager.click_button("驳回变更")  # no reason given: refused at the field
    manager.type("note", "目标过高，维持现行目标")
    manager.click_button("驳回变更")
    manager.expect_text("驳回变更：已完成。", "已驳回")
    manager.open(f"/standardchanges/show/{proposal.id}")
    manager.click("批准变更")
    manager.type("note", "同意")
    manager.click_button("批准变更")
    manager.expect_text("批准变更：已完成。", "已生效")
    manager.screenshot(screenshot_dir(), "standard-change-approved")
    session.expire_all()
    assert session.get(Setting, grace.id).value == "2"
    kpi = session.scalars(
        select(KpiTarget).where(
            KpiTarget.kpi == "complaint_timeliness", KpiTarget.department_id.is_(None)
        )
    ).one()
    assert kpi.target_percent != 99

    # The version history, for Management and for the administrator.
    for someone in (manager, admin):
        _open_changes(someone)
        someone.expect_text("投诉处理及时率", "已驳回", "已生效", "王总", "管理员")
    admin.screenshot(screenshot_dir(), "standard-change-history-admin")
