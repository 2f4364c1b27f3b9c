"""Customer-service cases (客户服务工单) with their log, attachments and pauses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_appbuilder import Model
from flask_appbuilder.filemanager import get_file_original_name
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from app.models.emergencies import EmergencyPlan
    from app.models.recycling import Inspection, Pickup, Settlement

from app.models.base import (
    LOG_TEXT,
    LONG_TEXT,
    MONEY,
    NOTE_TEXT,
    AwareDateTime,
    BoundedText,
    DeadlineChecked,
    Stamped,
    StoredFile,
    Versioned,
    next_check_index,
    now,
)
from app.models.codes import (
    BUSINESS_STAGES,
    CASE_KINDS,
    CASE_STATUSES,
    CAUSES,
    CLOCK_STATES,
    LOG_KINDS,
    RESPONSIBILITIES,
    SEVERITIES,
    check_in,
)
from app.models.customers import Customer
from app.models.reference import (
    AppUser,
    CaseCategory,
    Channel,
    Department,
    IncidentType,
    SlaPolicy,
)

OPEN_CASE = text("status NOT IN ('closed', 'cancelled')")
OPEN_UNESCALATED = text(
    "status NOT IN ('closed', 'cancelled') AND escalation_level < 2"
)
COMPLAINT = text("kind = 'complaint'")
WAITING_CASE = text(
    "status NOT IN ('closed', 'cancelled') AND (response_state = 'unknown' "
    "OR resolution_state = 'unknown' OR paused_since IS NOT NULL)"
)


class Case(DeadlineChecked, Versioned, Stamped, Model):
    __tablename__ = "service_case"
    __table_args__ = (
        CheckConstraint(check_in("kind", CASE_KINDS), name="kind"),
        CheckConstraint(check_in("severity", SEVERITIES), name="severity"),
        CheckConstraint(check_in("status", CASE_STATUSES), name="status"),
        CheckConstraint(check_in("stage", BUSINESS_STAGES), name="stage"),
        CheckConstraint(
            check_in("response_state", CLOCK_STATES), name="response_state"
        ),
        CheckConstraint(
            check_in("resolution_state", CLOCK_STATES), name="resolution_state"
        ),
        CheckConstraint(check_in("promise_state", CLOCK_STATES), name="promise_state"),
        CheckConstraint(
            "responsibility IS NULL OR " + check_in("responsibility", RESPONSIBILITIES),
            name="responsibility",
        ),
        CheckConstraint("cause IS NULL OR " + check_in("cause", CAUSES), name="cause"),
        CheckConstraint(
            "satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction"
        ),
        CheckConstraint("reopen_count >= 0", name="reopen_count"),
        CheckConstraint(
            "compensation_amount IS NULL OR compensation_amount >= 0",
            name="compensation",
        ),
        CheckConstraint("escalation_level BETWEEN 0 AND 2", name="escalation_level"),
        # The deadline check reads only open cases by due instant.
        Index(
            "ix_case_open_response_risk",
            "response_risk_at",
            postgresql_where=OPEN_CASE,
            sqlite_where=OPEN_CASE,
        ),
        Index(
            "ix_case_open_resolution_risk",
            "resolution_risk_at",
            postgresql_where=OPEN_CASE,
            sqlite_where=OPEN_CASE,
        ),
        # Recomputation after a calendar or policy change finds the open
        # clocks a change can move by their due instants, their kind and
        # severity, or as waiting for calendar data / paused.
        Index(
            "ix_case_open_response_due",
            "response_due_at",
            postgresql_where=OPEN_CASE,
            sqlite_where=OPEN_CASE,
        ),
        Index(
            "ix_case_open_resolution_due",
            "resolution_due_at",
            postgresql_where=OPEN_CASE,
            sqlite_where=OPEN_CASE,
        ),
        Index(
            "ix_case_open_kind_severity",
            "kind",
            "severity",
            postgresql_where=OPEN_CASE,
            sqlite_where=OPEN_CASE,
        ),
        Index(
            "ix_case_open_waiting",
            "id",
            postgresql_where=WAITING_CASE,
            sqlite_where=WAITING_CASE,
        ),
        # The dashboard's open cases by running clock and state, counted
        # from the index alone (PostgreSQL).
        Index(
            "ix_case_open_clock",
            "status",
            "response_state",
            "resolution_state",
            postgresql_include=["responded_at"],
            postgresql_where=OPEN_CASE,
            sqlite_where=OPEN_CASE,
        ),
        # A complaint's earlier complaints of its customer in its category
        # (the repeat-complaint rate, seed 001 §8): one index range each.
        Index(
            "ix_case_complaint_customer",
            "customer_id",
            "category_id",
            "received_at",
            postgresql_where=COMPLAINT,
            sqlite_where=COMPLAINT,
        ),
        # The complaint register's order and keyset (exports).
        Index(
            "ix_case_complaint_received",
            "received_at",
            "id",
            postgresql_where=COMPLAINT,
            sqlite_where=COMPLAINT,
        ),
        # The month's activity of customers (KPI complaints per customer).
        Index("ix_case_received_at", "received_at"),
        # The sweep's catch-up of incidents not yet escalated to Management.
        Index(
            "ix_case_open_unescalated_policy",
            "sla_policy_id",
            postgresql_where=OPEN_UNESCALATED,
            sqlite_where=OPEN_UNESCALATED,
        ),
        next_check_index("case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), info={"codes": CASE_KINDS})
    severity: Mapped[str] = mapped_column(String(20), info={"codes": SEVERITIES})
    category_id: Mapped[int] = mapped_column(ForeignKey("case_category.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"))
    stage: Mapped[str] = mapped_column(
        String(20), default="other", info={"codes": BUSINESS_STAGES}
    )
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(BoundedText(LONG_TEXT))
    expected_solution: Mapped[str | None] = mapped_column(BoundedText(LONG_TEXT))
    status: Mapped[str] = mapped_column(
        String(20), default="new", index=True, info={"codes": CASE_STATUSES}
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    first_ask_owner_id: Mapped[int] = mapped_column(
        ForeignKey("ab_user.id"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)

    pickup_id: Mapped[int | None] = mapped_column(ForeignKey("pickup.id"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspection.id"), index=True
    )
    settlement_id: Mapped[int | None] = mapped_column(
        ForeignKey("settlement.id"), index=True
    )
    parent_case_id: Mapped[int | None] = mapped_column(ForeignKey("service_case.id"))
    # An incident's type and the emergency plan in force when it was received
    # (seed 002 §6): a later revision does not rewrite what was followed.
    incident_type_id: Mapped[int | None] = mapped_column(ForeignKey("incident_type.id"))
    emergency_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("emergency_plan.id"), index=True
    )

    # Clocks (kept by app.services.clocks.record_clocks only).
    received_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=now)
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policy.id"))
    response_due_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    response_risk_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    responded_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    response_state: Mapped[str] = mapped_column(
        String(20), default="running", info={"codes": CLOCK_STATES}
    )
    resolution_started_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    resolution_due_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    resolution_risk_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    resolution_state: Mapped[str] = mapped_column(
        String(20), default="running", info={"codes": CLOCK_STATES}
    )
    paused_since: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    resolution_cycle: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    internal_due_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    # A date promised to the customer (办理周期 told in advance, a reply
    # promised for an open question): its own clock (seed 000 §3(2)2, 003).
    promised_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    promised_risk_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    promise_state: Mapped[str] = mapped_column(
        String(20), default="none", server_default="none", info={"codes": CLOCK_STATES}
    )
    promise_kept_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    promise_cycle: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    promise_note: Mapped[str | None] = mapped_column(String(300))

    assigned_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, index=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(300))

    # Investigation, solution and result (seed 001 §5-6).
    findings: Mapped[str | None] = mapped_column(BoundedText(LONG_TEXT))
    root_cause: Mapped[str | None] = mapped_column(BoundedText(LONG_TEXT))
    cause: Mapped[str | None] = mapped_column(String(20), info={"codes": CAUSES})
    responsibility: Mapped[str | None] = mapped_column(
        String(20), info={"codes": RESPONSIBILITIES}
    )
    solution: Mapped[str | None] = mapped_column(BoundedText(LONG_TEXT))
    solution_approved_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    solution_approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id")
    )
    compensation_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    compensation_note: Mapped[str | None] = mapped_column(String(300))
    result: Mapped[str | None] = mapped_column(BoundedText(LONG_TEXT))
    satisfaction: Mapped[int | None] = mapped_column(Integer, info={"max": 5})
    satisfaction_comment: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)

    customer: Mapped[Customer] = relationship(Customer)
    category: Mapped[CaseCategory] = relationship(CaseCategory)
    channel: Mapped[Channel] = relationship(Channel)
    department: Mapped[Department] = relationship(Department)
    first_ask_owner: Mapped[AppUser] = relationship(
        AppUser, foreign_keys=[first_ask_owner_id]
    )
    owner: Mapped[AppUser | None] = relationship(AppUser, foreign_keys=[owner_id])
    solution_approved_by: Mapped[AppUser | None] = relationship(
        AppUser, foreign_keys=[solution_approved_by_id]
    )
    sla_policy: Mapped[SlaPolicy | None] = relationship(SlaPolicy)
    pickup: Mapped[Pickup | None] = relationship("Pickup", foreign_keys=[pickup_id])
    inspection: Mapped[Inspection | None] = relationship(
        "Inspection", foreign_keys=[inspection_id]
    )
    settlement: Mapped[Settlement | None] = relationship(
        "Settlement", foreign_keys=[settlement_id]
    )
    parent_case: Mapped[Case | None] = relationship("Case", remote_side=[id])
    incident_type: Mapped[IncidentType | None] = relationship(IncidentType)
    emergency_plan: Mapped[EmergencyPlan | None] = relationship(
        "EmergencyPlan", foreign_keys=[emergency_plan_id]
    )
    logs: Mapped[list[CaseLog]] = relationship(
        "CaseLog", back_populates="case", order_by="CaseLog.id"
    )
    attachments: Mapped[list[CaseAttachment]] = relationship(
        "CaseAttachment", back_populates="case"
    )
    pauses: Mapped[list[CasePause]] = relationship(
        "CasePause", back_populates="case", order_by="CasePause.started_at"
    )

    def __repr__(self) -> str:
        return self.number or f"#{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status not in ("closed", "cancelled")


class CaseLog(Model):
    """Communication log entry (沟通记录): contact, internal step or status change."""

    __tablename__ = "case_log"
    __table_args__ = (CheckConstraint(check_in("kind", LOG_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("service_case.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=now)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"))
    kind: Mapped[str] = mapped_column(String(20), info={"codes": LOG_KINDS})
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    action: Mapped[str | None] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(BoundedText(LOG_TEXT))

    case: Mapped[Case] = relationship(Case, back_populates="logs")
    user: Mapped[AppUser] = relationship(AppUser)
    channel: Mapped[Channel | None] = relationship(Channel)


class CaseAttachment(Stamped, Model):
    """Evidence file attached to a case (photo, letter, recording)."""

    __tablename__ = "case_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("service_case.id"), index=True)
    file: Mapped[str] = mapped_column(StoredFile)
    description: Mapped[str | None] = mapped_column(String(300))
    case: Mapped[Case] = relationship(Case, back_populates="attachments")

    @property
    def file_name(self) -> str:
        return get_file_original_name(self.file or "")


class CasePause(Model):
    """A stretch of time in pending_customer; the resolution clock stands still."""

    __tablename__ = "case_pause"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("service_case.id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    reason: Mapped[str | None] = mapped_column(String(300))
    case: Mapped[Case] = relationship(Case, back_populates="pauses")


class CaseRound(Model):
    """A finished handling round (处理轮次) of a case: its resolution clock as it
    stood when the case was reopened (二次处理).

    The case row carries the current round only; without these rows a reopen
    would erase the first round's missed deadline from the KPIs (seed 001 §8).
    Written by the reopen step, never edited.
    """

    __tablename__ = "case_round"
    __table_args__ = (UniqueConstraint("case_id", "cycle", name="uq_case_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("service_case.id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, index=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    ended_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)
    state: Mapped[str] = mapped_column(String(20), info={"codes": CLOCK_STATES})
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    case: Mapped[Case] = relationship(Case)


class CaseRating(Model):
    """One satisfaction score (1-5) the customer gave a case, per handling round,
    with the customer's comment and, when it led to a reopen, the reason.

    Never overwritten or deleted: every round's score counts in the
    satisfaction KPI (seed 001 §6, §8; seed 002 §4).
    """

    __tablename__ = "case_rating"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("service_case.id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    reopen_reason: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    given_at: Mapped[dt.datetime] = mapped_column(
        AwareDateTime, default=now, index=True
    )
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    case: Mapped[Case] = relationship(Case)
    recorded_by: Mapped[AppUser | None] = relationship(AppUser)
