"""A plan's new designated visitor takes over its open visits (seed 003 第四条(2),
第五条): changed on the plan's generic edit form, the planned visits of the
previous visitor follow, audited on each visit; visits made or cancelled keep
who they were for, and a stand-in named for one visit stays."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from app.models import AuditLog, Visit
from app.security.access import acting_as
from app.services.visits.key_accounts import VISIT_FLOW
from tests.factories import CustomerFactory, user
from tests.visits.test_key_account_screens import plan_form
from tests.visits.test_key_account_visits import make_plan, make_visit, report


def test_the_open_visits_follow_the_plans_new_visitor(db, login):
    account = CustomerFactory(
        name="华新再生资源有限公司", sales_rep=user("sales"), key_account=True
    )
    plan = make_plan(customer=account)
    first = make_visit(plan, dt.date(2026, 3, 5))
    second = make_visit(plan, dt.date(2026, 3, 12))
    stand_in = make_visit(plan, dt.date(2026, 3, 16), visitor=user("ops"))
    made = make_visit(plan, dt.date(2026, 2, 20))
    report(made)
    dropped = make_visit(plan, dt.date(2026, 3, 20))
    with acting_as(user("cs2")):
        VISIT_FLOW.run(dropped, "cancel", {"cancel_reason": "客户停产"}, user("cs2"))

    form = plan_form(account, user("cs"), version=plan.version)
    form.pop("customer")
    saved = login("cs").post(f"/visitplans/edit/{plan.id}", form)
    assert saved.status_code == 302, saved.get_data(as_text=True)[-600:]

    db.session.expire_all()
    visitors = {
        v.id: v.visitor.username
        for v in db.session.scalars(select(Visit).where(Visit.plan_id == plan.id))
    }
    assert visitors == {
        first.id: "cs",
        second.id: "cs",
        stand_in.id: "ops",
        made.id: "cs2",
        dropped.id: "cs2",
    }
    # Each visit that moved says so in the audit trail, by who changed the plan.
    moved = {
        a.row_id: json.loads(a.changes)
        for a in db.session.scalars(
            select(AuditLog).where(
                AuditLog.table_name == "visit",
                AuditLog.action == "update",
                AuditLog.user_id == user("cs").id,
            )
        )
    }
    assert set(moved) == {first.id, second.id}
    assert moved[first.id]["visitor_id"] == [user("cs2").id, user("cs").id]
    # The new visitor reports the moved visit; the previous one no longer may.
    report(db.session.get(Visit, first.id), by="cs")
    assert db.session.get(Visit, first.id).status == "done"


def test_a_refused_visitor_change_moves_no_visit(db, login):
    account = CustomerFactory(
        name="宏达金属回收有限公司", sales_rep=user("sales"), key_account=True
    )
    plan = make_plan(customer=account)
    visit = make_visit(plan, dt.date(2026, 3, 5))
    form = plan_form(account, user("sales"), version=plan.version)
    form.pop("customer")
    refused = login("cs").post(f"/visitplans/edit/{plan.id}", form)
    assert refused.status_code == 200
    assert "负责业务员" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).visitor.username == "cs2"
