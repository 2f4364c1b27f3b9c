"""Regrading in Chromium: the Sales representative finds this month's proposal
for a customer they represent, accepts it, and the customer list shows the
new grade (seed 003 公司客户服务办法 第四条)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from sqlalchemy import select

from app.models import Customer, GradeProposal, Material, WeighLine, WeighTicket, now
from app.services.customers import grading
from tests.browser import screenshot_dir
from tests.factories import CustomerFactory, by_code, user


def test_sales_accepts_a_regrading_proposal(demo_db, person):
    session = demo_db.session
    customer = CustomerFactory(
        _as="sales", name="杭州恒达纸品回收有限公司", sales_rep=user("sales")
    )
    ticket = WeighTicket(
        number="WT-J-000001",
        customer_id=customer.id,
        department_id=user("warehouse").department_id,
    )
    session.add(ticket)
    session.flush()
    weighed = now() - dt.timedelta(days=40)
    session.add(
        WeighLine(
            ticket_id=ticket.id,
            material_id=by_code(Material, "paper-cardboard").id,
            gross_kg=D("120500"),
            gross_at=weighed,
            gross_by_id=user("warehouse").id,
            tare_kg=D("500"),
            tare_at=weighed,
            tare_by_id=user("warehouse").id,
            net_kg=D("120000"),
        )
    )
    session.commit()
    grading.propose()
    proposal = session.scalars(
        select(GradeProposal).where(GradeProposal.customer_id == customer.id)
    ).one()
    assert proposal.proposed_grade.code == "B"

    sales = person("sales")
    sales.click(".dropdown-toggle:has-text('客户服务')")
    sales.click("分级调整建议")
    sales.click("待确认")
    sales.expect_text("杭州恒达纸品回收有限公司", "120,000.000")
    sales.click(f"a[href*='/gradeproposals/show/{proposal.id}']")
    sales.expect_text("建议等级", "B类（重要客户）")
    sales.screenshot(screenshot_dir(), "grading-proposal-before-accept")
    sales.click("采纳建议等级")
    sales.type("note", "年回收量已达B类标准，同意调整。")
    sales.click_button("采纳建议等级")
    sales.expect_text("采纳建议等级：已完成。")

    sales.click(".dropdown-toggle:has-text('客户服务')")
    sales.click("[href='/customers/list/']")
    # The newest customer heads the list, its grade marked in its row.
    row = sales.page.locator("tr", has_text="杭州恒达纸品回收有限公司")
    assert row.locator("span.customer-grade").inner_text() == "B"

    session.expire_all()
    assert session.get(Customer, customer.id).grade.code == "B"
    decided = session.get(GradeProposal, proposal.id)
    assert (decided.status, decided.decided_by.username) == ("accepted", "sales")
