"""The monthly complaint analysis explains (seed 001 §7(一)2): breakdowns by
cause and responsibility, each category's month against the month before, and
CustomerService's written analysis sent to Management and the department heads,
locked once sent on every path."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from app.models import (
    Case,
    CaseCategory,
    ComplaintReport,
    Notification,
    NotificationRecipient,
)
from app.models.codes import CAUSES, RESPONSIBILITIES
from app.services.reporting import complaint_analysis
from app.services.reporting.complaint_reports import REPORT_FLOW
from app.services.reporting.kpi import Window
from tests.factories import CaseFactory, by_code, user

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
OCTOBER = dt.date(2026, 10, 1)

# A hand-made pair of months: received (UTC), kind, cancelled, category,
# cause, responsibility.
ROWS = [
    # September (last month); the first is 00:30 on Sep 1 in Shanghai.
    (
        dt.datetime(2026, 8, 31, 16, 30, tzinfo=UTC),
        "complaint",
        False,
        "quality",
        "equipment",
        "company",
    ),
    (
        dt.datetime(2026, 9, 10, 2, 0, tzinfo=UTC),
        "complaint",
        False,
        "quality",
        None,
        None,
    ),
    (
        dt.datetime(2026, 9, 12, 2, 0, tzinfo=UTC),
        "complaint",
        False,
        "attitude",
        "staff",
        "company",
    ),
    (
        dt.datetime(2026, 9, 20, 2, 0, tzinfo=UTC),
        "complaint",
        False,
        "price",
        "process",
        "company",
    ),
    # October (this month).
    (
        dt.datetime(2026, 10, 1, 1, 0, tzinfo=UTC),
        "complaint",
        False,
        "quality",
        "equipment",
        "company",
    ),
    (
        dt.datetime(2026, 10, 8, 3, 0, tzinfo=UTC),
        "complaint",
        False,
        "quality",
        "equipment",
        "shared",
    ),
    (
        dt.datetime(2026, 10, 9, 3, 0, tzinfo=UTC),
        "complaint",
        False,
        "quality",
        None,
        None,
    ),
    (
        dt.datetime(2026, 10, 15, 3, 0, tzinfo=UTC),
        "complaint",
        False,
        "attitude",
        "staff",
        "company",
    ),
    (
        dt.datetime(2026, 10, 16, 3, 0, tzinfo=UTC),
        "complaint",
        False,
        "weighing",
        "equipment",
        "third_party",
    ),
    (
        dt.datetime(2026, 10, 20, 3, 0, tzinfo=UTC),
        "complaint",
        False,
        "weighing",
        "customer",
        "customer",
    ),
    # Not counted: withdrawn, an inquiry, and 00:30 on Nov 1 in Shanghai.
    (
        dt.datetime(2026, 10, 21, 3, 0, tzinfo=UTC),
        "complaint",
        True,
        "quality",
        "staff",
        "company",
    ),
    (
        dt.datetime(2026, 10, 22, 3, 0, tzinfo=UTC),
        "inquiry",
        False,
        "price",
        None,
        None,
    ),
    (
        dt.datetime(2026, 10, 31, 16, 30, tzinfo=UTC),
        "complaint",
        False,
        "weighing",
        "staff",
        "company",
    ),
]


def _make_month() -> None:
    for received, kind, cancelled, category, cause, responsibility in ROWS:
        case = CaseFactory(
            kind=kind,
            severity="general" if kind == "complaint" else "normal",
            category=by_code(CaseCategory, category),
            received_at=received,
            cause=cause,
            responsibility=responsibility,
        )
        if cancelled:
            from app.extensions import db

            db.session.execute(
                update(Case).where(Case.id == case.id).values(status="cancelled")
            )
            db.session.commit()


def _expected(month: dt.date, column: int) -> Counter:
    """Straightforward: each row's business month, kept rows counted by hand."""
    counted: Counter = Counter()
    for row in ROWS:
        local = row[0].astimezone(SHANGHAI)
        if row[1] != "complaint" or row[2]:
            continue
        if (local.year, local.month) == (month.year, month.month):
            counted[row[column]] += 1
    return counted


def test_cause_and_responsibility_breakdowns_of_a_hand_made_month(db):
    _make_month()
    cs = user("cs")
    window = Window.ending(OCTOBER)
    for dimension, column, codes in (
        ("cause", 4, CAUSES),
        ("responsibility", 5, RESPONSIBILITIES),
    ):
        expected = {
            (str(codes[k]) if k else "未登记"): n
            for k, n in _expected(OCTOBER, column).items()
        }
        got = {
            s.label: s.count
            for s in complaint_analysis.complaint_counts(dimension, window, cs)
        }
        assert got == expected, dimension
    assert sum(_expected(OCTOBER, 4).values()) == 6
    assert _expected(OCTOBER, 4)["equipment"] == 3


def test_month_on_month_per_category_of_a_hand_made_month(db):
    _make_month()
    this = _expected(OCTOBER, 3)
    last = _expected(dt.date(2026, 9, 1), 3)
    names = {c: by_code(CaseCategory, c).name for c in set(this) | set(last)}
    expected = {}
    for code in set(this) | set(last):
        change = this[code] - last[code]
        percent = (
            None
            if last[code] == 0
            else (Decimal(change * 100) / Decimal(last[code])).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
        )
        expected[names[code]] = (this[code], last[code], change, percent)
    got = {
        t.name: (t.this, t.last, t.change, t.change_percent)
        for t in complaint_analysis.month_on_month(OCTOBER, user("cs"))
    }
    assert got == expected
    # Read by hand: quality 2 → 3 (+50 %), price 1 → 0, weighing new (no base).
    assert got["产品质量"] == (3, 2, 1, Decimal("50.0"))
    assert got["价格"] == (0, 1, -1, Decimal("-100.0"))
    assert got["计量"][3] is None


def test_breakdowns_follow_the_viewers_scope(db):
    _make_month()
    # Warehouse sees the weighing complaints routed to it, nothing else.
    warehouse = user("warehouse")
    got = {
        t.name: (t.this, t.last)
        for t in complaint_analysis.month_on_month(OCTOBER, warehouse)
    }
    assert got == {"计量": (2, 0)}
    causes = complaint_analysis.complaint_counts(
        "cause", Window.ending(OCTOBER), warehouse
    )
    assert {s.label: s.count for s in causes} == {"设备与计量": 1, "客户自身原因": 1}


def _report(api, month: str = "2026-10") -> dict:
    response = api("cs").post(
        "/api/v1/complaint_report/",
        json={
            "month": month,
            "analysis": "设备计量原因占一半，集中在质检与计量环节。",
            "impact": "影响两家长期合作客户的续约意向。",
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_sending_records_who_when_whom_and_reaches_their_inbox(db, api):
    created = _report(api)
    report = db.session.get(ComplaintReport, created["id"])
    assert report.status == "draft"
    sent = api("cs").post(f"/api/v1/complaint_report/{report.id}/step/send", json={})
    assert sent.status_code == 200, sent.get_json()
    db.session.expire_all()
    report = db.session.get(ComplaintReport, report.id)
    assert report.status == "sent" and report.sent_by.username == "cs"
    assert report.sent_at is not None
    note = (
        db.session.query(Notification)
        .filter_by(record_type="complaint_report", record_id=report.id)
        .one()
    )
    got = {
        r.user_id
        for r in db.session.query(NotificationRecipient).filter_by(
            notification_id=note.id
        )
    }
    from app.models import AppUser
    from app.security.access import can

    expected = {
        u.id
        for u in db.session.query(AppUser).filter_by(active=True)
        if u.username != "system"
        and (u.is_department_head or can(u, "receive", "Escalation"))
    }
    assert got == expected
    assert user("manager").id in got
    names = {str(db.session.get(AppUser, i)) for i in got}
    assert set(report.sent_to.split("、")) == names
    # Management reads it; sending twice is refused.
    assert (
        api("manager").get(f"/api/v1/complaint_report/{report.id}").status_code == 200
    )
    again = api("cs").post(f"/api/v1/complaint_report/{report.id}/step/send", json={})
    assert again.status_code == 409


def test_a_sent_report_is_locked_on_the_api_and_the_form(db, api, login):
    created = _report(api)
    api("cs").post(f"/api/v1/complaint_report/{created['id']}/step/send", json={})
    put = api("cs").put(
        f"/api/v1/complaint_report/{created['id']}", json={"analysis": "改写"}
    )
    assert put.status_code == 409, put.get_json()
    cs = login("cs")
    page = cs.post(
        f"/complaint-reports/edit/{created['id']}",
        data={"analysis": "表单改写", "impact": "表单改写", "version": "2"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "内容已锁定" in page
    db.session.expire_all()
    report = db.session.get(ComplaintReport, created["id"])
    assert report.analysis.startswith("设备计量原因")
    deleted = api("cs").delete(f"/api/v1/complaint_report/{created['id']}")
    assert deleted.status_code in (403, 405, 409)
    assert db.session.get(ComplaintReport, created["id"]) is not None


def test_only_customer_service_writes_and_sends(db, api):
    created = _report(api)
    assert (
        api("manager")
        .put(f"/api/v1/complaint_report/{created['id']}", json={"analysis": "x"})
        .status_code
        == 403
    )
    refused = api("manager").post(
        f"/api/v1/complaint_report/{created['id']}/step/send", json={}
    )
    assert refused.status_code == 403
    assert (
        api("ops")
        .post(
            "/api/v1/complaint_report/",
            json={"month": "2026-09", "analysis": "x", "impact": "y"},
        )
        .status_code
        == 403
    )


def test_drafts_are_not_seen_by_the_departments(db, api):
    created = _report(api)
    listed = api("ops").get("/api/v1/complaint_report/").get_json()
    assert created["id"] not in listed["ids"]
    assert (
        api("ops").get(f"/api/v1/complaint_report/{created['id']}").status_code == 404
    )
    assert (
        api("manager").get(f"/api/v1/complaint_report/{created['id']}").status_code
        == 200
    )
    api("cs").post(f"/api/v1/complaint_report/{created['id']}/step/send", json={})
    assert (
        api("ops").get(f"/api/v1/complaint_report/{created['id']}").status_code == 200
    )


@pytest.mark.parametrize(
    ("month", "message"),
    [("2026/10", "YYYY-MM"), ("2099-01", "已开始"), ("2026-13", "YYYY-MM")],
)
def test_a_bad_month_is_refused_at_its_field(db, api, month, message):
    response = api("cs").post(
        "/api/v1/complaint_report/",
        json={"month": month, "analysis": "x", "impact": "y"},
    )
    assert response.status_code in (400, 422), response.get_json()
    assert message in str(response.get_json())
    assert db.session.query(ComplaintReport).count() == 0


def test_one_report_per_month(db, api):
    _report(api)
    again = api("cs").post(
        "/api/v1/complaint_report/",
        json={"month": "2026-10", "analysis": "x", "impact": "y"},
    )
    assert again.status_code in (400, 409, 422)
    assert "已存在" in str(again.get_json())


def test_report_flow_has_one_step():
    assert [s.name for s in REPORT_FLOW.steps] == ["send"]
