"""Statements of account through the services: figures, lines, steps, refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from app.models import Case, Channel, Statement, now
from app.models.base import clock_at
from app.services.core.errors import Conflict, InvalidInput
from app.services.finance import statements
from app.services.finance.statements import STATEMENT_FLOW, prepare, prepare_month
from app.services.recycling.settlement_steps import SETTLEMENT_FLOW
from tests.factories import CustomerFactory, user
from tests.finance.month import (
    CLOSING,
    CREDIT,
    DEBIT,
    MARCH,
    OPENING,
    at,
    build,
    march_statement,
)
from tests.recycling.flow import step


@pytest.fixture
def month(db):
    return build()


def test_hand_made_month_matches_the_figures_written_out(db, month):
    statement = march_statement(month)
    assert statement.number.startswith("DZ-")
    assert (
        statement.opening,
        statement.debit,
        statement.credit,
        statement.closing,
    ) == (
        OPENING,
        DEBIT,
        CREDIT,
        CLOSING,
    )
    assert statement.entry_count == 5
    lines = statements.lines(statement)
    assert [
        (e.at.date().isoformat(), e.kind, e.debit, e.credit, e.balance) for e in lines
    ] == [
        ("2026-03-03", "payment", D("1600.00"), D(0), D("0.00")),
        ("2026-03-05", "purchase", D(0), D("1568.00"), D("-1568.00")),
        ("2026-03-12", "purchase", D(0), D("2796.91"), D("-4364.91")),
        ("2026-03-18", "sale", D("12597.00"), D(0), D("8232.09")),
        ("2026-03-25", "purchase_adjustment", D(0), D("-80.00"), D("8312.09")),
    ]
    assert lines[0].document == f"{month.p0.number} / PZ-TEST-0303"
    assert month.p0.number in lines[-1].reference


def test_opening_of_next_month_is_this_months_closing(db, month):
    march_statement(month)
    with clock_at(at(2, 12, month=4)):
        april = prepare(month.customer, dt.date(2026, 4, 1), user("finance"))
    assert april.opening == CLOSING
    # April 2: the sale confirmed that day (12 597.00).
    assert (april.debit, april.credit) == (D("12597.00"), D("0.00"))
    assert april.closing == CLOSING + D("12597.00")


def test_prepare_month_covers_customers_with_entries_or_a_balance(db, month):
    quiet = CustomerFactory(name="没有往来的客户")
    with clock_at(at(2, 9, month=4)):
        done = prepare_month(MARCH, user("finance"))
    assert done.created == 2  # the customer of the month and the other one
    customers = {s.customer_id for s in db.session.query(Statement)}
    assert month.customer.id in customers and quiet.id not in customers
    with clock_at(at(2, 10, month=4)):
        again = prepare_month(MARCH, user("finance"))
    assert (again.created, again.refreshed) == (0, 0)


def test_prepare_month_covers_only_what_a_sales_rep_sees(db, month):
    with clock_at(at(2, 9, month=4)):
        done = prepare_month(MARCH, user("sales"))
    # The sales rep represents the customer of the month, not the other one.
    assert done.created == 1
    assert db.session.query(Statement).one().customer_id == month.customer.id


def test_confirmation_records_who_and_freezes_the_statement(db, month):
    statement = march_statement(month)
    with clock_at(at(3, 9, month=4)):
        step(statement, "send", "finance", STATEMENT_FLOW, note="邮件发送对账单")
    with clock_at(at(5, 14, month=4)):
        with pytest.raises(InvalidInput) as wrong:
            step(
                statement,
                "confirm",
                "sales",
                STATEMENT_FLOW,
                confirmed_by_name="王会计",
                confirmed_balance=D("8312.00"),
            )
        assert "8,312.09" in str(wrong.value)
        db.session.rollback()
        step(
            statement,
            "confirm",
            "sales",
            STATEMENT_FLOW,
            confirmed_by_name="王会计",
            confirmed_balance=D("8312.09"),
            note="盖章回传",
        )
    db.session.refresh(statement)
    assert statement.status == "confirmed"
    assert statement.confirmed_by_name == "王会计"
    assert statement.recorded_by_id == user("sales").id
    assert statement.confirmed_at == at(5, 14, month=4)
    # Final on every path: generic update, another step, prepare again.
    statement.notes = "改一下"
    with pytest.raises(Conflict):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(Conflict):
        step(statement, "prepare", "finance", STATEMENT_FLOW)
    db.session.rollback()
    with clock_at(at(6, 9, month=4)):
        again = prepare(month.customer, MARCH, user("finance"))
    assert (again.id, again.status, again.closing) == (
        statement.id,
        "confirmed",
        CLOSING,
    )


def test_a_ledger_change_after_sending_needs_a_new_statement(db, month):
    statement = march_statement(month)
    with clock_at(at(3, 9, month=4)):
        step(statement, "send", "finance", STATEMENT_FLOW)
    # A March payment recorded late (backdated) changes March.
    with clock_at(at(4, 9, month=4)):
        step(
            month.p1,
            "pay",
            "finance",
            SETTLEMENT_FLOW,
            paid_at=dt.datetime(2026, 3, 30, 10, 0),
        )
    with clock_at(at(5, 9, month=4)), pytest.raises(Conflict):
        step(
            statement,
            "confirm",
            "finance",
            STATEMENT_FLOW,
            confirmed_by_name="王会计",
            confirmed_balance=CLOSING,
        )
    db.session.rollback()
    with clock_at(at(5, 10, month=4)):
        step(statement, "prepare", "finance", STATEMENT_FLOW)
    db.session.refresh(statement)
    assert statement.status == "draft" and statement.sent_at is None
    assert statement.debit == DEBIT + D("1568.00")
    assert statement.closing == CLOSING + D("1568.00")


def test_dispute_opens_a_settlement_complaint_for_finance(db, month):
    statement = march_statement(month)
    with clock_at(at(3, 9, month=4)):
        step(statement, "send", "sales", STATEMENT_FLOW)
    channel = db.session.query(Channel).first()
    step(
        statement,
        "dispute",
        "sales",
        STATEMENT_FLOW,
        channel=str(channel.id),
        description="客户称3月25日调整单未收到",
    )
    db.session.refresh(statement)
    case = db.session.get(Case, statement.dispute_case_id)
    assert statement.status == "disputed"
    assert case.category.code == "settlement" and case.department.code == "finance"
    assert case.customer_id == month.customer.id and statement.number in case.title


def test_bad_months_and_duplicates_are_refused(db, month):
    from app.services.core import records

    future = now().date().replace(day=1) + dt.timedelta(days=40)
    with pytest.raises(InvalidInput):
        records.add(Statement(customer=month.customer, month=future), user("finance"))
    db.session.rollback()
    march_statement(month)
    with pytest.raises(Conflict):
        records.add(
            Statement(customer=month.customer, month=dt.date(2026, 3, 17)),
            user("finance"),
        )
