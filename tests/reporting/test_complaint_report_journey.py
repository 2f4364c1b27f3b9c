"""CustomerService writes the month's complaint analysis next to its figures
and sends it; Management opens it from its alerts and reads it with the
breakdowns; the sent text cannot be changed (seed 001 §7(一)2)."""

from __future__ import annotations

from app.models import ComplaintReport, now
from app.models.base import BUSINESS_TZ
from tests.browser import screenshot_dir


def test_customer_service_writes_and_sends_management_reads(demo_db, person):
    month = f"{now().astimezone(BUSINESS_TZ):%Y-%m}"
    cs = person("cs")
    cs.open("/analysis/")
    cs.expect_text(
        "本月与上月对比（环比）", "按原因类别", "按责任归属", "本月尚未撰写报告。"
    )
    cs.click("撰写月度分析报告")
    assert cs.field("month").input_value() == month  # this month, as offered
    cs.type(
        "analysis", "本月投诉集中在计量与质检环节，设备计量原因占比最高，环比上升。"
    )
    cs.type("impact", "两家长期合作客户表示将重新评估合作，预计影响回收量约5%。")
    cs.click_button("保存")
    report = demo_db.session.query(ComplaintReport).filter_by(month=month).one()
    assert report.status == "draft"
    cs.expect_text("按原因类别", "本月投诉集中在计量与质检环节")

    cs.click("发送管理层和各部门")
    cs.click_button("发送管理层和各部门")
    cs.expect_text("发送管理层和各部门：已完成", "已发送")
    demo_db.session.expire_all()
    report = demo_db.session.get(ComplaintReport, report.id)
    assert report.status == "sent" and report.sent_by.username == "cs"

    # The text is locked: the edit form is refused with the reason.
    cs.open(f"/complaint-reports/edit/{report.id}")
    cs.expect_text("内容已锁定")
    cs.open("/analysis/")
    cs.expect_text("已发送", "打开报告")

    manager = person("manager")
    manager.open("/notificationview/list/")
    manager.click(f"{month} 月度投诉分析报告")
    manager.page.wait_for_url(f"**/complaint-reports/show/{report.id}**")
    manager.expect_text(
        "本月投诉集中在计量与质检环节",
        "预计影响回收量约5%",
        "本月与上月对比（环比）",
        "李娜",
    )
    manager.screenshot(screenshot_dir(), "complaint_report_management")
