"""Customer archive (客户档案) and contacts."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import NOTE_TEXT, BoundedText, Stamped, Versioned
from app.models.codes import CUSTOMER_STATUSES, check_in
from app.models.reference import AppUser, CustomerType, Department, PaymentTerm


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

    customer_type: Mapped[CustomerType] = relationship(CustomerType)
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
