"""Payment terms, due dates and the payment clock in the deadline check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AppUser,
    CustomerType,
    Notification,
    NotificationRecipient,
    PaymentTerm,
    Setting,
    Settlement,
)
from app.models.base import clock_at
from app.services.clocks import deadline_check
from app.services.core.errors import InvalidInput
from app.services.finance import terms
from tests.factories import CustomerFactory, by_code
from tests.finance.money import day, sale
from tests.recycling.flow import settle_step


def alerted(settlement: Settlement) -> dict[str, set[str]]:
    rows = db.session.execute(
        select(Notification.level, AppUser.username)
        .join(
            NotificationRecipient,
            NotificationRecipient.notification_id == Notification.id,
        )
        .join(AppUser, AppUser.id == NotificationRecipient.user_id)
        .where(
            Notification.record_type == "settlement",
            Notification.record_id == settlement.id,
        )
    ).all()
    found: dict[str, set[str]] = {}
    for level, username in rows:
        found.setdefault(level, set()).add(username)
    return found


def test_the_customers_own_term_then_the_company_default(db):
    own = CustomerFactory(payment_term=by_code(PaymentTerm, "net30"))
    plain = CustomerFactory()
    assert (terms.term_for(own).term.code, terms.term_for(own).source) == (
        "net30",
        "customer",
    )
    assert (terms.term_for(plain).term.code, terms.term_for(plain).source) == (
        "net7",
        "default",
    )
    db.session.query(Setting).filter_by(
        key="finance.default_payment_term"
    ).one().value = "month30"
    by_code(PaymentTerm, "net30").active = False
    db.session.commit()
    # An inactive own term no longer applies: the (changed) default does.
    assert terms.term_for(own).term.code == "month30"


def test_a_grade_level_default_slots_in_before_the_company_default(db, monkeypatch):
    """Customer grades (another package) register their source; order holds."""
    monkeypatch.setattr(terms, "TERM_SOURCES", list(terms.TERM_SOURCES))
    buyer_type = by_code(CustomerType, "buyer")
    net15 = by_code(PaymentTerm, "net15")
    terms.register_source(
        "grade", lambda c: net15 if c.customer_type_id == buyer_type.id else None
    )
    assert [name for name, _ in terms.TERM_SOURCES] == ["customer", "grade", "default"]
    graded = CustomerFactory(customer_type=buyer_type)
    own = CustomerFactory(
        customer_type=buyer_type, payment_term=by_code(PaymentTerm, "cash")
    )
    assert (terms.term_for(graded).term.code, terms.term_for(graded).source) == (
        "net15",
        "grade",
    )
    assert terms.term_for(own).term.code == "cash"
    assert terms.term_for(CustomerFactory()).source == "default"


@pytest.mark.parametrize(
    ("code", "confirmed", "due"),
    [
        ("cash", dt.date(2026, 3, 5), dt.date(2026, 3, 5)),
        ("net7", dt.date(2026, 3, 5), dt.date(2026, 3, 12)),
        ("net30", dt.date(2026, 1, 31), dt.date(2026, 3, 2)),
        # 月结30天: end of the month + 30 days.
        ("month30", dt.date(2026, 1, 31), dt.date(2026, 3, 2)),
        ("month30", dt.date(2026, 2, 10), dt.date(2026, 3, 30)),
        ("month30", dt.date(2026, 12, 1), dt.date(2027, 1, 30)),
    ],
)
def test_due_dates_by_term(db, code, confirmed, due):
    assert terms.due_date(by_code(PaymentTerm, code), confirmed) == due


def test_confirming_starts_the_clock_and_paying_stops_it(db):
    customer = CustomerFactory(payment_term=by_code(PaymentTerm, "net15"))
    on_time = sale(customer, "1000", day(2026, 3, 5))
    assert (on_time.due_on, on_time.payment_term.code) == (
        dt.date(2026, 3, 20),
        "net15",
    )
    assert on_time.due_at == day(2026, 3, 21, 0)
    assert on_time.due_risk_at == day(2026, 3, 18, 0)  # 3 days' warning
    assert on_time.due_state == "running"
    with clock_at(day(2026, 3, 20, 16)):
        settle_step(on_time, "pay")
    assert on_time.due_state == "met"

    late = sale(customer, "1000", day(2026, 3, 5))
    with clock_at(day(2026, 3, 23)):
        settle_step(late, "pay")
    assert late.due_state == "missed"
    # A payment made on time but recorded late is judged by its own date.
    recorded_late = sale(customer, "1000", day(2026, 3, 5))
    with clock_at(day(2026, 3, 23)):
        settle_step(recorded_late, "pay", paid_at=dt.datetime(2026, 3, 19, 9, 0))
    assert recorded_late.due_state == "met"


def test_an_agreed_due_date_overrides_the_term_but_not_backwards(db):
    customer = CustomerFactory()
    agreed = sale(customer, "100", day(2026, 4, 1), due_on=dt.date(2026, 5, 15))
    assert agreed.due_on == dt.date(2026, 5, 15)
    draft = sale(customer, "100", day(2026, 4, 1), confirm=False)
    with clock_at(day(2026, 4, 2)), pytest.raises(InvalidInput) as refused:
        settle_step(draft, "confirm", due_on=dt.date(2026, 4, 1))
    assert refused.value.field == "due_on"
    db.session.rollback()
    db.session.refresh(draft)
    assert (draft.status, draft.due_on, draft.confirmed_at) == ("draft", None, None)


def test_without_any_term_confirming_is_refused_with_a_reason(db):
    db.session.query(Setting).filter_by(
        key="finance.default_payment_term"
    ).one().value = "nope"
    db.session.commit()
    draft = sale(CustomerFactory(), "100", day(2026, 4, 1), confirm=False)
    with clock_at(day(2026, 4, 2)), pytest.raises(InvalidInput) as refused:
        settle_step(draft, "confirm")
    assert "finance.default_payment_term" in str(refused.value)


def test_deadline_check_warns_breaches_and_escalates_each_once(db):
    customer = CustomerFactory(payment_term=by_code(PaymentTerm, "net7"))
    owed = sale(customer, "1000", day(2026, 3, 5))  # due 2026-03-12
    paid = sale(customer, "1000", day(2026, 3, 5))
    with clock_at(day(2026, 3, 6)):
        settle_step(paid, "pay")

    deadline_check.check_deadlines(day(2026, 3, 10, 1))
    db.session.expire_all()
    assert owed.due_state == "at_risk"
    assert alerted(owed) == {"at_risk": {"finance"}}

    for _ in range(2):  # a second sweep raises nothing twice
        deadline_check.check_deadlines(day(2026, 3, 13, 1))
    db.session.expire_all()
    assert owed.due_state == "breached" and owed.escalation_level == 1
    found = alerted(owed)
    assert found["breached"] == {"finance"} and found["escalated"] == {"finance"}
    assert "management" not in found

    deadline_check.check_deadlines(day(2026, 3, 13, 6))
    db.session.expire_all()
    assert "manager" in alerted(owed)["management"]
    assert owed.escalation_level == 2
    assert db.session.query(Notification).count() == 4
    assert alerted(paid) == {} and paid.due_state == "met"

    with clock_at(day(2026, 3, 14)):
        settle_step(owed, "pay")
    assert owed.due_state == "missed"
    assert owed.total == D("2550.00")
