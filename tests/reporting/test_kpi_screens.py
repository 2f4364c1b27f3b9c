"""Dashboard, KPI report, complaint analysis and improvement actions on screen."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest

from app.models import Case, ImprovementAction, KpiSnapshot
from tests.reporting.kpi_month import build_october


@pytest.fixture
def october(db):
    return build_october()


@pytest.mark.parametrize(
    ("username", "dashboard"),
    [
        ("manager", True),  # Management
        ("ops", True),  # head of Operations
        ("cs", True),  # head of Customer service
        ("ops2", False),  # clerk: the workbench
        ("cs2", False),
    ],
)
def test_dashboard_is_the_landing_page_of_management_and_heads(
    login, username, dashboard
):
    browser = login(username)
    page = browser.get("/").get_data(as_text=True)
    assert ('id="chart-trend"' in page) is dashboard
    workbench = browser.get("/?view=workbench").get_data(as_text=True)
    assert 'id="chart-trend"' not in workbench


def test_every_chart_endpoint_answers_json(october, login):
    browser = login("manager")
    page = browser.get("/dashboard/?month=2026-10").get_data(as_text=True)
    names = re.findall(r'data-chart="([a-z_]+)"', page)
    assert len(names) == 12  # with the 4 business statistics charts
    for name in names:
        response = browser.get(f"/dashboard/data/{name}?month=2026-10")
        assert response.status_code == 200, name
        data = response.get_json()
        assert len(data["labels"]) == len(data["datasets"][0]["data"])
    assert browser.get("/dashboard/data/nothing").status_code == 404


def test_charts_are_grouped_in_sql_over_the_viewers_scope(october, login, users):
    manager = login("manager").get("/dashboard/data/by_category?month=2026-10")
    counts = dict(
        zip(
            manager.get_json()["labels"],
            manager.get_json()["datasets"][0]["data"],
            strict=True,
        )
    )
    # 12 months to October, cancelled X1 X2 left out: delivery C1 C2 C3 C7 O1
    # N1, weighing C4 C8, other C5 C6 C9 C10 N2, quality H1.
    assert counts == {"交货期/上门时效": 6, "计量": 2, "其他": 5, "产品质量": 1}
    clerk = login("ops2").get("/dashboard/data/by_category?month=2026-10")
    assert dict(
        zip(
            clerk.get_json()["labels"],
            clerk.get_json()["datasets"][0]["data"],
            strict=True,
        )
    ) == {"交货期/上门时效": 6, "产品质量": 1}
    trend = login("manager").get("/dashboard/data/trend?month=2026-10").get_json()
    assert trend["labels"][-1] == "2026-10" and len(trend["labels"]) == 12
    timeliness = next(
        d for d in trend["datasets"] if d["code"] == "complaint_timeliness"
    )
    assert timeliness["data"][-1] == 62.5 and timeliness["target"] == 95.0
    clocks = login("manager").get("/dashboard/data/clocks").get_json()
    # Open: C10, O1, O2, H1 (answered) and N1, N2 (waiting for an answer).
    assert sum(sum(d["data"]) for d in clocks["datasets"]) == 6
    # Per clock and state, as each open case's running clock says.
    expected: Counter = Counter()
    for c in Case.query.filter(Case.status.not_in(("closed", "cancelled"))):
        if c.responded_at is None:
            expected[("response", c.response_state)] += 1
        else:
            expected[("resolution", c.resolution_state)] += 1
    shown = {
        (d["clock"], state): n
        for d in clocks["datasets"]
        for state, n in zip(clocks["states"], d["data"], strict=True)
        if n
    }
    assert shown == dict(expected) and len(expected) > 2


def test_kpi_report_links_figures_to_their_records(october, login, users):
    browser = login("manager")
    page = browser.get("/kpis/?month=2026-10").get_data(as_text=True)
    assert 'data-kpi="complaint_timeliness"' in page
    ops = users["ops"].department_id
    link = f"/kpis/records/complaint_timeliness?month=2026-10&amp;department={ops}"
    assert link in page
    records = browser.get(link.replace("&amp;", "&")).get_data(as_text=True)
    shown = set(re.findall(r'data-type="case" data-id="(\d+)"', records))
    # C2's first round (missed), O1's two rounds (the second open and overdue).
    assert shown == {str(october[k].id) for k in ("C1", "C2", "C3", "O1")}
    assert 'data-state="overdue"' in records
    met = browser.get(link.replace("&amp;", "&") + "&part=numerator").get_data(
        as_text=True
    )
    assert set(re.findall(r'data-id="(\d+)"', met)) == {
        str(october[k].id) for k in ("C1", "C3", "O1")
    }
    assert f"/cases/show/{october['C1'].id}" in met
    # A deadline measure gives each record its state; a count has none, and
    # no empty column.
    assert "<th>状态</th>" in records
    rate = browser.get("/kpis/records/complaint_rate_pickups?month=2026-10")
    assert rate.status_code == 200
    assert "<th>状态</th>" not in rate.get_data(as_text=True)


def test_only_management_recomputes_the_month(october, login, db):
    assert login("cs").post("/kpis/recompute", {"month": "2026-10"}).status_code == 403
    assert db.session.query(KpiSnapshot).count() == 0
    response = login("manager").post("/kpis/recompute", {"month": "2026-10"})
    assert response.status_code == 302
    assert db.session.query(KpiSnapshot).filter_by(
        scope_key="2026-10|complaint_timeliness|d-|u-"
    ).one().value == Decimal("62.50")


def test_a_category_missing_target_leads_to_an_improvement_action(
    october, login, users, db
):
    browser = login("manager")
    page = browser.get("/analysis/?month=2026-10&span=1").get_data(as_text=True)
    # Delivery misses complaint timeliness (C1, C3 and O1's first round met,
    # C2's first round missed, O1's second open past due: 60.00 %).
    delivery = re.search(r'<tr class="flagged" data-category="(\d+)">', page)
    assert delivery is not None
    link = re.search(r'href="(/analysis/improve\?[^"]+)"', page).group(1)
    form = browser.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "60.00 %" in form
    ops = users["ops"]
    response = browser.post(
        link.replace("&amp;", "&"),
        {
            "problem": "上门回收时效投诉处理超时",
            "measure": "按距离与时段重排派工",
            "category": delivery.group(1),
            "kpi": "complaint_timeliness",
            "department": str(ops.department_id),
            "owner": str(ops.id),
            "due_at": "2027-01-15T17:00",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    action = db.session.query(ImprovementAction).one()
    assert (action.department_id, action.owner_id, action.kpi, action.category_id) == (
        ops.department_id,
        ops.id,
        "complaint_timeliness",
        int(delivery.group(1)),
    )
    assert action.risk_at is not None and action.status == "open"


def test_a_clerk_cannot_create_actions_from_the_analysis(login):
    assert login("ops2").get("/analysis/improve").status_code == 403


def test_improvement_steps_through_the_workflow(login, users, db):
    from tests.factories import ImprovementActionFactory

    action = ImprovementActionFactory(
        _as="manager", department=users["ops"].department, owner=users["ops2"]
    )
    ops2 = login("ops2")
    url = f"/improvementactionview/step/%s/{action.id}"
    assert ops2.post(url % "start").status_code == 302
    assert ops2.post(url % "complete", {"outcome": "派工规则已调整"}).status_code == 302
    # Verifying the effect is Management's step.
    assert (
        ops2.post(
            url % "verify", {"effective": "yes", "effectiveness": "迟到投诉下降"}
        ).status_code
        == 403
    )
    manager = login("manager")
    assert (
        manager.post(
            url % "verify", {"effective": "no", "effectiveness": "迟到投诉未下降"}
        ).status_code
        == 400
    )  # a new due date is needed
    assert (
        manager.post(
            url % "verify",
            {
                "effective": "no",
                "effectiveness": "迟到投诉未下降",
                "due_at": "2027-03-01T17:00",
            },
        ).status_code
        == 302
    )
    db.session.refresh(action)
    assert (action.status, action.effective, action.done_at) == (
        "in_progress",
        False,
        None,
    )
    ops2.post(url % "complete", {"outcome": "增加早班车辆"})
    manager.post(url % "verify", {"effective": "yes", "effectiveness": "下降60%"})
    db.session.refresh(action)
    assert (action.status, action.effective, action.checked_by_id) == (
        "verified",
        True,
        users["manager"].id,
    )


@pytest.mark.parametrize(
    "path", ["/business/", "/analysis/", "/dashboard/", "/kpis/", "/exports/"]
)
def test_a_month_the_page_cannot_read_is_said_and_this_month_shown(login, path):
    # What a browser sends when "202610" is typed into a month box.
    page = login("manager").get(f"{path}?month=202610-12")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "所填月份“202610-12”无法识别：" in text and "现显示 20" in text
    assert "Bad Request" not in text
    chart = login("manager").get("/dashboard/data/trend?month=202610-12")
    assert chart.status_code == 400


@pytest.mark.parametrize("path", ["/analysis/", "/business/"])
def test_a_span_the_page_cannot_read_is_said_and_one_month_shown(login, path):
    page = login("manager").get(f"{path}?month=2026-10&span=abc")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "所选时段“abc”无法识别，现显示 1 个月的数据。" in text
    assert "Bad Request" not in text
