"""Follow-up generation (once per source) and the follow-up visit's steps."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, update

from app.models import BUSINESS_TZ, Case, Customer, CustomerType, FollowUp, Pickup
from app.security.access import acting_as
from app.services.core.errors import NotAllowed
from app.services.visits import generation
from app.services.visits.visit_steps import FOLLOWUP_FLOW
from tests.factories import CaseFactory, CustomerFactory, PickupFactory, by_code, user

CLOSED = dt.datetime(2026, 2, 13, 16, 0, tzinfo=BUSINESS_TZ)  # Friday


def close(db, case: Case, at: dt.datetime = CLOSED) -> None:
    db.session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(status="closed", closed_at=at, resolved_at=at, resolution_state="met")
    )
    db.session.commit()


def visits_of(db, **where) -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).filter_by(**where)))


def test_closed_complaint_gets_one_visit_three_working_days_later(db):
    case = CaseFactory()
    close(db, case)
    since = CLOSED - dt.timedelta(days=1)
    assert generation.generate(since=since) == 1
    assert generation.generate(since=since) == 0
    (visit,) = visits_of(db, case_id=case.id)
    # Sat Feb 14 is a make-up working day; Feb 15-23 is the Spring Festival.
    assert visit.due_at == dt.datetime(2026, 2, 25, 17, 30, tzinfo=BUSINESS_TZ)
    assert visit.source_key == f"case:{case.id}:rule:{visit.rule_id}"
    assert visit.assignee.username == "cs" and visit.department.code == "cs"
    assert visit.created_by.username == "system"
    assert visit.risk_at < visit.due_at
    assert visit.number.startswith("HF-")


def test_inquiry_closure_needs_no_visit(db):
    close(db, CaseFactory(kind="inquiry", severity="normal"))
    assert generation.generate(since=CLOSED - dt.timedelta(days=1)) == 0


def test_concurrent_generation_creates_each_visit_once(app, db):
    cases = [CaseFactory() for _ in range(6)]
    for case in cases:
        close(db, case)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                start.wait()
                generation.generate(since=CLOSED - dt.timedelta(days=1))
                from app.extensions import db as _db

                _db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    numbers = sorted(v.number for v in visits_of(db))
    assert len(numbers) == 6
    # Gap-free: the loser of each race gave its number back.
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == list(range(1, 7))


def test_settled_pickup_gets_a_satisfaction_call_within_seven_days(db):
    pickup = PickupFactory(_as="ops")
    settled = dt.datetime(2026, 11, 20, 10, 0, tzinfo=BUSINESS_TZ)
    db.session.execute(
        update(Pickup)
        .where(Pickup.id == pickup.id)
        .values(status="settled", settled_at=settled)
    )
    db.session.commit()
    assert generation.for_pickup(pickup.id) == 1
    assert generation.for_pickup(pickup.id) == 0
    (visit,) = visits_of(db, pickup_id=pickup.id)
    assert visit.due_at == settled + dt.timedelta(days=7)
    assert visit.source == "pickup"


def test_partners_get_one_visit_per_period(db):
    partner = CustomerFactory(
        customer_type=by_code(CustomerType, "partner"), _as="sales"
    )
    db.session.execute(
        update(Customer)
        .where(Customer.id == partner.id)
        .values(sales_rep_id=user("sales").id)
    )
    db.session.commit()
    moment = dt.datetime(2026, 11, 24, 9, 0, tzinfo=BUSINESS_TZ)
    assert generation.generate(moment=moment) == 1
    assert generation.generate(moment=moment + dt.timedelta(days=2)) == 0
    (visit,) = visits_of(db, customer_id=partner.id)
    # Not the account's own sales rep (the only clerk of Sales): the head of
    # customer service (seed 003 第四条(2)).
    assert visit.source == "partner" and visit.assignee.username == "cs"
    assert moment < visit.due_at <= moment + dt.timedelta(days=30)
    assert generation.generate(moment=visit.due_at + dt.timedelta(days=1)) == 1


def test_a_key_accounts_partner_visit_goes_to_its_designated_visitor(db):
    from app.models import VisitPlan
    from app.services.core import records

    partner = CustomerFactory(
        customer_type=by_code(CustomerType, "partner"),
        sales_rep=user("sales"),
        key_account=True,
    )
    moment = dt.datetime(2026, 11, 24, 9, 0, tzinfo=BUSINESS_TZ)
    # A yearly plan (visitor ops) and the narrower quarter's (visitor cs2).
    for period, visitor in (("year", "ops"), ("quarter", "cs2")):
        records.add(
            VisitPlan(
                customer=partner,
                period=period,
                starts_on=moment.date(),
                visitor=user(visitor),
            ),
            user("cs"),
        )
    db.session.commit()
    assert generation.generate(moment=moment) == 1
    (visit,) = visits_of(db, customer_id=partner.id)
    assert visit.assignee.username == "cs2"
    assert visit.department.code == "sales"  # the rule's department


def _visit_for_closed_case(db) -> FollowUp:
    case = CaseFactory()
    close(db, case, dt.datetime.now(BUSINESS_TZ) - dt.timedelta(hours=1))
    generation.for_case(case.id)
    return visits_of(db, case_id=case.id)[0]


def test_dissatisfied_visit_reopens_its_case(db):
    visit = _visit_for_closed_case(db)
    cs = user("cs")
    with acting_as(cs):
        FOLLOWUP_FLOW.run(
            visit,
            "complete",
            {"outcome": "客户仍不满意", "satisfaction": 2, "comment": "问题没有解决"},
            cs,
        )
    db.session.expire_all()
    assert visit.status == "done" and visit.due_state == "met"
    case = visit.case
    assert visit.result_case_id == case.id
    assert case.status == "in_progress" and case.reopen_count == 1
    assert "回访" in case.logs[-1].content


def test_satisfied_visit_changes_nothing_else(db):
    visit = _visit_for_closed_case(db)
    cs = user("cs")
    with acting_as(cs):
        FOLLOWUP_FLOW.run(visit, "complete", {"outcome": "满意", "satisfaction": 4}, cs)
    db.session.expire_all()
    assert visit.result_case_id is None and visit.case.status == "closed"


def test_dissatisfied_pickup_visit_opens_a_complaint(db):
    pickup = PickupFactory(_as="ops")
    db.session.execute(
        update(Pickup)
        .where(Pickup.id == pickup.id)
        .values(status="settled", settled_at=dt.datetime.now(BUSINESS_TZ))
    )
    db.session.commit()
    generation.for_pickup(pickup.id)
    (visit,) = visits_of(db, pickup_id=pickup.id)
    cs = user("cs")
    with acting_as(cs):
        FOLLOWUP_FLOW.run(
            visit, "complete", {"outcome": "称重有异议", "satisfaction": 1}, cs
        )
    db.session.expire_all()
    complaint = visit.result_case
    assert complaint is not None and complaint.kind == "complaint"
    assert complaint.customer_id == pickup.customer_id
    assert complaint.first_ask_owner.username == "cs"


def test_unreachable_and_permissions(db):
    visit = _visit_for_closed_case(db)
    ops = user("ops")
    with acting_as(ops), pytest.raises(NotAllowed):
        FOLLOWUP_FLOW.run(visit, "unreachable", {"outcome": "无人接听"}, ops)
    db.session.rollback()
    cs = user("cs")
    with acting_as(cs):
        FOLLOWUP_FLOW.run(visit, "unreachable", {"outcome": "三次无人接听"}, cs)
    assert visit.status == "unreachable"


def test_visit_step_through_the_api(db, api):
    visit = _visit_for_closed_case(db)
    client = api("cs")
    response = client.post(
        f"/api/v1/followup/{visit.id}/step/complete",
        json={"outcome": "满意", "satisfaction": 5},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "done"
    count = db.session.scalar(
        select(func.count()).select_from(FollowUp).where(FollowUp.status == "done")
    )
    assert count == 1


def test_settling_a_pickup_enqueues_its_satisfaction_call(db, monkeypatch):
    """The pickup flow's settle step emits the event the jobs layer listens to."""
    from app.services.core import events
    from app.services.recycling.pickup_steps import _after

    seen = []
    monkeypatch.setattr(
        events,
        "_handlers",
        {"pickup_settled": [lambda pickup_id: seen.append(pickup_id)]},
    )
    pickup = type("P", (), {"id": 42})()
    _after(pickup, type("S", (), {"name": "settle"})())
    _after(pickup, type("S", (), {"name": "close"})())
    assert seen == [42]
