"""Sales decides regrading proposals in Chromium (seed 003 公司客户服务办法
第四条(1)): the head of Sales finds on the landing page how many proposals
wait for them, opens the waiting list from it, reads on the accept page
which grade changes into which and the figures behind it, and does not adopt
one (不采纳), giving the reason."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

from sqlalchemy import select

from app.models import (
    CustomerGrade,
    GradeProposal,
    Material,
    WeighLine,
    WeighTicket,
    now,
)
from app.services.customers import grading
from tests.browser import screenshot_dir
from tests.factories import CustomerFactory, by_code, user


def test_sales_opens_the_waiting_proposals_from_the_to_do_and_decides(demo_db, person):
    session = demo_db.session
    customer = CustomerFactory(
        _as="sales", name="余杭恒达纸品回收有限公司", sales_rep=user("sales")
    )
    customer.grade_id = by_code(CustomerGrade, "C").id
    ticket = WeighTicket(
        number="WT-J-000009",
        customer_id=customer.id,
        department_id=user("warehouse").department_id,
    )
    session.add(ticket)
    session.flush()
    weighed = now().replace(day=1) - dt.timedelta(days=20)
    session.add(
        WeighLine(
            ticket_id=ticket.id,
            material_id=by_code(Material, "paper-cardboard").id,
            gross_kg=D("130500"),
            gross_at=weighed,
            gross_by_id=user("warehouse").id,
            tare_kg=D("500"),
            tare_at=weighed,
            tare_by_id=user("warehouse").id,
            net_kg=D("130000"),
        )
    )
    session.commit()
    grading.propose()
    proposal = session.scalars(
        select(GradeProposal).where(GradeProposal.customer_id == customer.id)
    ).one()
    # Independently: the proposals waiting whose customer the head serves.
    waiting = sum(
        1
        for p in session.scalars(select(GradeProposal))
        if p.status == "proposed" and p.customer.sales_rep_id == user("sales").id
    )

    sales = person("sales")
    sales.expect_text(f"{waiting} 条客户等级调整建议待处理")
    # The dashboard's tiles say what their two numbers are.
    meta = sales.page.locator("[data-kpi='satisfaction_mean'] .kpi-meta").inner_text()
    assert re.search(r"评分 \d+ 次，合计 \d+ 分", meta), meta
    sales.screenshot(screenshot_dir(), "grading-to-do-on-landing-page")
    sales.click(f"{waiting} 条客户等级调整建议待处理")
    assert "_flt_0_status=proposed" in sales.path
    sales.click(f"a[href*='/gradeproposals/show/{proposal.id}']")
    sales.click("采纳建议等级")
    sales.expect_text(
        "将 余杭恒达纸品回收有限公司 的等级由 C 调整为 B。",
        "回收及销售量 130,000.000 kg",
        "投诉 0 起",
    )
    sales.screenshot(screenshot_dir(), "grading-accept-page")
    sales.click("返回")
    sales.click("不采纳")
    sales.expect_text("余杭恒达纸品回收有限公司 保持 C 类，不调整为 B 类。")
    sales.type("note", "大额回收为一次性清库，业务量不可持续。")
    sales.click_button("不采纳")
    sales.expect_text("不采纳：已完成。", "未采纳")
    assert "拒收" not in sales.text()
    sales.screenshot(screenshot_dir(), "grading-not-adopted")
    session.expire_all()
    decided = session.get(GradeProposal, proposal.id)
    assert (decided.status, decided.decided_by.username) == ("rejected", "sales")
    assert session.get(type(customer), customer.id).grade.code == "C"
