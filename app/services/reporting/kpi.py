"""KPI definitions (SPEC §5) in one place, computed by SQL aggregates.

Each KPI is a set of *sources*: SELECTs that yield one row per counted record,
with the instant that puts it into a month (business time, Asia/Shanghai), the
department and staff member it counts for, its case category and its share of
the numerator (0/1, or the score for a mean). The denominator is the number of
rows. Every source is restricted to the rows the viewer may see; one aggregate
per KPI groups the rows by month x department x staff member, and company,
department and staff figures are sums of those groups (counts and score sums
add up exactly). Drill-down lists, the dashboard, the exports and the monthly
snapshot all read these same sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.extensions import db
from app.models import (
    BUSINESS_TZ,
    AppUser,
    AwareDateTime,
    Case,
    FollowUp,
    KpiSnapshot,
    KpiTarget,
    Pickup,
    Reweigh,
    Setting,
    WeighLine,
    WeighTicket,
    now,
)
from app.models.codes import KPI_CODES, label
from app.security.access import system_user
from app.security.scope import restrict
from app.services.core.errors import InvalidInput

# A clock judged on time or late; "unknown" (calendar missing) and "none" (no
# target) are neither, so they are left out of timeliness denominators.
VERDICTS = ("met", "missed")
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


# ------------------------------------------------------------------ months
def month_of(moment: dt.datetime | dt.date) -> dt.date:
    """First day of the business-time month holding `moment`."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(BUSINESS_TZ)
    return dt.date(moment.year, moment.month, 1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_start(month: dt.date) -> dt.datetime:
    """Midnight of the month's first day, business time."""
    return dt.datetime(month.year, month.month, 1, tzinfo=BUSINESS_TZ)


def month_key(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def parse_month(text: str | None, default: dt.date | None = None) -> dt.date:
    """A "YYYY-MM" parameter as the month's first day; empty = `default` or now."""
    if not text:
        return default or month_of(now())
    try:
        year, month = (int(part) for part in text.split("-", 1))
        return dt.date(year, month, 1)
    except ValueError:
        raise InvalidInput(_l("A month is written YYYY-MM."), field="month") from None


def previous_month(moment: dt.datetime | None = None) -> dt.date:
    """The month before the one holding `moment` (what the monthly job freezes)."""
    return add_months(month_of(moment or now()), -1)


@dataclass(frozen=True)
class Window:
    """Consecutive months; filters by half-open instant ranges, buckets by CASE."""

    months: tuple[dt.date, ...]

    @classmethod
    def ending(cls, last: dt.date, count: int = 1) -> Window:
        return cls(tuple(add_months(last, i) for i in range(1 - count, 1)))

    @property
    def start(self) -> dt.datetime:
        return month_start(self.months[0])

    @property
    def end(self) -> dt.datetime:
        return month_start(add_months(self.months[-1], 1))

    def contains(self, column: Any) -> Any:
        return and_(column >= self.start, column < self.end)

    def bucket(self, column: Any) -> Any:
        """The month key of an instant already inside the window.

        Bounds are computed in Python in business time, so the same SQL runs
        on SQLite and PostgreSQL and a case closed at 07:00 on the 1st in
        Shanghai (still the previous day in UTC) falls in the right month.
        """
        whens = [
            (column < month_start(add_months(m, 1)), literal(month_key(m)))
            for m in self.months
        ]
        return case(*whens, else_=literal(None, String))


# -------------------------------------------------------- dialect helpers
class days_before(FunctionElement):
    """`instant - N days` on both dialects (N is bound, so part of the cache key)."""

    type = AwareDateTime()
    inherit_cache = True

    def __init__(self, instant: Any, days: int) -> None:
        super().__init__(instant, literal(int(days), Integer))


@compiles(days_before, "sqlite")
def _days_before_sqlite(element: days_before, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps instants as UTC text; datetime() shifts it (to the second).
    instant, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"datetime({instant}, '-' || {days} || ' days')"


@compiles(days_before)
def _days_before_default(element: days_before, compiler: SQLCompiler, **kw: Any) -> str:
    instant, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"({instant} - make_interval(days => {days}))"


def _grams(column: Any) -> Any:
    """A kg weight as whole grams: exact integer arithmetic on both dialects."""
    return cast(func.round(column * 1000), BigInteger)


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


# --------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    """The admin-edited numbers the definitions depend on."""

    repeat_days: int
    tolerance_percent: Decimal

    @property
    def tolerance_basis_points(self) -> int:
        """Tolerance in hundredths of a percent (1.0 % -> 100)."""
        return int((self.tolerance_percent * 100).to_integral_value(ROUND_HALF_UP))


def _setting(key: str, default: str) -> str:
    value = db.session.execute(
        select(Setting.value).where(Setting.key == key)
    ).scalar_one_or_none()
    return (value or default).strip()


def load_settings() -> Settings:
    try:
        days = int(_setting("repeat_complaint.days", "30"))
    except ValueError:
        days = 30
    try:
        tolerance = Decimal(_setting("weighing.tolerance_percent", "1.0"))
    except InvalidOperation:
        tolerance = Decimal("1.0")
    return Settings(repeat_days=max(days, 0), tolerance_percent=abs(tolerance))


# ------------------------------------------------------------- definitions
Source = Callable[[Window, Settings], list[tuple[Any, Any]]]


def _row(
    record_type: str,
    record_id: Any,
    at: Any,
    department_id: Any,
    user_id: Any,
    category_id: Any,
    num: Any,
) -> list[Any]:
    return [
        literal(record_type, String(20)).label("record_type"),
        record_id.label("record_id"),
        at.label("at"),
        department_id.label("department_id"),
        user_id.label("user_id"),
        category_id.label("category_id"),
        num.label("num"),
    ]


def _case_row(at: Any, num: Any) -> list[Any]:
    """Cases count for their responsible department and their owner."""
    return _row(
        "case", Case.id, at, Case.department_id, Case.owner_id, Case.category_id, num
    )


def _complaint_timeliness(window: Window, settings: Settings) -> list[tuple[Any, Any]]:
    stmt = select(
        *_case_row(Case.closed_at, _flag(Case.resolution_state == "met"))
    ).where(
        Case.kind == "complaint",
        Case.status == "closed",
        Case.resolution_state.in_(VERDICTS),
        window.contains(Case.closed_at),
    )
    return [(Case, stmt)]


def _response_timeliness(window: Window, settings: Settings) -> list[tuple[Any, Any]]:
    stmt = select(
        *_case_row(Case.responded_at, _flag(Case.response_state == "met"))
    ).where(Case.response_state.in_(VERDICTS), window.contains(Case.responded_at))
    return [(Case, stmt)]


def _pickup_response(window: Window, settings: Settings) -> list[tuple[Any, Any]]:
    # A pickup has no owner column: it counts for the clerk who recorded it.
    stmt = select(
        *_row(
            "pickup",
            Pickup.id,
            Pickup.confirmed_at,
            Pickup.department_id,
            Pickup.created_by_id,
            literal(None, Integer),
            _flag(Pickup.confirm_state == "met"),
        )
    ).where(Pickup.confirm_state.in_(VERDICTS), window.contains(Pickup.confirmed_at))
    return [(Pickup, stmt)]


def _satisfaction(score: Callable[[Any], Any]) -> Source:
    """Scores given when a case closes, plus scores of done follow-up visits."""

    def source(window: Window, settings: Settings) -> list[tuple[Any, Any]]:
        cases = select(*_case_row(Case.closed_at, score(Case.satisfaction))).where(
            Case.status == "closed",
            Case.satisfaction.is_not(None),
            window.contains(Case.closed_at),
        )
        # A visit's score rates the service it follows up: a case counts for
        # the case's department and owner, a pickup for its department and
        # recording clerk; partner and manual visits for the visit itself.
        served = aliased(Case)
        pickup = aliased(Pickup)
        visits = (
            select(
                *_row(
                    "followup",
                    FollowUp.id,
                    FollowUp.done_at,
                    func.coalesce(
                        served.department_id,
                        pickup.department_id,
                        FollowUp.department_id,
                    ),
                    case(
                        (FollowUp.case_id.is_not(None), served.owner_id),
                        (FollowUp.pickup_id.is_not(None), pickup.created_by_id),
                        else_=FollowUp.assignee_id,
                    ),
                    served.category_id,
                    score(FollowUp.satisfaction),
                )
            )
            .select_from(FollowUp)
            .outerjoin(served, FollowUp.case_id == served.id)
            .outerjoin(pickup, FollowUp.pickup_id == pickup.id)
            .where(
                FollowUp.status == "done",
                FollowUp.satisfaction.is_not(None),
                window.contains(FollowUp.done_at),
            )
        )
        return [(Case, cases), (FollowUp, visits)]

    return source


def is_repeat(complaint: Any, days: int) -> Any:
    """Reopened, or the customer complained in the same category within `days`.

    The earlier complaint is looked up whoever may see it: being a repeat is a
    fact about the complaint counted, like its reopen count.
    """
    other = aliased(Case)
    earlier = exists().where(
        other.customer_id == complaint.customer_id,
        other.category_id == complaint.category_id,
        other.kind == "complaint",
        other.status != "cancelled",
        other.id != complaint.id,
        other.received_at < complaint.received_at,
        other.received_at >= days_before(complaint.received_at, days),
    )
    return or_(complaint.reopen_count > 0, earlier)


def _repeat_complaints(window: Window, settings: Settings) -> list[tuple[Any, Any]]:
    stmt = select(
        *_case_row(Case.received_at, _flag(is_repeat(Case, settings.repeat_days)))
    ).where(
        Case.kind == "complaint",
        Case.status != "cancelled",
        window.contains(Case.received_at),
    )
    return [(Case, stmt)]


def _first_time(window: Window, settings: Settings) -> list[tuple[Any, Any]]:
    stmt = select(*_case_row(Case.closed_at, _flag(Case.reopen_count == 0))).where(
        Case.status == "closed", window.contains(Case.closed_at)
    )
    return [(Case, stmt)]


def _weighing(window: Window, settings: Settings) -> list[tuple[Any, Any]]:
    net = _grams(WeighLine.net_kg)
    within = func.abs(_grams(Reweigh.net_kg) - net) * 10000 <= net * literal(
        settings.tolerance_basis_points, BigInteger
    )
    stmt = (
        select(
            *_row(
                "weigh_line",
                WeighLine.id,
                Reweigh.weighed_at,
                WeighTicket.department_id,
                func.coalesce(WeighLine.tare_by_id, WeighLine.gross_by_id),
                literal(None, Integer),
                _flag(within),
            )
        )
        .select_from(Reweigh)
        .join(WeighLine, Reweigh.weigh_line_id == WeighLine.id)
        .join(WeighTicket, WeighLine.ticket_id == WeighTicket.id)
        .where(WeighLine.net_kg.is_not(None), window.contains(Reweigh.weighed_at))
    )
    return [(Reweigh, stmt)]


@dataclass(frozen=True)
class Kpi:
    """One measure: what it counts, how a record is attributed, where it comes from."""

    code: str
    unit: str  # "percent" (numerator / denominator x 100) or "score" (mean)
    numerator: Any
    denominator: Any
    attribution: Any
    sources: Source

    @property
    def label(self) -> str:
        return label(KPI_CODES, self.code)


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "complaint_timeliness",
        "percent",
        _l("closed complaints resolved within the resolution target"),
        _l(
            "complaints closed in the month whose resolution clock was judged "
            "(met or missed)"
        ),
        _l(
            "Month of closing. Department: the case's responsible department; "
            "staff: the case owner."
        ),
        _complaint_timeliness,
    ),
    Kpi(
        "response_timeliness",
        "percent",
        _l("cases answered within the response target"),
        _l(
            "cases (every kind) first answered in the month that have a response "
            "target (met or missed)"
        ),
        _l(
            "Month of the first response. Department: the case's responsible "
            "department; staff: the case owner."
        ),
        _response_timeliness,
    ),
    Kpi(
        "pickup_response_timeliness",
        "percent",
        _l("pickup appointments confirmed within the confirmation target"),
        _l("pickups confirmed in the month that have a confirmation target"),
        _l(
            "Month of confirmation. Department: the pickup's department; staff: "
            "the clerk who recorded the appointment."
        ),
        _pickup_response,
    ),
    Kpi(
        "satisfaction_mean",
        "score",
        _l("sum of the satisfaction scores (1-5)"),
        _l(
            "scores given: closed cases with a score (by closing month) and done "
            "follow-up visits with a score (by visit month)"
        ),
        _l(
            "A case's score: its department and owner. A visit's score: the case "
            "or pickup it follows up (pickup: its department and recording clerk), "
            "else the visit's own department and assignee."
        ),
        _satisfaction(lambda score: score),
    ),
    Kpi(
        "satisfaction_share",
        "percent",
        _l("scores of 4 or 5"),
        _l(
            "scores given: closed cases with a score (by closing month) and done "
            "follow-up visits with a score (by visit month)"
        ),
        _l("As the mean score."),
        _satisfaction(lambda score: _flag(score >= 4)),
    ),
    Kpi(
        "repeat_complaint_rate",
        "percent",
        _l(
            "complaints reopened, or whose customer complained in the same category "
            "within the previous N days (setting repeat_complaint.days)"
        ),
        _l("complaints received in the month, cancelled ones excluded"),
        _l(
            "Month of receipt. Department: the case's responsible department; "
            "staff: the case owner."
        ),
        _repeat_complaints,
    ),
    Kpi(
        "first_time_resolution",
        "percent",
        _l("closed cases never reopened"),
        _l("cases (every kind) closed in the month"),
        _l(
            "Month of closing. Department: the case's responsible department; "
            "staff: the case owner."
        ),
        _first_time,
    ),
    Kpi(
        "weighing_accuracy",
        "percent",
        _l(
            "weigh lines whose warehouse re-weigh is within ± the tolerance "
            "(setting weighing.tolerance_percent) of the weigh-ticket net"
        ),
        _l("weigh lines with a net weight re-weighed in the month"),
        _l(
            "Month of the re-weigh. Department: the weigh ticket's department; "
            "staff: the operator who weighed the tare (else the gross)."
        ),
        _weighing,
    ),
)
KPI_BY_CODE = {kpi.code: kpi for kpi in KPIS}


def get_kpi(code: str) -> Kpi:
    try:
        return KPI_BY_CODE[code]
    except KeyError:
        raise InvalidInput(_l("Unknown KPI."), field="kpi") from None


# ----------------------------------------------------------------- figures
@dataclass(frozen=True)
class Target:
    percent: Decimal
    lower_is_better: bool


@dataclass(frozen=True)
class Figure:
    """One KPI value for a month and scope, with what it is made of."""

    kpi: Kpi
    month: dt.date
    department_id: int | None
    user_id: int | None
    numerator: int
    denominator: int
    target: Target | None

    @property
    def value(self) -> Decimal | None:
        if not self.denominator:
            return None
        ratio = Decimal(self.numerator) / Decimal(self.denominator)
        if self.kpi.unit == "percent":
            ratio *= HUNDRED
        return ratio.quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def flagged(self) -> bool:
        """Worse than target (above it when lower is better)."""
        value, target = self.value, self.target
        if value is None or target is None:
            return False
        if target.lower_is_better:
            return value > target.percent
        return value < target.percent

    @property
    def scope_key(self) -> str:
        dept = self.department_id if self.department_id is not None else "-"
        user = self.user_id if self.user_id is not None else "-"
        return f"{month_key(self.month)}|{self.kpi.code}|d{dept}|u{user}"

    def display(self) -> str:
        value = self.value
        if value is None:
            return "—"
        return f"{value} %" if self.kpi.unit == "percent" else f"{value}"


Key = tuple[str, dt.date, int | None, int | None]


@dataclass
class Report:
    """Figures of several months for the company (in the viewer's scope),
    each department and each staff member."""

    months: tuple[dt.date, ...]
    kpis: tuple[Kpi, ...]
    figures: dict[Key, Figure]
    targets: dict[tuple[str, int | None], Target]
    user_departments: dict[int, int | None]

    def figure(
        self,
        code: str,
        month: dt.date,
        department_id: int | None = None,
        user_id: int | None = None,
    ) -> Figure:
        found = self.figures.get((code, month, department_id, user_id))
        if found is not None:
            return found
        return Figure(
            KPI_BY_CODE[code],
            month,
            department_id,
            user_id,
            0,
            0,
            self._target(code, department_id, user_id),
        )

    def departments(self, month: dt.date | None = None) -> list[int]:
        return sorted(
            {
                k[2]
                for k in self.figures
                if k[2] is not None and (month is None or k[1] == month)
            }
        )

    def staff(self, month: dt.date | None = None) -> list[int]:
        return sorted(
            {
                k[3]
                for k in self.figures
                if k[3] is not None and (month is None or k[1] == month)
            }
        )

    def all(self, month: dt.date) -> list[Figure]:
        """Company figure of every KPI, then each department and staff figure."""
        rows = [self.figure(k.code, month) for k in self.kpis]
        rows += [
            f
            for key, f in sorted(self.figures.items(), key=_order)
            if key[1] == month and (key[2] is not None or key[3] is not None)
        ]
        return rows

    def _target(
        self, code: str, department_id: int | None, user_id: int | None
    ) -> Target | None:
        if user_id is not None:
            department_id = self.user_departments.get(user_id)
        return self.targets.get((code, department_id)) or self.targets.get((code, None))


def _order(item: tuple[Key, Figure]) -> tuple[Any, ...]:
    (code, month, dept, user), _ = item
    return (month, code, dept is None, dept or 0, user or 0)


def load_targets() -> dict[tuple[str, int | None], Target]:
    rows = db.session.scalars(select(KpiTarget))
    return {
        (t.kpi, t.department_id): Target(
            Decimal(t.target_percent), bool(t.lower_is_better)
        )
        for t in rows
    }


def _rows(kpi: Kpi, window: Window, settings: Settings, viewer: Any) -> Any:
    """The KPI's counted records in the window, as the viewer may see them."""
    parts = [
        restrict(stmt, model, viewer) for model, stmt in kpi.sources(window, settings)
    ]
    query = parts[0] if len(parts) == 1 else union_all(*parts)
    return query.subquery("kpi_rows")


def grouped(
    kpi: Kpi,
    window: Window,
    viewer: Any,
    dims: Sequence[str],
    settings: Settings | None = None,
) -> list[tuple[Any, ...]]:
    """SUM(num), COUNT(*) grouped by `dims` (month, department_id, user_id,
    category_id): one aggregate query."""
    rows = _rows(kpi, window, settings or load_settings(), viewer)
    inner = select(
        window.bucket(rows.c.at).label("month"),
        rows.c.department_id,
        rows.c.user_id,
        rows.c.category_id,
        rows.c.num,
    ).subquery("kpi_bucketed")
    columns = [inner.c[name] for name in dims]
    stmt = select(
        *columns, func.coalesce(func.sum(inner.c.num), 0), func.count()
    ).group_by(*columns)
    return [tuple(row) for row in db.session.execute(stmt)]


def compute(
    months: Sequence[dt.date], viewer: Any, kpis: Iterable[Kpi] = KPIS
) -> Report:
    """Every KPI for the months given, over the rows the viewer may see."""
    months = tuple(sorted(set(months)))
    window = Window(months)
    settings = load_settings()
    kpis = tuple(kpis)
    sums: dict[Key, list[int]] = {}
    for kpi in kpis:
        for key, dept, user, num, count in grouped(
            kpi, window, viewer, ("month", "department_id", "user_id"), settings
        ):
            month = parse_month(key)
            scopes = [(None, None)]
            if dept is not None:
                scopes.append((dept, None))
            if user is not None:
                scopes.append((None, user))
            for scope in scopes:
                total = sums.setdefault((kpi.code, month, *scope), [0, 0])
                total[0] += int(num)
                total[1] += int(count)
    staff = {k[3] for k in sums if k[3] is not None}
    user_departments = (
        dict(
            db.session.execute(
                select(AppUser.id, AppUser.department_id).where(AppUser.id.in_(staff))
            ).all()
        )
        if staff
        else {}
    )
    report = Report(months, kpis, {}, load_targets(), user_departments)
    for (code, month, dept, user), (num, count) in sums.items():
        report.figures[(code, month, dept, user)] = Figure(
            KPI_BY_CODE[code],
            month,
            dept,
            user,
            num,
            count,
            report._target(code, dept, user),
        )
    return report


@dataclass(frozen=True)
class RecordRef:
    """A record behind a figure."""

    record_type: str
    record_id: int
    at: dt.datetime | None
    counted: int  # its share of the numerator (1/0, or the score)


def records(
    kpi: Kpi,
    month: dt.date,
    viewer: Any,
    department_id: int | None = None,
    user_id: int | None = None,
    numerator_only: bool = False,
    limit: int = 1000,
) -> list[RecordRef]:
    """The records a figure counts (same sources, same scope)."""
    rows = _rows(kpi, Window((month,)), load_settings(), viewer)
    stmt = select(rows.c.record_type, rows.c.record_id, rows.c.at, rows.c.num)
    if department_id is not None:
        stmt = stmt.where(rows.c.department_id == department_id)
    if user_id is not None:
        stmt = stmt.where(rows.c.user_id == user_id)
    if numerator_only:
        stmt = stmt.where(rows.c.num > 0)
    stmt = stmt.order_by(rows.c.at, rows.c.record_id).limit(limit)
    return [
        RecordRef(kind, pk, at, int(num or 0))
        for kind, pk, at, num in db.session.execute(stmt)
    ]


# ---------------------------------------------------------------- snapshot
def _insert(table: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def snapshot_month(month: dt.date) -> int:
    """Freeze a month's figures (company, departments, staff) into KpiSnapshot.

    Idempotent: rows are upserted by scope_key, and scopes that no longer have
    data for the month are removed, so a rerun leaves exactly the current
    figures. Computed as the system user (everything visible). Commits.
    """
    month = month_of(month)
    report = compute((month,), system_user())
    stamp = now()
    values = [
        {
            "month": month,
            "kpi": f.kpi.code,
            "department_id": f.department_id,
            "user_id": f.user_id,
            "scope_key": f.scope_key,
            "numerator": Decimal(f.numerator),
            "denominator": Decimal(f.denominator),
            "value": f.value,
            "target": f.target.percent if f.target else None,
            "computed_at": stamp,
        }
        for f in report.all(month)
    ]
    table = KpiSnapshot.__table__
    stmt = _insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.scope_key],
        set_={
            name: stmt.excluded[name]
            for name in ("numerator", "denominator", "value", "target", "computed_at")
        },
    )
    db.session.execute(stmt, values)
    db.session.execute(
        delete(KpiSnapshot).where(
            KpiSnapshot.month == month,
            KpiSnapshot.scope_key.not_in([v["scope_key"] for v in values]),
        )
    )
    db.session.commit()
    return len(values)


def snapshots(month: dt.date) -> dict[str, KpiSnapshot]:
    """The frozen figures of a month by scope_key."""
    rows = db.session.scalars(
        select(KpiSnapshot).where(KpiSnapshot.month == month_of(month))
    )
    return {row.scope_key: row for row in rows}


# ------------------------------------------------------------ presentation
def describe(refs: Sequence[RecordRef]) -> list[tuple[RecordRef, str]]:
    """Each record behind a figure with its document number."""
    from app.models import Material

    ids: dict[str, set[int]] = {}
    for ref in refs:
        ids.setdefault(ref.record_type, set()).add(ref.record_id)
    numbers: dict[tuple[str, int], str] = {}
    for kind, model in (("case", Case), ("followup", FollowUp), ("pickup", Pickup)):
        if kind in ids:
            for pk, number in db.session.execute(
                select(model.id, model.number).where(model.id.in_(ids[kind]))
            ):
                numbers[(kind, pk)] = number
    if "weigh_line" in ids:
        for pk, number, material in db.session.execute(
            select(WeighLine.id, WeighTicket.number, Material.name)
            .join(WeighTicket, WeighLine.ticket_id == WeighTicket.id)
            .join(Material, WeighLine.material_id == Material.id)
            .where(WeighLine.id.in_(ids["weigh_line"]))
        ):
            numbers[("weigh_line", pk)] = f"{number} {material}"
    return [
        (ref, numbers.get((ref.record_type, ref.record_id), str(ref.record_id)))
        for ref in refs
    ]


def names(
    department_ids: Iterable[int], user_ids: Iterable[int]
) -> dict[str, dict[int, str]]:
    """Display names of the departments and staff members of a report."""
    from app.models import Department

    department_ids, user_ids = set(department_ids), set(user_ids)
    departments = (
        dict(
            db.session.execute(
                select(Department.id, Department.name).where(
                    Department.id.in_(department_ids)
                )
            ).all()
        )
        if department_ids
        else {}
    )
    staff = (
        {
            u.id: str(u)
            for u in db.session.scalars(select(AppUser).where(AppUser.id.in_(user_ids)))
        }
        if user_ids
        else {}
    )
    return {"departments": departments, "staff": staff}


def months_to_freeze(moment: dt.datetime | None = None) -> list[dt.date]:
    """Finished months without a snapshot, oldest first, at most twelve back."""
    last = previous_month(moment)
    earliest = add_months(last, -11)
    frozen = db.session.execute(
        select(func.max(KpiSnapshot.month))
    ).scalar_one_or_none()
    start = earliest if frozen is None else max(earliest, add_months(frozen, 1))
    months = []
    while start <= last:
        months.append(start)
        start = add_months(start, 1)
    return months
