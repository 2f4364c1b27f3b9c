"""Key-account visits (巡访): plans per account and period, visits and their reports.

Seed 003 公司客户服务办法 第四条 (designated visitors, not the account's own
sales rep), 第五条 (yearly, quarterly and monthly plans), 第九条 (the visit
report with the customer card), 第十条 (monthly summary), 第十一条 (urgent
report).
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    LONG_TEXT,
    NOTE_TEXT,
    AwareDateTime,
    BoundedText,
    Stamped,
    Versioned,
)
from app.models.codes import (
    URGENT_REPORT_KINDS,
    VISIT_PERIODS,
    VISIT_STATUSES,
    check_in,
)
from app.models.customers import Customer
from app.models.reference import AppUser, Department


class VisitPlan(Versioned, Stamped, Model):
    """A visit plan (巡回访问计划) of one key account for a year, quarter or month."""

    __tablename__ = "visit_plan"
    __table_args__ = (
        UniqueConstraint("customer_id", "period", "starts_on", name="uq_visit_plan"),
        CheckConstraint(check_in("period", VISIT_PERIODS), name="period"),
        CheckConstraint("ends_on >= starts_on", name="period_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    period: Mapped[str] = mapped_column(String(10), info={"codes": VISIT_PERIODS})
    # First and last day of the period (set from the period and any day in it).
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    # The designated visitor (巡访专人), by default not the account's sales rep.
    visitor_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    # Why the account's own sales rep visits after all (原则上不能 — an exception).
    exception_reason: Mapped[str | None] = mapped_column(String(300))
    # 重点推销商品: for a recycling company, the materials to buy or sell.
    focus_materials: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    survey_items: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    special_items: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    arrangements: Mapped[str | None] = mapped_column(BoundedText(LONG_TEXT))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)

    customer: Mapped[Customer] = relationship(Customer)
    visitor: Mapped[AppUser] = relationship(AppUser, foreign_keys=[visitor_id])
    department: Mapped[Department] = relationship(Department)

    def __repr__(self) -> str:
        return self.number or f"#{self.id}"


class Visit(Versioned, Stamped, Model):
    """One planned visit of a plan and, once made, its report (巡访日报 + 客户卡)."""

    __tablename__ = "visit"
    __table_args__ = (
        CheckConstraint(check_in("status", VISIT_STATUSES), name="status"),
        CheckConstraint(
            "urgent_kind IS NULL OR " + check_in("urgent_kind", URGENT_REPORT_KINDS),
            name="urgent_kind",
        ),
        # The monthly summary reads a month's visits from the index alone.
        Index(
            "ix_visit_planned_on",
            "planned_on",
            postgresql_include=["visitor_id", "customer_id", "status", "urgent"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("visit_plan.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    planned_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(
        String(20), default="planned", info={"codes": VISIT_STATUSES}
    )
    visited_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    # The report (巡访日报) and customer card (客户卡), seed 003 第九条.
    opinions: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    needs: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    market_info: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    competitor_info: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    effect: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    issues_handled: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    other_matters: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    # The urgent report (巡访紧急报告), seed 003 第十一条.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_kind: Mapped[str | None] = mapped_column(
        String(30), info={"codes": URGENT_REPORT_KINDS}
    )
    urgent_note: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    urgent_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)

    plan: Mapped[VisitPlan] = relationship(VisitPlan)
    customer: Mapped[Customer] = relationship(Customer)
    visitor: Mapped[AppUser] = relationship(AppUser, foreign_keys=[visitor_id])
    department: Mapped[Department] = relationship(Department)

    def __repr__(self) -> str:
        return self.number or f"#{self.id}"
