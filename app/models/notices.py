"""Customer notifications (客户通知): templates and every message to a customer."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import LONG_TEXT, NOTE_TEXT, AwareDateTime, BoundedText, Stamped
from app.models.cases import Case
from app.models.codes import (
    NOTICE_CHANNELS,
    NOTICE_EVENTS,
    NOTICE_STATUSES,
    check_in,
)
from app.models.customers import Customer
from app.models.recycling import Pickup, Settlement
from app.models.reference import AppUser, Department

QUEUED = text("status = 'queued'")


class NoticeTemplate(Stamped, Model):
    """The subject and body sent to the customer at one event (admin-edited,
    rendered in Jinja's sandbox)."""

    __tablename__ = "notice_template"
    __table_args__ = (CheckConstraint(check_in("event", NOTICE_EVENTS), name="event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(
        String(30), unique=True, info={"codes": NOTICE_EVENTS}
    )
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(BoundedText(LONG_TEXT))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return str(NOTICE_EVENTS.get(self.event, self.event))


class CustomerNotice(Stamped, Model):
    """One message to a customer: e-mailed by the notice job, or a call task for
    the clerk when the customer has no e-mail address (seed 000 §2-3)."""

    __tablename__ = "customer_notice"
    __table_args__ = (
        CheckConstraint(check_in("event", NOTICE_EVENTS), name="event"),
        CheckConstraint(check_in("channel", NOTICE_CHANNELS), name="channel"),
        CheckConstraint(check_in("status", NOTICE_STATUSES), name="status"),
        # The sending job reads only the messages waiting to be sent.
        Index("ix_notice_queued", "id", postgresql_where=QUEUED, sqlite_where=QUEUED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    event: Mapped[str] = mapped_column(String(30), info={"codes": NOTICE_EVENTS})
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_case.id"), index=True
    )
    pickup_id: Mapped[int | None] = mapped_column(ForeignKey("pickup.id"), index=True)
    settlement_id: Mapped[int | None] = mapped_column(
        ForeignKey("settlement.id"), index=True
    )
    channel: Mapped[str] = mapped_column(String(10), info={"codes": NOTICE_CHANNELS})
    to_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(20), index=True, info={"codes": NOTICE_STATUSES}
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    # Who calls the customer when the message cannot be e-mailed.
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id"), index=True
    )
    sent_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    error: Mapped[str | None] = mapped_column(String(300))
    called_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    call_note: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))

    customer: Mapped[Customer] = relationship(Customer)
    case: Mapped[Case | None] = relationship(Case)
    pickup: Mapped[Pickup | None] = relationship(Pickup)
    settlement: Mapped[Settlement | None] = relationship(Settlement)
    department: Mapped[Department] = relationship(Department)
    assignee: Mapped[AppUser | None] = relationship(AppUser, foreign_keys=[assignee_id])

    def __repr__(self) -> str:
        return self.subject
