"""Customer archive (客户档案) and contacts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    NOTE_TEXT,
    VOLUME,
    AwareDateTime,
    BoundedText,
    Stamped,
    Versioned,
)
from app.models.codes import CUSTOMER_STATUSES, GRADE_PROPOSAL_STATUSES, check_in
from app.models.reference import (
    AppUser,
    CustomerGrade,
    CustomerType,
    Department,
    PaymentTerm,
)


class Customer(Versioned, Stamped, Model):
    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint(check_in("status", CUSTOMER_STATUSES), name="status"),
        CheckConstraint(
            "credit_code IS NULL OR length(credit_code) = 18", name="credit_code"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    customer_type_id: Mapped[int] = mapped_column(ForeignKey("customer_type.id"))
    # 统一社会信用代码, companies only.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    contact_person: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    address: Mapped[str | None] = mapped_column(String(300))
    region: Mapped[str | None] = mapped_column(String(50), index=True)
    qualification: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    licence_no: Mapped[str | None] = mapped_column(String(50))
    licence_valid_to: Mapped[dt.date | None] = mapped_column(Date)
    # When the file was last checked with the customer (seed 002 §7(一)).
    verified_on: Mapped[dt.date | None] = mapped_column(Date)
    sales_rep_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    status: Mapped[str] = mapped_column(
        String(20), default="active", info={"codes": CUSTOMER_STATUSES}
    )
    notes: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    # The customer's own payment term; empty: the default (see finance.terms).
    payment_term_id: Mapped[int | None] = mapped_column(ForeignKey("payment_term.id"))
    # Grade (客户分级 A-D) and key account (重点客户/VIP), seed 003 第四条, 快递 二.1.
    grade_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_grade.id"), index=True
    )
    key_account: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="0", nullable=False
    )

    customer_type: Mapped[CustomerType] = relationship(CustomerType)
    grade: Mapped[CustomerGrade | None] = relationship(CustomerGrade)
    payment_term: Mapped[PaymentTerm | None] = relationship(PaymentTerm)
    sales_rep: Mapped[AppUser | None] = relationship(
        AppUser, foreign_keys=[sales_rep_id]
    )
    department: Mapped[Department] = relationship(Department)
    contacts: Mapped[list[CustomerContact]] = relationship(
        "CustomerContact", back_populates="customer", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"{self.name}"


class CustomerContact(Stamped, Model):
    __tablename__ = "customer_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    customer: Mapped[Customer] = relationship(Customer, back_populates="contacts")

    def __repr__(self) -> str:
        return self.name


class GradeProposal(Stamped, Model):
    """A monthly regrading proposal (客户分级调整建议) for one customer.

    Computed by the monthly job from the last 12 months' received weight and
    complaints (app.services.customers.grading, seed 003 公司客户服务办法
    第四条(1)); Sales accepts (the customer's grade changes) or rejects it.
    One per customer and month; a newer month's proposal supersedes an
    undecided older one.
    """

    __tablename__ = "grade_proposal"
    __table_args__ = (
        UniqueConstraint("customer_id", "period", name="uq_grade_proposal"),
        CheckConstraint(check_in("status", GRADE_PROPOSAL_STATUSES), name="status"),
        CheckConstraint("complaints >= 0", name="complaints"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    # First day of the month the proposal is made in; the 12 months before it
    # are counted.
    period: Mapped[dt.date] = mapped_column(Date, index=True)
    current_grade_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_grade.id")
    )
    proposed_grade_id: Mapped[int] = mapped_column(ForeignKey("customer_grade.id"))
    # Net received weight (kg) over the 12 months, and over their last 6
    # (the trend: compare with the 6 before).
    volume_kg: Mapped[Decimal] = mapped_column(VOLUME)
    recent_volume_kg: Mapped[Decimal] = mapped_column(VOLUME)
    complaints: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(
        String(20),
        default="proposed",
        index=True,
        info={"codes": GRADE_PROPOSAL_STATUSES},
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    decision_note: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))

    customer: Mapped[Customer] = relationship(Customer)
    current_grade: Mapped[CustomerGrade | None] = relationship(
        CustomerGrade, foreign_keys=[current_grade_id]
    )
    proposed_grade: Mapped[CustomerGrade] = relationship(
        CustomerGrade, foreign_keys=[proposed_grade_id]
    )
    decided_by: Mapped[AppUser | None] = relationship(
        AppUser, foreign_keys=[decided_by_id]
    )

    def __repr__(self) -> str:
        return f"{self.customer} {self.period:%Y-%m}" if self.period else ""


class CustomerScope(Model):
    """Which departments see a customer through its cases and pickups.

    One row per (department, customer) with the number of the customer's
    cases and pickups that department sees by the department arm of their
    visibility rules (a case routed to it; a pickup of it, or at the stage of
    the flow it handles). Kept by database triggers on every path (see
    app.security.customer_scope); read by the customer visibility rule, so a
    clerk's customer list reads an index instead of every case.
    """

    __tablename__ = "customer_scope"

    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    records: Mapped[int] = mapped_column(Integer, nullable=False)
