"""Staff training (培训) and shift handover (交接班).

Seed 003 客服部规章 第十七–十九条 (new staff trained and assessed before
taking up duty; regular internal, on-site and external training; case
studies), seed 003 客服运营方案 三.1 (the yearly training plan), seed 002 §5
and seed 000 §2(一)3 (handover between shifts so nothing open is dropped).
"""

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
    LONG_TEXT,
    NOTE_TEXT,
    PERCENT,
    BoundedText,
    Stamped,
    Versioned,
)
from app.models.codes import TRAINING_KINDS, check_in
from app.models.reference import AppUser, Department


class TrainingPlan(Versioned, Stamped, Model):
    """A department's yearly training plan (年度培训计划)."""

    __tablename__ = "training_plan"
    __table_args__ = (
        UniqueConstraint("year", "department_id", name="uq_training_plan"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    goals: Mapped[str] = mapped_column(BoundedText(NOTE_TEXT))
    content: Mapped[str] = mapped_column(BoundedText(LONG_TEXT))
    method: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    schedule: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))

    department: Mapped[Department] = relationship(Department)

    def __repr__(self) -> str:
        return f"{self.year} {self.department or ''}".strip()


class TrainingSession(Versioned, Stamped, Model):
    """One training held (培训记录): kind, date, trainer and topic."""

    __tablename__ = "training_session"
    __table_args__ = (CheckConstraint(check_in("kind", TRAINING_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    training_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_plan.id"), index=True
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), info={"codes": TRAINING_KINDS})
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    trainer: Mapped[str] = mapped_column(String(60))
    topic: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))

    training_plan: Mapped[TrainingPlan | None] = relationship(TrainingPlan)
    department: Mapped[Department] = relationship(Department)

    def __repr__(self) -> str:
        return f"{self.held_on} {self.topic}"


class TrainingAttendance(Stamped, Model):
    """Whether one person attended a training session."""

    __tablename__ = "training_attendance"
    __table_args__ = (
        UniqueConstraint("training_session_id", "person_id", name="uq_attendance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    training_session_id: Mapped[int] = mapped_column(
        ForeignKey("training_session.id"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    attended: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(String(200))
    # The person's department (who may see the record).
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id"), index=True
    )

    training_session: Mapped[TrainingSession] = relationship(TrainingSession)
    person: Mapped[AppUser] = relationship(AppUser, foreign_keys=[person_id])
    department: Mapped[Department | None] = relationship(Department)

    def __repr__(self) -> str:
        return f"{self.person or ''}"


class TrainingAssessment(Stamped, Model):
    """One person's assessment result (考核): score and whether it passed."""

    __tablename__ = "training_assessment"
    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    training_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_session.id"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[Decimal] = mapped_column(PERCENT)
    # Decided by the rules: the score against the pass mark of the day.
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id"), index=True
    )

    training_session: Mapped[TrainingSession | None] = relationship(TrainingSession)
    person: Mapped[AppUser] = relationship(AppUser, foreign_keys=[person_id])
    department: Mapped[Department | None] = relationship(Department)

    def __repr__(self) -> str:
        return f"{self.person or ''} {self.assessed_on}"
