"""Case workflow: each step allowed to its roles, refused to others, logged, clocked."""

from __future__ import annotations

import datetime as dt

import pytest

from app.models import Case, CaseCategory, CaseLog, Department, now
from app.security.access import acting_as
from app.services.cases.case_steps import CASE_FLOW
from app.services.core.errors import Conflict, InvalidInput, NotAllowed
from tests.factories import CaseFactory, by_code, user


def run(case: Case, step: str, username: str, **data):
    actor = user(username)
    with acting_as(actor):
        return CASE_FLOW.run(case, step, data, actor)


def dept(code: str) -> Department:
    return by_code(Department, code)


def advance(case: Case, *steps: tuple[str, str, dict]) -> Case:
    for step, username, data in steps:
        run(case, step, username, **data)
    return case


def investigate(case: Case) -> Case:
    """What the review checks (seed 001 §5): findings, root cause, responsibility."""
    case.findings = "调取派工记录和通话记录核实。"
    case.root_cause = "派工路线安排不合理。"
    case.responsibility = "company"
    return case


def to_in_progress(case: Case, department: str = "ops", owner: str = "ops") -> Case:
    investigate(case)
    return advance(
        case,
        ("acknowledge", "cs", {"content": "已致电客户，告知处理流程和预计时间。"}),
        (
            "assign",
            "cs",
            {"department": str(dept(department).id), "owner": str(user(owner).id)},
        ),
        ("start", owner, {}),
    )


# Which roles may take each step (from the role table), and who may not.
STEP_ROLES = {
    "acknowledge": {"cs", "sales", "ops"},
    "answer": {"cs"},
    "assign": {"cs"},
    "approve": {"manager"},
    "review": {"cs"},
    "close": {"cs"},
    "reopen": {"cs"},
    "cancel": {"cs"},
}
ALL_STAFF = ["cs", "sales", "ops", "warehouse", "qc", "finance", "manager"]


def _case_at(step: str) -> Case:
    """A case in a state where `step` is possible."""
    if step in ("acknowledge", "cancel"):
        return CaseFactory()
    if step == "answer":
        return CaseFactory(kind="inquiry", severity="normal")
    if step == "assign":
        return advance(CaseFactory(), ("acknowledge", "cs", {"content": "已回复"}))
    if step == "approve":
        case = to_in_progress(CaseFactory(severity="major"))
        case.solution = "更换批次并赔偿停机损失"
        return case
    case = to_in_progress(CaseFactory())
    case.solution = "重新安排上门时间并致歉"
    advance(case, ("submit", "ops", {"result": "已重新上门回收"}))
    if step == "review":
        return case
    advance(case, ("review", "cs", {}))
    if step == "close":
        return case
    advance(case, ("close", "cs", {"satisfaction": 2, "content": "客户不满意"}))
    return case  # closed: reopen


STEP_DATA = {
    "acknowledge": {"content": "已收到，正在处理"},
    "answer": {"answer": "本周黄板纸一级1.60元/公斤"},
    "assign": {},  # filled per test (department id)
    "approve": {"note": "同意方案"},
    "review": {},
    "close": {"satisfaction": 5, "content": "客户认可处理结果"},
    "reopen": {"reason": "客户对赔偿金额不满意"},
    "cancel": {"reason": "客户撤回投诉"},
}


@pytest.mark.parametrize("step", sorted(STEP_ROLES))
@pytest.mark.parametrize("username", ALL_STAFF)
def test_step_allowed_only_to_its_roles(db, step, username):
    case = _case_at(step)
    data = dict(STEP_DATA[step])
    if step == "assign":
        data["department"] = str(dept("qc").id)
    before = case.status
    logs_before = db.session.query(CaseLog).filter_by(case_id=case.id).count()
    if username in STEP_ROLES[step]:
        run(case, step, username, **data)
        db.session.refresh(case)
        assert case.status == (CASE_FLOW.get(step).target or before)
        entry = (
            db.session.query(CaseLog)
            .filter_by(case_id=case.id)
            .order_by(CaseLog.id.desc())
            .first()
        )
        assert entry.action == step
        assert entry.user_id == user(username).id
        assert entry.from_status == before
    else:
        with pytest.raises(NotAllowed):
            run(case, step, username, **data)
        db.session.rollback()
        db.session.refresh(case)
        assert case.status == before
        count = db.session.query(CaseLog).filter_by(case_id=case.id).count()
        assert count == logs_before


@pytest.mark.parametrize(
    "username", ["cs", "sales", "ops", "warehouse", "qc", "finance"]
)
def test_department_handling_steps(db, username):
    """start, pend, resume, submit belong to the department handling the case."""
    department = {
        "cs": "cs",
        "sales": "sales",
        "ops": "ops",
        "warehouse": "warehouse",
        "qc": "qc",
        "finance": "finance",
    }[username]
    case = advance(
        CaseFactory(),
        ("acknowledge", "cs", {"content": "已回复"}),
        ("assign", "cs", {"department": str(dept(department).id)}),
    )
    run(case, "start", username)
    assert case.status == "in_progress"
    assert case.owner_id == user(username).id
    run(case, "pend", username, reason="等待客户提供过磅照片")
    assert case.status == "pending_customer"
    assert case.resolution_state == "paused"
    run(case, "resume", username, content="客户已提供照片")
    assert case.status == "in_progress"
    case.solution = "复核过磅记录并向客户说明"
    run(case, "submit", username, result="复核无误，已说明")
    assert case.status == "review"


def test_manager_cannot_take_handling_steps(db):
    case = advance(
        CaseFactory(),
        ("acknowledge", "cs", {"content": "已回复"}),
        ("assign", "cs", {"department": str(dept("ops").id)}),
    )
    with pytest.raises(NotAllowed):
        run(case, "start", "manager")
    db.session.rollback()
    db.session.refresh(case)
    assert case.status == "assigned"


def test_acknowledge_stops_the_response_clock(db):
    case = CaseFactory()
    assert case.response_state == "running"
    assert case.responded_at is None
    run(case, "acknowledge", "cs", content="已电话回复")
    assert case.responded_at is not None
    assert case.response_state == "met"
    entry = case.logs[-1]
    assert entry.kind == "contact"
    assert "已电话回复" in entry.content


def test_late_acknowledgement_is_missed(db):
    received = now() - dt.timedelta(days=3)
    case = CaseFactory(received_at=received)
    assert case.response_state == "breached"  # 24 h passed at registration
    run(case, "acknowledge", "cs", content="迟到的回复")
    assert case.response_state == "missed"


def test_major_complaint_needs_management_approval_before_review(db):
    case = to_in_progress(CaseFactory(severity="major"))
    case.solution = "赔偿并更换批次"
    db.session.commit()
    with pytest.raises(Conflict):
        run(case, "submit", "ops", result="已处理")
    db.session.rollback()
    db.session.refresh(case)
    assert case.status == "in_progress"
    run(case, "approve", "manager", note="同意")
    assert case.solution_approved_by_id == user("manager").id
    run(case, "submit", "ops", result="已处理")
    assert case.status == "review"


def test_submit_needs_a_solution_for_complaints(db):
    case = to_in_progress(CaseFactory())
    with pytest.raises(Conflict):
        run(case, "submit", "ops", result="已处理")


def test_review_can_send_back(db):
    case = to_in_progress(CaseFactory())
    case.solution = "方案"
    run(case, "submit", "ops", result="结果")
    run(case, "send_back", "cs", reason="缺少沟通记录")
    assert case.status == "in_progress"
    with pytest.raises(NotAllowed):
        run(case, "send_back", "ops", reason="x")


def test_inquiry_answered_and_closed_directly(db):
    case = CaseFactory(kind="inquiry", severity="normal")
    run(case, "answer", "cs", answer="本周价格见价格表")
    assert case.status == "closed"
    assert case.responded_at == case.resolved_at == case.closed_at
    assert case.result == "本周价格见价格表"


def test_only_inquiries_may_be_answered_directly(db):
    case = CaseFactory()
    with pytest.raises(Conflict):
        run(case, "answer", "cs", answer="x")


def test_step_from_wrong_state_is_refused(db):
    case = CaseFactory()
    with pytest.raises(Conflict):
        run(case, "close", "cs", satisfaction=5, content="x")
    db.session.rollback()
    db.session.refresh(case)
    assert case.status == "new"


def test_required_fields_are_checked(db):
    case = CaseFactory()
    with pytest.raises(InvalidInput):
        run(case, "acknowledge", "cs", content="")
    with pytest.raises(InvalidInput):
        run(case, "cancel", "cs")


def test_assign_routes_to_department_and_checks_owner(db):
    case = advance(CaseFactory(), ("acknowledge", "cs", {"content": "已回复"}))
    with pytest.raises(InvalidInput):
        run(
            case,
            "assign",
            "cs",
            department=str(dept("qc").id),
            owner=str(user("ops").id),
        )
    db.session.rollback()
    run(case, "assign", "cs", department=str(dept("qc").id), owner=str(user("qc").id))
    assert case.department.code == "qc"
    assert case.owner_id == user("qc").id
    assert case.internal_due_at == case.resolution_due_at


def test_close_and_reopen_starts_a_new_resolution_clock(db):
    case = to_in_progress(CaseFactory(received_at=now() - dt.timedelta(days=7)))
    case.solution = "方案"
    advance(case, ("submit", "ops", {"result": "结果"}), ("review", "cs", {}))
    first_due = case.resolution_due_at
    run(case, "close", "cs", satisfaction=2, content="客户仍不满意")
    assert case.status == "closed"
    assert case.resolution_state in ("met", "missed")
    run(case, "reopen", "cs", reason="赔偿金额不满意")
    assert case.status == "in_progress"
    assert case.reopen_count == 1
    assert case.resolution_cycle == 1
    assert case.resolved_at is None
    assert case.closed_at is None
    assert case.resolution_state == "running"
    assert case.resolution_due_at > first_due


def test_reopen_keeps_the_first_round_and_its_unhappy_score(db, users):
    """Seed 001 §6, §8: the second handling never erases the first."""
    from app.models import CaseRating, CaseRound
    from app.services.reporting import kpi

    case = to_in_progress(CaseFactory(received_at=now() - dt.timedelta(days=30)))
    case.solution = "方案"
    advance(case, ("submit", "ops", {"result": "结果"}), ("review", "cs", {}))
    first_due = case.resolution_due_at
    run(case, "close", "cs", satisfaction=2, comment="太慢", content="已反馈")
    run(case, "reopen", "cs", reason="赔偿金额不满意")
    advance(case, ("submit", "ops", {"result": "补偿到位"}), ("review", "cs", {}))
    run(case, "close", "cs", satisfaction=5, content="已反馈")
    rounds = db.session.query(CaseRound).filter_by(case_id=case.id).all()
    assert [(r.cycle, r.due_at, r.state) for r in rounds] == [(0, first_due, "missed")]
    ratings = (
        db.session.query(CaseRating)
        .filter_by(case_id=case.id)
        .order_by(CaseRating.cycle)
        .all()
    )
    assert [(r.cycle, r.score, r.comment, r.reopen_reason) for r in ratings] == [
        (0, 2, "太慢", "赔偿金额不满意"),
        (1, 5, None, None),
    ]
    # Both scores count this month; the first round's miss counts in its month.
    month = kpi.month_of(now())
    report = kpi.compute([month], users["manager"])
    mean = report.figure("satisfaction_mean", month)
    assert (mean.numerator, mean.denominator) == (7, 2)
    due_month = kpi.month_of(first_due)
    report = kpi.compute([due_month], users["manager"])
    late = report.figure("complaint_timeliness", due_month)
    assert (late.numerator, late.denominator) == (0, 1)


def test_cancel_records_reason(db):
    case = CaseFactory()
    run(case, "cancel", "cs", reason="重复登记")
    assert case.status == "cancelled"
    assert case.cancel_reason == "重复登记"


def test_case_routed_by_category(db):
    case = CaseFactory(category=by_code(CaseCategory, "weighing"), _as="ops")
    assert case.department.code == "warehouse"
    assert case.first_ask_owner_id == user("ops").id
