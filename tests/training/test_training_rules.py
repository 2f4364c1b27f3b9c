"""Training records and clearance for duty (seed 003 客服部规章 第十七–十九条).

A department head records plans, sessions, attendance and assessments of
their department; a pass (score at or above the pass mark) clears new staff
for duty; nobody not cleared is made a case's owner on any path.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.models import (
    AppUser,
    Case,
    CaseCategory,
    Department,
    Setting,
    TrainingAssessment,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
    now,
)
from app.security.access import acting_as
from app.services.cases.case_steps import CASE_FLOW, _staff
from app.services.core import records
from app.services.core.errors import InvalidInput, NotAllowed
from app.services.training import clearance
from tests.factories import CaseFactory, by_code, user
from tests.training.staff import new_staff

NOT_CLEARED = "未获上岗资格"


def save(item, username: str):
    actor = user(username)
    from app.extensions import db

    with acting_as(actor):
        records.before_create(item)
        db.session.add(item)
        db.session.commit()
    return item


def session_of(department: str = "cs", by: str = "cs") -> TrainingSession:
    return save(
        TrainingSession(
            kind="internal",
            held_on=now().date(),
            trainer="李娜",
            topic="投诉受理流程与首问负责制",
            department=by_code(Department, department),
        ),
        by,
    )


def assess(person: AppUser, score: str, by: str = "cs") -> TrainingAssessment:
    return save(TrainingAssessment(person=person, score=Decimal(score)), by)


def test_head_records_plan_session_attendance(db):
    plan = save(
        TrainingPlan(
            year=2026,
            goals="新员工上岗前全部考核合格",
            content="投诉处理流程、回收业务知识、服务礼仪",
            method="内部培训、现场培训、案例研讨",
            schedule="每季度第一周",
        ),
        "cs",
    )
    assert plan.department.code == "cs"  # the head's own department
    session = session_of()
    newbie = new_staff("newbie")
    attendance = save(TrainingAttendance(training_session=session, person=newbie), "cs")
    assert attendance.attended is True
    assert attendance.department_id == newbie.department_id
    with pytest.raises(InvalidInput, match="已在本次培训的考勤名单中"):
        save(TrainingAttendance(training_session=session, person=newbie), "cs")
    db.session.rollback()
    with pytest.raises(InvalidInput, match="已有 2026 年度培训计划"):
        save(TrainingPlan(year=2026, goals="x", content="y"), "cs")


@pytest.mark.parametrize(
    ("username", "department"),
    [("cs2", "cs"), ("ops", "cs"), ("sales", "cs")],
)
def test_only_the_head_of_the_department_or_management_records(
    db, username, department
):
    """A clerk (cs2) or the head of another department may not."""
    before = db.session.query(TrainingSession).count()
    with pytest.raises(NotAllowed, match="只有部门负责人或管理层"):
        session_of(department, by=username)
    db.session.rollback()
    assert db.session.query(TrainingSession).count() == before
    # Management records any department's.
    assert session_of(department, by="manager").department.code == department


def test_head_may_not_assess_another_departments_staff(db):
    newbie = new_staff("newops", department="ops", role="Operations")
    with pytest.raises(NotAllowed, match="属于其他部门"):
        assess(newbie, "90", by="cs")
    db.session.rollback()
    assert assess(newbie, "90", by="ops").passed


@pytest.mark.parametrize(
    ("score", "pass_mark"),
    [
        ("59.99", None),
        ("60", None),
        ("60.01", None),
        ("0", None),
        ("100", None),
        ("79.5", "80"),
        ("80", "80"),
    ],
)
def test_pass_is_the_score_against_the_pass_mark(db, score, pass_mark):
    if pass_mark is not None:
        db.session.query(Setting).filter_by(key="training.pass_score").update(
            {"value": pass_mark}
        )
        db.session.commit()
    newbie = new_staff("newbie")
    result = assess(newbie, score)
    expected = Decimal(score) >= Decimal(pass_mark or "60")
    assert result.passed is expected
    db.session.expire_all()
    assert db.session.get(AppUser, newbie.id).duty_cleared is expected


@pytest.mark.parametrize("score", ["-1", "100.01", "150"])
def test_score_out_of_range_is_refused(db, score):
    newbie = new_staff("newbie")
    with pytest.raises(InvalidInput, match="0到100分"):
        assess(newbie, score)
    db.session.rollback()
    assert db.session.query(TrainingAssessment).count() == 0


def test_assessment_in_the_future_is_refused(db):
    newbie = new_staff("newbie")
    with pytest.raises(InvalidInput, match="不能晚于今天"):
        save(
            TrainingAssessment(
                person=newbie,
                score=Decimal(90),
                assessed_on=now().date() + dt.timedelta(days=1),
            ),
            "cs",
        )


def acknowledged_case(category: str = "other") -> Case:
    case = CaseFactory(category=by_code(CaseCategory, category))
    with acting_as(user("cs")):
        CASE_FLOW.run(case, "acknowledge", {"content": "已回复客户"}, user("cs"))
    return case


def assign(case: Case, owner: AppUser, by: str = "cs") -> Case:
    actor = user(by)
    data = {"department": str(owner.department_id), "owner": str(owner.id)}
    with acting_as(actor):
        return CASE_FLOW.run(case, "assign", data, actor)


def test_assign_step_refuses_the_uncleared_then_accepts_after_a_pass(db):
    newbie = new_staff("newbie")
    case = acknowledged_case()
    with pytest.raises(InvalidInput, match=f"王小明 {NOT_CLEARED}") as refusal:
        assign(case, newbie)
    assert refusal.value.field == "owner"
    db.session.rollback()
    db.session.expire_all()
    unchanged = db.session.get(Case, case.id)
    assert (unchanged.status, unchanged.owner_id) == ("acknowledged", user("cs").id)
    assess(newbie, "55")  # failed: still not cleared
    with pytest.raises(InvalidInput, match=NOT_CLEARED):
        assign(db.session.get(Case, case.id), newbie)
    db.session.rollback()
    assess(newbie, "85")
    assigned = assign(db.session.get(Case, case.id), newbie)
    assert (assigned.status, assigned.owner_id) == ("assigned", newbie.id)


def test_the_setting_off_lets_new_staff_be_assigned(db):
    db.session.query(Setting).filter_by(key="training.duty_clearance").update(
        {"value": "0"}
    )
    db.session.commit()
    newbie = new_staff("newbie")
    assert newbie.duty_cleared is True  # nobody is flagged while it is off
    newbie.duty_cleared = False  # flagged before the setting was turned off
    db.session.commit()
    assert assign(acknowledged_case(), newbie).owner_id == newbie.id


def test_the_owner_picker_marks_the_uncleared(db):
    newbie = new_staff("newbie")
    labels = dict(_staff(None))
    assert labels[str(newbie.id)].endswith(f"（{NOT_CLEARED}）")
    assert NOT_CLEARED not in labels[str(user("cs2").id)]
    assess(newbie, "60")
    assert NOT_CLEARED not in dict(_staff(None))[str(newbie.id)]


def test_head_or_management_clears_for_duty(db):
    newbie = new_staff("newbie")
    with pytest.raises(NotAllowed):
        clearance.clear_for_duty(newbie, user("cs2"), "已跟岗一个月")
    with pytest.raises(NotAllowed):
        clearance.clear_for_duty(newbie, user("ops"), "已跟岗一个月")
    with pytest.raises(InvalidInput):
        clearance.clear_for_duty(newbie, user("cs"), "  ")
    clearance.clear_for_duty(newbie, user("manager"), "外部培训证书已核验")
    db.session.expire_all()
    cleared = db.session.get(AppUser, newbie.id)
    assert cleared.duty_cleared and "外部培训证书已核验" in cleared.duty_cleared_how
    assert assign(acknowledged_case(), cleared).owner_id == newbie.id


def test_new_case_registered_by_an_uncleared_clerk_has_no_owner(db):
    """First-ask owner is who took the call; the case is not theirs to own."""
    newbie = new_staff("newbie")
    case = CaseFactory(_as=newbie)
    assert case.first_ask_owner_id == newbie.id
    assert case.owner_id is None
    with pytest.raises(InvalidInput, match=NOT_CLEARED):
        CaseFactory(owner=newbie)
    db.session.rollback()


def test_start_by_an_uncleared_clerk_does_not_make_them_owner(db):
    newbie = new_staff("newbie")
    case = acknowledged_case()
    data = {"department": str(newbie.department_id), "owner": ""}
    with acting_as(user("cs")):
        CASE_FLOW.run(case, "assign", data, user("cs"))
    case.owner = None
    db.session.commit()
    with acting_as(newbie):
        CASE_FLOW.run(case, "start", {}, newbie)
    assert (case.status, case.owner_id) == ("in_progress", None)


def test_any_save_naming_an_uncleared_owner_is_refused(db):
    """The case rules (generic edit, API, import) refuse it, not only the step."""
    newbie = new_staff("newbie")
    case = acknowledged_case()
    clerk = user("cs")
    case.owner_id = newbie.id
    with acting_as(clerk), pytest.raises(InvalidInput, match=NOT_CLEARED):
        records.before_update(case)
    db.session.rollback()


def test_generic_edit_form_cannot_assign_the_uncleared(db, login):
    newbie = new_staff("newbie")
    case = acknowledged_case()
    cs = login("cs")
    page = cs.get(f"/cases/edit/{case.id}").get_data(as_text=True)
    assert 'name="owner"' not in page
    response = cs.post(
        f"/cases/edit/{case.id}",
        data={
            "customer": case.customer_id,
            "kind": case.kind,
            "severity": case.severity,
            "category": case.category_id,
            "channel": case.channel_id,
            "stage": case.stage,
            "title": case.title,
            "description": case.description,
            "version": case.version,
            "owner": newbie.id,
            "owner_id": newbie.id,
        },
    )
    assert response.status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(Case, case.id).owner_id == user("cs").id


def test_api_cannot_assign_the_uncleared(db, api):
    newbie = new_staff("newbie")
    case = acknowledged_case()
    client = api("cs")
    for payload in ({"owner": newbie.id}, {"owner_id": newbie.id}):
        answer = client.put(f"/api/v1/case/{case.id}", json=payload)
        assert answer.status_code in (400, 422), answer.get_json()
    step = client.post(
        f"/api/v1/case/{case.id}/step/assign",
        json={"department": newbie.department_id, "owner": newbie.id},
    )
    assert step.status_code == 400, step.get_json()
    assert f"王小明 {NOT_CLEARED}" in step.get_json()["message"]
    db.session.expire_all()
    unchanged = db.session.get(Case, case.id)
    assert (unchanged.status, unchanged.owner_id) == ("acknowledged", user("cs").id)
    assess(newbie, "90")
    step = client.post(
        f"/api/v1/case/{case.id}/step/assign",
        json={"department": newbie.department_id, "owner": newbie.id},
    )
    assert step.status_code == 200, step.get_json()
    db.session.expire_all()
    assert db.session.get(Case, case.id).owner_id == newbie.id


def test_user_admin_screen_creates_new_staff_not_cleared(db, login):
    admin = login("admin")
    response = admin.post(
        "/users/add",
        data={
            "first_name": "小红",
            "last_name": "孙",
            "username": "xiaohong",
            "active": "y",
            "email": "xiaohong@example.com",
            "department": by_code(Department, "cs").id,
            "roles": [r.id for r in user("cs2").roles],
            "password": "Newstaff-2026!",
            "conf_password": "Newstaff-2026!",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-600:]
    created = db.session.query(AppUser).filter_by(username="xiaohong").one()
    assert created.duty_cleared is False
    assert user("cs2").duty_cleared is True  # staff on the books are cleared
