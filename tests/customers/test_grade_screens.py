"""Grades and key accounts on the screens: the proposals in the Sales clerk's
scope, the marks on every list without a query per row, the grade
reference data refusing bad input in words (seed 003 第四条; 快递 二.1)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event, select

from app.extensions import db as _db
from app.models import Customer, CustomerGrade, GradeProposal
from app.services.customers import grading
from tests.factories import CaseFactory, CustomerFactory, PickupFactory, user
from tests.finance.money import add_sales_rep

PERIOD = dt.date(2026, 11, 1)


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def grade(code: str) -> CustomerGrade:
    return _db.session.scalars(select(CustomerGrade).filter_by(code=code)).one()


def key_account(**values) -> Customer:
    customer = CustomerFactory(_as="sales", **values)
    customer.key_account = True
    customer.grade_id = grade("A").id
    _db.session.commit()
    return customer


def proposal_of(customer: Customer) -> GradeProposal:
    return _db.session.scalars(
        select(GradeProposal).where(GradeProposal.customer_id == customer.id)
    ).one()


def test_sales_lists_and_opens_only_their_customers_proposals(db, login):
    other_rep = add_sales_rep()
    mine = CustomerFactory(_as="sales", sales_rep=user("sales"))
    theirs = CustomerFactory(_as="sales", sales_rep=other_rep)
    grading.propose(PERIOD)
    page = login("sales").get("/gradeproposals/list/").get_data(as_text=True)
    assert mine.name in page and theirs.name not in page
    foreign = proposal_of(theirs)
    assert login("sales").get(f"/gradeproposals/show/{foreign.id}").status_code == 404
    # Not by the step either: the record is out of scope.
    answer = login("sales").post(
        f"/gradeproposals/step/accept/{foreign.id}", data={"note": ""}
    )
    assert answer.status_code == 404
    assert proposal_of(theirs).status == "proposed"
    everything = login("manager").get("/gradeproposals/list/").get_data(as_text=True)
    assert mine.name in everything and theirs.name in everything


def test_a_clerk_without_the_right_cannot_decide(db, login):
    mine = CustomerFactory(_as="sales", sales_rep=user("sales"))
    grading.propose(PERIOD)
    proposal = proposal_of(mine)
    answer = login("cs").post(
        f"/gradeproposals/step/accept/{proposal.id}", data={"note": "越权"}
    )
    assert answer.status_code in (302, 403)
    _db.session.expire_all()
    assert proposal_of(mine).status == "proposed"
    assert _db.session.get(Customer, mine.id).grade_id is None


def test_key_accounts_are_marked_on_customer_case_and_pickup_screens(db, login):
    vip = key_account(name="浙江重点再生资源有限公司")
    plain = CustomerFactory(_as="sales", name="普通回收客户")
    case = CaseFactory(customer=vip)
    CaseFactory(customer=plain)
    PickupFactory(customer=vip, _as="ops")
    browser = login("cs")
    for url in ("/customers/list/", "/cases/list/", "/pickups/list/"):
        page = browser.get(url).get_data(as_text=True)
        assert page.count('class="label label-danger key-account"') == 1, url
        assert re.search(r"customer-grade[^>]*>A<", page), url
    shown = browser.get(f"/cases/show/{case.id}").get_data(as_text=True)
    assert "key-account" in shown and "重点客户" in shown


def test_the_marks_cost_no_query_per_row(db, login, statements):
    browser = login("cs")

    def queries_for(rows: int) -> int:
        for _ in range(rows):
            CaseFactory(customer=key_account())
        browser.get("/cases/list/")
        statements.clear()
        page = browser.get("/cases/list/").get_data(as_text=True)
        assert page.count("key-account") >= min(rows, 25)
        return len(statements)

    assert queries_for(5) == queries_for(25)


def test_a_grade_typed_wrong_is_refused_in_words_and_kept(db, login):
    admin = login("admin")
    page = admin.get("/customergradeview/add")
    assert page.status_code == 200
    answer = admin.post(
        "/customergradeview/add",
        data={
            "code": "E",
            "name": "E类（测试）",
            "rank": "1",  # taken by A
            "min_volume_kg": "-5",
            "active": "y",
        },
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "E类（测试）" in text  # what was typed stays
    added = select(CustomerGrade).filter_by(code="E")
    assert _db.session.scalars(added).first() is None
    assert "已经存在" in text  # the rank is taken
    assert "不能小于 0" in text  # no negative minimum
