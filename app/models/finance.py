"""Receivables and payables: statements of account and overdue follow-up tasks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    MONEY,
    NOTE_TEXT,
    AwareDateTime,
    BoundedText,
    Stamped,
    Versioned,
    now,
)
from app.models.cases import Case
from app.models.codes import (
    OVERDUE_TASK_STATUSES,
    SETTLEMENT_DIRECTIONS,
    STATEMENT_STATUSES,
    check_in,
)
from app.models.customers import Customer
from app.models.recycling import Settlement
from app.models.reference import AppUser, Channel, Department


class Statement(Versioned, Stamped, Model):
    """Monthly statement of account (对账单) of one customer.

    The lines are the customer's ledger of the month (settlements confirmed,
    voided, paid), read live; the figures here are those of the last
    preparation, frozen when the customer confirms them.
    """

    __tablename__ = "statement"
    __table_args__ = (
        UniqueConstraint("customer_id", "month", name="uq_statement_month"),
        CheckConstraint(check_in("status", STATEMENT_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    # First day of the month covered.
    month: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(
        String(20), default="draft", info={"codes": STATEMENT_STATUSES}
    )
    # Balance = what the customer owes us (debit) minus what we owe them (credit).
    opening: Mapped[Decimal] = mapped_column(MONEY, info={"signed": True})
    debit: Mapped[Decimal] = mapped_column(MONEY, info={"signed": True})
    credit: Mapped[Decimal] = mapped_column(MONEY, info={"signed": True})
    closing: Mapped[Decimal] = mapped_column(MONEY, info={"signed": True})
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    prepared_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=now)
    sent_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    sent_channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    # The customer's confirmation (客户确认): who signed, when, what they said.
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    confirmed_by_name: Mapped[str | None] = mapped_column(String(50))
    confirmation_note: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    dispute_case_id: Mapped[int | None] = mapped_column(ForeignKey("service_case.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    notes: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))

    customer: Mapped[Customer] = relationship(Customer)
    sent_channel: Mapped[Channel | None] = relationship(Channel)
    recorded_by: Mapped[AppUser | None] = relationship(
        AppUser, foreign_keys=[recorded_by_id]
    )
    dispute_case: Mapped[Case | None] = relationship(Case)
    department: Mapped[Department] = relationship(Department)

    def __repr__(self) -> str:
        return self.number or f"#{self.id}"


class OverdueTask(Versioned, Stamped, Model):
    """Follow-up of an overdue settlement: collect a receivable, pay a payable.

    One per settlement; opened by the periodic job once the settlement is past
    its due date, settled automatically when it is paid or voided.
    """

    __tablename__ = "overdue_task"
    __table_args__ = (
        CheckConstraint(check_in("status", OVERDUE_TASK_STATUSES), name="status"),
        CheckConstraint(check_in("direction", SETTLEMENT_DIRECTIONS), name="direction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlement.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    direction: Mapped[str] = mapped_column(
        String(10), info={"codes": SETTLEMENT_DIRECTIONS}
    )
    amount: Mapped[Decimal] = mapped_column(MONEY, info={"signed": True})
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(
        String(20), default="open", index=True, info={"codes": OVERDUE_TASK_STATUSES}
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id"), index=True
    )
    last_contact_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    # The date the customer promised to pay (or we promised to pay them).
    promised_on: Mapped[dt.date | None] = mapped_column(Date)
    # Every contact, appended: time, clerk, channel, what was said.
    log: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    close_reason: Mapped[str | None] = mapped_column(String(300))

    settlement: Mapped[Settlement] = relationship(Settlement)
    customer: Mapped[Customer] = relationship(Customer)
    department: Mapped[Department] = relationship(Department)
    assignee: Mapped[AppUser | None] = relationship(AppUser, foreign_keys=[assignee_id])

    def __repr__(self) -> str:
        return self.number
