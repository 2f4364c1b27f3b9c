"""Customer file upkeep (seed 002 §7(一)): licence expiry alerts to Sales before
the licence lapses and a review reminder for files not verified for long,
from the scheduled job, each once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db as _db
from app.models import Notification, now
from app.services.customers import upkeep
from tests.factories import CustomerFactory, user


def alerts(customer, clock):
    return _db.session.scalars(
        select(Notification)
        .where(
            Notification.record_type == "customer",
            Notification.record_id == customer.id,
            Notification.clock == clock,
        )
        .order_by(Notification.id)
    ).all()


def test_licence_alerts_sales_before_it_lapses_and_when_it_lapses(db):
    today = now().date()
    sales = user("sales")
    customer = CustomerFactory(
        name="萧山废钢回收有限公司",
        licence_no="浙再生(2024)0088",
        licence_valid_to=today + dt.timedelta(days=20),
        sales_rep=sales,
        verified_on=today,
    )
    later = CustomerFactory(
        licence_valid_to=today + dt.timedelta(days=31), verified_on=today
    )
    assert upkeep.check_upkeep(today) == {"licence": 1, "review": 0}
    assert upkeep.check_upkeep(today) == {"licence": 0, "review": 0}  # once
    (warning,) = alerts(customer, "licence")
    assert warning.level == "at_risk"
    assert "将于" in warning.title and customer.name in warning.title
    assert [r.user_id for r in warning.recipients] == [sales.id]
    assert alerts(later, "licence") == []  # 31 days: outside the 30-day lead
    lapsed_day = customer.licence_valid_to + dt.timedelta(days=1)
    upkeep.check_upkeep(lapsed_day)
    levels = [a.level for a in alerts(customer, "licence")]
    assert levels == ["at_risk", "breached"]
    # Renewed: a new end date is a new cycle, warned again before it ends.
    customer.licence_valid_to = lapsed_day + dt.timedelta(days=10)
    _db.session.commit()
    upkeep.check_upkeep(lapsed_day)
    assert len(alerts(customer, "licence")) == 3


def test_customer_without_rep_goes_to_the_sales_department(db):
    today = now().date()
    customer = CustomerFactory(
        licence_valid_to=today + dt.timedelta(days=3), verified_on=today
    )
    upkeep.check_upkeep(today)
    (warning,) = alerts(customer, "licence")
    sales_staff = {r.user.department.code for r in warning.recipients}
    assert sales_staff == {"sales"}


def test_file_not_verified_for_a_year_is_reminded_once(db):
    today = now().date()
    old = CustomerFactory(verified_on=today - dt.timedelta(days=400))
    fresh = CustomerFactory(verified_on=today - dt.timedelta(days=30))
    upkeep.check_upkeep(today)
    upkeep.check_upkeep(today)
    (reminder,) = alerts(old, "review")
    assert "需复核" in reminder.title
    assert alerts(fresh, "review") == []
    old.verified_on = today
    _db.session.commit()
    upkeep.check_upkeep(today + dt.timedelta(days=1))
    assert len(alerts(old, "review")) == 1


def test_the_daily_job_runs_once_per_slot(db, work, queues):
    today = now().date()
    customer = CustomerFactory(
        licence_valid_to=today + dt.timedelta(days=5), verified_on=today
    )
    queues.enqueue("app.jobs.notices.customer_upkeep", "20261130")
    queues.enqueue("app.jobs.notices.customer_upkeep", "20261130")
    queues.enqueue("app.jobs.notices.customer_upkeep", "20261201")
    work()
    assert len(alerts(customer, "licence")) == 1


def test_sales_records_the_verification_date_on_the_customer_screen(db, login):
    customer = CustomerFactory(sales_rep=user("sales"))
    browser = login("sales")
    page = browser.get(f"/customers/edit/{customer.id}").get_data(as_text=True)
    assert "档案核实日期" in page
    assert 'name="verified_on"' in page
