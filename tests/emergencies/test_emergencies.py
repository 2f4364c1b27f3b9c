"""Emergency handling (seed 002 §6): incident types, versioned emergency plans
with one version in force per type, the plan an incident case follows, and
the post-incident review proposing a revision - through the services, the
screens and the API, with the refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db as _db
from app.models import (
    Case,
    CaseCategory,
    Channel,
    EmergencyPlan,
    IncidentReview,
    IncidentType,
    PlanResponsible,
    now,
)
from app.security.access import acting_as
from app.services.core import records
from app.services.core.errors import Conflict, InvalidInput
from app.services.emergencies.plans import PLAN_FLOW
from tests.factories import CaseFactory, CustomerFactory, by_code, user

PROCEDURE = "1. 立即报告上级领导。\n2. 启动应急预案，组织人员疏散。"


def incident_type(code: str = "safety_accident") -> IncidentType:
    return by_code(IncidentType, code)


def draft(code: str = "safety_accident", people=("ops",), by="manager", **more):
    plan = EmergencyPlan(
        incident_type=incident_type(code),
        title=more.pop("title", "安全事故应急预案"),
        procedure=more.pop("procedure", PROCEDURE),
        **more,
    )
    with acting_as(user(by)):
        records.before_create(plan)
        _db.session.add(plan)
        _db.session.commit()
        for name in people:
            person = PlanResponsible(plan=plan, person=user(name), duty="现场指挥")
            records.before_create(person)
            _db.session.add(person)
        _db.session.commit()
    return plan


def in_force(plan: EmergencyPlan, by: str = "manager") -> EmergencyPlan:
    with acting_as(user(by)):
        PLAN_FLOW.run(plan, "put_in_force", {}, user(by))
    return plan


def incident(by: str = "cs", code: str = "safety_accident", **more) -> Case:
    case = Case(
        customer=CustomerFactory(),
        kind="incident",
        severity="urgent",
        category=by_code(CaseCategory, "other"),
        channel=by_code(Channel, "hotline"),
        title=more.pop("title", "厂区叉车侧翻"),
        description="装卸时叉车侧翻，一人轻伤",
        incident_type=incident_type(code) if code else None,
        **more,
    )
    with acting_as(user(by)):
        records.before_create(case)
        _db.session.add(case)
        _db.session.commit()
    return case


def close(case: Case) -> Case:
    case.status = "closed"
    case.closed_at = now()
    _db.session.commit()
    return case


def review(case: Case, by: str = "cs", **more) -> IncidentReview:
    item = IncidentReview(
        case=case,
        causes=more.pop("causes", "叉车超载，驾驶员未按规程操作。"),
        lessons=more.pop("lessons", "装卸前检查载重，加强安全培训。"),
        **more,
    )
    with acting_as(user(by)):
        records.before_create(item)
        _db.session.add(item)
        _db.session.commit()
    return item


# ------------------------------------------------------------ reference data
def test_the_three_incident_types_are_seeded(db):
    names = {t.code: t.name for t in db.session.scalars(select(IncidentType))}
    assert names == {
        "natural_disaster": "自然灾害",
        "safety_accident": "安全事故",
        "escalated_dispute": "客户投诉纠纷升级",
    }


# ----------------------------------------------------------------- versions
def test_versions_are_numbered_per_type_and_start_as_drafts(db):
    first = draft(status="in_force", version_no=7)
    second = draft()
    other = draft("natural_disaster")
    assert (first.version_no, first.status) == (1, "draft")
    assert (second.version_no, other.version_no) == (2, 1)


def test_putting_a_version_in_force_supersedes_the_previous_one(db):
    first = in_force(draft())
    assert first.status == "in_force"
    assert first.put_in_force_by.username == "manager"
    assert first.effective_on is not None and first.in_force_at is not None
    second = in_force(draft(title="安全事故应急预案（修订）"))
    db.session.expire_all()
    assert (first.status, second.status) == ("superseded", "in_force")
    assert first.superseded_at == second.in_force_at
    forced = db.session.scalars(
        select(EmergencyPlan).where(EmergencyPlan.status == "in_force")
    ).all()
    assert [p.id for p in forced] == [second.id]


def test_a_plan_without_responsible_people_is_not_put_in_force(db):
    plan = draft(people=())
    with pytest.raises(Conflict, match="至少一名负责人"):
        in_force(plan)
    assert plan.status == "draft"


def test_an_earlier_version_does_not_replace_a_later_one_in_force(db):
    older = draft()
    newer = in_force(draft())
    with pytest.raises(Conflict, match="版本 2"):
        in_force(older)
    db.session.rollback()
    db.session.expire_all()
    assert (older.status, newer.status) == ("draft", "in_force")


def test_the_database_holds_at_most_one_version_in_force_per_type(db):
    in_force(draft())
    second = draft()
    second.status = "in_force"  # past every rule
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_only_management_puts_a_plan_in_force(db):
    plan = draft()
    from app.services.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        in_force(plan, by="cs")


def test_a_plan_in_force_is_not_edited_nor_its_people_changed(db):
    plan = in_force(draft())
    plan.procedure = "改写后的流程"
    with acting_as(user("manager")), pytest.raises(Conflict, match="新版本"):
        records.before_update(plan)
    db.session.rollback()
    extra = PlanResponsible(plan_id=plan.id, person_id=user("cs").id)
    with acting_as(user("manager")), pytest.raises(Conflict):
        records.before_create(extra)
    db.session.rollback()
    with acting_as(user("manager")), pytest.raises(Conflict):
        records.before_delete(plan.responsibles[0])


# ----------------------------------------------------------- incident cases
def test_an_incident_names_its_type_and_follows_the_plan_in_force(db):
    plan = in_force(draft())
    with pytest.raises(InvalidInput, match="突发事件类型") as refused:
        incident(code=None)
    assert refused.value.field == "incident_type"
    db.session.rollback()
    case = incident()
    assert case.emergency_plan_id == plan.id
    # A later revision does not rewrite what the responders followed.
    revised = in_force(draft(title="安全事故应急预案（修订）"))
    db.session.expire_all()
    assert case.emergency_plan_id == plan.id
    assert incident().emergency_plan_id == revised.id


def test_a_backdated_incident_follows_the_version_in_force_then(db):
    first = in_force(draft())
    first.in_force_at = now() - dt.timedelta(days=10)
    db.session.commit()
    in_force(draft())
    case = incident(received_at=now() - dt.timedelta(days=2))
    assert case.emergency_plan_id == first.id


def test_other_kinds_carry_no_incident_type(db):
    case = CaseFactory(kind="complaint", incident_type=incident_type())
    assert case.incident_type_id is None and case.emergency_plan_id is None


# ------------------------------------------------------- post-incident review
def test_no_review_before_the_incident_is_closed(db):
    in_force(draft())
    case = incident()
    with pytest.raises(Conflict, match="办结后"):
        review(case)
    db.session.rollback()
    assert db.session.scalar(select(IncidentReview.id)) is None


def test_a_review_proposing_a_revision_opens_a_draft_next_version(db):
    plan = in_force(draft(people=("ops", "manager")))
    case = close(incident())
    with pytest.raises(InvalidInput) as refused:
        review(case, needs_revision=True)
    assert refused.value.field == "proposed_changes"
    db.session.rollback()
    done = review(case, needs_revision=True, proposed_changes="增加叉车载重检查。")
    revision = done.revision
    assert (done.plan_id, done.department_id) == (plan.id, case.department_id)
    assert (revision.status, revision.version_no) == ("draft", 2)
    assert revision.procedure.startswith(PROCEDURE)
    assert case.number in revision.procedure
    assert revision.procedure.endswith("增加叉车载重检查。")
    assert [r.person.username for r in revision.responsibles] == ["ops", "manager"]
    # Management puts it in force; the reviewed version is superseded.
    in_force(revision)
    db.session.expire_all()
    assert (plan.status, revision.status) == ("superseded", "in_force")


def test_one_review_per_case_and_none_for_other_kinds(db):
    in_force(draft())
    case = close(incident())
    review(case)
    with pytest.raises(Conflict, match="已有"):
        review(case)
    db.session.rollback()
    complaint = close(CaseFactory())
    with pytest.raises(InvalidInput, match="突发事件"):
        review(complaint)


def test_a_review_without_revision_leaves_the_plans_alone(db):
    in_force(draft())
    review(close(incident()), by="manager")
    assert db.session.query(EmergencyPlan).count() == 1


# ------------------------------------------------------ screens and the API
def test_generic_edit_of_a_plan_in_force_is_refused(db, login):
    plan = in_force(draft())
    manager = login("manager")
    page = manager.get(f"/emergencyplans/edit/{plan.id}", follow_redirects=True)
    assert "新版本" in page.get_data(as_text=True)
    answer = manager.post(
        f"/emergencyplans/edit/{plan.id}",
        {
            "title": "改过的标题",
            "procedure": "改过的流程",
            "effective_on": "",
            "version": plan.version,
        },
    )
    assert "新版本" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert plan.title == "安全事故应急预案" and plan.procedure == PROCEDURE


def test_api_cannot_change_a_plan_in_force_nor_set_a_status(db, api):
    plan = in_force(draft())
    manager = api("manager")
    answer = manager.put(f"/api/v1/emergency_plan/{plan.id}", json={"title": "改"})
    assert answer.status_code == 409, answer.get_json()
    answer = manager.put(f"/api/v1/emergency_plan/{plan.id}", json={"status": "draft"})
    assert answer.status_code in (400, 422)
    made = manager.post(
        "/api/v1/emergency_plan/",
        json={
            "incident_type": incident_type().id,
            "title": "新版本",
            "procedure": PROCEDURE,
            "status": "in_force",
        },
    )
    assert made.status_code in (400, 422)
    made = manager.post(
        "/api/v1/emergency_plan/",
        json={"incident_type": incident_type().id, "title": "新版", "procedure": "x"},
    )
    assert made.status_code == 201, made.get_json()
    db.session.expire_all()
    assert plan.title == "安全事故应急预案"
    created = db.session.get(EmergencyPlan, made.get_json()["id"])
    assert (created.status, created.version_no) == ("draft", 2)
    # A draft without people cannot be put in force through the API either.
    step = manager.post(f"/api/v1/emergency_plan/{created.id}/step/put_in_force")
    assert step.status_code == 409


def test_clerks_read_plans_in_force_only_and_cannot_write(db, api):
    in_force(draft())
    waiting = draft()
    ops = api("ops")
    listed = ops.get("/api/v1/emergency_plan/").get_json()["result"]
    assert [row["status"] for row in listed] == ["in_force"]
    assert ops.get(f"/api/v1/emergency_plan/{waiting.id}").status_code == 404
    made = ops.post(
        "/api/v1/emergency_plan/",
        json={"incident_type": incident_type().id, "title": "x", "procedure": "x"},
    )
    assert made.status_code == 403
    cs = api("cs")
    step = cs.post(f"/api/v1/emergency_plan/{waiting.id}/step/put_in_force")
    assert step.status_code in (403, 404)


def test_registering_an_incident_without_type_keeps_the_form(db, login):
    cs = login("cs")
    customer = CustomerFactory()
    db.session.commit()
    answer = cs.post(
        "/cases/add",
        {
            "customer": customer.id,
            "kind": "incident",
            "severity": "urgent",
            "category": by_code(CaseCategory, "other").id,
            "channel": by_code(Channel, "hotline").id,
            "title": "仓库起火",
            "description": "堆场纸品起火",
        },
    )
    text = answer.get_data(as_text=True)
    assert "突发事件类型" in text and "仓库起火" in text
    assert db.session.scalar(select(Case.id).where(Case.title == "仓库起火")) is None


def test_api_registration_requires_the_incident_type(db, api):
    cs = api("cs")
    body = {
        "customer": CustomerFactory().id,
        "kind": "incident",
        "severity": "urgent",
        "category": by_code(CaseCategory, "other").id,
        "channel": by_code(Channel, "hotline").id,
        "title": "台风导致停运",
        "description": "台风过境，回收车辆停运",
    }
    db.session.commit()
    refused = cs.post("/api/v1/case/", json=body)
    assert refused.status_code == 400
    assert refused.get_json()["field"] == "incident_type"
    plan = in_force(draft("natural_disaster"))
    made = cs.post(
        "/api/v1/case/",
        json={**body, "incident_type": incident_type("natural_disaster").id},
    )
    assert made.status_code == 201, made.get_json()
    case = db.session.get(Case, made.get_json()["id"])
    assert case.emergency_plan_id == plan.id
    # Nor does an edit take the type away.
    cleared = cs.put(f"/api/v1/case/{case.id}", json={"incident_type": None})
    assert cleared.status_code == 400, cleared.get_json()
    assert cleared.get_json()["field"] == "incident_type"
    db.session.expire_all()
    assert db.session.get(Case, case.id).incident_type.code == "natural_disaster"


def test_case_page_shows_the_plan_and_review_refused_before_close(db, login):
    plan = in_force(draft(people=("ops", "manager")))
    case = incident()
    cs = login("cs")
    page = cs.get(f"/cases/show/{case.id}").get_data(as_text=True)
    assert plan.title in page and "版本 1" in page
    assert "王强" in page and "赵刚" in page and "启动应急预案" in page
    assert f"/emergencyplans/show/{plan.id}" in page
    refused = cs.get(
        f"/incidentreviews/add?_flt_0_case={case.id}", follow_redirects=True
    )
    assert "办结后" in refused.get_data(as_text=True)


def test_a_complaint_reclassified_as_incident_names_its_type(db):
    from app.services.cases.case_steps import CASE_FLOW

    plan = in_force(draft("escalated_dispute"))
    case = CaseFactory(kind="complaint", severity="general")
    case.status = "in_progress"  # reclassified while being handled
    db.session.commit()
    data = {
        "kind": "incident",
        "severity": "urgent",
        "category": str(case.category_id),
        "reason": "客户到场冲突升级",
    }
    with acting_as(user("cs")), pytest.raises(InvalidInput) as refused:
        CASE_FLOW.run(case, "reclassify", data, user("cs"))
    assert refused.value.field == "incident_type"
    db.session.rollback()
    chosen = {**data, "incident_type": str(incident_type("escalated_dispute").id)}
    with acting_as(user("cs")):
        CASE_FLOW.run(case, "reclassify", chosen, user("cs"))
    db.session.expire_all()
    assert (case.kind, case.emergency_plan_id) == ("incident", plan.id)
    assert "客户投诉纠纷升级" in case.logs[-1].content
