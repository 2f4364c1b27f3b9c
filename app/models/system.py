"""Notifications, audit trail, number sequences, KPI snapshots and job records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import AwareDateTime, now
from app.models.codes import NOTIFICATION_LEVELS, TASK_STATUSES, check_in
from app.models.reference import AppUser, Department

LIVE_ALERT = text("withdrawn_at IS NULL")


class Notification(Model):
    """An alert raised once per (record, clock, level, cycle) while it stands.

    An alert whose date a recomputation moved away is kept, marked withdrawn;
    only live alerts are unique, so the new date can raise its own.
    """

    __tablename__ = "notification"
    __table_args__ = (
        Index(
            "uq_alert_once",
            "record_type",
            "record_id",
            "clock",
            "level",
            "cycle",
            unique=True,
            postgresql_where=LIVE_ALERT,
            sqlite_where=LIVE_ALERT,
        ),
        CheckConstraint(check_in("level", NOTIFICATION_LEVELS), name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[int] = mapped_column(Integer)
    clock: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20), info={"codes": NOTIFICATION_LEVELS})
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=now)
    # Set when a recomputed deadline made the alert stale (kept as history).
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    department: Mapped[Department | None] = relationship(Department)
    recipients: Mapped[list[NotificationRecipient]] = relationship(
        "NotificationRecipient", back_populates="notification"
    )

    def __repr__(self) -> str:
        return self.title


UNSENT = text("emailed_at IS NULL AND email_error IS NULL")


class NotificationRecipient(Model):
    """Delivery of a notification to one person: read in the app, sent by e-mail."""

    __tablename__ = "notification_recipient"
    __table_args__ = (
        UniqueConstraint("notification_id", "user_id", name="uq_recipient_once"),
        Index("ix_recipient_user_unread", "user_id", "read_at"),
        # E-mail delivery reads only the deliveries not yet mailed.
        Index(
            "ix_recipient_unsent",
            "id",
            postgresql_where=UNSENT,
            sqlite_where=UNSENT,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"))
    read_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    emailed_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    email_error: Mapped[str | None] = mapped_column(String(300))
    notification: Mapped[Notification] = relationship(
        Notification, back_populates="recipients"
    )
    user: Mapped[AppUser] = relationship(AppUser)


class AuditLog(Model):
    """操作日志: who changed what, when, old -> new, for every audited record."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_record", "table_name", "row_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    table_name: Mapped[str] = mapped_column(String(50))
    row_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))
    changes: Mapped[str] = mapped_column(Text)
    user: Mapped[AppUser | None] = relationship(AppUser)


class NumberSequence(Model):
    """Gap-free counter per document type and year, advanced inside the insert."""

    __tablename__ = "number_sequence"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class KpiSnapshot(Model):
    """Frozen monthly KPI figure for the company, a department or a staff member."""

    __tablename__ = "kpi_snapshot"
    __table_args__ = (
        UniqueConstraint("scope_key", name="uq_kpi_snapshot"),
        CheckConstraint("denominator >= 0 AND numerator >= 0", name="counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, index=True)  # the period's start
    # month, quarter or year (seed 003: monthly, quarterly, yearly appraisal)
    period: Mapped[str] = mapped_column(
        String(10), default="month", server_default="month"
    )
    kpi: Mapped[str] = mapped_column(String(40))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    # "2026-11|complaint_timeliness|d3|u-"; NULLs would defeat a plain unique.
    scope_key: Mapped[str] = mapped_column(String(80))
    numerator: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    denominator: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    value: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    target: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    computed_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=now)
    department: Mapped[Department | None] = relationship(Department)
    user: Mapped[AppUser | None] = relationship(AppUser)


class KpiFact(Model):
    """A KPI figure kept current by the facts job, for the pages that show
    many months at once (dashboard, KPI page of a month, quarter or year).

    Same scopes as KpiSnapshot (company, department, staff member), but
    recomputed as the records change instead of frozen: the figure as of
    `computed_at`. See app.services.reporting.kpi_facts.
    """

    __tablename__ = "kpi_fact"
    __table_args__ = (
        UniqueConstraint("scope_key", name="uq_kpi_fact"),
        Index("ix_kpi_fact_period", "period", "month", "department_id", "user_id"),
        Index("ix_kpi_fact_view", "view_department_id", "period", "month"),
        CheckConstraint("denominator >= 0 AND numerator >= 0", name="counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(10))  # month, quarter or year
    month: Mapped[dt.date] = mapped_column(Date)  # the period's first month
    kpi: Mapped[str] = mapped_column(String(40))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="CASCADE")
    )
    # A month's figure of one case category (complaint analysis), or None.
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_category.id", ondelete="CASCADE")
    )
    # None: the company's figures (what a viewer who sees everything sees);
    # else what this department sees through the department arms of the
    # visibility rules (scope.department_view), the scope_key prefixed "v3|".
    view_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE")
    )
    # Figure.scope_key: "2026-11|complaint_timeliness|d3|u-" ("…|c5": category)
    scope_key: Mapped[str] = mapped_column(String(80))
    numerator: Mapped[int] = mapped_column(BigInteger)
    denominator: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)


class ComplaintFact(Model):
    """Complaints received in a month per value of a breakdown (category,
    stage, region, department, cause, responsibility; "month": the month's
    total), kept current by the facts job for the complaint charts. See
    app.services.reporting.complaint_facts.
    """

    __tablename__ = "complaint_fact"
    __table_args__ = (
        UniqueConstraint(
            "view_key", "month", "dimension", "key", name="uq_complaint_fact"
        ),
        CheckConstraint("complaints >= 0", name="complaints"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose figures: "" the company's; a department's id (as text) for what
    # that department's view sees (scope.department_view).
    view_key: Mapped[str] = mapped_column(String(12), default="", server_default="")
    month: Mapped[dt.date] = mapped_column(Date)
    dimension: Mapped[str] = mapped_column(String(20))
    # "=" + the value (a region, a category id, …), "" when not recorded.
    key: Mapped[str] = mapped_column(String(80))
    # What the breakdown is ordered and shown by: the name, or the code.
    name: Mapped[str | None] = mapped_column(String(200))
    complaints: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)


class BusinessFact(Model):
    """One business figure of a month per value of a breakdown: the kg
    received and sold (in grams) by material, grade and region, and the
    month's settled and paid amounts (in cents); kept current by the facts
    job for the business charts. See app.services.reporting.business_facts.
    """

    __tablename__ = "business_fact"
    __table_args__ = (
        UniqueConstraint(
            "view_key", "month", "dimension", "key", "measure", name="uq_business_fact"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose figures: "" the company's; a department's id (as text) for what
    # that department's view sees (scope.department_view).
    view_key: Mapped[str] = mapped_column(String(12), default="", server_default="")
    month: Mapped[dt.date] = mapped_column(Date)
    # "month" (the month's total), "material", "grade", "region".
    dimension: Mapped[str] = mapped_column(String(20))
    # "=" + the value (a material's name, a region ...), "" when not recorded.
    key: Mapped[str] = mapped_column(String(400))
    # business_facts.MEASURES: received, sold (grams); settled_pay,
    # settled_receive, paid_pay, paid_receive (cents).
    measure: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)


class BackgroundTask(Model):
    """A long task (import, export, KPI recomputation) run by a worker."""

    __tablename__ = "background_task"
    __table_args__ = (
        CheckConstraint(check_in("status", TASK_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(20), default="queued", info={"codes": TASK_STATUSES}
    )
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(String(500))
    result_path: Mapped[str | None] = mapped_column(String(300))
    rq_job_id: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    created_by: Mapped[AppUser] = relationship(AppUser)


class JobRun(Model):
    """One run of a periodic job for one schedule slot (for monitoring)."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "slot", name="uq_job_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    slot: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    items: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="running")
    message: Mapped[str | None] = mapped_column(Text)
