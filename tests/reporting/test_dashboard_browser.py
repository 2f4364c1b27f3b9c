"""The dashboard in headless Chromium: it renders its charts, and no request
leaves 127.0.0.1 (Chart.js and the data are served by the app itself).

Set DASHBOARD_SCREENSHOT=<path> to keep the PNG (docs/dashboard.png is made
this way).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from tests.reporting.kpi_month import build_october, build_year

CHARTS = 12  # 8 of KPIs and complaints, 4 of business statistics


def test_dashboard_renders_with_every_request_on_127_0_0_1(db, person, tmp_path):
    build_year()
    build_october()
    db.session.commit()

    manager = person("manager")  # Management lands on the dashboard
    # Waited for by selector: `wait_for_function` compiles its predicate in the
    # page, which the Content-Security-Policy (no 'unsafe-eval') refuses.
    ready = manager.page.locator(f"body[data-charts-ready='{CHARTS}']")
    ready.wait_for()
    manager.open("/dashboard/?month=2026-10")  # October, the month with data
    ready.wait_for()
    drawn = manager.page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".filter(c => Chart.getChart(c)).length"
    )
    assert drawn == CHARTS
    assert manager.page.locator(".kpi-tile.panel-danger").count() >= 1
    shot = Path(os.environ.get("DASHBOARD_SCREENSHOT") or tmp_path / "d.png")
    manager.page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Chart.js comes from the app; each of the two dashboards asked for the
    # data of every chart. (The `person` fixture fails the test on any request
    # outside 127.0.0.1 and on any console error.)
    assert any("/static/vendor/chartjs/chart.umd.min.js" in u for u in manager.requests)
    assert sum("/dashboard/data/" in u for u in manager.requests) == 2 * CHARTS


def test_management_reads_the_month_from_kpi_facts(db, person, monkeypatch):
    """The facts job has run: the dashboard and the KPI report of October say
    when their figures stand as of, and show the figures the records give;
    the report's staff come a page at a time."""
    from app.models import now
    from app.services.reporting import kpi, kpi_facts
    from app.ui import reporting
    from tests.browser import screenshot_dir
    from tests.reporting.kpi_month import OCTOBER

    build_year()
    build_october()
    db.session.commit()
    # The jobs run now (the server's clock is the real one): October is a
    # month recounted nightly, unless this runs in November 2026.
    months = kpi.Window.ending(OCTOBER, kpi_facts.WINDOW_MONTHS - 1).months
    kpi_facts.refresh(
        [kpi.Period("month", m) for m in months] + [kpi.parse_period("2026-Q4")]
    )
    stamp = (
        "每 15 分钟更新一次"
        if kpi_facts.is_recent(kpi.Period("month", OCTOBER))
        else "每晚更新"
    )
    monkeypatch.setattr(reporting, "STAFF_PAGE", 4)  # six staff in October

    manager = person("manager")
    manager.open("/dashboard/?month=2026-10")
    manager.page.locator(f"body[data-charts-ready='{CHARTS}']").wait_for()
    manager.expect_text("统计截至", stamp)
    # Complaint timeliness of October, as test_kpi works it out: 5 of 8.
    tile = manager.page.locator(".kpi-tile[data-kpi='complaint_timeliness']")
    assert "62.50" in tile.inner_text()
    # Each target in its measure's unit (seed targets): complaints per 100
    # pickups "≤ 5.00 / 100", not "≤ 5.00 %".
    targets = {
        "complaint_timeliness": "目标 ≥ 95.00 %",
        "complaint_rate_pickups": "目标 ≤ 5.00 / 100",
        "complaint_rate_customers": "目标 ≤ 10.00 / 100",
    }
    for code, target in targets.items():
        shown = manager.page.locator(f".kpi-tile[data-kpi='{code}'] .kpi-meta")
        assert target in shown.inner_text(), (code, shown.inner_text())
    manager.screenshot(screenshot_dir(), "dashboard-from-kpi-facts")

    manager.click("KPI报表")
    manager.expect_text("统计截至", stamp, "在处理时限内办结的投诉处理轮次")
    assert manager.path.startswith("/kpis/")
    for code, target in targets.items():
        row = manager.page.locator(f".kpi-table tr[data-kpi='{code}']").first
        assert target.removeprefix("目标 ") in row.inner_text()
    manager.screenshot(screenshot_dir(), "kpi-report-from-kpi-facts")
    staff = manager.page.locator(".kpi-table").last.locator("tbody th")
    first = staff.all_inner_texts()
    manager.expect_text("第 1–4 人，共 6 人")
    manager.click("下一页")
    manager.expect_text("统计截至", "第 5–6 人，共 6 人")
    second = staff.all_inner_texts()
    assert len(first) == 4 and len(second) == 2 and not set(first) & set(second)
    assert set(first) | set(second) == {"李娜", "张伟", "王强", "刘洋", "周婷", "吴磊"}
    manager.click("上一页")
    manager.expect_text("第 1–4 人，共 6 人")

    # The quarter: its definitions speak of the period, not of "this month".
    manager.click("季度 2026-Q4")
    assert manager.path == "/kpis/?month=2026-Q4"
    manager.expect_text("统计期内响应时限到期的工单")
    definitions = manager.page.locator(".kpi-table").first.inner_text()
    assert "本月" not in definitions
    # The year, then back to a month: the year's latest month that has
    # begun (this one, in 2026), not January.
    manager.click("年份 2026")
    latest = kpi.Period("year", dt.date(2026, 1, 1)).latest_month(kpi.month_of(now()))
    manager.click(f"月份 {latest:%Y-%m}")
    assert manager.path == f"/kpis/?month={latest:%Y-%m}"
    manager.screenshot(screenshot_dir(), "kpi-report-month-from-year")


def test_a_department_clerk_reads_their_department_view(db, person):
    """王强 of Operations: the dashboard, KPI report and complaint analysis of
    October come from his department's view of the facts (stamped), and show
    what counting his own scope from the records gives."""
    from app.services.reporting import complaint_analysis, kpi, kpi_facts
    from tests.browser import screenshot_dir
    from tests.factories import user
    from tests.reporting.kpi_month import OCTOBER

    build_year()
    build_october()
    db.session.commit()
    october = kpi.Window.ending(OCTOBER)
    categories = complaint_analysis.by_category(october, user("ops"))
    kpi_facts.refresh([kpi.Period("month", OCTOBER)])
    live = kpi.compute([OCTOBER], user("ops"))
    company = kpi.compute([OCTOBER], user("manager"))
    code = "response_timeliness"
    mine = live.figure(code, OCTOBER)
    assert mine.denominator < company.figure(code, OCTOBER).denominator

    clerk = person("ops")
    clerk.open("/dashboard/?month=2026-10")
    clerk.page.locator("body[data-charts-ready]").wait_for()
    clerk.expect_text("统计截至")
    tile = clerk.page.locator(f".kpi-tile[data-kpi='{code}']")
    assert f"{mine.value:.2f}" in tile.inner_text()
    clerk.screenshot(screenshot_dir(), "dashboard-department-view")

    clerk.click("KPI报表")
    # His figures by staff come from what he may see: the headings say so.
    clerk.expect_text("统计截至", "王强", "按人员（您有权查看的记录）")
    assert clerk.path.startswith("/kpis/")
    clerk.screenshot(screenshot_dir(), "kpi-report-department-view")

    clerk.click("统计分析")
    clerk.click("投诉分析")
    assert clerk.path.startswith("/analysis/")
    # October, as the dashboard above was opened.
    clerk.open("/analysis/?month=2026-10&span=1")
    clerk.expect_text("统计截至", "2026-10")
    assert categories, "王强 sees October's complaints"
    for row in categories:
        cells = clerk.page.locator(
            f"#by-category tr[data-category='{row.category_id}'] td"
        )
        assert cells.nth(0).inner_text().strip() == row.name
        assert cells.nth(1).inner_text().strip() == str(row.complaints)
        assert (
            row.timeliness.display() in cells.nth(2).inner_text()
            or not row.timeliness.denominator
        )
    clerk.screenshot(screenshot_dir(), "analysis-department-view")


def test_business_statistics_say_when_their_figures_stand_as_of(db, person):
    """The facts job has counted the last 13 months: Management's business
    statistics (this month, then 12 months) come from the business facts and
    say so; a Warehouse clerk, who sees only part of the business, gets the
    department's facts and their own records beyond it, which add up to what
    the records give for their scope (counted before the job ran)."""
    from app.services.reporting import business, kpi, kpi_facts
    from tests.browser import screenshot_dir
    from tests.factories import user

    build_year()
    build_october()
    db.session.commit()
    year = kpi.Window.ending(kpi.month_of(kpi.now()), 12)
    clerk_top = business.volumes("material", year, user("warehouse"))[0]
    assert clerk_top.received > 0
    kpi_facts.refresh([p for p in kpi_facts.window_periods() if p.kind == "month"])
    top = business.volumes("material", year, user("manager"))[0]
    assert top.received > 0

    manager = person("manager")
    manager.click("统计分析")
    manager.click("经营统计")
    assert manager.path.startswith("/business/")
    manager.expect_text("统计截至", "每 15 分钟更新一次", "回收量（kg）")
    manager.choose("span", "12个月")
    manager.click_button("查询")
    assert "span=12" in manager.path
    manager.expect_text("统计截至", top.key, f"{top.received:,.3f}")
    manager.screenshot(screenshot_dir(), "business-from-facts")
    # A month typed without its dash: the browser reads it all as the year.
    manager.type("month", "202610")
    manager.click_button("查询")
    manager.expect_text("无法识别", "现显示", "回收量（kg）")
    manager.screenshot(screenshot_dir(), "business-month-not-read")

    clerk = person("warehouse")
    clerk.click("统计分析")
    clerk.click("经营统计")
    clerk.choose("span", "12个月")
    clerk.click_button("查询")
    clerk.expect_text(
        "统计截至", "回收量（kg）", clerk_top.key, f"{clerk_top.received:,.3f}"
    )
    clerk.screenshot(screenshot_dir(), "business-department-clerk")
