"""Receivables and payables ageing, overdue follow-up tasks, invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AppUser,
    JobRun,
    Notification,
    NotificationRecipient,
    OverdueTask,
    PaymentTerm,
    Settlement,
)
from app.models.base import clock_at
from app.security.scope import restrict
from app.services.core.errors import Conflict, InvalidInput, NotAllowed
from app.services.finance import receivables
from app.services.finance.receivables import OVERDUE_FLOW
from tests.factories import CustomerFactory, by_code, user
from tests.finance.money import add_sales_rep, day, sale
from tests.finance.month import pickup_settled
from tests.recycling.flow import settle_step, step


def amounts(row: receivables.AgeingRow) -> dict[str, D]:
    return {code: amount for code, amount in row.amounts.items() if amount}


@pytest.fixture
def book(db) -> dict[str, Any]:
    """Customer A (rep: sales) with receivables in every bucket on 2026-06-30,
    customer B (no rep) with one overdue, supplier C with a payable."""
    a = CustomerFactory(name="甲客户", sales_rep=user("sales"))
    b = CustomerFactory(name="乙客户")
    c = CustomerFactory(name="丙供货商", payment_term=by_code(PaymentTerm, "net7"))
    found = {
        # kg x 2.55, confirmed, due: days overdue on 2026-06-30 (bucket)
        "current": sale(a, "1000", day(2026, 6, 20), dt.date(2026, 7, 5)),  # 2550.00
        "d10": sale(a, "200", day(2026, 6, 1), dt.date(2026, 6, 20)),  # 510.00
        "d30": sale(a, "100", day(2026, 5, 20), dt.date(2026, 5, 31)),  # 255.00
        "d31": sale(a, "300", day(2026, 5, 15), dt.date(2026, 5, 30)),  # 765.00
        "d81": sale(a, "400", day(2026, 4, 1), dt.date(2026, 4, 10)),  # 1020.00
        "d161": sale(a, "500", day(2026, 1, 10), dt.date(2026, 1, 20)),  # 1275.00
        # Paid after the day: still owed on it (d30, 60 kg = 153.00).
        "paid_later": sale(a, "60", day(2026, 6, 10), dt.date(2026, 6, 25)),
        "paid": sale(a, "70", day(2026, 6, 10), dt.date(2026, 6, 25)),
        "voided": sale(a, "80", day(2026, 6, 10), dt.date(2026, 6, 25)),
        "draft": sale(a, "90", day(2026, 6, 10), confirm=False),
        "b": sale(b, "50", day(2026, 5, 20), dt.date(2026, 6, 1)),  # 127.50
        "c": pickup_settled(c, 5, "paper-cardboard", "A", "1500", "500"),  # 1600.00
        "a": a,
        "b_customer": b,
        "c_customer": c,
    }
    with clock_at(day(2026, 6, 29)):
        settle_step(found["paid"], "pay")
        settle_step(found["voided"], "void", reason="重复开单")
    with clock_at(day(2026, 7, 2)):
        settle_step(found["paid_later"], "pay")
    return found


def test_receivables_ageing_by_bucket_written_out_by_hand(db, book):
    report = receivables.ageing("receive", user("finance"), dt.date(2026, 6, 30))
    rows = {row.customer_id: row for row in report.rows}
    a, b = rows[book["a"].id], rows[book["b_customer"].id]
    assert amounts(a) == {
        "current": D("2550.00"),
        "d30": D("918.00"),  # 510.00 + 255.00 + 153.00 (30 days is still 1-30)
        "d60": D("765.00"),  # 31 days
        "d90": D("1020.00"),  # 81 days
        "older": D("1275.00"),  # 161 days
    }
    assert (a.total, a.overdue, a.count) == (D("6528.00"), D("3978.00"), 7)
    assert a.oldest_due == dt.date(2026, 1, 20) and a.sales_rep == str(user("sales"))
    assert amounts(b) == {"d30": D("127.50")}
    assert report.total == D("6655.50")
    assert book["c_customer"].id not in rows  # a supplier's payable is not here
    # The most overdue customer first.
    assert report.rows[0].customer_id == book["a"].id


def test_ageing_on_an_earlier_day_sees_what_was_owed_then(db, book):
    report = receivables.ageing("receive", user("finance"), dt.date(2026, 5, 1))
    (row,) = report.rows
    assert amounts(row) == {"older": D("1275.00"), "d30": D("1020.00")}


def test_payables_ageing(db, book):
    report = receivables.ageing("pay", user("finance"), dt.date(2026, 3, 31))
    (row,) = report.rows
    # Confirmed 2026-03-05 on 7 days: due 03-12, 19 days overdue on 03-31.
    assert (row.customer_id, amounts(row)) == (
        book["c_customer"].id,
        {"d30": D("1600.00")},
    )


def test_a_sales_rep_ages_only_the_customers_they_represent(db, book):
    other = add_sales_rep()
    mine = receivables.ageing("receive", user("sales"), dt.date(2026, 6, 30))
    assert [r.customer_id for r in mine.rows] == [book["a"].id]
    assert receivables.ageing("receive", other, dt.date(2026, 6, 30)).rows == []
    everyone = receivables.ageing("receive", user("manager"), dt.date(2026, 6, 30))
    assert len(everyone.rows) == 2
    with pytest.raises(InvalidInput):
        receivables.ageing("sideways", user("finance"))


# ------------------------------------------------------------ overdue tasks
def tasks() -> dict[int, OverdueTask]:
    return {t.settlement_id: t for t in db.session.query(OverdueTask)}


def recipients(task: OverdueTask) -> set[str]:
    return set(
        db.session.scalars(
            select(AppUser.username)
            .join(NotificationRecipient, NotificationRecipient.user_id == AppUser.id)
            .join(Notification)
            .where(
                Notification.record_type == "overdue_task",
                Notification.record_id == task.id,
            )
        )
    )


def test_overdue_settlements_get_one_task_each_to_the_right_person(db):
    a = CustomerFactory(name="甲客户", sales_rep=user("sales"))
    b = CustomerFactory(name="乙客户")
    owed_a = sale(a, "100", day(2026, 3, 5))  # default 7 days: due 03-12
    owed_b = sale(b, "100", day(2026, 3, 5))
    not_yet = sale(a, "100", day(2026, 3, 10))  # due 03-17
    with clock_at(day(2026, 3, 13, 1)):
        assert receivables.open_overdue_tasks() == 2
        assert receivables.open_overdue_tasks() == 0
    found = tasks()
    assert set(found) == {owed_a.id, owed_b.id} and not_yet.id not in found
    task_a, task_b = found[owed_a.id], found[owed_b.id]
    assert task_a.assignee.username == "sales"  # a receivable: the sales rep
    assert task_b.assignee.username == "finance"  # no rep: Finance
    assert (task_a.amount, task_a.due_on, task_a.status) == (
        D("255.00"),
        dt.date(2026, 3, 12),
        "open",
    )
    assert task_a.number.startswith("YQ-")
    assert recipients(task_a) == {"sales"} and recipients(task_b) == {"finance"}
    # Scope: the rep sees their customer's task only; Finance sees both.
    visible = restrict(select(OverdueTask.id), OverdueTask, user("sales"))
    assert set(db.session.scalars(visible)) == {task_a.id}
    visible = restrict(select(OverdueTask.id), OverdueTask, user("finance"))
    assert set(db.session.scalars(visible)) == {task_a.id, task_b.id}


def test_a_task_logs_contacts_and_settles_itself_when_paid(db):
    customer = CustomerFactory(sales_rep=user("sales"))
    owed = sale(customer, "100", day(2026, 3, 5))
    with clock_at(day(2026, 3, 13, 1)):
        receivables.open_overdue_tasks()
    task = tasks()[owed.id]
    with clock_at(day(2026, 3, 13, 10)):
        with pytest.raises(InvalidInput):
            step(
                task,
                "log",
                "sales",
                OVERDUE_FLOW,
                outcome="客户说下周付",
                promised_on=dt.date(2026, 3, 1),
            )
        db.session.rollback()
        step(
            task,
            "log",
            "sales",
            OVERDUE_FLOW,
            outcome="客户财务王会计：本周五付款",
            promised_on=dt.date(2026, 3, 16),
        )
    db.session.refresh(task)
    assert task.promised_on == dt.date(2026, 3, 16)
    assert "王会计" in task.log and "2026-03-16" in task.log
    with pytest.raises(NotAllowed):
        step(task, "close", "sales", OVERDUE_FLOW, reason="x")
    db.session.rollback()
    with clock_at(day(2026, 3, 16, 15)):
        settle_step(owed, "pay")
    db.session.refresh(task)
    assert task.status == "settled" and owed.voucher_no in task.close_reason
    with pytest.raises(Conflict):
        step(task, "log", "sales", OVERDUE_FLOW, outcome="again")


def test_a_task_is_closed_with_a_reason_and_voiding_settles_it(db):
    customer = CustomerFactory()
    first = sale(customer, "100", day(2026, 3, 5))
    second = sale(customer, "100", day(2026, 3, 5))
    with clock_at(day(2026, 3, 13, 1)):
        receivables.open_overdue_tasks()
    found = tasks()
    step(found[first.id], "close", "finance", OVERDUE_FLOW, reason="已移交法务部门")
    db.session.refresh(found[first.id])
    assert found[first.id].status == "closed"
    with clock_at(day(2026, 3, 14)):
        settle_step(second, "void", reason="客户退货，结算作废")
    db.session.refresh(found[second.id])
    assert found[second.id].status == "settled"
    assert "客户退货" in found[second.id].close_reason


def test_the_periodic_job_opens_tasks_once_per_slot(db, queues, work):
    owed = sale(CustomerFactory(), "100", day(2026, 3, 5))
    for _ in range(2):
        queues.enqueue("app.jobs.finance.open_overdue_tasks", "20260313T0900")
    work()
    assert set(tasks()) == {owed.id}
    runs = db.session.scalars(select(JobRun).where(JobRun.job == "overdue_tasks"))
    assert [(r.slot, r.status, r.items) for r in runs] == [("20260313T0900", "done", 1)]


# ----------------------------------------------------------------- invoices
def test_an_invoice_is_recorded_even_after_payment_and_nothing_else_changes(db):
    customer = CustomerFactory()
    settlement = sale(customer, "100", day(2026, 3, 5))
    with clock_at(day(2026, 3, 6)):
        settle_step(settlement, "pay")
    assert settlement.invoice_status == "pending"
    with clock_at(day(2026, 3, 8)):
        with pytest.raises(InvalidInput):  # not in the future
            settle_step(
                settlement,
                "invoice",
                invoice_no="FP-1",
                invoice_date=dt.date(2026, 3, 9),
            )
        db.session.rollback()
        with pytest.raises(InvalidInput):  # not before the confirmation
            settle_step(
                settlement,
                "invoice",
                invoice_no="FP-1",
                invoice_date=dt.date(2026, 3, 4),
            )
        db.session.rollback()
        settle_step(
            settlement,
            "invoice",
            invoice_no="044001900111-00012345",
            invoice_date=dt.date(2026, 3, 7),
        )
    db.session.refresh(settlement)
    assert (settlement.status, settlement.invoice_status, settlement.invoice_no) == (
        "paid",
        "invoiced",
        "044001900111-00012345",
    )
    # Paid stays final for everything else.
    settlement.notes = "改备注"
    with pytest.raises(Conflict):
        db.session.flush()
    db.session.rollback()
    # The same invoice number twice for the customer is a typing error.
    another = sale(customer, "100", day(2026, 3, 5))
    with clock_at(day(2026, 3, 8)), pytest.raises(InvalidInput) as twice:
        settle_step(another, "invoice", invoice_no="044001900111-00012345")
    assert settlement.number in str(twice.value)


def test_no_invoice_needs_a_reason_and_is_offered_while_pending(db, api):
    # The sales rep sees the settlement of their customer but takes no step.
    settlement = sale(CustomerFactory(sales_rep=user("sales")), "100", day(2026, 3, 5))
    client = api("finance")
    url = f"/api/v1/settlement/{settlement.id}/step/no_invoice"
    assert client.post(url, json={}).status_code == 400
    assert api("sales").post(url, json={"reason": "个人"}).status_code == 403
    response = client.post(url, json={"reason": "个人卖家，无法开具发票"})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert (settlement.invoice_status, settlement.invoice_note) == (
        "not_required",
        "个人卖家，无法开具发票",
    )
    assert client.post(url, json={"reason": "again"}).status_code == 409
    response = client.post(
        f"/api/v1/settlement/{settlement.id}/step/invoice",
        json={"invoice_no": "FP-2026-0001", "invoice_date": "2026-03-06"},
    )
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert (settlement.invoice_status, settlement.invoice_note) == ("invoiced", None)
    assert db.session.get(Settlement, settlement.id).invoice_date == dt.date(2026, 3, 6)
