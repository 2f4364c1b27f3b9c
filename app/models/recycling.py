"""The recycling flow: pickups, weigh tickets, inspections and settlements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import (
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
    MONEY,
    NOTE_TEXT,
    UNIT_PRICE,
    WEIGHT,
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
    CLOCK_STATES,
    DIFFICULTIES,
    INSPECTION_RESULTS,
    INVOICE_STATUSES,
    PAYMENT_METHODS,
    PICKUP_STATUSES,
    PICKUP_STEPS,
    SETTLEMENT_DIRECTIONS,
    SETTLEMENT_STATUSES,
    check_in,
    label,
)
from app.models.customers import Customer
from app.models.reference import (
    AppUser,
    Channel,
    Department,
    Material,
    MaterialGrade,
    PaymentTerm,
    PriceListItem,
    SlaPolicy,
)

OPEN_PICKUP = text("status NOT IN ('closed', 'cancelled')")
WAITING_PICKUP = text(
    "status NOT IN ('closed', 'cancelled') AND confirm_state = 'unknown'"
)
# A pickup has at most one settlement in force (adjusting entries aside).
ACTIVE_PICKUP_SETTLEMENT = text(
    "pickup_id IS NOT NULL AND adjusts_id IS NULL AND status <> 'voided'"
)
# A confirmed settlement is owed: its payment clock runs until paid or voided.
OPEN_SETTLEMENT = text("status = 'confirmed'")


class Pickup(DeadlineChecked, Versioned, Stamped, Model):
    """Pickup appointment (上门回收预约) from request to settlement."""

    __tablename__ = "pickup"
    __table_args__ = (
        CheckConstraint(check_in("status", PICKUP_STATUSES), name="status"),
        CheckConstraint(check_in("confirm_state", CLOCK_STATES), name="confirm_state"),
        CheckConstraint(check_in("arrival_state", CLOCK_STATES), name="arrival_state"),
        CheckConstraint(
            "requested_end IS NULL OR requested_start IS NULL "
            "OR requested_end > requested_start",
            name="requested_window",
        ),
        CheckConstraint(
            "window_end IS NULL OR window_start IS NULL OR window_end > window_start",
            name="agreed_window",
        ),
        CheckConstraint("distance_km IS NULL OR distance_km >= 0", name="distance"),
        CheckConstraint(
            "quoted_amount IS NULL OR quoted_amount >= 0", name="quoted_amount"
        ),
        CheckConstraint(
            "difficulty IS NULL OR " + check_in("difficulty", DIFFICULTIES),
            name="difficulty",
        ),
        Index(
            "ix_pickup_open_confirm_risk",
            "confirm_risk_at",
            postgresql_where=OPEN_PICKUP,
            sqlite_where=OPEN_PICKUP,
        ),
        Index(
            "ix_pickup_open_confirm_due",
            "confirm_due_at",
            postgresql_where=OPEN_PICKUP,
            sqlite_where=OPEN_PICKUP,
        ),
        Index(
            "ix_pickup_waiting",
            "id",
            postgresql_where=WAITING_PICKUP,
            sqlite_where=WAITING_PICKUP,
        ),
        # The month's pickups and active customers (KPI complaint rates).
        Index("ix_pickup_received_at", "received_at"),
        Index(
            "ix_pickup_open_window_end",
            "window_end",
            postgresql_where=OPEN_PICKUP,
            sqlite_where=OPEN_PICKUP,
        ),
        next_check_index("pickup"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(300))
    region: Mapped[str | None] = mapped_column(String(50))
    requested_start: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    requested_end: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    status: Mapped[str] = mapped_column(
        String(20), default="requested", index=True, info={"codes": PICKUP_STATUSES}
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    notes: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))

    # Confirmation clock (服务响应及时率) and arrival check.
    received_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=now)
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policy.id"))
    confirm_due_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    confirm_risk_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    confirm_state: Mapped[str] = mapped_column(
        String(20), default="running", info={"codes": CLOCK_STATES}
    )
    window_start: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    window_end: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    # The crew set off to the customer (the customer is told it is on the way).
    departed_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    arrived_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    arrival_state: Mapped[str] = mapped_column(
        String(20), default="none", info={"codes": CLOCK_STATES}
    )
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)

    # Dispatch (派工).
    crew: Mapped[str | None] = mapped_column(String(100))
    vehicle: Mapped[str | None] = mapped_column(String(20))
    distance_km: Mapped[Decimal | None] = mapped_column(WEIGHT)
    difficulty: Mapped[str | None] = mapped_column(
        String(10), info={"codes": DIFFICULTIES}
    )

    # On-site assessment.
    assessed_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    assessment_note: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    quoted_amount: Mapped[Decimal | None] = mapped_column(MONEY)

    collected_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    weighed_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    inspected_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    settled_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(300))

    customer: Mapped[Customer] = relationship(Customer)
    channel: Mapped[Channel | None] = relationship(Channel)
    department: Mapped[Department] = relationship(Department)
    sla_policy: Mapped[SlaPolicy | None] = relationship(SlaPolicy)
    lines: Mapped[list[PickupLine]] = relationship(
        "PickupLine", back_populates="pickup", order_by="PickupLine.id"
    )
    tickets: Mapped[list[WeighTicket]] = relationship(
        "WeighTicket", back_populates="pickup", order_by="WeighTicket.id"
    )
    logs: Mapped[list[PickupLog]] = relationship(
        "PickupLog", back_populates="pickup", order_by="PickupLog.id"
    )

    def __repr__(self) -> str:
        return self.number or f"#{self.id}"


class PickupLog(Model):
    """A workflow step taken on a pickup: who, when, from which state to which."""

    __tablename__ = "pickup_log"
    __table_args__ = (
        CheckConstraint(check_in("step", PICKUP_STEPS), name="step"),
        CheckConstraint(
            "from_status IS NULL OR " + check_in("from_status", PICKUP_STATUSES),
            name="from_status",
        ),
        CheckConstraint(check_in("to_status", PICKUP_STATUSES), name="to_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pickup_id: Mapped[int] = mapped_column(ForeignKey("pickup.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=now)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"))
    step: Mapped[str] = mapped_column(String(20), info={"codes": PICKUP_STEPS})
    from_status: Mapped[str | None] = mapped_column(
        String(20), info={"codes": PICKUP_STATUSES}
    )
    to_status: Mapped[str] = mapped_column(String(20), info={"codes": PICKUP_STATUSES})
    note: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))

    pickup: Mapped[Pickup] = relationship(Pickup, back_populates="logs")
    user: Mapped[AppUser] = relationship(AppUser)

    def __repr__(self) -> str:
        number = self.pickup.number if self.pickup else ""
        return f"{number} {label(PICKUP_STEPS, self.step)}".strip()


class PickupLine(Stamped, Model):
    """A material on a pickup: estimated, assessed and collected quantities."""

    __tablename__ = "pickup_line"
    __table_args__ = (
        CheckConstraint("estimated_kg IS NULL OR estimated_kg >= 0", name="estimated"),
        CheckConstraint("assessed_kg IS NULL OR assessed_kg >= 0", name="assessed"),
        CheckConstraint("collected_kg IS NULL OR collected_kg >= 0", name="collected"),
        CheckConstraint(
            "quoted_unit_price IS NULL OR quoted_unit_price >= 0", name="quoted_price"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pickup_id: Mapped[int] = mapped_column(ForeignKey("pickup.id"), index=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id"))
    grade_id: Mapped[int | None] = mapped_column(ForeignKey("material_grade.id"))
    estimated_kg: Mapped[Decimal | None] = mapped_column(WEIGHT)
    assessed_kg: Mapped[Decimal | None] = mapped_column(WEIGHT)
    quoted_unit_price: Mapped[Decimal | None] = mapped_column(UNIT_PRICE)
    collected_kg: Mapped[Decimal | None] = mapped_column(WEIGHT)
    label: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(String(300))

    pickup: Mapped[Pickup] = relationship(Pickup, back_populates="lines")
    material: Mapped[Material] = relationship(Material)
    grade: Mapped[MaterialGrade | None] = relationship(MaterialGrade)

    def __repr__(self) -> str:
        # Pickers list lines of many pickups: the pickup number tells them apart.
        grade = f" {self.grade.name}" if self.grade else ""
        number = f"{self.pickup.number} " if self.pickup and self.pickup.number else ""
        return f"{number}{self.material.name if self.material else ''}{grade}"


class WeighTicket(Stamped, Model):
    """Weigh ticket (过磅单); numbers are gap-free, locked once settled and paid."""

    __tablename__ = "weigh_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    pickup_id: Mapped[int | None] = mapped_column(ForeignKey("pickup.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    vehicle: Mapped[str | None] = mapped_column(String(20))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    notes: Mapped[str | None] = mapped_column(String(300))

    pickup: Mapped[Pickup | None] = relationship(Pickup, back_populates="tickets")
    customer: Mapped[Customer] = relationship(Customer)
    department: Mapped[Department] = relationship(Department)
    lines: Mapped[list[WeighLine]] = relationship(
        "WeighLine", back_populates="ticket", order_by="WeighLine.id"
    )

    def __repr__(self) -> str:
        return self.number


class WeighLine(Versioned, Model):
    """Gross and tare of one material, with operator and time each; net = difference."""

    __tablename__ = "weigh_line"
    __table_args__ = (
        CheckConstraint("gross_kg >= 0", name="gross"),
        CheckConstraint("tare_kg IS NULL OR tare_kg >= 0", name="tare"),
        CheckConstraint("tare_kg IS NULL OR tare_kg <= gross_kg", name="tare_le_gross"),
        # With a tolerance: SQLite keeps NUMERIC as binary floating point.
        CheckConstraint(
            "net_kg IS NULL OR abs(net_kg - (gross_kg - tare_kg)) < 0.0005",
            name="net_is_difference",
        ),
        # The lines weighed in a month (KPI weighing accuracy).
        Index("ix_weigh_line_gross_at", "gross_at"),
        Index("ix_weigh_line_tare_at", "tare_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("weigh_ticket.id"), index=True)
    pickup_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("pickup_line.id"), index=True
    )
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id"))
    grade_id: Mapped[int | None] = mapped_column(ForeignKey("material_grade.id"))
    gross_kg: Mapped[Decimal] = mapped_column(WEIGHT)
    gross_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)
    gross_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"))
    tare_kg: Mapped[Decimal | None] = mapped_column(WEIGHT)
    tare_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    tare_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    net_kg: Mapped[Decimal | None] = mapped_column(WEIGHT)

    ticket: Mapped[WeighTicket] = relationship(WeighTicket, back_populates="lines")
    pickup_line: Mapped[PickupLine | None] = relationship(PickupLine)
    material: Mapped[Material] = relationship(Material)
    grade: Mapped[MaterialGrade | None] = relationship(MaterialGrade)
    gross_by: Mapped[AppUser] = relationship(AppUser, foreign_keys=[gross_by_id])
    tare_by: Mapped[AppUser | None] = relationship(AppUser, foreign_keys=[tare_by_id])

    def __repr__(self) -> str:
        number = self.ticket.number if self.ticket else ""
        material = self.material.name if self.material else ""
        return f"{number} {material}".strip()


class Reweigh(Model):
    """Warehouse re-weigh of a weigh line, the other side of weighing accuracy."""

    __tablename__ = "reweigh"
    __table_args__ = (CheckConstraint("net_kg >= 0", name="net"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    weigh_line_id: Mapped[int] = mapped_column(ForeignKey("weigh_line.id"), unique=True)
    net_kg: Mapped[Decimal] = mapped_column(WEIGHT)
    weighed_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=now)
    operator_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"))
    note: Mapped[str | None] = mapped_column(String(300))
    weigh_line: Mapped[WeighLine] = relationship(WeighLine)
    operator: Mapped[AppUser] = relationship(AppUser)


class Inspection(Versioned, Stamped, Model):
    """Quality inspection (质检) of a weigh line or a sales lot."""

    __tablename__ = "inspection"
    __table_args__ = (
        CheckConstraint(check_in("result", INSPECTION_RESULTS), name="result"),
        CheckConstraint("moisture_pct BETWEEN 0 AND 100", name="moisture"),
        CheckConstraint("impurity_pct BETWEEN 0 AND 100", name="impurity"),
        CheckConstraint("moisture_pct + impurity_pct <= 100", name="pct_sum"),
        CheckConstraint("deduction_kg >= 0", name="deduction"),
        CheckConstraint("net_kg >= 0", name="net"),
        CheckConstraint(
            "accepted_net_kg >= 0 AND accepted_net_kg <= net_kg", name="accepted"
        ),
        CheckConstraint(
            "weigh_line_id IS NOT NULL OR sales_lot IS NOT NULL", name="subject"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    pickup_id: Mapped[int | None] = mapped_column(ForeignKey("pickup.id"), index=True)
    weigh_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("weigh_line.id"), unique=True
    )
    sales_lot: Mapped[str | None] = mapped_column(String(50))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id"), index=True
    )
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id"))
    grade_id: Mapped[int | None] = mapped_column(ForeignKey("material_grade.id"))
    net_kg: Mapped[Decimal] = mapped_column(WEIGHT)
    moisture_pct: Mapped[Decimal] = mapped_column(
        WEIGHT, default=Decimal(0), info={"max": 100}
    )
    impurity_pct: Mapped[Decimal] = mapped_column(
        WEIGHT, default=Decimal(0), info={"max": 100}
    )
    deduction_kg: Mapped[Decimal] = mapped_column(WEIGHT, default=Decimal(0))
    accepted_net_kg: Mapped[Decimal] = mapped_column(WEIGHT)
    result: Mapped[str] = mapped_column(String(20), info={"codes": INSPECTION_RESULTS})
    inspector_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"))
    inspected_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=now)
    report: Mapped[str | None] = mapped_column(BoundedText(LONG_TEXT))
    photo: Mapped[str | None] = mapped_column(StoredFile)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)

    pickup: Mapped[Pickup | None] = relationship(Pickup)
    weigh_line: Mapped[WeighLine | None] = relationship(WeighLine)
    customer: Mapped[Customer | None] = relationship(Customer)
    material: Mapped[Material] = relationship(Material)
    grade: Mapped[MaterialGrade | None] = relationship(MaterialGrade)
    inspector: Mapped[AppUser] = relationship(AppUser, foreign_keys=[inspector_id])
    department: Mapped[Department] = relationship(Department)

    def __repr__(self) -> str:
        return self.number


class Settlement(DeadlineChecked, Versioned, Stamped, Model):
    """Settlement (结算): we pay a supplier or a buyer pays us; exact CNY."""

    __tablename__ = "settlement"
    __table_args__ = (
        CheckConstraint(check_in("status", SETTLEMENT_STATUSES), name="status"),
        CheckConstraint(check_in("direction", SETTLEMENT_DIRECTIONS), name="direction"),
        CheckConstraint(
            "payment_method IS NULL OR " + check_in("payment_method", PAYMENT_METHODS),
            name="payment_method",
        ),
        CheckConstraint("adjusts_id IS NOT NULL OR total >= 0", name="total"),
        CheckConstraint(
            "status <> 'paid' OR (voucher_no IS NOT NULL AND paid_at IS NOT NULL)",
            name="paid_has_voucher",
        ),
        CheckConstraint(
            "status <> 'voided' OR void_reason IS NOT NULL", name="void_reason"
        ),
        Index(
            "uq_settlement_pickup_active",
            "pickup_id",
            unique=True,
            postgresql_where=ACTIVE_PICKUP_SETTLEMENT,
            sqlite_where=ACTIVE_PICKUP_SETTLEMENT,
        ),
        CheckConstraint(check_in("due_state", CLOCK_STATES), name="due_state"),
        CheckConstraint(
            check_in("invoice_status", INVOICE_STATUSES), name="invoice_status"
        ),
        CheckConstraint(
            "invoice_status <> 'invoiced' OR invoice_no IS NOT NULL",
            name="invoiced_has_number",
        ),
        Index(
            "ix_settlement_open_due_risk",
            "due_risk_at",
            postgresql_where=OPEN_SETTLEMENT,
            sqlite_where=OPEN_SETTLEMENT,
        ),
        next_check_index("settlement"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    direction: Mapped[str] = mapped_column(
        String(10), info={"codes": SETTLEMENT_DIRECTIONS}
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    pickup_id: Mapped[int | None] = mapped_column(ForeignKey("pickup.id"), index=True)
    sales_order: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(
        String(20), default="draft", index=True, info={"codes": SETTLEMENT_STATUSES}
    )
    total: Mapped[Decimal] = mapped_column(
        MONEY, default=Decimal("0.00"), info={"signed": True}
    )
    payment_method: Mapped[str | None] = mapped_column(
        String(20), info={"codes": PAYMENT_METHODS}
    )
    voucher_no: Mapped[str | None] = mapped_column(String(30), unique=True)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, index=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    paid_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, index=True)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    voided_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, index=True)
    void_reason: Mapped[str | None] = mapped_column(String(300))
    adjusts_id: Mapped[int | None] = mapped_column(ForeignKey("settlement.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    notes: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))

    # Payment due date (账期) and its clock, from the term in force at
    # confirmation (app.services.finance.terms); the deadline check watches it.
    payment_term_id: Mapped[int | None] = mapped_column(ForeignKey("payment_term.id"))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    due_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    due_risk_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    due_state: Mapped[str] = mapped_column(
        String(20), default="none", server_default="none", info={"codes": CLOCK_STATES}
    )
    escalation_level: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )
    # Invoice (发票): issued to a buyer, or received from a supplier.
    invoice_status: Mapped[str] = mapped_column(
        String(20),
        default="pending",
        server_default="pending",
        info={"codes": INVOICE_STATUSES},
    )
    invoice_no: Mapped[str | None] = mapped_column(String(50))
    invoice_date: Mapped[dt.date | None] = mapped_column(Date)
    # Why no invoice is needed (e.g. a private seller without invoices).
    invoice_note: Mapped[str | None] = mapped_column(String(200))

    customer: Mapped[Customer] = relationship(Customer)
    pickup: Mapped[Pickup | None] = relationship(Pickup)
    department: Mapped[Department] = relationship(Department)
    payment_term: Mapped[PaymentTerm | None] = relationship(PaymentTerm)
    confirmed_by: Mapped[AppUser | None] = relationship(
        AppUser, foreign_keys=[confirmed_by_id]
    )
    paid_by: Mapped[AppUser | None] = relationship(AppUser, foreign_keys=[paid_by_id])
    adjusts: Mapped[Settlement | None] = relationship("Settlement", remote_side=[id])
    lines: Mapped[list[SettlementLine]] = relationship(
        "SettlementLine", back_populates="settlement", order_by="SettlementLine.id"
    )

    def __repr__(self) -> str:
        return self.number


class SettlementLine(Model):
    """Accepted net weight x unit price in force on the weighing date = amount."""

    __tablename__ = "settlement_line"
    __table_args__ = (
        CheckConstraint("unit_price >= 0", name="unit_price"),
        UniqueConstraint("settlement_id", "inspection_id", name="uq_line_inspection"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlement.id"), index=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id"))
    grade_id: Mapped[int | None] = mapped_column(ForeignKey("material_grade.id"))
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))
    price_id: Mapped[int | None] = mapped_column(ForeignKey("price_list.id"))
    # Adjusting entries carry negative weights and amounts.
    net_kg: Mapped[Decimal] = mapped_column(WEIGHT, info={"signed": True})
    unit_price: Mapped[Decimal] = mapped_column(UNIT_PRICE)
    amount: Mapped[Decimal] = mapped_column(MONEY, info={"signed": True})
    note: Mapped[str | None] = mapped_column(String(300))

    settlement: Mapped[Settlement] = relationship(Settlement, back_populates="lines")
    material: Mapped[Material] = relationship(Material)
    grade: Mapped[MaterialGrade | None] = relationship(MaterialGrade)
    inspection: Mapped[Inspection | None] = relationship(Inspection)
    price: Mapped[PriceListItem | None] = relationship(PriceListItem)
