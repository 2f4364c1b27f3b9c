"""Supervision in Chromium (seed 001 §8(一), seed 002 §4(一)2): customer
service spot-checks a closed case handled by Operations and scores the five
items; the Operations head records a site patrol of a pickup crew."""

from __future__ import annotations

from sqlalchemy import select

from app.models import AppUser, Case, Pickup, SitePatrol, SpotCheck
from tests.browser import screenshot_dir


def _shown(who, label: str) -> str:
    return who.page.locator(f"th:text-is('{label}') + td").first.inner_text().strip()


def test_customer_service_spot_checks_a_closed_case(demo_db, person):
    session = demo_db.session
    ops2 = session.scalars(select(AppUser).where(AppUser.username == "ops2")).one()
    case = session.scalars(
        select(Case)
        .where(Case.status == "closed", Case.owner_id == ops2.id)
        .order_by(Case.id)
    ).first()
    assert case is not None, "the demo data has a case closed by ops2"

    cs = person("cs")
    cs.click(".dropdown-toggle:has-text('监督考核')")
    cs.click("服务抽查")
    cs.click("a[href*='/spotchecks/add']")
    cs.pick("case", case.number[-6:], case.number)
    for name, score in (
        ("timeliness_score", "18"),
        ("process_score", "16"),
        ("solution_score", "25"),
        ("satisfaction_score", "17"),
        ("records_score", "12"),
    ):
        cs.type(name, score)
    findings = "回访记录缺少客户确认时间，解决方案合理。"
    cs.type("findings", findings)
    cs.click_button("保存")
    # 25 is over the item's 20 points: refused at the field, the rest kept.
    cs.expect_text("须在 0 到 20 之间（含）。")
    assert cs.field("findings").input_value() == findings
    cs.type("solution_score", "15", clear=True)
    cs.click_button("保存")

    check = session.scalars(select(SpotCheck)).one()
    cs.open(f"/spotchecks/show/{check.id}")
    # 18 + 16 + 15 + 17 + 12 = 78
    assert _shown(cs, "总分") == "78"
    assert _shown(cs, "处理人（被考核人）") == str(ops2)
    cs.screenshot(screenshot_dir(), "supervision-spot-check")
    assert (check.total_score, check.handler_id) == (78, ops2.id)


def test_the_operations_head_records_a_site_patrol(demo_db, person):
    session = demo_db.session
    pickup = session.scalars(
        select(Pickup).where(Pickup.crew.is_not(None)).order_by(Pickup.id)
    ).first()
    assert pickup is not None, "the demo data has a pickup with its crew"

    ops = person("ops")
    ops.click(".dropdown-toggle:has-text('监督考核')")
    ops.click("现场巡查")
    ops.click("a[href*='/sitepatrols/add']")
    ops.pick("pickup", pickup.number[-6:], pickup.number)
    ops.pick("leader", "ops2")
    ops.type("score", "86")
    ops.type("findings", "现场分类规范，过磅前未复核件数一次。")
    ops.click_button("保存")

    patrol = session.scalars(select(SitePatrol)).one()
    ops.open(f"/sitepatrols/show/{patrol.id}")
    assert _shown(ops, "得分") == "86"
    assert _shown(ops, "作业班组") == pickup.crew
    ops.screenshot(screenshot_dir(), "supervision-site-patrol")
    assert (patrol.leader.username, patrol.crew) == ("ops2", pickup.crew)
