"""A customer's grade and sales rep change only as seed 003 第四条 allows, on
every path: the grade by an accepted regrading proposal, the rep by the head of
Sales (never by a clerk making themselves the rep), and never to the designated
visitor of a running visit plan (第四条(2)) - the edit form and the API alike."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import BUSINESS_TZ, Customer, CustomerGrade, GradeProposal, now
from app.security.access import acting_as
from app.services.core import records
from app.services.core.errors import InvalidInput
from app.services.customers.grading import GRADE_FLOW
from tests.factories import CustomerFactory, user
from tests.finance.money import add_sales_rep
from tests.visits.test_key_account_visits import make_plan


def grade(code: str) -> CustomerGrade:
    return db.session.scalars(select(CustomerGrade).filter_by(code=code)).one()


def fresh(customer: Customer) -> Customer:
    db.session.expire_all()
    return db.session.get(Customer, customer.id)


def edit_form(customer: Customer, **values) -> dict:
    """The customer's edit form as shown, with `values` typed over it."""
    form = {
        "name": customer.name,
        "customer_type": str(customer.customer_type_id),
        "contact_person": customer.contact_person or "",
        "region": customer.region or "",
        "sales_rep": str(customer.sales_rep_id or ""),
        "status": customer.status,
        "notes": customer.notes or "",
        "version": str(customer.version),
    }
    form.update(values)
    return form


@pytest.fixture
def graded(db):
    customer = CustomerFactory(
        _as="sales", name="杭州恒达纸品回收有限公司", sales_rep=user("sales")
    )
    customer.grade_id = grade("C").id
    db.session.commit()
    return customer


# ------------------------------------------------------------------ grade
def test_the_api_does_not_set_the_grade(graded, api):
    for who in ("cs", "sales"):
        put = api(who).put(
            f"/api/v1/customer/{graded.id}", json={"grade": grade("A").id}
        )
        assert put.status_code == 422, put.get_json()
        assert "grade" in put.get_json()["message"]
        assert fresh(graded).grade_id == grade("C").id
    posted = api("sales").post(
        "/api/v1/customer/",
        json={
            "name": "新客户直接定为A级",
            "customer_type": graded.customer_type_id,
            "grade": grade("A").id,
        },
    )
    assert posted.status_code == 422
    assert (
        db.session.scalars(select(Customer).filter_by(name="新客户直接定为A级")).all()
        == []
    )


def test_the_edit_form_does_not_set_the_grade(graded, login):
    cs = login("cs")
    page = cs.get(f"/customers/edit/{graded.id}").get_data(as_text=True)
    assert 'name="grade"' not in page
    saved = cs.post(
        f"/customers/edit/{graded.id}",
        data=edit_form(graded, grade=str(grade("A").id), notes="客服改了备注"),
    )
    assert saved.status_code == 302
    customer = fresh(graded)
    assert customer.notes == "客服改了备注"
    assert customer.grade_id == grade("C").id


def test_the_rule_refuses_a_grade_written_on_any_path(graded):
    customer, rep, better = fresh(graded), user("sales"), grade("A")
    customer.grade = better
    with acting_as(rep), pytest.raises(InvalidInput) as refused:
        records.before_update(customer)
    assert refused.value.field == "grade"
    assert "分级调整建议" in str(refused.value)
    db.session.rollback()
    new = Customer(
        name="新建即定级", customer_type_id=graded.customer_type_id, grade=grade("A")
    )
    with pytest.raises(InvalidInput) as refused:
        records.add(new, user("cs"))
    assert refused.value.field == "grade"
    db.session.rollback()


def test_accepting_the_proposal_still_grades(graded):
    proposal = GradeProposal(
        customer_id=graded.id,
        period=dt.date(2026, 11, 1),
        current_grade_id=grade("C").id,
        proposed_grade_id=grade("B").id,
        volume_kg=1,
        recent_volume_kg=1,
        complaints=0,
        status="proposed",
    )
    db.session.add(proposal)
    db.session.commit()
    with acting_as(user("sales")):
        GRADE_FLOW.run(proposal, "accept", {"note": ""}, user("sales"))
    assert fresh(graded).grade_id == grade("B").id


# ------------------------------------------------------------------ sales rep
def test_a_clerk_cannot_make_themselves_the_rep_and_decide_the_grade(db, api):
    clerk = add_sales_rep()
    customer = CustomerFactory(_as="sales", name="宏达金属回收有限公司")
    db.session.add(
        GradeProposal(
            customer_id=customer.id,
            period=dt.date(2026, 11, 1),
            proposed_grade_id=grade("A").id,
            volume_kg=1,
            recent_volume_kg=1,
            complaints=0,
            status="proposed",
        )
    )
    db.session.commit()
    client = api("sales2")
    put = client.put(f"/api/v1/customer/{customer.id}", json={"sales_rep": clerk.id})
    assert put.status_code == 403, put.get_json()
    assert put.get_json()["field"] == "sales_rep"
    assert "销售部负责人" in put.get_json()["message"]
    assert fresh(customer).sales_rep_id is None
    # Customer service files customers but does not assign reps either.
    put = api("cs").put(f"/api/v1/customer/{customer.id}", json={"sales_rep": clerk.id})
    assert put.status_code == 403
    # Nor does the head make themselves the rep of a customer on file.
    put = api("sales").put(
        f"/api/v1/customer/{customer.id}", json={"sales_rep": user("sales").id}
    )
    assert put.status_code == 403
    assert fresh(customer).sales_rep_id is None
    # The head of Sales assigns the clerk.
    put = api("sales").put(
        f"/api/v1/customer/{customer.id}", json={"sales_rep": clerk.id}
    )
    assert put.status_code == 200, put.get_json()
    assert fresh(customer).sales_rep_id == clerk.id


def test_the_edit_form_refuses_a_rep_change_at_the_field_and_keeps_the_form(db, login):
    add_sales_rep()
    customer = CustomerFactory(_as="sales", name="临平纸品回收站")
    clerk = login("sales2")
    refused = clerk.post(
        f"/customers/edit/{customer.id}",
        data=edit_form(
            customer, sales_rep=str(user("sales2").id), notes="我来负责这个客户"
        ),
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "销售部负责人" in page
    assert "我来负责这个客户" in page
    assert fresh(customer).sales_rep_id is None
    assert fresh(customer).notes is None


def test_a_new_customer_is_filed_with_its_rep(db, api):
    """Onboarding: whoever files a new customer names its rep (SPEC §1)."""
    add_sales_rep()
    posted = api("sales2").post(
        "/api/v1/customer/",
        json={
            "name": "新开发客户",
            "customer_type": CustomerFactory().customer_type_id,
            "sales_rep": user("sales2").id,
        },
    )
    assert posted.status_code == 201, posted.get_json()


# ------------------------------------------- the rep and the plan's visitor
@pytest.fixture
def planned(db):
    visitor = add_sales_rep()
    account = CustomerFactory(
        name="华新再生资源有限公司", sales_rep=user("sales"), key_account=True
    )
    today = now().astimezone(BUSINESS_TZ).date()
    plan = make_plan(customer=account, period="year", starts_on=today, visitor=visitor)
    return account, plan, visitor


def test_the_rep_does_not_become_the_plans_visitor_by_the_api(planned, api):
    account, plan, visitor = planned
    put = api("sales").put(
        f"/api/v1/customer/{account.id}", json={"sales_rep": visitor.id}
    )
    assert put.status_code == 400, put.get_json()
    body = put.get_json()
    assert body["field"] == "sales_rep"
    assert plan.number in body["message"] and "先" in body["message"]
    assert fresh(account).sales_rep_id == user("sales").id
    # The plan gets another visitor first; then the rep changes.
    plan.visitor = user("cs2")
    with acting_as(user("cs")):
        records.before_update(plan)
    db.session.commit()
    put = api("sales").put(
        f"/api/v1/customer/{account.id}", json={"sales_rep": visitor.id}
    )
    assert put.status_code == 200, put.get_json()
    assert fresh(account).sales_rep_id == visitor.id


def test_the_rep_does_not_become_the_plans_visitor_on_the_edit_form(planned, login):
    account, plan, visitor = planned
    refused = login("sales").post(
        f"/customers/edit/{account.id}",
        data=edit_form(account, sales_rep=str(visitor.id), notes="换业务员"),
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert plan.number in page
    assert "换业务员" in page
    assert fresh(account).sales_rep_id == user("sales").id


def test_a_plan_whose_reason_lets_the_rep_visit_allows_the_change(planned, api):
    account, plan, visitor = planned
    plan.exception_reason = "客户只接待这位业务员"
    db.session.commit()
    put = api("sales").put(
        f"/api/v1/customer/{account.id}", json={"sales_rep": visitor.id}
    )
    assert put.status_code == 200, put.get_json()


def test_an_ended_plan_does_not_hold_the_rep(db, api):
    visitor = add_sales_rep()
    account = CustomerFactory(
        name="华新再生资源有限公司", sales_rep=user("sales"), key_account=True
    )
    make_plan(customer=account, visitor=visitor)  # 2026 Q1: over
    put = api("sales").put(
        f"/api/v1/customer/{account.id}", json={"sales_rep": visitor.id}
    )
    assert put.status_code == 200, put.get_json()


def test_the_rep_does_not_become_the_visitor_of_a_visit_still_to_make(api):
    """A stand-in named for one planned visit is that visit's visitor: making
    them the account's rep is refused as for the plan's visitor, until another
    visitor is named for the visit."""
    from app.models import Visit
    from tests.visits.test_key_account_visits import make_visit

    account = CustomerFactory(
        name="华新再生资源有限公司", sales_rep=user("sales"), key_account=True
    )
    today = now().astimezone(BUSINESS_TZ).date()
    plan = make_plan(
        customer=account, period="year", starts_on=today, visitor=add_sales_rep()
    )
    stand_in = make_visit(plan, today, visitor=user("cs"))

    answer = api("sales").put(
        f"/api/v1/customer/{account.id}", json={"sales_rep": user("cs").id}
    )
    assert answer.status_code == 400, answer.get_json()
    assert stand_in.number in str(answer.get_json())
    assert fresh(account).sales_rep_id == user("sales").id

    db.session.get(Visit, stand_in.id).visitor_id = user("cs2").id
    db.session.commit()
    answer = api("sales").put(
        f"/api/v1/customer/{account.id}", json={"sales_rep": user("cs").id}
    )
    assert answer.status_code == 200, answer.get_json()
    assert fresh(account).sales_rep_id == user("cs").id


def test_a_proposal_made_from_a_grade_the_customer_no_longer_has_is_not_adopted(
    login,
):
    """Two undecided proposals from grade C (November's C→B, October's C→A):
    once November's is adopted the customer is B, and October's, which speaks
    of C, is refused; the grade stays B and the proposal stays undecided."""
    customer = CustomerFactory(
        _as="sales", name="杭州恒达纸品回收有限公司", sales_rep=user("sales")
    )
    customer.grade_id = grade("C").id
    db.session.commit()
    ids = []
    for period, to in ((dt.date(2026, 11, 1), "B"), (dt.date(2026, 10, 1), "A")):
        proposal = GradeProposal(
            customer_id=customer.id,
            period=period,
            current_grade_id=grade("C").id,
            proposed_grade_id=grade(to).id,
            volume_kg=1,
            recent_volume_kg=1,
            complaints=0,
            status="proposed",
        )
        db.session.add(proposal)
        db.session.commit()
        ids.append(proposal.id)
    sales = login("sales")
    sales.post(f"/gradeproposals/step/accept/{ids[0]}", data={"note": ""})
    assert fresh(customer).grade.code == "B"
    page = sales.post(
        f"/gradeproposals/step/accept/{ids[1]}",
        data={"note": ""},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "客户当前等级已是 B" in page, page[:2000]
    assert fresh(customer).grade.code == "B"
    assert db.session.get(GradeProposal, ids[1]).status == "proposed"
