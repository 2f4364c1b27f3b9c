"""Supervision (监督检查): spot checks of closed cases and site patrols of
pickup crews (seed 001 §8(一), seed 002 §4(一)2)."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import LONG_TEXT, BoundedText, Stamped, Versioned
from app.models.cases import Case
from app.models.codes import SPOT_CHECK_ITEM_MAX, SPOT_CHECK_ITEMS
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
