"""The approval queue in Chromium: Management finds a major complaint's solution
waiting, opens the case from the queue and approves it (seed 001 §5)."""

from __future__ import annotations

from app.models import Case
from tests.cases.test_classification import in_progress


def test_manager_approves_a_solution_from_the_queue(demo_db, person):
    case = in_progress("major")
    case.title = "整批纸板含水率超标被拒收"
    case.solution = "更换批次并按停机两天赔偿"
    demo_db.session.commit()

    manager = person("manager")
    manager.click("我的待办")
    manager.click("待审批方案")
    manager.expect_text("待审批方案", case.number, "整批纸板含水率超标被拒收")
    manager.click(f"a[href*='/approvals/show/{case.id}']")
    assert manager.path == f"/cases/show/{case.id}"
    manager.click("批准方案")
    manager.type("note", "同意，赔偿从本月结算中抵扣。")
    manager.click_button("批准方案")
    manager.expect_text("批准方案：已完成。")

    manager.click("我的待办")
    manager.click("待审批方案")
    assert case.number not in manager.text()

    demo_db.session.expire_all()
    approved = demo_db.session.get(Case, case.id)
    assert approved.solution_approved_by.username == "manager"
