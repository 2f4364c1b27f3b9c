"""Emergency handling in Chromium (seed 002 §6): a clerk registers an incident
choosing its type, opens the case and sees the emergency plan and its
responsible people; once the case is closed she writes the post-incident
review proposing a revision; the manager puts the new version in force."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Case, EmergencyPlan, IncidentReview, IncidentType, now
from app.security.access import acting_as
from app.services.cases.case_steps import CASE_FLOW
from tests.browser import screenshot_dir
from tests.factories import user


def _close(session, case: Case) -> None:
    """The days of handling between registration and closing (their own
    journeys walk those steps)."""
    for who, name, data in (
        ("cs", "acknowledge", {"channel": str(case.channel_id), "content": "已回电"}),
        (
            "cs",
            "assign",
            {
                "department": str(case.department_id),
                "owner": str(user("cs2").id),
                "note": "请处理",
            },
        ),
        ("cs2", "start", {"note": "启动应急预案"}),
        ("cs2", "submit", {"result": "伤员已就医，现场已恢复作业。"}),
        ("cs", "review", {"note": "记录齐全"}),
        (
            "cs",
            "close",
            {
                "channel": str(case.channel_id),
                "satisfaction": 4,
                "comment": "满意",
                "content": "已反馈客户",
            },
        ),
    ):
        actor = user(who)
        with acting_as(actor):
            data = CASE_FLOW.parse(name, data, case)
            CASE_FLOW.run(case, name, data, actor)
    session.expire_all()


def test_incident_plan_review_and_revision(demo_db, person):
    session = demo_db.session
    accident = session.scalars(
        select(IncidentType).where(IncidentType.code == "safety_accident")
    ).one()
    plan = session.scalars(
        select(EmergencyPlan).where(
            EmergencyPlan.incident_type_id == accident.id,
            EmergencyPlan.status == "in_force",
        )
    ).one()

    cs = person("cs")
    cs.open("/cases/add")
    cs.pick("customer", "华新", "杭州华新纸业有限公司")
    cs.choose("kind", "突发事件")
    cs.choose("severity", "紧急")
    cs.pick("category", None, "其他")
    cs.type("title", "仓库装卸区叉车侧翻")
    cs.type("description", "客户来电：我司叉车在其仓库装卸时侧翻，一人轻伤。")
    cs.click_button("保存")
    # No incident type: refused at the field, what was typed is kept.
    cs.expect_text("突发事件须选择突发事件类型")
    assert cs.field("title").input_value() == "仓库装卸区叉车侧翻"
    cs.pick("incident_type", None, "安全事故")
    cs.click_button("保存")

    case = session.scalars(select(Case).where(Case.title == "仓库装卸区叉车侧翻")).one()
    cs.expect_text(f"{case.number} 已创建")
    assert case.emergency_plan_id == plan.id
    # The case shows the plan followed: title, version, people, procedure.
    cs.expect_text(
        "应急预案", plan.title, "版本 1", "刘洋（现场处置）", "赵刚（总协调）"
    )
    cs.expect_text("保护现场，配合相关部门调查。")
    cs.screenshot(screenshot_dir(), "emergency-case-plan")

    _close(session, case)
    assert session.get(Case, case.id).status == "closed"

    cs.open(f"/cases/show/{case.id}")
    cs.click("填写事后总结")
    cs.type("causes", "叉车超载且驾驶员未按规程操作。")
    cs.type("lessons", "装卸前须核对载重，驾驶员持证上岗。")
    cs.tick("needs_revision")
    cs.type("proposed_changes", "增加：装卸前由现场负责人检查叉车载重。")
    cs.click_button("保存")
    cs.expect_text("已创建")
    review = session.scalars(
        select(IncidentReview).where(IncidentReview.case_id == case.id)
    ).one()
    draft = review.revision
    assert (draft.status, draft.version_no) == ("draft", 2)
    cs.expect_text("预案修订草稿", "安全事故应急预案 V2")
    cs.screenshot(screenshot_dir(), "emergency-review")

    manager = person("manager")
    manager.click(".dropdown-toggle:has-text('应急处理')")
    manager.click(".dropdown-menu a[href*='/emergencyplans/list']")
    manager.click(f"a[href$='/emergencyplans/show/{draft.id}']")
    manager.expect_text("增加：装卸前由现场负责人检查叉车载重。", "刘洋")
    manager.click(".record-steps a:has-text('发布生效')")
    manager.expect_text("第 1 版随之废止")
    manager.click_button("发布生效")
    manager.expect_text("发布生效：已完成", "生效")
    manager.screenshot(screenshot_dir(), "emergency-plan-in-force")

    session.expire_all()
    assert session.get(EmergencyPlan, draft.id).status == "in_force"
    assert session.get(EmergencyPlan, plan.id).status == "superseded"
    assert session.get(EmergencyPlan, draft.id).in_force_at <= now()
    # The case keeps the version it followed.
    assert session.get(Case, case.id).emergency_plan_id == plan.id


def test_the_plan_list_offers_edit_and_delete_on_drafts_only(db, person):
    """The manager's list: a version in force is kept, so its row has no 编辑
    or 删除 (its page says why); a draft has both."""
    from tests.emergencies.test_emergencies import draft, in_force

    kept = in_force(draft())
    fresh = draft(title="安全事故应急预案（修订稿）")
    manager = person("manager")
    manager.open("/emergencyplans/list/")
    manager.expect_text("安全事故应急预案（修订稿）")
    manager.screenshot(screenshot_dir(), "emergency-plan-list-rows")
    page = manager.page
    for pk, shown in ((kept.id, 0), (fresh.id, 1)):
        assert page.locator(f"a[href^='/emergencyplans/edit/{pk}']").count() == shown
        delete = f"[id='btn-delete-/emergencyplans/delete/{pk}']"
        assert page.locator(delete).count() == shown
    manager.click(f"a[href^='/emergencyplans/show/{kept.id}']")
    assert manager.page.locator(".record-edit.disabled").count() == 1
