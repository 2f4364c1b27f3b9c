"""Customer file upkeep (seed 002 §7(一)): licences about to lapse and files
not verified for long are brought to Sales by the scheduled job, each once.

A licence (资质有效期) within `customer.licence_warning_days` of its end
alerts the customer's sales representative (or, without one, the Sales
department) once, and once more when it lapses; a renewed licence (a new end
date) is a new cycle. A file last verified more than `customer.review_months`
ago (or never) gets one review reminder per verification date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select

from app.extensions import db
from app.models import AppUser, Customer, Department, now
from app.services.finance.terms import setting_int
from app.services.notify import alerts


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def _sales(customer: Customer, sales_staff: list[int]) -> list[int]:
    if customer.sales_rep_id is not None:
        return [customer.sales_rep_id]
    return sales_staff


def _sales_staff() -> list[int]:
    return list(
        db.session.scalars(
            select(AppUser.id)
            .join(Department, Department.id == AppUser.department_id)
            .where(Department.code == "sales", AppUser.active.is_(True))
        )
    )


def check_upkeep(today: dt.date | None = None) -> dict[str, int]:
    """Raise the licence and review reminders due as of `today`; commits."""
    today = today or now().date()
    lead = setting_int("customer.licence_warning_days", 30)
    months = setting_int("customer.review_months", 12)
    staff = _sales_staff()
    raised = {"licence": 0, "review": 0}
    expiring = db.session.scalars(
        select(Customer).where(
            Customer.status == "active",
            Customer.licence_valid_to.is_not(None),
            Customer.licence_valid_to <= today + dt.timedelta(days=lead),
        )
    )
    for customer in expiring:
        lapsed = customer.licence_valid_to < today
        ends = customer.licence_valid_to.isoformat()
        new = alerts.raise_alert(
            record_type="customer",
            record_id=customer.id,
            clock="licence",
            level="breached" if lapsed else "at_risk",
            cycle=customer.licence_valid_to.toordinal(),
            title=(
                f"客户 {customer.name} 资质已于 {ends} 过期"
                if lapsed
                else f"客户 {customer.name} 资质将于 {ends} 到期"
            ),
            body=(
                f"资质证号 {customer.licence_no or '—'}，有效期至 {ends}。"
                "请联系客户更新资质并在客户档案中登记新的有效期。"
            ),
            link=f"/customers/show/{customer.id}",
            department_id=customer.department_id,
            recipients=_sales(customer, staff),
        )
        raised["licence"] += new is not None
    if months > 0:
        # A file verified on or before this date is due for review.
        due_before = _add_months(today, -months)
        stale = db.session.scalars(
            select(Customer).where(
                Customer.status == "active",
                or_(
                    Customer.verified_on.is_(None),
                    Customer.verified_on <= due_before,
                ),
            )
        )
        for customer in stale:
            raised["review"] += _review(customer, staff) is not None
    db.session.commit()
    return raised


def _review(customer: Customer, staff: list[int]) -> Any:
    verified = customer.verified_on
    return alerts.raise_alert(
        record_type="customer",
        record_id=customer.id,
        clock="review",
        level="info",
        cycle=verified.toordinal() if verified else 0,
        title=f"客户档案 {customer.name} 需复核",
        body=(
            f"上次核实：{verified.isoformat() if verified else '从未核实'}。"
            "请与客户核对联系人、地址、资质等信息，更新后填写“档案核实日期”。"
        ),
        link=f"/customers/show/{customer.id}",
        department_id=customer.department_id,
        recipients=_sales(customer, staff),
    )
