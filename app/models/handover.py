"""Shift handover (值班交接, seed 003 客服运营方案 三.1 工作人员要做好值班交接;
seed 003 首问负责 交接清楚，明确责任).

A handover note is written by the person handing over at the end of a shift
(its author, `created_by`): the department, the day and the shift, notes, and
a snapshot of the department's open items taken when the note is made. The
next shift acknowledges it (接班确认); then the note and its items are final.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import NOTE_TEXT, AwareDateTime, BoundedText, Stamped, Versioned
from app.models.cases import Case
from app.models.codes import (
    CASE_STATUSES,
    CLOCK_STATES,
    HANDOVER_RECORD_TYPES,
    HANDOVER_STATUSES,
    PICKUP_STATUSES,
    SHIFTS,
    check_in,
    label,
)
from app.models.recycling import Pickup
from app.models.reference import AppUser, Department


class HandoverNote(Versioned, Stamped, Model):
    """One shift's handover note (交班记录) of a department."""

    __tablename__ = "handover_note"
    __table_args__ = (
        UniqueConstraint(
            "department_id", "shift_date", "shift", name="uq_handover_note"
        ),
        CheckConstraint(check_in("shift", SHIFTS), name="shift"),
        CheckConstraint(check_in("status", HANDOVER_STATUSES), name="status"),
        CheckConstraint("more_items >= 0", name="more_items"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    shift_date: Mapped[dt.date] = mapped_column(Date, index=True)
    shift: Mapped[str] = mapped_column(String(20), info={"codes": SHIFTS})
    notes: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    status: Mapped[str] = mapped_column(
        String(20), default="open", index=True, info={"codes": HANDOVER_STATUSES}
    )
    # Open items beyond those listed (the snapshot lists a bounded number).
    more_items: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    acknowledgement_note: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))

    department: Mapped[Department] = relationship(Department)
    acknowledged_by: Mapped[AppUser | None] = relationship(
        AppUser, foreign_keys=[acknowledged_by_id]
    )
    items: Mapped[list[HandoverItem]] = relationship(
        "HandoverItem",
        back_populates="note",
        order_by="HandoverItem.id",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        shift = label(SHIFTS, self.shift) if self.shift else ""
        return f"{self.shift_date or ''} {shift} {self.department or ''}".strip()


class HandoverItem(Model):
    """An open case or pickup listed on a handover note, with a remark."""

    __tablename__ = "handover_item"
    __table_args__ = (
        CheckConstraint(check_in("record_type", HANDOVER_RECORD_TYPES), name="type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("handover_note.id"), index=True)
    record_type: Mapped[str] = mapped_column(
        String(20), info={"codes": HANDOVER_RECORD_TYPES}
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("service_case.id"))
    pickup_id: Mapped[int | None] = mapped_column(ForeignKey("pickup.id"))
    number: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    # The record's status and its worst clock state when the note was made.
    record_status: Mapped[str] = mapped_column(String(20))
    clock_state: Mapped[str | None] = mapped_column(
        String(20), info={"codes": CLOCK_STATES}
    )
    remark: Mapped[str | None] = mapped_column(String(500))

    note: Mapped[HandoverNote] = relationship(HandoverNote, back_populates="items")
    case: Mapped[Case | None] = relationship(Case)
    pickup: Mapped[Pickup | None] = relationship(Pickup)

    def __repr__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def record_state(self) -> str:
        """The record's status when the note was made, as the clerk reads it."""
        codes = CASE_STATUSES if self.record_type == "case" else PICKUP_STATUSES
        return str(label(codes, self.record_status))
