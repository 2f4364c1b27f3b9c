"""Reclassify in Chromium: a customer-service clerk raises a complaint to major."""

from __future__ import annotations

from app.models import Case
from app.security.access import acting_as
from app.services.cases.case_steps import CASE_FLOW
from tests.factories import CaseFactory, user


def test_clerk_raises_an_acknowledged_complaint_to_major(demo_db, person):
    case = CaseFactory(title="回收款迟迟未到账", severity="general")
    clerk_user = user("cs")
    with acting_as(clerk_user):
        CASE_FLOW.run(case, "acknowledge", {"content": "已回复客户"}, clerk_user)
    due_before = case.resolution_due_at

    clerk = person("cs")
    clerk.open(f"/cases/show/{case.id}")
    clerk.click("重新分类")
    assert clerk.field("kind").input_value() == "complaint"
    clerk.choose("severity", "重大")
    clerk.type("reason", "客户表示将向媒体反映，损失金额较大。")
    clerk.click_button("重新分类")
    clerk.expect_text("重新分类：已完成", "重大投诉")  # the policy now in force
    clerk.click("沟通记录")
    clerk.expect_text("严重程度：一般 → 重大", "客户表示将向媒体反映")

    demo_db.session.expire_all()
    case = demo_db.session.get(Case, case.id)
    assert (case.severity, case.status) == ("major", "acknowledged")
    assert case.resolution_due_at != due_before
