"""Reference data edited by admins: departments, catalogues, SLA, calendar, prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy import (
    true as sa_true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    NOTE_TEXT,
    PERCENT,
    UNIT_PRICE,
    VOLUME,
    AwareDateTime,
    BoundedText,
    Stamped,
)
from app.models.codes import (
    BUSINESS_STAGES,
    CALENDAR_DAY_KINDS,
    CALENDAR_YEAR_STATUSES,
    CASE_KINDS,
    DELAY_UNITS,
    FOLLOWUP_TRIGGERS,
    KPI_CODES,
    MATERIAL_UNITS,
    PRICE_DIRECTIONS,
    SEVERITIES,
    SLA_KINDS,
    SLA_UNITS,
    STANDARD_ACTIONS,
    STANDARD_CHANGE_STATUSES,
    STANDARD_SUBJECTS,
    TERM_BASES,
    check_in,
)


class Department(Model):
    """One of the seven departments; records are routed to departments."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return self.name


class AppUser(User):
    """FAB user with the department that scopes what the user sees."""

    __tablename__ = "ab_user"

    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id"), index=True
    )
    is_department_head: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(String(32))
    # Raised when the user signs out, is deactivated or changes password: every
    # session and API token carries the value it was issued under, and one
    # with an older value is refused (app.security.sessions).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set when too many sign-ins failed in a row; only an admin clears it.
    locked_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    # 上岗资格 (seed 003 客服部规章 第十七–十九条): new staff are not cleared for
    # duty until they pass a training assessment or are cleared by their head
    # or Management; staff already on the books are cleared.
    duty_cleared: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=sa_true()
    )
    duty_cleared_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    duty_cleared_how: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[Department | None] = relationship(
        Department, foreign_keys=[department_id]
    )

    def __repr__(self) -> str:
        name = f"{self.last_name or ''}{self.first_name or ''}".strip()
        return name or self.username

    def get_full_name(self) -> str:
        """Chinese names read family name first, without a space."""
        first, last = self.first_name or "", self.last_name or ""
        if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
            return f"{last}{first}"
        return f"{first} {last}".strip()

    @property
    def is_system(self) -> bool:
        """The non-login actor that jobs and commands write as."""
        return self.username == "system"


class CustomerGrade(Stamped, Model):
    """Customer grade (客户分级 A/B/C/D) with the criteria it is given by.

    Seed 003 公司客户服务办法 第四条(1): customers are graded A-D by nature,
    scale, sales volume and business trend (also 供电 第五条: different service
    policies per class). Nature, scale and trend are criteria written out for
    the clerk; the monthly regrading proposal (app.services.customers.grading)
    applies the measurable ones: at least `min_volume_kg` kilograms over the
    last 12 months and at most `max_complaints` complaints in them. `rank` 1 is
    the best grade; a customer meeting no grade's figures gets the last one.
    """

    __tablename__ = "customer_grade"
    __table_args__ = (
        CheckConstraint("rank BETWEEN 1 AND 99", name="rank"),
        CheckConstraint(
            "min_volume_kg IS NULL OR min_volume_kg >= 0", name="min_volume"
        ),
        CheckConstraint(
            "max_complaints IS NULL OR max_complaints >= 0", name="max_complaints"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(5), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    rank: Mapped[int] = mapped_column(Integer, unique=True, info={"max": 99})
    # Criteria (seed 003 第四条(1)): 性质, 规模, 销售额, 经营发展趋势.
    nature: Mapped[str | None] = mapped_column(String(300))
    scale: Mapped[str | None] = mapped_column(String(300))
    min_volume_kg: Mapped[Decimal | None] = mapped_column(VOLUME)
    max_complaints: Mapped[int | None] = mapped_column(Integer)
    trend: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))

    def __repr__(self) -> str:
        return self.name


class CustomerType(Model):
    __tablename__ = "customer_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)

    def __repr__(self) -> str:
        return self.name


class Channel(Model):
    """A channel a case comes in on; a supervision channel (监督电话/监督邮箱,
    seed 001 §8(一)) routes its cases to its own department whatever the
    category."""

    __tablename__ = "channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    route_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    route_department: Mapped[Department | None] = relationship(Department)

    def __repr__(self) -> str:
        return self.name


class IncidentType(Model):
    """A type of emergency (突发事件类型, seed 002 §6(一)): natural disaster,
    safety accident, escalated customer dispute; each has its emergency plan."""

    __tablename__ = "incident_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return self.name


class CaseCategory(Model):
    """Case category; routes a new case to its default responsible department."""

    __tablename__ = "case_category"
    __table_args__ = (
        CheckConstraint(check_in("default_stage", BUSINESS_STAGES), name="stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    default_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    default_stage: Mapped[str] = mapped_column(
        String(20), default="other", info={"codes": BUSINESS_STAGES}
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    default_department: Mapped[Department] = relationship(Department)

    def __repr__(self) -> str:
        return self.name


class SlaPolicy(Stamped, Model):
    """Response and resolution targets for a case kind and severity.

    One row per version of a standard (seed 000 §2(六)1: standard changes are
    approved by Management): a case gets the version in force at its receipt
    (`valid_from` .. `valid_to`; NULL = always), unless a later version was
    approved as applying to open cases too (`covers_open`).
    """

    __tablename__ = "sla_policy"
    __table_args__ = (
        UniqueConstraint(
            "kind",
            "severity",
            "customer_type_id",
            "customer_grade_id",
            "valid_from",
            name="uq_sla_match",
        ),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid"),
        CheckConstraint(check_in("kind", SLA_KINDS), name="kind"),
        CheckConstraint(check_in("severity", SEVERITIES), name="severity"),
        CheckConstraint(
            "response_unit IS NULL OR " + check_in("response_unit", SLA_UNITS),
            name="response_unit",
        ),
        CheckConstraint(
            "offhours_response_unit IS NULL OR "
            + check_in("offhours_response_unit", SLA_UNITS),
            name="offhours_unit",
        ),
        CheckConstraint(
            "resolution_unit IS NULL OR " + check_in("resolution_unit", SLA_UNITS),
            name="resolution_unit",
        ),
        CheckConstraint(
            "(response_amount IS NULL) = (response_unit IS NULL)", name="response_pair"
        ),
        CheckConstraint(
            "(resolution_amount IS NULL) = (resolution_unit IS NULL)",
            name="resolution_pair",
        ),
        CheckConstraint(
            "(offhours_response_amount IS NULL) = (offhours_response_unit IS NULL)",
            name="offhours_pair",
        ),
        CheckConstraint(
            "response_amount IS NULL OR response_amount >= 0", name="response_amount"
        ),
        CheckConstraint(
            "resolution_amount IS NULL OR resolution_amount >= 0",
            name="resolution_amount",
        ),
        CheckConstraint(
            "at_risk_percent IS NULL "
            "OR (at_risk_percent > 0 AND at_risk_percent < 100)",
            name="at_risk_percent",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), info={"codes": SLA_KINDS})
    severity: Mapped[str] = mapped_column(String(20), info={"codes": SEVERITIES})
    customer_type_id: Mapped[int | None] = mapped_column(ForeignKey("customer_type.id"))
    # A grade's own targets (e.g. shorter ones for A customers), seed 003 第四条.
    customer_grade_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_grade.id")
    )
    name: Mapped[str] = mapped_column(String(100))
    # Response target; NULL amount and unit = no response target.
    response_amount: Mapped[int | None] = mapped_column(Integer)
    response_unit: Mapped[str | None] = mapped_column(
        String(20), info={"codes": SLA_UNITS}
    )
    # Response target when received outside working time (inquiries: 2 h).
    offhours_response_amount: Mapped[int | None] = mapped_column(Integer)
    offhours_response_unit: Mapped[str | None] = mapped_column(
        String(20), info={"codes": SLA_UNITS}
    )
    # Resolution target; "resolved at response" means the answer closes it.
    resolution_amount: Mapped[int | None] = mapped_column(Integer)
    resolution_unit: Mapped[str | None] = mapped_column(
        String(20), info={"codes": SLA_UNITS}
    )
    resolve_at_response: Mapped[bool] = mapped_column(Boolean, default=False)
    escalate_immediately: Mapped[bool] = mapped_column(Boolean, default=False)
    at_risk_percent: Mapped[Decimal | None] = mapped_column(PERCENT, info={"max": 99})
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    valid_from: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    valid_to: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    covers_open: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="0"
    )
    customer_type: Mapped[CustomerType | None] = relationship(CustomerType)
    customer_grade: Mapped[CustomerGrade | None] = relationship(CustomerGrade)

    def __repr__(self) -> str:
        return self.name


class WorkWindow(Stamped, Model):
    """A weekly working window, e.g. Monday 08:30-12:00."""

    __tablename__ = "work_window"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("start_time < end_time", name="order"),
        UniqueConstraint("weekday", "start_time", name="uq_window_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer, info={"max": 6})
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)


class CalendarDay(Stamped, Model):
    """A date that differs from the weekly pattern: day off, make-up day, hours."""

    __tablename__ = "calendar_day"
    __table_args__ = (
        CheckConstraint(check_in("kind", CALENDAR_DAY_KINDS), name="kind"),
        CheckConstraint(
            "follows_weekday IS NULL OR follows_weekday BETWEEN 0 AND 4",
            name="follows_weekday",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(20), info={"codes": CALENDAR_DAY_KINDS})
    # A make-up working day works the hours of this weekday (0 = Monday).
    follows_weekday: Mapped[int | None] = mapped_column(Integer)
    # Custom hours, e.g. "08:30-12:00,13:00-16:00".
    hours: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(50))


class CalendarYear(Stamped, Model):
    """A year whose calendar data is loaded; deadlines in other years are unknown."""

    __tablename__ = "calendar_year"
    __table_args__ = (
        CheckConstraint(check_in("status", CALENDAR_YEAR_STATUSES), name="status"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(
        String(20), info={"codes": CALENDAR_YEAR_STATUSES}
    )
    source: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))

    def __repr__(self) -> str:
        return str(self.year)


class Material(Model):
    """Material catalogue entry; parent makes a category tree."""

    __tablename__ = "material"
    __table_args__ = (CheckConstraint(check_in("unit", MATERIAL_UNITS), name="unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("material.id"))
    unit: Mapped[str] = mapped_column(
        String(5), default="kg", info={"codes": MATERIAL_UNITS}
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    parent: Mapped[Material | None] = relationship(
        "Material", remote_side=[id], back_populates="children"
    )
    children: Mapped[list[Material]] = relationship("Material", back_populates="parent")
    grades: Mapped[list[MaterialGrade]] = relationship(
        "MaterialGrade", back_populates="material", order_by="MaterialGrade.rank"
    )

    def __repr__(self) -> str:
        return self.name


class MaterialGrade(Model):
    __tablename__ = "material_grade"
    __table_args__ = (UniqueConstraint("material_id", "code", name="uq_grade_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(50))
    rank: Mapped[int] = mapped_column(Integer, default=1)
    material: Mapped[Material] = relationship(Material, back_populates="grades")

    def __repr__(self) -> str:
        return f"{self.material.name if self.material else ''} {self.name}".strip()


class PriceListItem(Stamped, Model):
    """Unit price (CNY per kg) of a material grade, valid over a date range."""

    __tablename__ = "price_list"
    __table_args__ = (
        CheckConstraint(check_in("direction", PRICE_DIRECTIONS), name="direction"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id"), index=True)
    grade_id: Mapped[int | None] = mapped_column(ForeignKey("material_grade.id"))
    direction: Mapped[str] = mapped_column(String(10), info={"codes": PRICE_DIRECTIONS})
    customer_type_id: Mapped[int | None] = mapped_column(ForeignKey("customer_type.id"))
    unit_price: Mapped[Decimal] = mapped_column(UNIT_PRICE)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(String(200))
    material: Mapped[Material] = relationship(Material)
    grade: Mapped[MaterialGrade | None] = relationship(MaterialGrade)
    customer_type: Mapped[CustomerType | None] = relationship(CustomerType)


class PaymentTerm(Model):
    """Payment term (账期): days until a confirmed settlement is due.

    Seed 002 §3(四) (及时结算) and seed 003 物流 第十八条 (未收款确认). Counted in
    calendar days from the settlement's confirmation date, or from the end of
    that month for monthly terms (月结).
    """

    __tablename__ = "payment_term"
    __table_args__ = (
        CheckConstraint(check_in("basis", TERM_BASES), name="basis"),
        CheckConstraint("days BETWEEN 0 AND 365", name="days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    days: Mapped[int] = mapped_column(Integer, info={"max": 365})
    basis: Mapped[str] = mapped_column(
        String(20), default="document", info={"codes": TERM_BASES}
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str | None] = mapped_column(String(200))

    def __repr__(self) -> str:
        return self.name


class FollowUpRule(Model):
    """When a follow-up visit is due, and who makes it."""

    __tablename__ = "followup_rule"
    __table_args__ = (
        CheckConstraint(check_in("trigger", FOLLOWUP_TRIGGERS), name="trigger"),
        CheckConstraint(check_in("delay_unit", DELAY_UNITS), name="delay_unit"),
        CheckConstraint(
            "case_kind IS NULL OR " + check_in("case_kind", CASE_KINDS),
            name="case_kind",
        ),
        CheckConstraint("delay_amount >= 0", name="delay_amount"),
        CheckConstraint(
            "interval_days IS NULL OR interval_days > 0", name="interval_days"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    trigger: Mapped[str] = mapped_column(String(30), info={"codes": FOLLOWUP_TRIGGERS})
    case_kind: Mapped[str | None] = mapped_column(
        String(20), info={"codes": CASE_KINDS}
    )
    customer_type_id: Mapped[int | None] = mapped_column(ForeignKey("customer_type.id"))
    # Only customers of this grade (e.g. a shorter visit interval for A).
    customer_grade_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_grade.id")
    )
    delay_amount: Mapped[int] = mapped_column(Integer, default=0)
    delay_unit: Mapped[str] = mapped_column(
        String(20), default="working_days", info={"codes": DELAY_UNITS}
    )
    interval_days: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    customer_type: Mapped[CustomerType | None] = relationship(CustomerType)
    customer_grade: Mapped[CustomerGrade | None] = relationship(CustomerGrade)
    department: Mapped[Department] = relationship(Department)

    def __repr__(self) -> str:
        return self.name


class KpiTarget(Model):
    """Target value of a KPI, company-wide or for one department."""

    __tablename__ = "kpi_target"
    __table_args__ = (
        UniqueConstraint("kpi", "department_id", name="uq_kpi_target"),
        CheckConstraint("target_percent BETWEEN 0 AND 100", name="target_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi: Mapped[str] = mapped_column(String(40), info={"codes": KPI_CODES})
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    target_percent: Mapped[Decimal] = mapped_column(PERCENT, info={"max": 100})
    lower_is_better: Mapped[bool] = mapped_column(Boolean, default=False)
    department: Mapped[Department | None] = relationship(Department)


class Setting(Model):
    """An admin-editable setting (thresholds, tolerances) with its description."""

    __tablename__ = "app_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    value: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(300))

    def __repr__(self) -> str:
        return self.key


class StandardChange(Model):
    """A proposed change of a service standard (服务标准调整) and its decision.

    Seed 000 §2(六)1: Management approves changes of the service standards.
    An admin proposes new values of an SLA policy, a KPI target, a follow-up
    rule or an escalation setting; a Management user other than the proposer
    approves or rejects it; an approved change is in force from its
    effective date (app.services.reference.standards). The rows are the
    standards' version history: who proposed, who approved, when, what
    changed (`previous` -> `proposed`), in force from when.
    """

    __tablename__ = "standard_change"
    __table_args__ = (
        CheckConstraint(check_in("subject", STANDARD_SUBJECTS), name="subject"),
        CheckConstraint(check_in("action", STANDARD_ACTIONS), name="action"),
        CheckConstraint(check_in("status", STANDARD_CHANGE_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(20), info={"codes": STANDARD_SUBJECTS})
    action: Mapped[str] = mapped_column(
        String(10), default="change", info={"codes": STANDARD_ACTIONS}
    )
    # The standard's row the change starts from (NULL for a new standard),
    # and the row in force after it (for SLA policies a new version).
    record_id: Mapped[int | None] = mapped_column(Integer)
    version_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    proposed: Mapped[dict] = mapped_column(JSON)
    previous: Mapped[dict] = mapped_column(JSON)
    effective_on: Mapped[dt.date] = mapped_column(Date)
    applies_to_open: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(BoundedText(NOTE_TEXT))
    status: Mapped[str] = mapped_column(
        String(20),
        default="pending",
        index=True,
        info={"codes": STANDARD_CHANGE_STATUSES},
    )
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    decision_note: Mapped[str | None] = mapped_column(BoundedText(NOTE_TEXT))
    # The instant the new values hold from (never before the approval).
    in_force_from: Mapped[dt.datetime | None] = mapped_column(AwareDateTime)
    proposed_by: Mapped[AppUser] = relationship(AppUser, foreign_keys=[proposed_by_id])
    decided_by: Mapped[AppUser | None] = relationship(
        AppUser, foreign_keys=[decided_by_id]
    )

    def __repr__(self) -> str:
        return self.title

    def what_changed(self) -> dict[str, list]:
        """The fields the change moves: name -> [before, after] (all of a
        new standard's fields)."""
        previous = self.previous or {}
        return {
            name: [previous.get(name), value]
            for name, value in (self.proposed or {}).items()
            if previous.get(name) != value
        }
