"""Supervision (监督检查): spot checks of closed cases and site patrols of
pickup crews (seed 001 §8(一), seed 002 §4(一)2); the monthly appraisal
sheet with its KPI figures and rewards and penalties (seed 002 §4(三)(四),
001 §8(二))."""

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
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    LONG_TEXT,
    NOTE_TEXT,
    PERCENT,
    AwareDateTime,
    BoundedText,
    Stamped,
    Versioned,
)
from app.models.cases import Case
from app.models.codes import (
    ADJUSTMENT_KINDS,
    ADJUSTMENT_SIGN,
    APPRAISAL_STATUSES,
    KPI_CODES,
    SPOT_CHECK_ITEM_MAX,
    SPOT_CHECK_ITEMS,
    check_in,
)
from app.models.recycling import Pickup
from app.models.reference import AppUser, Department

SPOT_CHECK_COLUMNS = tuple(f"{item}_score" for item in SPOT_CHECK_ITEMS)


def _item_range(column: str) -> CheckConstraint:
    return CheckConstraint(
        f"{column} BETWEEN 0 AND {SPOT_CHECK_ITEM_MAX}", name=f"{column}_range"
    )


class SpotCheck(Versioned, Stamped, Model):
    """A spot check (抽查) of a closed case by CustomerService or Management:
    five items scored 0-20 (timeliness, process, solution, satisfaction,
    records); the total is their sum. The case's handler is the person scored;
    the check belongs to the handler's department."""

    __tablename__ = "spot_check"
    __table_args__ = (
        *(_item_range(column) for column in SPOT_CHECK_COLUMNS),
        CheckConstraint("total_score BETWEEN 0 AND 100", name="total_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("service_case.id"), index=True)
    checked_on: Mapped[dt.date] = mapped_column(Date, index=True)
    handler_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    timeliness_score: Mapped[int] = mapped_column(
        Integer, info={"max": SPOT_CHECK_ITEM_MAX}
    )
    process_score: Mapped[int] = mapped_column(
        Integer, info={"max": SPOT_CHECK_ITEM_MAX}
    )
    solution_score: Mapped[int] = mapped_column(
        Integer, info={"max": SPOT_CHECK_ITEM_MAX}
    )
    satisfaction_score: Mapped[int] = mapped_column(
        Integer, info={"max": SPOT_CHECK_ITEM_MAX}
    )
    records_score: Mapped[int] = mapped_column(
        Integer, info={"max": SPOT_CHECK_ITEM_MAX}
    )
    total_score: Mapped[int] = mapped_column(Integer, info={"max": 100})
    findings: Mapped[str] = mapped_column(BoundedText(LONG_TEXT))

    case: Mapped[Case] = relationship(Case)
    handler: Mapped[AppUser] = relationship(AppUser, foreign_keys=[handler_id])
    department: Mapped[Department] = relationship(Department)

    def __repr__(self) -> str:
        return f"{self.case} · {self.checked_on}"


class SitePatrol(Versioned, Stamped, Model):
    """A site patrol (现场巡查) of a pickup crew by the Operations head or
    Management: date, pickup and crew, findings, score 0-100. The crew leader
    is the person scored; the patrol belongs to the leader's department."""

    __tablename__ = "site_patrol"
    __table_args__ = (CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patrolled_on: Mapped[dt.date] = mapped_column(Date, index=True)
    pickup_id: Mapped[int | None] = mapped_column(ForeignKey("pickup.id"), index=True)
    crew: Mapped[str | None] = mapped_column(String(100))
    leader_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    score: Mapped[int] = mapped_column(Integer, info={"max": 100})
    findings: Mapped[str] = mapped_column(BoundedText(LONG_TEXT))

    pickup: Mapped[Pickup | None] = relationship(Pickup)
    leader: Mapped[AppUser] = relationship(AppUser, foreign_keys=[leader_id])
    department: Mapped[Department] = relationship(Department)

    def __repr__(self) -> str:
        return f"{self.patrolled_on} · {self.crew or self.leader}"


class Appraisal(Versioned, Stamped, Model):
    """A person's monthly appraisal sheet (月度考核表, seed 002 §4(三)(四), 001
    §8(二)): the person's KPI figures of the month as the KPI report gives
    them, the month's supervision score, rewards and penalties. Draft →
    reviewed by the department head → approved by Management, then locked.
    One per person and month."""

    __tablename__ = "appraisal"
    __table_args__ = (
        UniqueConstraint("user_id", "month", name="uq_appraisal_user_month"),
        CheckConstraint(check_in("status", APPRAISAL_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    # First day of the month appraised.
    month: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(
        String(20), default="draft", index=True, info={"codes": APPRAISAL_STATUSES}
    )
    generated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)
    # Spot checks and patrols of the month: sum and number of their scores,
    # and their mean (None without any).
    supervision_total: Mapped[int] = mapped_column(Integer, default=0)
    supervision_count: Mapped[int] = mapped_column(Integer, default=0)
    supervision_score: Mapped[Decimal | None] = mapped_column(PERCENT)
    remarks: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    review_note: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    approval_note: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))

    user: Mapped[AppUser] = relationship(AppUser, foreign_keys=[user_id])
    department: Mapped[Department] = relationship(Department)
    reviewed_by: Mapped[AppUser | None] = relationship(
        AppUser, foreign_keys=[reviewed_by_id]
    )
    approved_by: Mapped[AppUser | None] = relationship(
        AppUser, foreign_keys=[approved_by_id]
    )
    figures: Mapped[list[AppraisalFigure]] = relationship(
        "AppraisalFigure",
        back_populates="appraisal",
        cascade="all, delete-orphan",
        order_by="AppraisalFigure.id",
    )
    adjustments: Mapped[list[AppraisalAdjustment]] = relationship(
        "AppraisalAdjustment",
        back_populates="appraisal",
        order_by="AppraisalAdjustment.id",
    )

    @property
    def locked(self) -> bool:
        return self.status == "approved"

    def __repr__(self) -> str:
        return f"{self.user} · {self.month:%Y-%m}"


class AppraisalFigure(Model):
    """One KPI of a sheet: numerator, denominator, value and target as the KPI
    report shows them for the person and month."""

    __tablename__ = "appraisal_figure"
    __table_args__ = (
        UniqueConstraint("appraisal_id", "kpi", name="uq_appraisal_figure"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(
        ForeignKey("appraisal.id", ondelete="CASCADE"), index=True
    )
    kpi: Mapped[str] = mapped_column(String(40), info={"codes": KPI_CODES})
    numerator: Mapped[int] = mapped_column(Integer)
    denominator: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    target: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    lower_is_better: Mapped[bool | None] = mapped_column(Boolean)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)

    appraisal: Mapped[Appraisal] = relationship(Appraisal, back_populates="figures")


class AppraisalAdjustment(Stamped, Model):
    """A reward or penalty (嘉奖/加分/警告/扣分) recorded against a sheet by the
    person's department head or Management, with its reason; bonus and
    deducted points count with their sign."""

    __tablename__ = "appraisal_adjustment"
    __table_args__ = (
        CheckConstraint(check_in("kind", ADJUSTMENT_KINDS), name="kind"),
        CheckConstraint("points BETWEEN 0 AND 100", name="points_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(ForeignKey("appraisal.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), info={"codes": ADJUSTMENT_KINDS})
    points: Mapped[int] = mapped_column(Integer, default=0, info={"max": 100})
    reason: Mapped[str] = mapped_column(BoundedText(NOTE_TEXT))

    appraisal: Mapped[Appraisal] = relationship(Appraisal, back_populates="adjustments")

    @property
    def signed_points(self) -> int:
        return ADJUSTMENT_SIGN.get(self.kind, 0) * (self.points or 0)
