"""What stops a clock: only a contact with the customer stops the response
(seed 000 §3, seed 001 §4); cancelling stops every clock and closes a pause."""

from __future__ import annotations

from app.models import CaseLog, Channel
from app.security.access import acting_as
from app.services.cases.case_steps import CASE_FLOW
from app.services.core import records
from tests.factories import CaseFactory, by_code, user


def run(case, step: str, username: str, **data):
    actor = user(username)
    with acting_as(actor):
        return CASE_FLOW.run(case, step, data, actor)


def _log(db, case, kind: str, channel: str | None):
    entry = CaseLog(
        case_id=case.id,
        kind=kind,
        content="致电客户说明处理进度",
        channel_id=by_code(Channel, channel).id if channel else None,
    )
    with acting_as(user("cs")):
        records.before_create(entry)
        db.session.add(entry)
        db.session.commit()
    db.session.refresh(case)


def test_assigning_does_not_stop_the_response_clock(db):
    case = CaseFactory(kind="complaint", severity="general")
    run(case, "assign", "cs", department=str(case.department_id))
    assert case.status == "assigned"
    assert case.responded_at is None
    assert case.response_state in ("running", "at_risk")
    # An internal note is no contact either.
    _log(db, case, "internal", None)
    assert case.responded_at is None
    # A call logged on a customer channel is.
    _log(db, case, "contact", "hotline")
    assert case.responded_at is not None
    assert case.response_state == "met"


def test_acknowledging_stops_the_response_clock(db):
    case = CaseFactory(kind="complaint", severity="general")
    run(case, "acknowledge", "cs", content="已致电客户")
    assert case.responded_at is not None
    assert case.response_state == "met"


def test_cancel_while_waiting_for_the_customer_stops_every_clock(db):
    from app.services.clocks import record_clocks

    case = CaseFactory(kind="complaint", severity="general")
    run(case, "acknowledge", "cs", content="已致电客户")
    run(case, "assign", "cs", department=str(case.department_id))
    run(case, "start", "cs")
    run(case, "pend", "cs", reason="等待客户提供磅单照片")
    assert case.resolution_state == "paused"
    run(case, "cancel", "cs", reason="客户撤回投诉")
    db.session.refresh(case)
    assert case.status == "cancelled"
    assert case.paused_since is None
    assert all(p.ended_at is not None for p in case.pauses)
    assert case.resolution_state == "none"
    assert case.response_state == "met"
    panel = record_clocks.clock_panel(case)
    assert all(not c["left"] for c in panel)
    assert {c["state"] for c in panel} <= {"met", "missed", "none"}


def test_cancel_keeps_a_breach_as_missed(db):
    import datetime as dt

    from app.models import now

    case = CaseFactory(
        kind="complaint", severity="general", received_at=now() - dt.timedelta(days=2)
    )
    assert case.response_state == "breached"
    run(case, "cancel", "cs", reason="重复登记")
    assert (case.response_state, case.resolution_state) == ("missed", "none")
