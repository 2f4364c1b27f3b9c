"""Emergency handling (应急处理, seed 002 §6): versioned emergency plans per
incident type with their responsible people, and the post-incident review of
a closed incident case."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
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
    Stamped,
    Versioned,
)
from app.models.cases import Case
from app.models.codes import PLAN_STATUSES, check_in
from app.models.reference import AppUser, Department, IncidentType

IN_FORCE = text("status = 'in_force'")


class EmergencyPlan(Versioned, Stamped, Model):
    """One version of the emergency plan (应急预案) of an incident type: title,
    procedure (应急处置流程), responsible people, effective date. Draft → in
    force (by Management) → superseded by the next version put in force; only
    a draft is ever changed. At most one version in force per type."""

    __tablename__ = "emergency_plan"
    __table_args__ = (
        UniqueConstraint(
            "incident_type_id", "version_no", name="uq_emergency_plan_version"
        ),
        CheckConstraint(check_in("status", PLAN_STATUSES), name="status"),
        CheckConstraint("version_no >= 1", name="version_no"),
        Index(
            "uq_emergency_plan_in_force",
            "incident_type_id",
            unique=True,
            postgresql_where=IN_FORCE,
            sqlite_where=IN_FORCE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_type_id: Mapped[int] = mapped_column(
        ForeignKey("incident_type.id"), index=True
    )
    version_no: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    procedure: Mapped[str] = mapped_column(BoundedText(LONG_TEXT))
    effective_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(
        String(20), default="draft", index=True, info={"codes": PLAN_STATUSES}
    )
    in_force_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    put_in_force_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    superseded_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)

    incident_type: Mapped[IncidentType] = relationship(IncidentType)
    put_in_force_by: Mapped[AppUser | None] = relationship(
        AppUser, foreign_keys=[put_in_force_by_id]
    )
    responsibles: Mapped[list[PlanResponsible]] = relationship(
        "PlanResponsible",
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by="PlanResponsible.id",
    )

    def __repr__(self) -> str:
        return f"{self.title} V{self.version_no}"


class PlanResponsible(Model):
    """A person responsible under an emergency plan (负责人) and their duty."""

    __tablename__ = "emergency_plan_responsible"
    __table_args__ = (
        UniqueConstraint("plan_id", "person_id", name="uq_plan_responsible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("emergency_plan.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    duty: Mapped[str | None] = mapped_column(String(200))

    plan: Mapped[EmergencyPlan] = relationship(
        EmergencyPlan, back_populates="responsibles"
    )
    person: Mapped[AppUser] = relationship(AppUser)

    def __repr__(self) -> str:
        return f"{self.person}"


class IncidentReview(Versioned, Stamped, Model):
    """The post-incident review (事后总结, seed 002 §6(三)) of a closed incident
    case: causes, lessons learned, and whether the plan needs revision with
    the changes proposed; a proposal opens a draft next version of the plan."""

    __tablename__ = "incident_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("service_case.id"), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("emergency_plan.id"))
    causes: Mapped[str] = mapped_column(BoundedText(LONG_TEXT))
    lessons: Mapped[str] = mapped_column(BoundedText(LONG_TEXT))
    needs_revision: Mapped[bool] = mapped_column(Boolean, default=False)
    proposed_changes: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("emergency_plan.id"))

    case: Mapped[Case] = relationship(Case)
    department: Mapped[Department] = relationship(Department)
    plan: Mapped[EmergencyPlan | None] = relationship(
        EmergencyPlan, foreign_keys=[plan_id]
    )
    revision: Mapped[EmergencyPlan | None] = relationship(
        EmergencyPlan, foreign_keys=[revision_id]
    )

    def __repr__(self) -> str:
        return f"{self.case}"
