"""A call on the supervision hotline (监督电话, seed 001 §8(一)): the admin sees
where the channel's cases go, CustomerService registers the call on the case
screen, and Management finds it in its queue; QC, the department it is about,
does not."""

from __future__ import annotations

from app.models import Case
from tests.browser import screenshot_dir


def test_supervision_call_lands_with_management(demo_db, person):
    admin = person("admin")
    admin.open("/channelview/list/")
    row = admin.page.locator("tbody tr", has_text="监督电话")
    assert "管理层" in row.inner_text()

    cs = person("cs")
    cs.open("/cases/add")
    cs.pick("customer", "华新", "杭州华新纸业有限公司")
    cs.choose("kind", "投诉")
    cs.choose("severity", "一般")
    cs.pick("category", "质量", "产品质量")
    cs.pick("channel", "监督", "监督电话")
    cs.type("title", "监督电话：质检部推诿投诉")
    cs.type("description", "客户来电反映质检争议投诉两周无人处理，要求公司监督。")
    cs.click_button("保存")
    case = demo_db.session.query(Case).filter_by(title="监督电话：质检部推诿投诉").one()
    assert case.department.code == "mgmt"
    cs.expect_text(case.number, "管理层")

    manager = person("manager")
    manager.open("/cases/list/")
    row = manager.page.locator("tbody tr", has_text=case.number)
    row.locator(f"a[href*='/cases/show/{case.id}']").first.click()
    manager.page.wait_for_url(f"**/cases/show/{case.id}**")
    manager.expect_text("监督电话：质检部推诿投诉", "监督电话", "管理层")
    manager.screenshot(screenshot_dir(), "supervision_case_management")

    qc = person("qc")
    qc.open("/cases/list/")
    assert case.number not in qc.text()
