"""Service by grade (seed 003 第四条, 供电 第五条): an A customer's complaint gets
the A policy's shorter targets on every path that grades the customer, and
A customers' closed complaints get the A follow-up rule instead of the
general one."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from app.models import (
    BUSINESS_TZ,
    Case,
    Customer,
    CustomerGrade,
    Department,
    FollowUp,
    FollowUpRule,
    GradeProposal,
    SlaPolicy,
)
from app.security.access import acting_as
from app.services.core import records
from app.services.core.errors import InvalidInput
from app.services.customers import grading
from app.services.visits import generation
from tests.factories import CaseFactory, CustomerFactory, by_code, user


def grade(db, code: str) -> CustomerGrade:
    return db.session.scalars(select(CustomerGrade).filter_by(code=code)).one()


@pytest.fixture
def a_policy(db):
    policy = SlaPolicy(
        kind="complaint",
        severity="general",
        customer_grade_id=grade(db, "A").id,
        name="A类客户一般投诉",
        response_amount=4,
        response_unit="calendar_hours",
        resolution_amount=3,
        resolution_unit="working_days",
    )
    with acting_as(user("admin")):
        db.session.add(policy)
        db.session.commit()
    return policy


def graded(db, code: str | None, **values) -> Customer:
    customer = CustomerFactory(_as="sales", **values)
    customer.grade_id = grade(db, code).id if code else None
    db.session.commit()
    return customer


def test_an_a_customers_complaint_gets_the_a_targets(db, a_policy):
    received = dt.datetime(2026, 3, 2, 9, 0, tzinfo=BUSINESS_TZ)  # Monday
    a_case = CaseFactory(customer=graded(db, "A"), received_at=received)
    b_case = CaseFactory(customer=graded(db, "B"), received_at=received)
    assert a_case.sla_policy_id == a_policy.id
    assert b_case.sla_policy.customer_grade_id is None
    assert a_case.response_due_at == received + dt.timedelta(hours=4)
    # 3 working days after Monday: Thursday's close; the general 7: Wed 11th.
    assert a_case.resolution_due_at == dt.datetime(
        2026, 3, 5, 17, 30, tzinfo=BUSINESS_TZ
    )
    assert b_case.resolution_due_at == dt.datetime(
        2026, 3, 11, 17, 30, tzinfo=BUSINESS_TZ
    )


def test_flask_sla_due_tells_the_grade_targets(db, a_policy, runner):
    args = ["sla", "due", "complaint", "general", "2026-03-02T09:00:00+08:00"]
    graded_run = runner.invoke(args=[*args, "--grade", "A"])
    general_run = runner.invoke(args=args)
    assert graded_run.exit_code == 0, graded_run.output
    assert "2026-03-05T17:30:00+08:00" in graded_run.output
    assert "2026-03-11T17:30:00+08:00" in general_run.output
    unknown = runner.invoke(args=[*args, "--grade", "Z"])
    assert unknown.exit_code != 0


def test_accepting_a_proposal_moves_the_open_complaints_clocks(db, a_policy):
    customer = graded(db, "B", sales_rep=user("sales"))
    case = CaseFactory(customer=customer)
    assert case.sla_policy.customer_grade_id is None
    proposal = GradeProposal(
        customer_id=customer.id,
        period=dt.date(2026, 11, 1),
        current_grade_id=customer.grade_id,
        proposed_grade_id=grade(db, "A").id,
        volume_kg=600000,
        recent_volume_kg=300000,
        complaints=0,
    )
    db.session.add(proposal)
    db.session.commit()
    with acting_as(user("sales")):
        grading.GRADE_FLOW.run(proposal, "accept", {}, user("sales"))
    db.session.expire_all()
    assert db.session.get(Case, case.id).sla_policy_id == a_policy.id


def test_a_second_policy_for_the_same_grade_is_refused_in_words(db, a_policy):
    twin = SlaPolicy(
        kind="complaint",
        severity="general",
        customer_grade_id=a_policy.customer_grade_id,
        name="重复",
        response_amount=2,
        response_unit="calendar_hours",
        resolution_amount=2,
        resolution_unit="working_days",
    )
    with pytest.raises(InvalidInput) as refused:
        records.add(twin, user("admin"))
    db.session.rollback()
    assert "等级" in str(refused.value)


def test_a_customers_closed_complaint_follows_the_a_rule_only(db):
    rule = FollowUpRule(
        code="a-complaint",
        name="A类客户投诉办结次日回访",
        trigger="case_closed",
        case_kind="complaint",
        customer_grade_id=grade(db, "A").id,
        delay_amount=1,
        delay_unit="working_days",
        department_id=by_code(Department, "cs").id,
    )
    db.session.add(rule)
    db.session.commit()
    closed = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BUSINESS_TZ)
    cases = {}
    for code in ("A", "C"):
        case = CaseFactory(customer=graded(db, code))
        db.session.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(status="closed", closed_at=closed, resolved_at=closed)
        )
        cases[code] = case
    db.session.commit()
    generation.generate(
        since=closed - dt.timedelta(days=1),
        moment=dt.datetime(2026, 3, 3, 9, tzinfo=BUSINESS_TZ),
    )

    def visits(case):
        return [
            (v.rule.code, v.due_at)
            for v in db.session.scalars(
                select(FollowUp).where(FollowUp.case_id == case.id)
            )
        ]

    assert visits(cases["A"]) == [
        ("a-complaint", dt.datetime(2026, 3, 3, 17, 30, tzinfo=BUSINESS_TZ))
    ]
    assert visits(cases["C"]) == [
        ("complaint-closed", dt.datetime(2026, 3, 5, 17, 30, tzinfo=BUSINESS_TZ))
    ]
