"""Key-account visit plans, visits, reports, urgent reports and the monthly
summary through the services (seed 003 公司客户服务办法 第四、五、九–十一条)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import BUSINESS_TZ, Notification, Visit, VisitPlan
from app.security.access import acting_as
from app.services.core import records
from app.services.core.errors import Conflict, InvalidInput, NotAllowed
from app.services.visits.key_accounts import (
    VISIT_FLOW,
    monthly_summary,
    period_bounds,
)
from tests.factories import CustomerFactory, user

MARCH = dt.date(2026, 3, 1)


def make_plan(actor: str = "cs", **values) -> VisitPlan:
    values.setdefault("period", "quarter")
    values.setdefault("starts_on", dt.date(2026, 2, 10))
    values.setdefault("visitor", user("cs2"))
    plan = VisitPlan(**values)
    records.add(plan, user(actor))
    db.session.commit()
    return plan


def make_visit(plan: VisitPlan, day: dt.date, actor: str = "cs", **values) -> Visit:
    visit = Visit(plan=plan, planned_on=day, **values)
    records.add(visit, user(actor))
    db.session.commit()
    return visit


def report(visit: Visit, by: str = "cs2", **values) -> Visit:
    data = {
        "visited_at": dt.datetime(2026, 3, 5, 10, 0, tzinfo=BUSINESS_TZ),
        "opinions": "希望结算周期缩短到十五天",
        **values,
    }
    with acting_as(user(by)):
        return VISIT_FLOW.run(visit, "report", data, user(by))


@pytest.fixture
def account(db):
    return CustomerFactory(
        name="华新再生资源有限公司", sales_rep=user("sales"), key_account=True
    )


@pytest.mark.parametrize(
    ("period", "day", "bounds"),
    [
        ("year", dt.date(2026, 7, 4), (dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
        ("quarter", dt.date(2026, 2, 10), (dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
        (
            "quarter",
            dt.date(2026, 12, 31),
            (dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ),
        ("month", dt.date(2028, 2, 3), (dt.date(2028, 2, 1), dt.date(2028, 2, 29))),
        ("month", dt.date(2026, 12, 9), (dt.date(2026, 12, 1), dt.date(2026, 12, 31))),
    ],
)
def test_a_plan_covers_its_whole_year_quarter_or_month(period, day, bounds):
    assert period_bounds(period, day) == bounds


def test_the_plan_is_numbered_and_covers_the_period(account):
    plan = make_plan(customer=account, focus_materials="废纸、废塑料")
    assert plan.number.startswith("XJ-")
    assert (plan.starts_on, plan.ends_on) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert plan.department.code == "cs"
    assert plan.exception_reason is None


def test_plans_are_made_for_key_accounts_only(db):
    walk_in = CustomerFactory(name="临时散户", key_account=False)
    with pytest.raises(InvalidInput) as refused:
        make_plan(customer=walk_in)
    assert refused.value.field == "customer"
    assert "重点客户" in str(refused.value)


def test_the_accounts_own_sales_rep_is_refused_as_visitor(account):
    with pytest.raises(InvalidInput) as refused:
        make_plan(customer=account, visitor=user("sales"))
    assert refused.value.field == "visitor"
    assert "负责业务员" in str(refused.value)
    db.session.rollback()
    assert db.session.scalars(select(VisitPlan)).all() == []


def test_the_sales_rep_visits_only_with_a_written_reason(account):
    plan = make_plan(
        customer=account, visitor=user("sales"), exception_reason="  客户只接待业务员  "
    )
    assert plan.exception_reason == "客户只接待业务员"
    # A reason without an exception is not kept.
    other = make_plan(
        customer=account, period="month", visitor=user("cs2"), exception_reason="无"
    )
    assert other.exception_reason is None


def test_the_rule_holds_on_edit_too(account):
    plan = make_plan(customer=account)
    clerk, rep = user("cs"), user("sales")
    plan.visitor = rep
    with acting_as(clerk), pytest.raises(InvalidInput) as refused:
        records.before_update(plan)
    assert refused.value.field == "visitor"
    db.session.rollback()
    assert db.session.get(VisitPlan, plan.id).visitor.username == "cs2"


def test_a_visitor_must_record_reports_and_a_period_has_one_plan(account):
    with pytest.raises(InvalidInput) as refused:
        make_plan(customer=account, visitor=user("warehouse"))
    assert refused.value.field == "visitor"
    db.session.rollback()
    make_plan(customer=account)
    with pytest.raises(InvalidInput) as taken:
        make_plan(customer=account, starts_on=dt.date(2026, 3, 31))
    assert taken.value.field == "starts_on"


def test_visits_stay_inside_the_plan_and_default_to_its_visitor(account):
    plan = make_plan(customer=account)
    visit = make_visit(plan, dt.date(2026, 3, 5))
    assert visit.number.startswith("XF-")
    assert (visit.visitor.username, visit.customer_id, visit.status) == (
        "cs2",
        account.id,
        "planned",
    )
    assert visit.department_id == plan.department_id
    with pytest.raises(InvalidInput) as outside:
        make_visit(plan, dt.date(2026, 4, 1))
    assert outside.value.field == "planned_on"
    db.session.rollback()
    # The plan's exception does not extend to a visit's own visitor.
    with pytest.raises(InvalidInput) as rep:
        make_visit(plan, dt.date(2026, 3, 6), visitor=user("sales"))
    assert rep.value.field == "visitor"
    db.session.rollback()
    technician = make_visit(plan, dt.date(2026, 3, 9), visitor=user("ops"))
    assert technician.visitor.username == "ops"


def test_the_visitor_reports_the_customer_card(account):
    plan = make_plan(customer=account)
    visit = make_visit(plan, dt.date(2026, 3, 5))
    with pytest.raises(NotAllowed):
        report(visit, by="ops")  # neither the visitor nor the plan's head
    db.session.rollback()
    report(
        visit,
        needs="每月两次上门回收",
        competitor_info="同行收购价每吨高出50元",
        issues_handled="核对了二月磅差",
    )
    db.session.expire_all()
    done = db.session.get(Visit, visit.id)
    assert done.status == "done"
    assert done.visited_at == dt.datetime(2026, 3, 5, 10, 0, tzinfo=BUSINESS_TZ)
    assert done.opinions == "希望结算周期缩短到十五天"
    assert done.needs == "每月两次上门回收"
    assert done.market_info is None
    with pytest.raises(Conflict):
        report(done)


def test_a_report_cannot_be_dated_in_the_future(account):
    visit = make_visit(make_plan(customer=account), dt.date(2026, 3, 5))
    with pytest.raises(InvalidInput) as refused:
        report(visit, visited_at=dt.datetime.now(BUSINESS_TZ) + dt.timedelta(days=2))
    assert refused.value.field == "visited_at"
    db.session.rollback()
    assert db.session.get(Visit, visit.id).status == "planned"


def test_an_urgent_report_alerts_heads_management_and_the_rep_once(account):
    visit = make_visit(make_plan(customer=account), dt.date(2026, 3, 5))
    report(visit)
    data = {"urgent_kind": "competitor_policy", "urgent_note": "同行收购价上调8%"}
    with acting_as(user("cs2")):
        VISIT_FLOW.run(visit, "urgent", data, user("cs2"))
    alert = db.session.scalars(select(Notification)).one()
    assert (alert.record_type, alert.record_id, alert.level) == (
        "visit",
        visit.id,
        "management",
    )
    assert "华新再生资源有限公司" in alert.title
    assert "同行收购价上调8%" in alert.body
    assert alert.link == f"/visits/show/{visit.id}"
    assert {r.user_id for r in alert.recipients} == {
        user("cs").id,  # head of the plan's department
        user("manager").id,  # receives escalations
        user("admin").id,  # holds every right, escalations included
        user("sales").id,  # the account's sales rep
    }
    with acting_as(user("cs2")), pytest.raises(Conflict):
        VISIT_FLOW.run(visit, "urgent", data, user("cs2"))
    db.session.rollback()
    assert len(db.session.scalars(select(Notification)).all()) == 1


def test_only_planned_visits_are_rescheduled_or_deleted(account):
    plan = make_plan(customer=account)
    visit = make_visit(plan, dt.date(2026, 3, 5))
    report(visit)
    clerk = user("cs")
    visit.planned_on = dt.date(2026, 3, 6)
    with acting_as(clerk), pytest.raises(Conflict):
        records.before_update(visit)
    db.session.rollback()
    with acting_as(user("cs")), pytest.raises(Conflict):
        records.before_delete(db.session.get(Visit, visit.id))
    with acting_as(user("cs")), pytest.raises(Conflict):
        records.before_delete(db.session.get(VisitPlan, plan.id))


def _straight_summary(visits, today):
    """The month's figures counted visit by visit (independent of the SQL)."""
    counts = Counter()
    for v in visits:
        if not MARCH <= v.planned_on <= dt.date(2026, 3, 31):
            continue
        key = (v.visitor_id, v.customer_id)
        counts[(*key, "planned")] += v.status != "cancelled"
        counts[(*key, "done")] += v.status == "done"
        counts[(*key, "cancelled")] += v.status == "cancelled"
        counts[(*key, "missed")] += v.status == "planned" and v.planned_on < today
        counts[(*key, "urgent")] += bool(v.urgent)
    return {k: n for k, n in counts.items() if n}


def _as_counts(summary):
    found = {}
    for row in summary.rows:
        for name in ("planned", "done", "cancelled", "missed", "urgent"):
            if getattr(row, name):
                found[(row.visitor_id, row.customer_id, name)] = getattr(row, name)
    return found


def test_monthly_summary_matches_a_visit_by_visit_count_and_is_scoped(account):
    other = CustomerFactory(
        name="宏达金属回收有限公司", sales_rep=user("cs"), key_account=True
    )
    plan_a = make_plan(customer=account, period="month", starts_on=MARCH)
    plan_b = make_plan(
        customer=other, period="year", starts_on=MARCH, visitor=user("ops")
    )
    a1 = make_visit(plan_a, dt.date(2026, 3, 2))
    make_visit(plan_a, dt.date(2026, 3, 20))
    a3 = make_visit(plan_a, dt.date(2026, 3, 25))
    make_visit(plan_a, dt.date(2026, 3, 30), visitor=user("ops"))
    b1 = make_visit(plan_b, dt.date(2026, 3, 3))
    make_visit(plan_b, dt.date(2026, 3, 12))
    make_visit(plan_b, dt.date(2026, 4, 2))  # another month
    report(a1)
    with acting_as(user("cs2")):
        VISIT_FLOW.run(
            a1,
            "urgent",
            {"urgent_kind": "other", "urgent_note": "客户仓库失火"},
            user("cs2"),
        )
        VISIT_FLOW.run(a3, "cancel", {"cancel_reason": "客户停产检修"}, user("cs2"))
    report(b1, by="ops")
    today = dt.date(2026, 3, 21)
    visits = db.session.scalars(select(Visit)).all()

    everything = monthly_summary(MARCH, user("manager"), today)
    assert _as_counts(everything) == _straight_summary(visits, today)
    assert everything.total.planned == 5
    assert (everything.total.done, everything.total.missed) == (2, 2)
    assert (everything.total.cancelled, everything.total.urgent) == (1, 1)
    people = {p.visitor_id: (p.planned, p.done) for p in everything.people}
    assert people == {user("cs2").id: (2, 1), user("ops").id: (3, 1)}

    # Sales: the visits of the accounts they represent only.
    sales = monthly_summary(MARCH, user("sales"), today)
    assert {r.customer_id for r in sales.rows} == {account.id}
    assert _as_counts(sales) == _straight_summary(
        [v for v in visits if v.customer_id == account.id], today
    )
    # Operations: the visits they make (and their department's).
    ops = monthly_summary(MARCH, user("ops"), today)
    assert {r.visitor_id for r in ops.rows} == {user("ops").id}
    assert ops.total.planned == 3
    # A clerk of another department sees nothing.
    assert monthly_summary(MARCH, user("finance"), today).rows == []
