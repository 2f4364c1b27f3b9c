"""Promised dates (seed 000 §3(2)2, seed 003): a date told to the customer on a
case has its own clock in the deadline check, tells the customer in writing,
and shows on the case."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.models import Case, CustomerNotice, Notification, now
from app.models.base import clock_at
from app.security.access import acting_as
from app.services.cases.case_steps import CASE_FLOW
from app.services.clocks import deadline_check
from app.services.core.errors import Conflict, InvalidInput
from tests.factories import CaseFactory, CustomerFactory, user


def run(case, name, username="cs", **data):
    actor = user(username)
    with acting_as(actor):
        return CASE_FLOW.run(case, name, data, actor)


def promise_alerts(case: Case) -> list[tuple[str, int]]:
    return sorted(
        (n.level, n.cycle)
        for n in select_all(
            select(Notification).where(
                Notification.record_id == case.id,
                Notification.record_type == "case",
                Notification.clock == "promise",
            )
        )
    )


def select_all(stmt):
    from app.extensions import db

    return db.session.scalars(stmt).all()


def test_promise_has_its_own_clock_in_the_deadline_check(db):
    case = CaseFactory(customer=CustomerFactory(email=None))
    promised = (now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    run(case, "promise", promised_at=promised, note="核实过磅记录后答复")
    db.session.refresh(case)
    assert (case.promise_state, case.promised_at) == ("running", promised)
    # The at-risk share (80 %) of the time from the promise to the date.
    assert now() < case.promised_risk_at < promised
    # The trigger brought the case's next look to the promise's risk instant.
    assert case.next_check_at is not None
    assert case.next_check_at <= case.promised_risk_at
    # The customer is told the date in writing (a call task: no e-mail).
    notice = db.session.scalars(
        select(CustomerNotice).where(
            CustomerNotice.case_id == case.id,
            CustomerNotice.event == "case_promised",
        )
    ).one()
    assert promised.strftime("%Y-%m-%d %H:%M") in notice.body
    assert "核实过磅记录后答复" in notice.body

    deadline_check.check_deadlines(case.promised_risk_at + dt.timedelta(minutes=1))
    db.session.refresh(case)
    assert case.promise_state == "at_risk"
    deadline_check.check_deadlines(promised + dt.timedelta(minutes=1))
    deadline_check.check_deadlines(promised + dt.timedelta(minutes=2))  # twice
    db.session.refresh(case)
    assert case.promise_state == "breached"
    # Each once, the breach escalated to the department head as any clock's.
    assert promise_alerts(case) == [
        ("at_risk", 0),
        ("breached", 0),
        ("escalated", 0),
    ]

    # Kept late: missed; a new promise is a new cycle with its own alerts.
    late = promised + dt.timedelta(hours=1)
    with clock_at(late):
        run(case, "keep_promise", content="已电话答复客户核实结果")
        db.session.refresh(case)
        assert case.promise_state == "missed" and case.promise_kept_at == late
        with pytest.raises(Conflict):
            run(case, "keep_promise", content="再次")
        again = late + dt.timedelta(hours=5)
        run(case, "promise", promised_at=again, note="补充答复赔付方案")
    db.session.refresh(case)
    assert (case.promise_state, case.promise_cycle) == ("running", 1)
    deadline_check.check_deadlines(again + dt.timedelta(minutes=1))
    assert ("breached", 1) in promise_alerts(case)


def test_kept_in_time_is_met_and_never_alerted(db):
    case = CaseFactory()
    run(case, "promise", promised_at=now() + dt.timedelta(days=1), note="答复")
    run(case, "keep_promise", content="已答复")
    db.session.refresh(case)
    assert case.promise_state == "met"
    deadline_check.check_deadlines(now() + dt.timedelta(days=3))
    assert promise_alerts(case) == []


def test_a_past_date_is_refused_and_changes_nothing(db):
    case = CaseFactory()
    with pytest.raises(InvalidInput) as refused:
        run(case, "promise", promised_at=now() - dt.timedelta(hours=1), note="答复")
    assert refused.value.field == "promised_at"
    db.session.rollback()
    db.session.refresh(case)
    assert (case.promise_state, case.promised_at) == ("none", None)
    # Management reads cases but makes no promises to customers.
    assert not CASE_FLOW.allowed(CASE_FLOW.get("promise"), user("manager"))
