"""Classification is a step: no generic edit skips approval, review or assignment.

The three attacks of the security review, replayed on the API exactly as they
were made, then the reclassify step itself (reason, log, clocks, Management
for lowering a major complaint) and the same rule on the edit screen.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models import Case, CaseCategory, CaseLog, Department
from app.security.access import acting_as
from app.services.cases.case_steps import CASE_FLOW
from app.services.core.errors import Conflict, InvalidInput, NotAllowed
from tests.factories import CaseFactory, by_code, user


def run(case: Case, step: str, username: str, **data):
    actor = user(username)
    with acting_as(actor):
        return CASE_FLOW.run(case, step, data, actor)


def in_progress(severity: str = "major", department: str = "ops") -> Case:
    """A complaint acknowledged, assigned and being worked on by `department`."""
    case = CaseFactory(severity=severity)
    run(case, "acknowledge", "cs", content="已致电客户，告知处理流程。")
    dept = by_code(Department, department)
    run(case, "assign", "cs", department=str(dept.id), owner=str(user("ops").id))
    # What the review checks (seed 001 §5).
    case.findings, case.root_cause = "调取派工记录核实。", "派工路线安排不合理。"
    case.responsibility = "company"
    run(case, "start", "ops")
    return case


def step(client, case: Case, name: str, **data):
    return client.post(f"/api/v1/case/{case.id}/step/{name}", json=data)


def put(client, case: Case, **data):
    return client.put(f"/api/v1/case/{case.id}", json=data)


def reload(db, case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


# ------------------------------------------------ the three High findings
def test_major_complaint_cannot_skip_approval_by_editing_its_severity(db, api):
    """Finding 1: PUT severity general → submit → PUT severity major → review
    → close. The first edit is refused, so nothing after it goes through."""
    case = in_progress("major")
    case.solution = "更换批次并赔偿停机损失"
    db.session.commit()
    ops, cs = api("ops"), api("cs")

    lowered = put(ops, case, severity="general")
    assert lowered.status_code == 409, lowered.get_json()
    assert "重新分类" in lowered.get_json()["message"]
    assert reload(db, case).severity == "major"

    assert step(ops, case, "submit", result="已处理").status_code == 409
    assert put(ops, case, severity="major").status_code == 200  # unchanged: fine
    assert step(cs, case, "review").status_code == 409
    assert step(cs, case, "close", satisfaction=5, content="已反馈").status_code == 409
    case = reload(db, case)
    assert (case.status, case.severity) == ("in_progress", "major")
    assert case.solution_approved_at is None


def test_general_complaint_in_review_cannot_become_major_by_an_edit(db, api):
    """Finding 1, second half: raised to major while in review, the review
    would pass without Management's approval; the edit is refused."""
    case = in_progress("general")
    case.solution = "重新安排上门时间"
    db.session.commit()
    ops, cs = api("ops"), api("cs")
    assert step(ops, case, "submit", result="已重新上门").status_code == 200
    raised = put(ops, case, severity="major")
    assert raised.status_code == 409
    assert reload(db, case).severity == "general"
    assert step(cs, case, "review").status_code == 200


def test_approved_solution_rewritten_after_approval_loses_its_approval(db, api):
    """Finding 2: solution and a compensation of 999,999.99 rewritten after
    approval; the approval is void, so review waits for a new one."""
    case = in_progress("major")
    case.solution = "赔偿停机损失2000元"
    db.session.commit()
    run(case, "approve", "manager", note="同意")
    assert reload(db, case).solution_approved_at is not None
    ops = api("ops")

    edited = put(ops, case, solution="赔偿全部货款", compensation_amount="999999.99")
    assert edited.status_code == 200, edited.get_json()
    case = reload(db, case)
    assert case.compensation_amount == Decimal("999999.99")
    assert case.solution_approved_at is None
    assert case.solution_approved_by_id is None
    voided = case.logs[-1]
    assert voided.action == "approval_void"
    assert "批准已失效" in voided.content

    assert step(ops, case, "submit", result="已赔偿").status_code == 409
    assert reload(db, case).status == "in_progress"
    assert step(api("manager"), case, "approve", note="同意新方案").status_code == 200
    assert step(ops, case, "submit", result="已赔偿").status_code == 200


def test_compensation_changed_in_review_voids_approval_and_blocks_review(db, api):
    case = in_progress("major")
    case.solution = "赔偿停机损失2000元"
    db.session.commit()
    run(case, "approve", "manager", note="同意")
    run(case, "submit", "ops", result="已赔偿2000元")
    assert put(api("ops"), case, compensation_amount="50000").status_code == 200
    assert reload(db, case).solution_approved_at is None
    refused = step(api("cs"), case, "review")
    assert refused.status_code == 409
    assert "管理层" in refused.get_json()["message"]
    assert (
        step(api("cs"), case, "send_back", reason="赔偿金额需重新批准").status_code
        == 200
    )


def test_unchanged_solution_keeps_its_approval(db, api):
    case = in_progress("major")
    case.solution = "赔偿停机损失2000元"
    db.session.commit()
    run(case, "approve", "manager", note="同意")
    saved = put(api("ops"), case, solution="赔偿停机损失2000元", findings="核实无误")
    assert saved.status_code == 200
    assert reload(db, case).solution_approved_at is not None


def test_acknowledged_complaint_cannot_become_an_inquiry(db, api):
    """Finding 3: PUT kind inquiry after acknowledgement, then closed by
    `answer`, skipping assignment, handling, approval and review."""
    case = CaseFactory(severity="major")
    run(case, "acknowledge", "cs", content="已回复客户")
    cs = api("cs")
    changed = put(cs, case, kind="inquiry", severity="normal")
    assert changed.status_code == 409
    assert reload(db, case).kind == "complaint"
    assert step(cs, case, "answer", answer="已答复").status_code == 409
    case = reload(db, case)
    assert (case.kind, case.severity, case.status) == (
        "complaint",
        "major",
        "acknowledged",
    )


def test_category_and_customer_type_are_fixed_after_acknowledgement(db, api):
    from tests.factories import CustomerFactory

    case = CaseFactory()
    run(case, "acknowledge", "cs", content="已回复客户")
    cs = api("cs")
    other = by_code(CaseCategory, "price")
    assert put(cs, case, category=other.id).status_code == 409
    buyer = CustomerFactory(customer_type=by_code(_customer_type(), "buyer"))
    assert put(cs, case, customer=buyer.id).status_code == 409
    case = reload(db, case)
    assert case.category.code == "other"
    assert case.customer_id != buyer.id


def _customer_type():
    from app.models import CustomerType

    return CustomerType


def test_new_case_is_still_corrected_by_an_edit(db, api):
    """Before acknowledgement the registration itself is corrected."""
    case = CaseFactory(severity="general")
    answer = put(api("cs"), case, severity="major")
    assert answer.status_code == 200
    case = reload(db, case)
    assert case.severity == "major"
    assert case.sla_policy.severity == "major"


# --------------------------------------------------------- reclassify step
def test_reclassify_raises_severity_with_reason_log_and_clocks(db):
    case = in_progress("general")
    due_before = case.resolution_due_at
    with pytest.raises(InvalidInput):
        run(
            case,
            "reclassify",
            "cs",
            kind="complaint",
            severity="major",
            category=str(case.category_id),
        )
    db.session.rollback()
    run(
        case,
        "reclassify",
        "cs",
        kind="complaint",
        severity="major",
        category=str(case.category_id),
        reason="客户称将向媒体反映，升为重大投诉",
    )
    case = reload(db, case)
    assert (case.severity, case.status) == ("major", "in_progress")
    assert case.sla_policy.severity == "major"
    assert case.resolution_due_at > due_before  # 15 working days, not 7
    entry = case.logs[-1]
    assert entry.action == "reclassify"
    assert entry.user_id == user("cs").id
    assert "升为重大投诉" in entry.content
    assert "一般" in entry.content and "重大" in entry.content
    # Now a major complaint: approval before review.
    case.solution = "赔偿"
    db.session.commit()
    with pytest.raises(Conflict):
        run(case, "submit", "ops", result="已处理")


def test_reclassify_changes_category(db):
    case = in_progress("general")
    price = by_code(CaseCategory, "price")
    run(
        case,
        "reclassify",
        "cs",
        kind="complaint",
        severity="general",
        category=str(price.id),
        reason="实为价格争议",
    )
    assert reload(db, case).category.code == "price"


def test_lowering_a_major_complaint_needs_management(db):
    case = in_progress("major")
    data = {
        "kind": "complaint",
        "severity": "general",
        "category": str(case.category_id),
        "reason": "损失金额核实后较小",
    }
    with pytest.raises(NotAllowed):
        run(case, "reclassify", "cs", **data)
    db.session.rollback()
    assert reload(db, case).severity == "major"
    run(case, "reclassify", "manager", **data)
    case = reload(db, case)
    assert case.severity == "general"
    assert case.logs[-1].user_id == user("manager").id


def test_reclassify_never_makes_a_complaint_an_inquiry(db):
    case = in_progress("general")
    for who in ("cs", "manager"):
        with pytest.raises(InvalidInput):
            run(
                case,
                "reclassify",
                who,
                kind="inquiry",
                severity="normal",
                category=str(case.category_id),
                reason="其实只是咨询",
            )
        db.session.rollback()
    assert reload(db, case).kind == "complaint"


@pytest.mark.parametrize("username", ["sales", "ops", "warehouse", "qc", "finance"])
def test_reclassify_is_not_for_handling_departments(db, username):
    case = in_progress("general")
    with pytest.raises(NotAllowed):
        run(
            case,
            "reclassify",
            username,
            kind="complaint",
            severity="major",
            category=str(case.category_id),
            reason="升级",
        )


def test_reclassify_on_the_api(db, api):
    case = in_progress("general")
    answer = step(
        api("cs"),
        case,
        "reclassify",
        kind="complaint",
        severity="major",
        category=case.category_id,
        reason="客户损失较大",
    )
    assert answer.status_code == 200, answer.get_json()
    assert reload(db, case).severity == "major"


# ------------------------------------------------------------ edit screen
def test_edit_screen_refuses_changing_severity_after_acknowledgement(db, login):
    case = in_progress("major")
    ops = login("ops")
    form = ops.get(f"/cases/edit/{case.id}").get_data(as_text=True)
    version = _hidden(form, "version")
    answer = ops.post(
        f"/cases/edit/{case.id}",
        data={
            "customer": case.customer_id,
            "kind": "complaint",
            "severity": "general",
            "category": case.category_id,
            "channel": case.channel_id,
            "stage": case.stage,
            "title": case.title,
            "description": case.description,
            "version": version,
        },
        follow_redirects=True,
    )
    assert "重新分类" in answer.get_data(as_text=True)
    assert reload(db, case).severity == "major"
    assert (
        db.session.query(CaseLog)
        .filter_by(case_id=case.id, action="reclassify")
        .count()
        == 0
    )


def _hidden(page: str, name: str) -> str:
    import re

    found = re.search(rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', page)
    assert found, f"no hidden {name}"
    return found.group(1)


def test_step_form_takes_the_posted_choice_over_its_default(db, login):
    """A step page's defaults fill the form when it opens, never over what
    the clerk chose (the assign step defaults to the current department)."""
    case = CaseFactory()  # category "other": routed to customer service
    run(case, "acknowledge", "cs", content="已回复客户")
    ops = by_code(Department, "ops")
    cs = login("cs")
    answer = cs.post(
        f"/cases/step/assign/{case.id}",
        data={"department": str(ops.id), "owner": "", "deadline": "", "note": ""},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[-800:]
    assert reload(db, case).department_id == ops.id
