"""Monthly regrading proposals (seed 003 公司客户服务办法 第四条): the set-based
computation checked against a plain one, the month's edges, the run twice,
and Sales' decision (their customers only, audited, refused in words)."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import (
    BUSINESS_TZ,
    AuditLog,
    Case,
    Customer,
    CustomerGrade,
    GradeProposal,
    Material,
    Settlement,
    SettlementLine,
    WeighLine,
    WeighTicket,
)
from app.models.base import clock_at
from app.security.access import acting_as
from app.services.core.errors import DomainError, InvalidInput
from app.services.customers import grading
from tests.factories import by_code, user
from tests.finance.money import add_sales_rep

PERIOD = dt.date(2026, 11, 1)
START = dt.datetime(2025, 11, 1, tzinfo=BUSINESS_TZ)
END = dt.datetime(2026, 11, 1, tzinfo=BUSINESS_TZ)
RECENT = dt.datetime(2026, 5, 1, tzinfo=BUSINESS_TZ)


def grades() -> dict[str, CustomerGrade]:
    return {g.code: g for g in _db.session.scalars(select(CustomerGrade))}


def customer(name: str, **values) -> Customer:
    """A customer row written directly: the proposal reads only the tables."""
    item = Customer(
        code=f"T{abs(hash(name)) % 10**8:08d}",
        name=name,
        customer_type_id=by_code_id("customer_type", "supplier"),
        department_id=by_code_id("department", "sales"),
        status=values.pop("status", "active"),
        **values,
    )
    _db.session.add(item)
    _db.session.flush()
    return item


def by_code_id(table: str, code: str) -> int:
    from app.models import CustomerType, Department

    model = {"customer_type": CustomerType, "department": Department}[table]
    return by_code(model, code).id


def weigh(owner: Customer, at: dt.datetime, net: str) -> None:
    ticket = WeighTicket(
        number=f"W{_db.session.query(WeighTicket).count() + 1:08d}",
        customer_id=owner.id,
        department_id=by_code_id("department", "warehouse"),
    )
    _db.session.add(ticket)
    _db.session.flush()
    gross = D(net) + D("100")
    _db.session.add(
        WeighLine(
            ticket_id=ticket.id,
            material_id=by_code(Material, "paper-cardboard").id,
            gross_kg=gross,
            gross_at=at,
            gross_by_id=user("warehouse").id,
            tare_kg=D("100"),
            tare_at=at,
            tare_by_id=user("warehouse").id,
            net_kg=D(net),
        )
    )


def sell(owner: Customer, at: dt.datetime, net: str, status: str = "confirmed"):
    settlement = Settlement(
        number=f"S{_db.session.query(Settlement).count() + 1:08d}",
        direction="receive",
        customer_id=owner.id,
        status=status,
        confirmed_at=at,
        voided_at=at if status == "voided" else None,
        void_reason="作废" if status == "voided" else None,
        paid_at=at if status == "paid" else None,
        voucher_no=f"V{owner.id}-{at.timestamp()}" if status == "paid" else None,
        department_id=by_code_id("department", "finance"),
    )
    _db.session.add(settlement)
    _db.session.flush()
    _db.session.add(
        SettlementLine(
            settlement_id=settlement.id,
            material_id=by_code(Material, "paper-office").id,
            net_kg=D(net),
            unit_price=D("1.0000"),
            amount=D(net).quantize(D("0.01")),
        )
    )


def complain(owner: Customer, at: dt.datetime, status: str = "new") -> None:
    from app.models import CaseCategory, Channel

    _db.session.add(
        Case(
            number=f"CS-T-{_db.session.query(Case).count() + 1:06d}",
            customer_id=owner.id,
            kind="complaint",
            severity="general",
            category_id=by_code(CaseCategory, "other").id,
            channel_id=by_code(Channel, "hotline").id,
            title="投诉",
            description="客户投诉",
            status=status,
            received_at=at,
            department_id=by_code_id("department", "cs"),
            first_ask_owner_id=user("cs").id,
        )
    )


# ------------------------------------------------ the plain computation
def expected_proposals(period_start, period_end, recent_start) -> dict[int, tuple]:
    """Customer id -> (proposed code, kg, recent kg, complaints), computed
    row by row in Python from the ORM, only where the grade would change."""
    volume: dict[int, D] = {}
    recent: dict[int, D] = {}
    for line in _db.session.scalars(select(WeighLine)):
        if line.net_kg is None or not period_start <= line.gross_at < period_end:
            continue
        owner = line.ticket.customer_id
        volume[owner] = volume.get(owner, D(0)) + line.net_kg
        if line.gross_at >= recent_start:
            recent[owner] = recent.get(owner, D(0)) + line.net_kg
    for line in _db.session.scalars(select(SettlementLine)):
        s = line.settlement
        if s.direction != "receive" or s.status not in ("confirmed", "paid"):
            continue
        if s.confirmed_at is None or not period_start <= s.confirmed_at < period_end:
            continue
        volume[s.customer_id] = volume.get(s.customer_id, D(0)) + line.net_kg
        if s.confirmed_at >= recent_start:
            recent[s.customer_id] = recent.get(s.customer_id, D(0)) + line.net_kg
    complaints: dict[int, int] = {}
    for case in _db.session.scalars(select(Case)):
        if case.kind != "complaint" or case.status == "cancelled":
            continue
        if period_start <= case.received_at < period_end:
            complaints[case.customer_id] = complaints.get(case.customer_id, 0) + 1
    ladder = sorted((g for g in grades().values() if g.active), key=lambda g: g.rank)
    result = {}
    for item in _db.session.scalars(select(Customer)):
        if item.status != "active":
            continue
        kg, count = volume.get(item.id, D(0)), complaints.get(item.id, 0)
        chosen = ladder[-1]
        for candidate in ladder:
            least, most = candidate.min_volume_kg, candidate.max_complaints
            if least is not None and kg < least:
                continue
            if most is not None and count > most:
                continue
            chosen = candidate
            break
        if item.grade_id == chosen.id:
            continue
        result[item.id] = (chosen.code, kg, recent.get(item.id, D(0)), count)
    return result


def made(period=PERIOD) -> dict[int, tuple]:
    return {
        p.customer_id: (
            p.proposed_grade.code,
            D(p.volume_kg).quantize(D("0.001")),
            D(p.recent_volume_kg).quantize(D("0.001")),
            p.complaints,
        )
        for p in _db.session.scalars(
            select(GradeProposal).where(GradeProposal.period == period)
        )
    }


def test_proposals_follow_the_criteria_at_the_edges_of_the_window(db):
    g = grades()
    big = customer("大客户", sales_rep_id=user("sales").id)
    weigh(big, START, "300000")  # the first instant of the window counts
    weigh(big, RECENT, "200000.5")
    complain(big, dt.datetime(2026, 3, 1, 10, tzinfo=BUSINESS_TZ))
    complain(big, dt.datetime(2026, 3, 2, 10, tzinfo=BUSINESS_TZ), "cancelled")
    noisy = customer("投诉多的大客户")
    weigh(noisy, dt.datetime(2026, 1, 5, tzinfo=BUSINESS_TZ), "600000")
    for day in (1, 2):
        complain(noisy, dt.datetime(2026, 2, day, 9, tzinfo=BUSINESS_TZ))
    buyer = customer("采购客户")
    sell(buyer, dt.datetime(2026, 10, 31, 23, 59, tzinfo=BUSINESS_TZ), "60000")
    sell(buyer, dt.datetime(2026, 6, 1, tzinfo=BUSINESS_TZ), "50000", "voided")
    # Out of the window on both sides (00:00 Nov 1 Shanghai is still Oct in UTC).
    edge = customer("窗口外客户", grade_id=g["C"].id)
    weigh(edge, START - dt.timedelta(seconds=1), "900000")
    weigh(edge, END, "900000")
    idle_d = customer("零散客户", grade_id=g["D"].id)
    customer("停用客户", status="suspended")
    fresh = customer("新客户")
    _db.session.commit()

    assert grading.propose(PERIOD) == 5
    found = made()
    assert found == expected_proposals(START, END, RECENT)
    assert found[big.id] == ("A", D("500000.500"), D("200000.500"), 1)
    assert found[noisy.id] == ("B", D("600000.000"), D("0.000"), 2)
    assert found[buyer.id] == ("C", D("60000.000"), D("60000.000"), 0)
    assert found[edge.id] == ("D", D("0.000"), D("0.000"), 0)
    assert found[fresh.id][0] == "D"
    assert idle_d.id not in found  # already D: nothing to decide
    # The job runs twice: nothing more.
    assert grading.propose(PERIOD) == 0
    assert len(made()) == 5


def test_set_based_proposals_match_the_plain_computation(db):
    rng = random.Random(20261130)
    g = grades()
    people = [
        customer(
            f"随机客户{i}",
            grade_id=rng.choice([None, *(x.id for x in g.values())]),
            status=rng.choice(["active"] * 5 + ["suspended"]),
        )
        for i in range(40)
    ]
    span = (END - START).total_seconds()
    for _ in range(160):
        who = rng.choice(people)
        at = START + dt.timedelta(seconds=rng.uniform(-0.1, 1.1) * span)
        kind = rng.random()
        if kind < 0.6:
            weigh(who, at, f"{rng.randint(1, 200000)}.{rng.randint(0, 999):03d}")
        elif kind < 0.8:
            status = rng.choice(["confirmed", "paid", "draft", "voided"])
            sell(who, at, f"{rng.randint(1, 90000)}.{rng.randint(0, 999):03d}", status)
        else:
            complain(who, at, rng.choice(["new", "closed", "cancelled"]))
    _db.session.commit()
    grading.propose(PERIOD)
    assert made() == expected_proposals(START, END, RECENT)
    # Numbered in customer order: the newest customer's proposal heads the list.
    order = _db.session.execute(
        select(GradeProposal.customer_id).order_by(GradeProposal.id)
    ).scalars()
    customers = list(order)
    assert customers == sorted(customers)


def test_a_new_month_supersedes_the_undecided_proposal(db, work, queues):
    someone = customer("待定客户")
    _db.session.commit()
    queues.enqueue("app.jobs.notices.propose_grades", "202610")
    queues.enqueue("app.jobs.notices.propose_grades", "202610")
    work()
    october = _db.session.scalars(select(GradeProposal)).one()
    assert october.status == "proposed"
    queues.enqueue("app.jobs.notices.propose_grades", "202611")
    work()
    _db.session.expire_all()
    rows = _db.session.scalars(
        select(GradeProposal)
        .where(GradeProposal.customer_id == someone.id)
        .order_by(GradeProposal.period)
    ).all()
    assert [(r.period, r.status) for r in rows] == [
        (dt.date(2026, 10, 1), "superseded"),
        (dt.date(2026, 11, 1), "proposed"),
    ]


def _proposal_for(owner: Customer) -> GradeProposal:
    return _db.session.scalars(
        select(GradeProposal).where(GradeProposal.customer_id == owner.id)
    ).one()


def test_sales_accepts_for_their_customer_and_the_change_is_audited(db):
    mine = customer("我的客户", sales_rep_id=user("sales").id)
    weigh(mine, dt.datetime(2026, 9, 1, tzinfo=BUSINESS_TZ), "150000")
    _db.session.commit()
    grading.propose(PERIOD)
    proposal = _proposal_for(mine)
    clerk = user("sales")
    with acting_as(clerk), clock_at(dt.datetime(2026, 11, 3, 10, tzinfo=BUSINESS_TZ)):
        grading.GRADE_FLOW.run(proposal, "accept", {"note": "同意"}, clerk)
    _db.session.expire_all()
    assert _db.session.get(Customer, mine.id).grade.code == "B"
    proposal = _proposal_for(mine)
    assert (proposal.status, proposal.decided_by_id) == ("accepted", clerk.id)
    trail = _db.session.scalars(
        select(AuditLog).where(
            AuditLog.table_name == "customer", AuditLog.row_id == mine.id
        )
    ).all()
    changes = [json.loads(a.changes) for a in trail if a.user_id == clerk.id]
    assert any(c.get("grade_id") == [None, grades()["B"].id] for c in changes)


def test_rejecting_needs_a_reason_and_changes_nothing(db):
    mine = customer("要说明理由的客户", sales_rep_id=user("sales").id)
    _db.session.commit()
    grading.propose(PERIOD)
    proposal = _proposal_for(mine)
    clerk = user("sales")
    with acting_as(clerk), pytest.raises(InvalidInput) as refused:
        grading.GRADE_FLOW.run(proposal, "reject", {"note": "  "}, clerk)
    _db.session.rollback()
    assert "原因" in str(refused.value) or "理由" in str(refused.value)
    assert _proposal_for(mine).status == "proposed"
    assert _db.session.get(Customer, mine.id).grade_id is None


def test_a_sales_clerk_sees_only_the_proposals_of_their_customers(db):
    from app.security.scope import restrict

    other_rep = add_sales_rep()
    mine = customer("甲客户", sales_rep_id=user("sales").id)
    theirs = customer("乙客户", sales_rep_id=other_rep.id)
    _db.session.commit()
    grading.propose(PERIOD)

    def visible(who):
        stmt = restrict(select(GradeProposal.customer_id), GradeProposal, who)
        return set(_db.session.scalars(stmt))

    assert visible(user("sales")) == {mine.id}
    assert visible(other_rep) == {theirs.id}
    assert {mine.id, theirs.id} <= visible(user("manager"))


def test_a_month_typed_wrong_is_refused_in_words():
    with pytest.raises(DomainError) as refused:
        grading.parse_period("2026/13")
    assert "YYYY-MM" in str(refused.value)
