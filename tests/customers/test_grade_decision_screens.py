"""Deciding a regrading proposal on its pages, and the to-do that tells Sales
proposals wait (seed 003 公司客户服务办法 第四条(1)): the accept page names the
old and new grade with the figures the proposal used; not adopting it is
called 不采纳; the home and dashboard pages count the waiting proposals in the
user's scope and link to the filtered list."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal as D

from sqlalchemy import select

from app.extensions import db as _db
from app.models import (
    BUSINESS_TZ,
    CustomerGrade,
    GradeProposal,
    Material,
    WeighLine,
    WeighTicket,
)
from app.models.base import clock_at
from app.services.customers import grading
from tests.factories import CaseFactory, CustomerFactory, by_code, user
from tests.finance.money import add_sales_rep

PERIOD = dt.date(2026, 11, 1)


def _weighed(customer, kg: str, at: dt.datetime, number: str) -> None:
    ticket = WeighTicket(
        number=number,
        customer_id=customer.id,
        department_id=user("warehouse").department_id,
    )
    _db.session.add(ticket)
    _db.session.flush()
    _db.session.add(
        WeighLine(
            ticket_id=ticket.id,
            material_id=by_code(Material, "paper-cardboard").id,
            gross_kg=D(kg) + D(500),
            gross_at=at,
            gross_by_id=user("warehouse").id,
            tare_kg=D(500),
            tare_at=at,
            tare_by_id=user("warehouse").id,
            net_kg=D(kg),
        )
    )
    _db.session.commit()


def _proposal(customer) -> GradeProposal:
    return _db.session.scalars(
        select(GradeProposal).where(GradeProposal.customer_id == customer.id)
    ).one()


def _text(reply) -> str:
    return re.sub(r"\s+", " ", html.unescape(reply.get_data(as_text=True)))


def _graded_c_customer_with_volume():
    """A C customer: 80 t in March, 45.5 t in September (recent), one
    complaint in September and one in October of the year before (outside)."""
    customer = CustomerFactory(
        _as="sales", name="杭州恒达纸品回收有限公司", sales_rep=user("sales")
    )
    customer.grade_id = by_code(CustomerGrade, "C").id
    _db.session.commit()
    march = dt.datetime(2026, 3, 12, 10, tzinfo=BUSINESS_TZ)
    september = dt.datetime(2026, 9, 3, 15, tzinfo=BUSINESS_TZ)
    _weighed(customer, "80000", march, "WT-T-000001")
    _weighed(customer, "45500", september, "WT-T-000002")
    # Outside the window (before 2025-11 and in the proposal's own month).
    _weighed(
        customer, "900000", dt.datetime(2025, 10, 20, tzinfo=BUSINESS_TZ), "WT-T-3"
    )
    _weighed(customer, "900000", dt.datetime(2026, 11, 2, tzinfo=BUSINESS_TZ), "WT-T-4")
    for when in (september, dt.datetime(2025, 10, 8, 9, tzinfo=BUSINESS_TZ)):
        with clock_at(when):
            CaseFactory(_as="cs", customer=customer, kind="complaint")
    return customer


def test_the_accept_page_names_the_old_and_new_grade_and_the_figures(db, login):
    customer = _graded_c_customer_with_volume()
    grading.propose(PERIOD)
    proposal = _proposal(customer)
    # Independently: 80 000 + 45 500 kg in 2025-11..2026-10, 45 500 since
    # 2026-05, one complaint; B asks for 100 000 kg and at most 2 complaints.
    assert (proposal.current_grade.code, proposal.proposed_grade.code) == ("C", "B")
    page = _text(login("sales").get(f"/gradeproposals/step/accept/{proposal.id}"))
    assert "将 杭州恒达纸品回收有限公司 的等级由 C 调整为 B。" in page
    assert "2025-11 至 2026-10" in page
    assert "回收及销售量 125,500.000 kg" in page
    assert "近 6 个月 45,500.000 kg" in page
    assert "投诉 1 起" in page
    assert "B 类标准：回收及销售量不少于 100,000.000 kg，投诉不超过 2 起" in page


def test_an_ungraded_customer_s_proposal_says_so(db, login):
    customer = CustomerFactory(_as="sales", sales_rep=user("sales"))
    grading.propose(PERIOD)
    proposal = _proposal(customer)
    page = _text(login("sales").get(f"/gradeproposals/step/accept/{proposal.id}"))
    assert f"将 {customer.name} 的等级由 未分级 调整为 D。" in page
    assert "D 类标准：无数量要求（最低等级）" in page


def test_not_adopting_reads_bu_cai_na_everywhere(db, login):
    customer = _graded_c_customer_with_volume()
    grading.propose(PERIOD)
    proposal = _proposal(customer)
    sales = login("sales")
    shown = _text(sales.get(f"/gradeproposals/show/{proposal.id}"))
    assert "不采纳" in shown and "拒收" not in shown
    page = _text(sales.get(f"/gradeproposals/step/reject/{proposal.id}"))
    assert "杭州恒达纸品回收有限公司 保持 C 类，不调整为 B 类。" in page
    assert "拒收" not in page
    refused = sales.post(
        f"/gradeproposals/step/reject/{proposal.id}", data={"note": ""}
    )
    assert refused.status_code == 400 and "拒收" not in _text(refused)
    _db.session.expire_all()
    assert _proposal(customer).status == "proposed"
    done = sales.post(
        f"/gradeproposals/step/reject/{proposal.id}",
        data={"note": "下半年业务量回落，暂不调整。"},
        follow_redirects=True,
    )
    text = _text(done)
    assert "不采纳：已完成。" in text and "未采纳" in text
    _db.session.expire_all()
    assert _proposal(customer).status == "rejected"


def _waiting_line(page: str) -> str | None:
    found = re.search(r"(\d+) 条客户等级调整建议待处理", page)
    return found.group(1) if found else None


def test_sales_is_told_how_many_proposals_wait_in_their_scope(db, login):
    other_rep = add_sales_rep()
    mine = [CustomerFactory(_as="sales", sales_rep=user("sales")) for _ in range(3)]
    theirs = CustomerFactory(_as="sales", sales_rep=other_rep)
    grading.propose(PERIOD)
    decided = _proposal(mine[0])
    grading.GRADE_FLOW.run(decided, "accept", {"note": ""}, user("sales"))
    # Independently: proposals still "proposed" whose customer each rep serves.
    expected = {
        rep.username: sum(
            1
            for p in _db.session.scalars(select(GradeProposal))
            if p.status == "proposed" and p.customer.sales_rep_id == rep.id
        )
        for rep in (user("sales"), other_rep)
    }
    assert expected == {"sales": 2, "sales2": 1}
    # The head of Sales lands on the dashboard, a rep on the workbench.
    head = _text(login("sales").get("/"))
    assert _waiting_line(head) == "2"
    assert "/gradeproposals/list/?_flt_0_status=proposed" in head
    assert _waiting_line(_text(login("sales").get("/?view=workbench"))) == "2"
    rep = _text(login("sales2").get("/"))
    assert _waiting_line(rep) == "1"
    listed = _text(login("sales2").get("/gradeproposals/list/?_flt_0_status=proposed"))
    assert theirs.name in listed and mine[1].name not in listed
    # Nobody else has proposals to decide.
    assert _waiting_line(_text(login("cs").get("/"))) is None
    assert _waiting_line(_text(login("finance").get("/?view=workbench"))) is None
