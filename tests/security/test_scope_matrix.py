"""Department scoping over every role x record type x way in.

For each department role and each record type the test makes one record the
role may see (routed to its department, created by it, or owned by it) and
one it may not, then tries every way in: list, show, edit (page and post),
delete, workflow step pages, the REST API (get, put, delete, and a create
naming another department). In scope works; out of scope is refused with
404 (or 403 without the permission) and the row is unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from app.models import (
    Case,
    CaseCategory,
    ComplaintReport,
    Customer,
    Department,
    FollowUp,
    Inspection,
    Pickup,
    Settlement,
    now,
)
from app.security.roles import ROLE_PERMISSIONS
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    FollowUpFactory,
    InspectionFactory,
    PickupFactory,
    SettlementFactory,
    by_code,
    user,
)

ROLE_OF = {
    "cs": "CustomerService",
    "sales": "Sales",
    "ops": "Operations",
    "warehouse": "Warehouse",
    "qc": "QualityControl",
    "finance": "Finance",
    "manager": "Management",
}
# A category routing a new case to each department.
ROUTE = {
    "cs": "attitude",
    "sales": "price",
    "ops": "delivery",
    "warehouse": "weighing",
    "qc": "quality",
    "finance": "settlement",
}
DEPT = {
    "cs": "cs",
    "sales": "sales",
    "ops": "ops",
    "warehouse": "warehouse",
    "qc": "qc",
    "finance": "finance",
    "manager": "mgmt",
}
SEES_ALL = {"cs", "manager"}
# The earliest pickup status a department sees (stage visibility).
STAGE = {
    "warehouse": ("requested", "collected"),
    "qc": ("collected", "weighed"),
    "finance": ("weighed", "inspected"),
}


@dataclass(frozen=True)
class Kind:
    name: str
    model: Any
    resource: str
    web: str
    api: str
    key: str  # the column shown in lists that identifies the record
    change: dict[str, Any]  # a harmless API update


KINDS = {
    # A monthly complaint report: departments see it once sent.
    "complaint_report": Kind(
        "complaint_report",
        ComplaintReport,
        "ComplaintReport",
        "/complaint-reports",
        "complaint_report",
        "month",
        {"impact": "补充影响评估"},
    ),
    "customer": Kind(
        "customer",
        Customer,
        "Customer",
        "/customers",
        "customer",
        "code",
        {"notes": "已核实"},
    ),
    "case": Kind(
        "case", Case, "Case", "/cases", "case", "number", {"title": "已更新的标题"}
    ),
    "pickup": Kind(
        "pickup",
        Pickup,
        "Pickup",
        "/pickups",
        "pickup",
        "number",
        {"notes": "请走北门"},
    ),
    "inspection": Kind(
        "inspection",
        Inspection,
        "Inspection",
        "/inspections",
        "inspection",
        "number",
        {"report": "复检一致"},
    ),
    "settlement": Kind(
        "settlement",
        Settlement,
        "Settlement",
        "/settlements",
        "settlement",
        "number",
        {"notes": "月结"},
    ),
    "followup": Kind(
        "followup",
        FollowUp,
        "FollowUp",
        "/followups",
        "followup",
        "number",
        {"due_at": "2026-12-20T10:00:00"},
    ),
}


def grants(username: str, resource: str) -> tuple[str, ...]:
    return ROLE_PERMISSIONS[ROLE_OF[username]].get(resource, ())


def _pickup(status: str, creator: str = "ops") -> Pickup:
    pickup = PickupFactory(_as=creator)
    pickup.status = status
    from app.extensions import db

    db.session.commit()
    return pickup


def _inspection_on(pickup: Pickup | None) -> Inspection:
    from app.extensions import db

    item = InspectionFactory(_as="qc")
    if pickup is not None:
        item.pickup_id = pickup.id
        db.session.commit()
    return item


def make(kind: str, username: str) -> tuple[Any | None, Any | None]:
    """(a record `username` may see, one it may not) for this record type."""
    other_user = "sales" if username != "sales" else "ops"
    if kind == "customer":
        if username in SEES_ALL:
            return CustomerFactory(_as="sales"), None
        creator = username if "add" in grants(username, "Customer") else None
        if creator is None:
            # Visible through a case routed to the department.
            mine = CaseFactory(category=by_code(CaseCategory, ROUTE[username]))
            return mine.customer, CustomerFactory(_as=other_user)
        return CustomerFactory(_as=creator), CustomerFactory(_as=other_user)
    if kind == "case":
        if username in SEES_ALL:
            return CaseFactory(category=by_code(CaseCategory, "delivery")), None
        other = "attitude" if username != "cs" else "delivery"
        return (
            CaseFactory(category=by_code(CaseCategory, ROUTE[username])),
            CaseFactory(category=by_code(CaseCategory, other)),
        )
    if kind == "pickup":
        if username in SEES_ALL or username == "ops":
            return _pickup("requested"), None
        if username == "sales":
            return _pickup("requested", creator="sales"), _pickup("requested")
        hidden, shown = STAGE[username]
        return _pickup(shown), _pickup(hidden)
    if kind == "inspection":
        if username in SEES_ALL or username in ("qc", "ops"):
            return _inspection_on(None if username != "ops" else _pickup("weighed")), (
                None if username != "ops" else _inspection_on(None)
            )
        if username == "sales":
            return _inspection_on(_pickup("weighed", creator="sales")), _inspection_on(
                None
            )
        hidden, shown = STAGE[username]
        return _inspection_on(_pickup(shown)), _inspection_on(_pickup(hidden))
    if kind == "settlement":
        if username in SEES_ALL or username == "finance":
            return SettlementFactory(_as="finance"), None
        return None, SettlementFactory(_as="finance")
    if kind == "followup":
        if username in SEES_ALL:
            return FollowUpFactory(_as="sales"), None
        if "add" in grants(username, "FollowUp"):
            return FollowUpFactory(_as=username), FollowUpFactory(_as="cs")
        mine = FollowUpFactory(_as="cs", assignee=user(username))
        return mine, FollowUpFactory(_as="cs")
    if kind == "complaint_report":
        if username in SEES_ALL:
            return _complaint_report("2026-10", sent=False), None
        return (
            _complaint_report("2026-09", sent=True),
            _complaint_report("2026-10", sent=False),
        )
    raise AssertionError(kind)


def _complaint_report(month: str, sent: bool) -> ComplaintReport:
    from app.extensions import db
    from app.security.access import acting_as
    from app.services.core import records
    from app.services.reporting.complaint_reports import REPORT_FLOW

    report = ComplaintReport(month=month, analysis="原因剖析", impact="影响评估")
    with acting_as(user("cs")):
        records.before_create(report)
        db.session.add(report)
        db.session.commit()
    if sent:
        REPORT_FLOW.run(report, "send", {}, user("cs"))
    return report


MATRIX = [(kind, username) for kind in KINDS for username in ROLE_OF]


@pytest.mark.parametrize(("kind", "username"), MATRIX)
def test_screens_respect_scope(db, login, kind, username):
    spec = KINDS[kind]
    mine, theirs = make(kind, username)
    allowed = grants(username, spec.resource)
    browser = login(username)
    listing = browser.get(f"{spec.web}/list/")
    if "read" not in allowed:
        assert listing.status_code == 403
        for record in (mine, theirs):
            if record is not None:
                assert browser.get(f"{spec.web}/show/{record.id}").status_code == 403
        return
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    if mine is not None:
        assert f'{spec.web}/show/{mine.id}"' in page
        assert browser.get(f"{spec.web}/show/{mine.id}").status_code == 200
        expected_edit = 200 if "edit" in allowed else 403
        assert browser.get(f"{spec.web}/edit/{mine.id}").status_code == expected_edit
    if theirs is not None:
        key = getattr(theirs, spec.key)
        link = f'{spec.web}/show/{theirs.id}"'
        assert link not in page
        assert browser.get(f"{spec.web}/show/{theirs.id}").status_code == 404
        searched = browser.get(f"{spec.web}/list/?_flt_0_{spec.key}={key}")
        assert searched.status_code == 200
        assert link not in searched.get_data(as_text=True)
        if "edit" in allowed:
            assert browser.get(f"{spec.web}/edit/{theirs.id}").status_code == 404
            before = db.session.get(spec.model, theirs.id)
            snapshot = {
                c.key: getattr(before, c.key) for c in spec.model.__table__.columns
            }
            posted = browser.post(f"{spec.web}/edit/{theirs.id}", data={})
            assert posted.status_code == 404
            db.session.expire_all()
            after = db.session.get(spec.model, theirs.id)
            assert {
                c.key: getattr(after, c.key) for c in spec.model.__table__.columns
            } == snapshot
        deleted = browser.post(f"{spec.web}/delete/{theirs.id}")
        assert deleted.status_code == (404 if "delete" in allowed else 403)
        db.session.expire_all()
        assert db.session.get(spec.model, theirs.id) is not None


@pytest.mark.parametrize(("kind", "username"), MATRIX)
def test_api_respects_scope(db, api, kind, username):
    spec = KINDS[kind]
    mine, theirs = make(kind, username)
    allowed = grants(username, spec.resource)
    client = api(username)
    base = f"/api/v1/{spec.api}"
    listing = client.get(f"{base}/?q=(page_size:100)")
    if "read" not in allowed:
        assert listing.status_code in (401, 403)
        return
    assert listing.status_code == 200, listing.get_json()
    ids = {row["id"] for row in listing.get_json()["result"]}
    if mine is not None:
        assert mine.id in ids
        assert client.get(f"{base}/{mine.id}").status_code == 200
        put = client.put(f"{base}/{mine.id}", json=spec.change)
        assert put.status_code == (200 if "edit" in allowed else 403), put.get_json()
    if theirs is not None:
        assert theirs.id not in ids
        assert client.get(f"{base}/{theirs.id}").status_code == 404
        put = client.put(f"{base}/{theirs.id}", json=spec.change)
        assert put.status_code == (404 if "edit" in allowed else 403)
        deleted = client.delete(f"{base}/{theirs.id}")
        assert deleted.status_code == (404 if "delete" in allowed else 403)
        db.session.expire_all()
        assert db.session.get(spec.model, theirs.id) is not None


PICKED = [
    (kind, username)
    for kind, username in MATRIX
    if kind not in ("followup", "complaint_report")
]


@pytest.mark.parametrize(("kind", "username"), PICKED)
def test_pickers_respect_scope(db, login, kind, username):
    """The search-as-you-type pickers (forms, list filters) offer what the
    list shows: a fragment of the record's code or number finds the record in
    scope, never the other one, by text or by id."""
    spec = KINDS[kind]
    mine, theirs = make(kind, username)
    browser = login(username)

    def found(record: Any) -> tuple[set[int], set[int]]:
        fragment = getattr(record, spec.key)[-6:]
        by_text = browser.get(f"/pick/{kind}?q={fragment}")
        by_id = browser.get(f"/pick/{kind}?id={record.id}")
        assert by_text.status_code == by_id.status_code == 200
        return (
            {row["id"] for row in by_text.get_json()["results"]},
            {row["id"] for row in by_id.get_json()["results"]},
        )

    # A fragment can also match another visible record (a phone number made
    # by an earlier test holding the same digits): what counts is that the
    # record in scope is offered and the other one never is.
    if mine is not None:
        by_text, by_id = found(mine)
        assert mine.id in by_text
        assert by_id == {mine.id}
    if theirs is not None:
        by_text, by_id = found(theirs)
        assert theirs.id not in by_text
        assert by_id == set()


def test_picker_needs_a_signed_in_user_and_a_known_kind(db, app, login):
    assert app.test_client().get("/pick/customer?q=a").status_code in (302, 401)
    assert login("cs").get("/pick/department?q=a").status_code == 404


@pytest.mark.parametrize("username", ["sales", "ops", "warehouse", "qc", "finance"])
def test_form_naming_an_out_of_scope_record_is_refused_at_the_field(
    db, login, username
):
    """A pickup id typed into the case form's picker by hand (not offered) is
    refused at the field, what was typed kept, nothing saved."""
    hidden = _pickup("requested")  # ops sees it by stage; the others do not
    customer = CustomerFactory(
        _as=username if username in ("sales", "ops") else "sales"
    )
    CaseFactory(customer=customer, category=by_code(CaseCategory, ROUTE[username]))
    browser = login(username)
    before = db.session.query(Case).count()
    response = browser.post(
        "/cases/add",
        data={
            "customer": customer.id,
            "kind": "complaint",
            "severity": "general",
            "category": by_code(CaseCategory, "delivery").id,
            "channel": 1,
            "stage": "other",
            "title": "迟到",
            "description": "司机迟到两小时",
            "pickup": hidden.id,
        },
    )
    db.session.expire_all()
    if username == "ops":
        assert response.status_code == 302
        assert db.session.query(Case).count() == before + 1
        return
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "所选记录不存在或不在您的可见范围内" in page
    assert "司机迟到两小时" in page
    assert db.session.query(Case).count() == before


def _other_department(username: str) -> Department:
    code = "finance" if DEPT[username] != "finance" else "qc"
    return by_code(Department, code)


@pytest.mark.parametrize("username", list(ROLE_OF))
def test_api_cannot_create_or_move_records_into_another_department(db, api, username):
    client = api(username)
    target = _other_department(username)
    customer = CustomerFactory(_as="sales")
    category = by_code(CaseCategory, "attitude")
    channel_id = 1
    before = db.session.query(Case).count()
    created = client.post(
        "/api/v1/case/",
        json={
            "customer": customer.id,
            "kind": "complaint",
            "severity": "general",
            "category": category.id,
            "channel": channel_id,
            "title": "越权",
            "description": "x",
            "department": target.id,
        },
    )
    # Refused: unknown field for those who may add cases, no right for the others.
    assert created.status_code in (400, 403, 422), created.get_json()
    assert db.session.query(Case).count() == before
    # A case the user may edit cannot be moved either.
    case = CaseFactory(category=by_code(CaseCategory, ROUTE.get(username, "other")))
    if "edit" in grants(username, "Case"):
        moved = client.put(f"/api/v1/case/{case.id}", json={"department": target.id})
        assert moved.status_code in (400, 422)
        moved = client.put(f"/api/v1/case/{case.id}", json={"department_id": target.id})
        assert moved.status_code in (400, 422)
        db.session.expire_all()
        assert db.session.get(Case, case.id).department_id == case.department_id


@pytest.mark.parametrize("username", ["sales", "ops", "warehouse", "qc", "finance"])
def test_new_case_department_is_decided_by_routing(db, api, username):
    """Whatever the clerk's department, a new case goes where its category routes."""
    client = api(username)
    customer = CustomerFactory(_as="sales")
    category = by_code(CaseCategory, "quality")  # routes to QC
    response = client.post(
        "/api/v1/case/",
        json={
            "customer": customer.id,
            "kind": "complaint",
            "severity": "general",
            "category": category.id,
            "channel": 1,
            "title": "纸浆杂质",
            "description": "杂质偏高",
        },
    )
    assert response.status_code == 201, response.get_json()
    case = db.session.get(Case, response.get_json()["id"])
    assert case.department.code == "qc"
    assert case.first_ask_owner_id == user(username).id
    # The clerk still sees the case they recorded (first-ask owner).
    assert client.get(f"/api/v1/case/{case.id}").status_code == 200


@pytest.mark.parametrize("username", ["sales", "ops", "warehouse", "qc", "finance"])
def test_references_to_out_of_scope_records_are_refused(db, api, username):
    """Naming another department's pickup in a new case is refused, nothing saved."""
    client = api(username)
    hidden = _pickup("requested")  # stage: no department but ops sees it
    customer = CustomerFactory(_as="sales")
    before = db.session.query(Case).count()
    response = client.post(
        "/api/v1/case/",
        json={
            "customer": customer.id,
            "kind": "complaint",
            "severity": "general",
            "category": by_code(CaseCategory, "delivery").id,
            "channel": 1,
            "title": "迟到",
            "description": "x",
            "pickup": hidden.id,
        },
    )
    if username == "ops":
        assert response.status_code == 201
    else:
        assert response.status_code in (404, 422), response.get_json()
        assert db.session.query(Case).count() == before


@pytest.mark.parametrize("username", ["sales", "ops", "warehouse", "qc", "finance"])
def test_step_pages_respect_scope(db, login, username):
    other = "attitude" if username != "cs" else "delivery"
    theirs = CaseFactory(category=by_code(CaseCategory, other))
    browser = login(username)
    for step in ("acknowledge", "start", "cancel"):
        assert browser.get(f"/cases/step/{step}/{theirs.id}").status_code == 404
        posted = browser.post(
            f"/cases/step/{step}/{theirs.id}", data={"content": "x", "reason": "x"}
        )
        assert posted.status_code == 404
    db.session.expire_all()
    assert db.session.get(Case, theirs.id).status == "new"


def test_step_page_refuses_a_step_the_role_does_not_own(db, login):
    mine = CaseFactory(category=by_code(CaseCategory, "weighing"))  # warehouse
    browser = login("warehouse")
    assert browser.get(f"/cases/show/{mine.id}").status_code == 200
    assert browser.get(f"/cases/step/cancel/{mine.id}").status_code == 403
    posted = browser.post(f"/cases/step/cancel/{mine.id}", data={"reason": "x"})
    assert posted.status_code == 403
    db.session.expire_all()
    assert db.session.get(Case, mine.id).status == "new"


def test_step_through_the_screen_and_the_api(db, login, api):
    case = CaseFactory()
    browser = login("cs")
    page = browser.get(f"/cases/show/{case.id}").get_data(as_text=True)
    assert f"/cases/step/acknowledge/{case.id}" in page
    response = browser.post(
        f"/cases/step/acknowledge/{case.id}", data={"content": "已电话回复客户"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "acknowledged"
    client = api("cs")
    ops = by_code(Department, "ops")
    answer = client.post(
        f"/api/v1/case/{case.id}/step/assign", json={"department": ops.id}
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "assigned"
    refused = api("qc").post(f"/api/v1/case/{case.id}/step/start", json={})
    assert refused.status_code == 404  # routed to ops: not in QC's scope
    wrong = api("ops").post(
        f"/api/v1/case/{case.id}/step/close", json={"satisfaction": 5, "content": "x"}
    )
    assert wrong.status_code == 403
    bad = client.post(
        f"/api/v1/case/{case.id}/step/assign",
        json={"department": ops.id, "colour": "red"},
    )
    assert bad.status_code == 400


def test_related_lists_on_a_customer_respect_scope(db, login):
    customer = CustomerFactory(_as="sales")
    mine = CaseFactory(customer=customer, category=by_code(CaseCategory, "delivery"))
    theirs = CaseFactory(
        customer=customer, category=by_code(CaseCategory, "settlement")
    )
    browser = login("ops")
    page = browser.get(f"/customers/show/{customer.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert mine.number in text
    assert theirs.number not in text


def test_masked_contact_data_for_roles_without_the_right(db, login, api):
    customer = CustomerFactory(_as="sales", phone="13812345678")
    CaseFactory(customer=customer, category=by_code(CaseCategory, "quality"))
    qc = login("qc")
    page = qc.get(f"/customers/show/{customer.id}").get_data(as_text=True)
    assert "13812345678" not in page
    assert "138****5678" in page
    searched = qc.get("/customers/list/?_flt_2_phone=1381234").get_data(as_text=True)
    assert customer.code in searched  # the phone filter is ignored, not applied
    data = api("qc").get(f"/api/v1/customer/{customer.id}").get_json()["result"]
    assert data["phone"] == "138****5678"
    assert "浙江省杭州" in data["address"] and "****" in data["address"]
    sales = api("sales").get(f"/api/v1/customer/{customer.id}").get_json()["result"]
    assert sales["phone"] == "13812345678"


@pytest.mark.parametrize(
    "username", ["cs", "sales", "ops", "warehouse", "qc", "finance", "manager"]
)
def test_clerks_cannot_edit_reference_data(db, login, api, username):
    browser = login(username)
    assert browser.get("/slapolicyview/list/").status_code == 200
    assert browser.get("/slapolicyview/edit/1").status_code == 403
    posted = browser.post("/slapolicyview/edit/1", data={"name": "x"})
    assert posted.status_code == 403
    assert browser.post("/departmentview/delete/1").status_code == 403
    assert browser.get("/pricelistview/add").status_code == 403


def test_admin_manages_reference_data(db, login):
    from app.models import CaseCategory, SlaPolicy

    browser = login("admin")
    category = db.session.query(CaseCategory).filter_by(code="other").one()
    page = browser.get(f"/casecategoryview/edit/{category.id}")
    assert page.status_code == 200
    response = browser.post(
        f"/casecategoryview/edit/{category.id}",
        data={
            "code": "other",
            "name": "其他事项",
            "default_department": str(category.default_department_id),
            "default_stage": category.default_stage,
            "active": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(CaseCategory, category.id)
    assert changed.name == "其他事项"
    # An SLA policy is a service standard: the admin's edit does not put
    # anything in force (seed 000 §2(六)1, approved by Management).
    policy = (
        db.session.query(SlaPolicy)
        .filter_by(kind="complaint", severity="general")
        .one()
    )
    browser.post(
        f"/slapolicyview/edit/{policy.id}",
        data={
            "name": "一般投诉（新标准）",
            "kind": "complaint",
            "severity": "general",
            "response_amount": "12",
            "response_unit": "calendar_hours",
            "resolution_amount": "5",
            "resolution_unit": "working_days",
            "active": "y",
        },
    )
    db.session.expire_all()
    kept = db.session.query(SlaPolicy).filter_by(kind="complaint", severity="general")
    assert [(p.response_amount, p.resolution_amount) for p in kept] == [(24, 7)]


def test_delete_in_scope_works_where_permitted(db, login, api):
    pickup_id = _pickup("requested").id
    assert login("ops").post(f"/pickups/delete/{pickup_id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(Pickup, pickup_id) is None
    # Settlements are never deleted (their numbers stay gap-free): voided instead.
    draft = SettlementFactory(_as="finance")
    assert api("finance").delete(f"/api/v1/settlement/{draft.id}").status_code == 403
    planned = FollowUpFactory(_as="cs", due_at=now() + dt.timedelta(days=2))
    assert api("cs").delete(f"/api/v1/followup/{planned.id}").status_code == 200


# ----------------------------------------------------------------- training
def _training_records() -> dict[str, Any]:
    """Assessments of two CS clerks and an ops clerk; sessions of CS and ops,
    the ops one attended by a CS clerk (cs2)."""
    from decimal import Decimal

    from app.extensions import db
    from app.models import TrainingAssessment, TrainingAttendance, TrainingSession
    from app.security.access import acting_as
    from app.services.core import records

    def save(item: Any, by: str) -> Any:
        with acting_as(user(by)):
            records.before_create(item)
            db.session.add(item)
            db.session.commit()
        return item

    made = {}
    for key, person, head in (("cs", "cs2", "cs"), ("ops", "ops2", "ops")):
        made[f"assess_{person}"] = save(
            TrainingAssessment(person=user(person), score=Decimal(88)), head
        )
        made[f"session_{key}"] = save(
            TrainingSession(
                kind="case_study",
                held_on=now().date(),
                trainer="外聘讲师",
                topic=f"{key} 案例研讨",
                department=by_code(Department, key),
            ),
            head,
        )
    made["assess_cs"] = save(
        TrainingAssessment(person=user("cs"), score=Decimal(95)), "manager"
    )
    made["attend_cs2_ops"] = save(
        TrainingAttendance(training_session=made["session_ops"], person=user("cs2")),
        "manager",
    )
    made["attend_ops2"] = save(
        TrainingAttendance(training_session=made["session_ops"], person=user("ops2")),
        "ops",
    )
    return made


# Who sees which training record: a clerk their own, a head their
# department's, Management all; sessions their department's or attended.
TRAINING_SEES = {
    "cs2": {"assess_cs2", "session_cs", "session_ops", "attend_cs2_ops"},
    "cs": {"assess_cs2", "assess_cs", "session_cs", "attend_cs2_ops"},
    "ops2": {"assess_ops2", "session_ops", "attend_ops2"},
    "ops": {"assess_ops2", "session_ops", "attend_ops2"},
    "sales": set(),
    "manager": {
        "assess_cs2",
        "assess_ops2",
        "assess_cs",
        "session_cs",
        "session_ops",
        "attend_cs2_ops",
        "attend_ops2",
    },
}
TRAINING_WEB = {
    "assess": "/trainingassessments",
    "session": "/trainingsessions",
    "attend": "/trainingattendance",
}


@pytest.mark.parametrize("username", list(TRAINING_SEES))
def test_training_records_respect_scope(db, login, username):
    made = _training_records()
    browser = login(username)
    for prefix, web in TRAINING_WEB.items():
        page = browser.get(f"{web}/list/").get_data(as_text=True)
        for key, record in made.items():
            if not key.startswith(prefix):
                continue
            shown = browser.get(f"{web}/show/{record.id}").status_code
            if key in TRAINING_SEES[username]:
                assert f'{web}/show/{record.id}"' in page, key
                assert shown == 200, key
            else:
                assert f'{web}/show/{record.id}"' not in page, key
                assert shown == 404, key


def _supervision_records() -> dict[str, Any]:
    """A spot check of an Operations case and of a Finance case, and a
    patrol of an Operations crew leader."""
    from app.extensions import db
    from app.models import SitePatrol, SpotCheck
    from app.security.access import acting_as
    from app.services.core import records

    made: dict[str, Any] = {}
    for key, owner, category in (
        ("ops_check", "ops2", "delivery"),
        ("finance_check", "finance", "settlement"),
    ):
        case = CaseFactory(category=by_code(CaseCategory, category))
        case.owner_id, case.status = user(owner).id, "closed"
        db.session.commit()
        made[key] = SpotCheck(
            case=case,
            timeliness_score=10,
            process_score=10,
            solution_score=10,
            satisfaction_score=10,
            records_score=10,
            findings="抽查",
        )
    made["patrol"] = SitePatrol(leader=user("ops2"), score=90, findings="巡查")
    for item in made.values():
        with acting_as(user("manager")):
            records.before_create(item)
            db.session.add(item)
            db.session.commit()
    return made


# Who sees which supervision record (seed 001 §8(一)): CustomerService and
# Management every spot check, a department its people's; patrols are
# Operations' and Management's only.
SUPERVISION_SEEN = {
    "cs": {"ops_check", "finance_check"},
    "manager": {"ops_check", "finance_check", "patrol"},
    "ops": {"ops_check", "patrol"},
    "finance": {"finance_check"},
    "sales": set(),
    "warehouse": set(),
    "qc": set(),
}


@pytest.mark.parametrize("username", list(ROLE_OF))
def test_spot_checks_and_patrols_respect_scope(db, login, api, username):
    made = _supervision_records()
    browser, client = login(username), api(username)
    for key, item in made.items():
        web, resource = (
            ("/sitepatrols", "sitepatrol")
            if key == "patrol"
            else ("/spotchecks", "spotcheck")
        )
        seen = key in SUPERVISION_SEEN[username]
        readable = "read" in grants(
            username, "SitePatrol" if key == "patrol" else "SpotCheck"
        )
        page = browser.get(f"{web}/show/{item.id}")
        answer = client.get(f"/api/v1/{resource}/{item.id}")
        if not readable:
            assert page.status_code == 403 and answer.status_code in (401, 403)
            continue
        assert page.status_code == (200 if seen else 404), (username, key)
        assert answer.status_code == (200 if seen else 404), (username, key)
        listing = browser.get(f"{web}/list/").get_data(as_text=True)
        assert (f'{web}/show/{item.id}"' in listing) is seen, (username, key)


# Appraisal sheets (seed 002 §4(四)): a staff member sees their own sheet, a
# department head the department's, Management all; customer service's
# see-all right does not reach them.
APPRAISAL_SEEN = {
    "cs2": {"cs2"},
    "ops2": {"ops2"},
    "cs": {"cs", "cs2"},
    "ops": {"ops", "ops2"},
    "sales": {"sales"},
    "finance": {"finance"},
    "manager": {"cs", "cs2", "ops", "ops2", "sales", "finance", "manager"},
}


@pytest.mark.parametrize("username", list(APPRAISAL_SEEN))
def test_appraisal_sheets_respect_scope(db, login, api, username):
    from sqlalchemy import select

    from app.models import Appraisal, AppUser
    from app.services.supervision import appraisal

    appraisal.generate(dt.date(2026, 10, 1))
    sheets = {
        name: sheet_id
        for name, sheet_id in db.session.execute(
            select(AppUser.username, Appraisal.id).join(
                AppUser, AppUser.id == Appraisal.user_id
            )
        )
    }
    browser, client = login(username), api(username)
    listing = browser.get("/appraisals/list/").get_data(as_text=True)
    listed = client.get("/api/v1/appraisal/?q=(page_size:100)").get_json()["result"]
    seen_by_api = {row["user"]["username"] for row in listed}
    for name in APPRAISAL_SEEN["manager"]:
        seen = name in APPRAISAL_SEEN[username]
        sheet_id = sheets[name]
        assert (f'/appraisals/show/{sheet_id}"' in listing) is seen, (username, name)
        assert (name in seen_by_api) is seen, (username, name)
        show = browser.get(f"/appraisals/show/{sheet_id}")
        assert show.status_code == (200 if seen else 404), (username, name)
        answer = client.get(f"/api/v1/appraisal/{sheet_id}")
        assert answer.status_code == (200 if seen else 404), (username, name)
        if not seen:
            put = client.put(f"/api/v1/appraisal/{sheet_id}", json={"remarks": "x"})
            assert put.status_code == 404
            step = client.post(f"/api/v1/appraisal/{sheet_id}/step/review", json={})
            assert step.status_code in (403, 404)
    # Nobody creates or deletes a sheet by hand.
    assert client.post("/api/v1/appraisal/", json={"remarks": "x"}).status_code in (
        403,
        405,
    )
    assert client.delete(f"/api/v1/appraisal/{sheets[username]}").status_code in (
        403,
        405,
    )


# ------------------------------------------------------------ shift handover
def _handover_notes() -> dict[str, Any]:
    """A handover note of CustomerService and one of Operations."""
    from app.extensions import db
    from app.models import HandoverNote
    from app.security.access import acting_as
    from app.services.core import records

    made = {}
    for key, author in (("cs", "cs"), ("ops", "ops2")):
        note = HandoverNote(shift="day", notes=f"{key} 交班")
        with acting_as(user(author)):
            records.before_create(note)
            db.session.add(note)
            db.session.commit()
        made[key] = note
    return made


# A clerk sees their department's handover notes, Management all.
HANDOVER_SEES = {
    "cs": {"cs"},
    "cs2": {"cs"},
    "ops": {"ops"},
    "sales": set(),
    "manager": {"cs", "ops"},
}


@pytest.mark.parametrize("username", list(HANDOVER_SEES))
def test_handover_notes_respect_scope(db, login, api, username):
    made = _handover_notes()
    browser = login(username)
    page = browser.get("/handovers/list/").get_data(as_text=True)
    client = api(username)
    for key, note in made.items():
        shown = browser.get(f"/handovers/show/{note.id}").status_code
        answer = client.get(f"/api/v1/handover_note/{note.id}").status_code
        if key in HANDOVER_SEES[username]:
            assert f'/handovers/show/{note.id}"' in page, key
            assert (shown, answer) == (200, 200), key
        else:
            assert f'/handovers/show/{note.id}"' not in page, key
            assert (shown, answer) == (404, 404), key
    # The items follow their note.
    for key, note in made.items():
        for item in note.items:
            status = browser.get(f"/handoveritems/show/{item.id}").status_code
            assert status == (200 if key in HANDOVER_SEES[username] else 404)


def _emergency_records() -> dict[str, Any]:
    """Plan versions of safety accidents (v1 superseded, v2 in force, v3 a
    draft), a closed incident routed to Operations that followed v1 and one
    routed to customer service that followed v2, each with its review."""
    from app.extensions import db
    from app.models import EmergencyPlan, IncidentReview, IncidentType, PlanResponsible
    from app.security.access import acting_as
    from app.services.core import records
    from app.services.emergencies.plans import PLAN_FLOW

    accident = by_code(IncidentType, "safety_accident")
    made: dict[str, Any] = {}

    def plan(key: str, go: bool) -> None:
        item = EmergencyPlan(incident_type=accident, title=key, procedure="报告")
        with acting_as(user("manager")):
            records.before_create(item)
            item.responsibles = [PlanResponsible(person_id=user("ops").id)]
            db.session.add(item)
            db.session.commit()
            if go:
                PLAN_FLOW.run(item, "put_in_force", {}, user("manager"))
        made[key] = item

    def incident(key: str, category: str) -> None:
        case = CaseFactory(kind="incident", severity="urgent", _as="cs")
        case.category = by_code(CaseCategory, category)
        case.department = by_code(Department, ROUTE_DEPARTMENT[category])
        case.status = "closed"
        db.session.commit()
        review = IncidentReview(case=case, causes="原因", lessons="教训")
        with acting_as(user("cs")):
            records.before_create(review)
            db.session.add(review)
            db.session.commit()
        made[key] = review

    plan("v1", go=True)
    incident("ops_review", "delivery")
    plan("v2", go=True)
    incident("cs_review", "other")
    plan("v3", go=False)
    return made


ROUTE_DEPARTMENT = {"delivery": "ops", "other": "cs"}

# Who reads which emergency record (seed 002 §6): Management every plan
# version; everyone else the version in force and the version a case they see
# followed; a review is seen with its case.
EMERGENCY_SEEN = {
    "cs": {"v1", "v2", "ops_review", "cs_review"},
    "manager": {"v1", "v2", "v3", "ops_review", "cs_review"},
    "ops": {"v1", "v2", "ops_review"},
    "sales": {"v2"},
    "warehouse": {"v2"},
    "qc": {"v2"},
    "finance": {"v2"},
}


@pytest.mark.parametrize("username", list(ROLE_OF))
def test_emergency_plans_and_reviews_respect_scope(db, login, api, username):
    made = _emergency_records()
    assert made["ops_review"].plan_id == made["v1"].id
    assert made["cs_review"].plan_id == made["v2"].id
    browser, client = login(username), api(username)
    for key, item in made.items():
        web, resource = (
            ("/incidentreviews", "incident_review")
            if key.endswith("review")
            else ("/emergencyplans", "emergency_plan")
        )
        seen = key in EMERGENCY_SEEN[username]
        page = browser.get(f"{web}/show/{item.id}")
        answer = client.get(f"/api/v1/{resource}/{item.id}")
        assert page.status_code == (200 if seen else 404), (username, key)
        assert answer.status_code == (200 if seen else 404), (username, key)
        listing = browser.get(f"{web}/list/").get_data(as_text=True)
        assert (f'{web}/show/{item.id}"' in listing) is seen, (username, key)
    # Reviews are written by customer service and Management only.
    writes = "add" in grants(username, "IncidentReview")
    assert writes is (username in ("cs", "manager"))
    assert browser.get("/incidentreviews/add").status_code == (200 if writes else 403)
