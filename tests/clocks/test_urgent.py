"""Urgent cases (紧急标识) alert earlier: `sla.urgent_at_risk_percent`.

The flag is an input of escalation: an urgent case's at-risk instant comes
at the urgent threshold (default 50 % of its time) instead of the policy's
(80 %), so the deadline check warns earlier, and the next look kept by the
database follows the earlier instant. Setting or clearing the flag on any
path (screen, API), or changing the threshold, moves the open clocks.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.models import BUSINESS_TZ, Case, Setting, now
from app.models.base import clock_at
from app.services.clocks import deadline_check
from app.services.reference import standards
from tests.clocks.test_deadline_check import alerts
from tests.factories import CaseFactory, user

MINUTE = dt.timedelta(minutes=1)
RECEIVED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=BUSINESS_TZ)  # a Monday
# A general complaint: response within 24 calendar hours.
DUE = dt.datetime(2026, 3, 3, 9, 0, tzinfo=BUSINESS_TZ)
NORMAL_RISK = RECEIVED + dt.timedelta(hours=24 * 0.8)  # 80 %
URGENT_RISK = RECEIVED + dt.timedelta(hours=12)  # 50 %


def _look(db, case: Case) -> dt.datetime | None:
    return db.session.scalar(select(Case.next_check_at).where(Case.id == case.id))


def _register(urgent: bool) -> Case:
    with clock_at(RECEIVED):
        return CaseFactory(received_at=RECEIVED, urgent=urgent)


def test_urgent_case_is_warned_earlier_than_a_normal_one(db):
    normal, urgent = _register(False), _register(True)
    assert (normal.response_risk_at, normal.response_due_at) == (NORMAL_RISK, DUE)
    assert (urgent.response_risk_at, urgent.response_due_at) == (URGENT_RISK, DUE)
    # The database's next look follows the earlier instant.
    assert _look(db, urgent) == URGENT_RISK
    assert _look(db, normal) == NORMAL_RISK

    deadline_check.check_deadlines(URGENT_RISK + MINUTE)
    db.session.expire_all()
    assert urgent.response_state == "at_risk"
    assert ("response", "at_risk", 0) in alerts(db, "case", urgent.id)
    assert normal.response_state == "running"
    assert alerts(db, "case", normal.id) == {}
    # Urgent at risk: its next look is the breach; the normal one still waits.
    assert _look(db, urgent) == DUE
    assert _look(db, normal) == NORMAL_RISK

    deadline_check.check_deadlines(NORMAL_RISK + MINUTE)
    db.session.expire_all()
    assert normal.response_state == "at_risk"


def test_flag_set_through_the_api_moves_the_warning(db, api):
    case = _register(False)
    with clock_at(RECEIVED + dt.timedelta(hours=1)):
        reply = api("cs").put(f"/api/v1/case/{case.id}", json={"urgent": True})
    assert reply.status_code == 200, reply.get_json()
    db.session.expire_all()
    assert case.urgent is True
    assert case.response_risk_at == URGENT_RISK
    assert _look(db, case) == URGENT_RISK
    deadline_check.check_deadlines(URGENT_RISK + MINUTE)
    assert ("response", "at_risk", 0) in alerts(db, "case", case.id)

    # Cleared again: back to the policy's threshold.
    with clock_at(RECEIVED + dt.timedelta(hours=2)):
        reply = api("cs").put(f"/api/v1/case/{case.id}", json={"urgent": False})
    assert reply.status_code == 200, reply.get_json()
    db.session.expire_all()
    assert case.response_risk_at == NORMAL_RISK


def test_threshold_setting_moves_open_urgent_cases(db):
    normal, urgent = _register(False), _register(True)
    setting = db.session.scalars(
        select(Setting).filter_by(key="sla.urgent_at_risk_percent")
    ).one()
    assert setting.value == "50"
    # Proposed by the admin, in force once Management approves it.
    values = standards.values_of(standards.SUBJECTS["setting"], setting)
    values["value"] = "25"
    with clock_at(RECEIVED + dt.timedelta(hours=1)):
        change = standards.propose(
            "setting", setting, values, now().date(), "紧急工单提前预警", user("admin")
        )
        standards.approve(change, user("manager"))
    db.session.expire_all()
    assert urgent.response_risk_at == RECEIVED + dt.timedelta(hours=6)
    assert _look(db, urgent) == RECEIVED + dt.timedelta(hours=6)
    assert normal.response_risk_at == NORMAL_RISK


def test_case_list_shows_filters_and_sorts_by_the_flag(db, api, login):
    plain = CaseFactory(title="普通工单")
    flagged = CaseFactory(title="紧急工单", urgent=True)
    listed = api("cs").get(
        "/api/v1/case/",
        query_string={
            "q": "(filters:!((col:urgent,opr:eq,value:!t)),"
            "order_column:urgent,order_direction:desc)"
        },
    )
    assert listed.status_code == 200, listed.get_json()
    assert listed.get_json()["ids"] == [flagged.id]
    assert listed.get_json()["result"][0]["urgent"] is True
    ordered = api("cs").get(
        "/api/v1/case/",
        query_string={"q": "(order_column:urgent,order_direction:desc)"},
    )
    assert ordered.get_json()["ids"][0] == flagged.id

    browser = login("cs")
    page = browser.get("/cases/list/?_flt_0_urgent=y").get_data(as_text=True)
    assert "紧急工单" in page and "普通工单" not in page
    assert '<span class="label label-danger">紧急</span>' in page
    page = browser.get("/cases/list/?_oc_CaseView=urgent&_od_CaseView=desc").get_data(
        as_text=True
    )
    assert page.index("紧急工单") < page.index("普通工单")
    assert plain.id != flagged.id
