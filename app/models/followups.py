"""Follow-up visits (回访) and improvement actions (改进措施)."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
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

from app.models.base import (
    LONG_TEXT,
    NOTE_TEXT,
    AwareDateTime,
    BoundedText,
    DeadlineChecked,
    Stamped,
    StoredFile,
    Versioned,
    next_check_index,
)
from app.models.cases import Case
from app.models.codes import (
    CLOCK_STATES,
    FOLLOWUP_SOURCES,
    FOLLOWUP_STATUSES,
    IMPROVEMENT_STATUSES,
    KPI_CODES,
    REPORT_STATUSES,
    check_in,
)
from app.models.customers import Customer
from app.models.recycling import Pickup, Settlement
from app.models.reference import (
    AppUser,
    CaseCategory,
    Channel,
    Department,
    FollowUpRule,
)

# Overdue visits stay in the deadline check's index until done (escalation).
OPEN_FOLLOWUP = text("status IN ('planned', 'overdue')")
# Most visits have no pickup (case and partner visits) and no case of their
# outcome: those indexes hold only the rows with a value (an equality on the
# column implies it), so generating visits does not write them.
HAS_PICKUP = text("pickup_id IS NOT NULL")
HAS_RESULT_CASE = text("result_case_id IS NOT NULL")
OPEN_ACTION = text("status IN ('open', 'in_progress')")


class FollowUp(DeadlineChecked, Versioned, Stamped, Model):
    """A planned call or visit to a customer, exactly one per source and rule."""

    __tablename__ = "followup"
    __table_args__ = (
        CheckConstraint(check_in("status", FOLLOWUP_STATUSES), name="status"),
        CheckConstraint(check_in("source", FOLLOWUP_SOURCES), name="source"),
        CheckConstraint(check_in("due_state", CLOCK_STATES), name="due_state"),
        CheckConstraint(
            "satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction"
        ),
        # Also serves the counts of open visits by status (the work list).
        Index(
            "ix_followup_open_risk",
            "risk_at",
            postgresql_where=OPEN_FOLLOWUP,
            sqlite_where=OPEN_FOLLOWUP,
        ),
        next_check_index("followup"),
        Index(
            "ix_followup_pickup_id",
            "pickup_id",
            postgresql_where=HAS_PICKUP,
            sqlite_where=HAS_PICKUP,
        ),
        # Deleting a case looks here (foreign key).
        Index(
            "ix_followup_result_case",
            "result_case_id",
            postgresql_where=HAS_RESULT_CASE,
            sqlite_where=HAS_RESULT_CASE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    source: Mapped[str] = mapped_column(String(20), info={"codes": FOLLOWUP_SOURCES})
    # e.g. "case:12:rule:1"; unique, so a source never gets two visits per rule.
    source_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("followup_rule.id"))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_case.id"), index=True
    )
    pickup_id: Mapped[int | None] = mapped_column(ForeignKey("pickup.id"))
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlement.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id"), index=True
    )
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    due_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)
    risk_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    due_state: Mapped[str] = mapped_column(
        String(20), default="running", info={"codes": CLOCK_STATES}
    )
    # No index of its own: the open statuses are in ix_followup_open_risk,
    # the others are most of the table.
    status: Mapped[str] = mapped_column(
        String(20), default="planned", info={"codes": FOLLOWUP_STATUSES}
    )
    done_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    outcome: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    satisfaction: Mapped[int | None] = mapped_column(Integer, info={"max": 5})
    comment: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    # The case reopened or the complaint opened by a dissatisfied answer.
    result_case_id: Mapped[int | None] = mapped_column(ForeignKey("service_case.id"))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)

    rule: Mapped[FollowUpRule | None] = relationship(FollowUpRule)
    case: Mapped[Case | None] = relationship(Case, foreign_keys=[case_id])
    result_case: Mapped[Case | None] = relationship(Case, foreign_keys=[result_case_id])
    pickup: Mapped[Pickup | None] = relationship(Pickup)
    settlement: Mapped[Settlement | None] = relationship(Settlement)
    customer: Mapped[Customer] = relationship(Customer)
    department: Mapped[Department] = relationship(Department)
    assignee: Mapped[AppUser | None] = relationship(AppUser, foreign_keys=[assignee_id])
    channel: Mapped[Channel | None] = relationship(Channel)

    def __repr__(self) -> str:
        return self.number


class ImprovementAction(DeadlineChecked, Versioned, Stamped, Model):
    """Improvement measure from complaint analysis, with owner, due date and check."""

    __tablename__ = "improvement_action"
    __table_args__ = (
        CheckConstraint(check_in("status", IMPROVEMENT_STATUSES), name="status"),
        CheckConstraint(check_in("due_state", CLOCK_STATES), name="due_state"),
        Index(
            "ix_action_open_risk",
            "risk_at",
            postgresql_where=OPEN_ACTION,
            sqlite_where=OPEN_ACTION,
        ),
        next_check_index("action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    problem: Mapped[str] = mapped_column(BoundedText(LONG_TEXT))
    measure: Mapped[str] = mapped_column(BoundedText(LONG_TEXT))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("case_category.id"))
    kpi: Mapped[str | None] = mapped_column(String(40), info={"codes": KPI_CODES})
    source_case_id: Mapped[int | None] = mapped_column(ForeignKey("service_case.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    due_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)
    risk_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    due_state: Mapped[str] = mapped_column(
        String(20), default="running", info={"codes": CLOCK_STATES}
    )
    status: Mapped[str] = mapped_column(
        String(20), default="open", index=True, info={"codes": IMPROVEMENT_STATUSES}
    )
    done_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    # 完成情况: what was done (or why the action was cancelled).
    outcome: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    effectiveness: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    effective: Mapped[bool | None] = mapped_column(Boolean)
    checked_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)

    category: Mapped[CaseCategory | None] = relationship(CaseCategory)
    source_case: Mapped[Case | None] = relationship(Case)
    department: Mapped[Department] = relationship(Department)
    owner: Mapped[AppUser | None] = relationship(AppUser, foreign_keys=[owner_id])
    checked_by: Mapped[AppUser | None] = relationship(
        AppUser, foreign_keys=[checked_by_id]
    )

    def __repr__(self) -> str:
        return self.number


class ServiceAcceptance(Stamped, Model):
    """The customer's on-site acceptance (服务验收) of a pickup or an after-sales
    service: who signed, when, the rating (1-5) and a photo of the signed ticket.

    Seed 004 第十五条: after the service the customer checks its quality,
    attitude and timeliness and signs when satisfied. A signed acceptance's
    rating counts in the satisfaction KPI; an unsigned one (the customer
    refused or was absent) is recorded with the reason and counts nothing.
    One per pickup or after-sales case.
    """

    __tablename__ = "service_acceptance"
    __table_args__ = (
        CheckConstraint("(pickup_id IS NULL) <> (case_id IS NULL)", name="one_source"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint(
            "NOT signed OR (rating IS NOT NULL AND signed_by IS NOT NULL)",
            name="signed_complete",
        ),
        UniqueConstraint("pickup_id", name="uq_acceptance_pickup"),
        UniqueConstraint("case_id", name="uq_acceptance_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pickup_id: Mapped[int | None] = mapped_column(ForeignKey("pickup.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("service_case.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    # The customer signed the ticket (客户签字确认); False: refused or absent.
    signed: Mapped[bool] = mapped_column(Boolean, default=True)
    signed_by: Mapped[str | None] = mapped_column(String(50))
    accepted_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, index=True)
    rating: Mapped[int | None] = mapped_column(Integer, info={"max": 5})
    comment: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    photo: Mapped[str | None] = mapped_column(StoredFile)

    pickup: Mapped[Pickup | None] = relationship(Pickup)
    case: Mapped[Case | None] = relationship(Case)
    customer: Mapped[Customer] = relationship(Customer)
    department: Mapped[Department] = relationship(Department)

    def __repr__(self) -> str:
        source = self.pickup or self.case
        return str(source) if source is not None else ""


class ComplaintReport(Versioned, Stamped, Model):
    """The monthly complaint analysis report (客户投诉统计分析报告, seed 001
    §7(一)2): CustomerService's written analysis of the causes and impact
    assessment of a month, sent to Management and the department heads; the
    text is locked once sent (who, when and to whom are kept)."""

    __tablename__ = "complaint_report"
    __table_args__ = (
        CheckConstraint(check_in("status", REPORT_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)
    analysis: Mapped[str] = mapped_column(BoundedText(LONG_TEXT))
    impact: Mapped[str] = mapped_column(BoundedText(LONG_TEXT))
    status: Mapped[str] = mapped_column(
        String(20), default="draft", info={"codes": REPORT_STATUSES}
    )
    sent_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    sent_to: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    sent_by: Mapped[AppUser | None] = relationship(AppUser, foreign_keys=[sent_by_id])

    def __repr__(self) -> str:
        return self.month
