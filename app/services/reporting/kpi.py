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
    not_,
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
    CaseRating,
    CaseRound,
    Customer,
    FollowUp,
    Inspection,
    KpiSnapshot,
    KpiTarget,
    Pickup,
    PickupLine,
    Reweigh,
    ServiceAcceptance,
    Setting,
    WeighLine,
    WeighTicket,
    now,
)
from app.models.codes import KPI_CODES, label
from app.security.access import system_user
from app.security.scope import restrict
from app.services.core.errors import InvalidInput
from app.services.visits.acceptance import counts_in_satisfaction

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


PERIOD_KINDS = {
    "month": (1, _l("Month")),
    "quarter": (3, _l("Quarter")),
    "year": (12, _l("Year")),
}


@dataclass(frozen=True)
class Period:
    """An appraisal period (seed 003: monthly, quarterly, yearly): a month, a
    calendar quarter or a calendar year, named "2026-10", "2026-Q4", "2026"."""

    kind: str
    start: dt.date

    @classmethod
    def holding(cls, kind: str, month: dt.date) -> Period:
        size = PERIOD_KINDS[kind][0]
        return cls(kind, dt.date(month.year, (month.month - 1) // size * size + 1, 1))

    @property
    def months(self) -> tuple[dt.date, ...]:
        return tuple(
            add_months(self.start, i) for i in range(PERIOD_KINDS[self.kind][0])
        )

    @property
    def key(self) -> str:
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.start.year}"
        return month_key(self.start)

    @property
    def end(self) -> dt.date:
        """First day after the period."""
        return add_months(self.start, PERIOD_KINDS[self.kind][0])

    def shift(self, count: int) -> Period:
        return Period(self.kind, add_months(self.start, count * len(self.months)))

    def latest_month(self, today: dt.date) -> dt.date:
        """The period's last month that has begun by `today` (its first month
        if none has): where a narrower view of the period opens, e.g. 2026 ->
        2026-11 in November 2026, 2025 -> 2025-12."""
        last = add_months(self.end, -1)
        return max(self.start, min(last, dt.date(today.year, today.month, 1)))


def parse_period(text: str | None, default: Period | None = None) -> Period:
    """ "YYYY-MM", "YYYY-Qn" or "YYYY"; empty = `default` or the current month."""
    text = (text or "").strip()
    if not text:
        return default or Period("month", month_of(now()))
    try:
        if len(text) == 4:
            return Period("year", dt.date(int(text), 1, 1))
        year, rest = text.split("-", 1)
        if rest[:1] in ("Q", "q") and rest[1:] in ("1", "2", "3", "4"):
            return Period("quarter", dt.date(int(year), int(rest[1:]) * 3 - 2, 1))
        return Period("month", dt.date(int(year), int(rest), 1))
    except ValueError:
        raise InvalidInput(
            _l("A period is written YYYY-MM, YYYY-Qn or YYYY."), field="month"
        ) from None


@dataclass(frozen=True)
class Window:
    """Consecutive months, bucketed by month (or by quarter or year: `unit`);
    filters by half-open instant ranges, buckets by CASE."""

    months: tuple[dt.date, ...]
    unit: str = "month"

    @classmethod
    def ending(cls, last: dt.date, count: int = 1) -> Window:
        return cls(tuple(add_months(last, i) for i in range(1 - count, 1)))

    @classmethod
    def of(cls, period: Period) -> Window:
        return cls(period.months, period.kind)

    @property
    def periods(self) -> tuple[Period, ...]:
        """The periods of `unit` the months fall in, in order."""
        seen: list[Period] = []
        for month in self.months:
            period = Period.holding(self.unit, month)
            if not seen or seen[-1] != period:
                seen.append(period)
        return tuple(seen)

    @property
    def start(self) -> dt.datetime:
        return month_start(self.months[0])

    @property
    def end(self) -> dt.datetime:
        return month_start(add_months(self.months[-1], 1))

    def contains(self, column: Any) -> Any:
        return and_(column >= self.start, column < self.end)

    def bucket(self, column: Any) -> Any:
        """The period key of an instant already inside the window.

        Bounds are computed in Python in business time, so the same SQL runs
        on SQLite and PostgreSQL and a case closed at 07:00 on the 1st in
        Shanghai (still the previous day in UTC) falls in the right month.
        """
        whens = [(column < month_start(p.end), literal(p.key)) for p in self.periods]
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
    """The admin-edited numbers the definitions depend on, and the instant the
    figures are taken at (what is open and past due by then counts as missed)."""

    repeat_days: int
    tolerance_percent: Decimal
    as_of: dt.datetime

    @property
    def tolerance_basis_points(self) -> int:
        """Tolerance in hundredths of a percent (1.0 % -> 100)."""
        return int((self.tolerance_percent * 100).to_integral_value(ROUND_HALF_UP))


def _setting(key: str, default: str) -> str:
    value = db.session.execute(
        select(Setting.value).where(Setting.key == key)
    ).scalar_one_or_none()
    return (value or default).strip()


def load_settings(as_of: dt.datetime | None = None) -> Settings:
    try:
        days = int(_setting("repeat_complaint.days", "30"))
    except ValueError:
        days = 30
    try:
        tolerance = Decimal(_setting("weighing.tolerance_percent", "1.0"))
    except InvalidOperation:
        tolerance = Decimal("1.0")
    return Settings(
        repeat_days=max(days, 0),
        tolerance_percent=abs(tolerance),
        as_of=as_of or now(),
    )


# ------------------------------------------------------------- definitions
Source = Callable[[Window, Settings], list[tuple[Any, Any]]]

# How a counted record stands: a clock met or missed, or still open past due.
RECORD_STATES = {
    "met": _l("Met"),
    "missed": _l("Missed"),
    "overdue": _l("Open and overdue"),
}


def _row(
    record_type: str,
    record_id: Any,
    at: Any,
    department_id: Any,
    user_id: Any,
    category_id: Any,
    num: Any,
    den: Any = None,
    state: Any = None,
) -> list[Any]:
    """One counted record: `num` is its share of the numerator, `den` of the
    denominator (1 unless the measure divides two different record sets)."""
    return [
        literal(record_type, String(20)).label("record_type"),
        record_id.label("record_id"),
        at.label("at"),
        department_id.label("department_id"),
        user_id.label("user_id"),
        category_id.label("category_id"),
        num.label("num"),
        (den if den is not None else literal(1, Integer)).label("den"),
        (state if state is not None else literal(None, String(10))).label("state"),
    ]


@dataclass(frozen=True)
class Clock:
    """A deadline judged by what fell due: `due` inside the period, and by
    `as_of` either stopped (met when at or before `due`, else missed) or still
    open past `due` (counted as missed, shown as open and overdue).

    `end` is when the clock stopped running without being met (a case
    cancelled, a round ended by a reopen): ended before falling due, it is not
    counted; after, it was missed. `held` marks a clock standing still
    (waiting for the customer): its due instant moves on, so it has not
    fallen due while held.
    """

    due: Any
    stop: Any
    end: Any = None
    held: Any = None

    def fell_due(self, window: Window, settings: Settings) -> Any:
        open_past_due = and_(self.stop.is_(None), self.due <= settings.as_of)
        if self.end is not None:
            open_past_due = and_(
                open_past_due, or_(self.end.is_(None), self.end > self.due)
            )
        if self.held is not None:
            open_past_due = and_(open_past_due, not_(self.held))
        return and_(
            self.due.is_not(None),
            window.contains(self.due),
            or_(self.stop.is_not(None), open_past_due),
        )

    @property
    def met(self) -> Any:
        return and_(self.stop.is_not(None), self.stop <= self.due)

    @property
    def state(self) -> Any:
        stopped_or_ended = (
            self.stop.is_not(None)
            if self.end is None
            else or_(self.stop.is_not(None), self.end.is_not(None))
        )
        return case(
            (self.met, literal("met")),
            (stopped_or_ended, literal("missed")),
            else_=literal("overdue"),
        )


def _case_row(at: Any, num: Any, state: Any = None) -> list[Any]:
    """Cases count for their responsible department and their owner."""
    return _row(
        "case",
        Case.id,
        at,
        Case.department_id,
        Case.owner_id,
        Case.category_id,
        num,
        state=state,
    )


def _resolution_rounds(kinds: tuple[str, ...]) -> Source:
    """Resolution deadlines of every handling round of cases of `kinds`.

    The current round is on the case (held while waiting for the customer,
    ended by a cancellation); earlier rounds are the CaseRound rows a reopen
    wrote, so a first round's miss is never erased by the second.
    """

    def source(window: Window, settings: Settings) -> list[tuple[Any, Any]]:
        current = Clock(
            Case.resolution_due_at,
            Case.resolved_at,
            Case.cancelled_at,
            and_(Case.paused_since.is_not(None), Case.resolution_state == "paused"),
        )
        now_round = select(
            *_case_row(current.due, _flag(current.met), current.state)
        ).where(Case.kind.in_(kinds), current.fell_due(window, settings))
        done = Clock(CaseRound.due_at, CaseRound.resolved_at, CaseRound.ended_at)
        earlier = (
            select(
                *_row(
                    "case",
                    Case.id,
                    done.due,
                    CaseRound.department_id,
                    CaseRound.owner_id,
                    Case.category_id,
                    _flag(done.met),
                    state=done.state,
                )
            )
            .select_from(CaseRound)
            .join(Case, CaseRound.case_id == Case.id)
            .where(Case.kind.in_(kinds), done.fell_due(window, settings))
        )
        return [(Case, now_round), (Case, earlier)]

    return source


def _response_timeliness(window: Window, settings: Settings) -> list[tuple[Any, Any]]:
    clock = Clock(Case.response_due_at, Case.responded_at, Case.cancelled_at)
    stmt = select(*_case_row(clock.due, _flag(clock.met), clock.state)).where(
        clock.fell_due(window, settings)
    )
    return [(Case, stmt)]


def _pickup_clock(clock: Clock) -> Source:
    """A pickup clock; a pickup has no owner column: it counts for the
    department and the clerk who recorded it."""

    def source(window: Window, settings: Settings) -> list[tuple[Any, Any]]:
        stmt = select(
            *_row(
                "pickup",
                Pickup.id,
                clock.due,
                Pickup.department_id,
                Pickup.created_by_id,
                literal(None, Integer),
                _flag(clock.met),
                state=clock.state,
            )
        ).where(clock.fell_due(window, settings))
        return [(Pickup, stmt)]

    return source


def _satisfaction(score: Callable[[Any], Any]) -> Source:
    """Every score a case was given (one per handling round, kept through
    reopens), the scores of done follow-up visits, and the ratings of signed
    on-site acceptances (seed 004 第十五条; an unsigned one has none)."""

    def source(window: Window, settings: Settings) -> list[tuple[Any, Any]]:
        cases = (
            select(
                *_row(
                    "case",
                    Case.id,
                    CaseRating.given_at,
                    Case.department_id,
                    Case.owner_id,
                    Case.category_id,
                    score(CaseRating.score),
                )
            )
            .select_from(CaseRating)
            .join(Case, CaseRating.case_id == Case.id)
            .where(window.contains(CaseRating.given_at))
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
        # An acceptance rates the pickup or after-sales case it accepts: the
        # same department and person as a visit following that record up.
        accepted = aliased(Case)
        collected = aliased(Pickup)
        acceptances = (
            select(
                *_row(
                    "acceptance",
                    ServiceAcceptance.id,
                    ServiceAcceptance.accepted_at,
                    func.coalesce(
                        accepted.department_id,
                        collected.department_id,
                        ServiceAcceptance.department_id,
                    ),
                    case(
                        (ServiceAcceptance.case_id.is_not(None), accepted.owner_id),
                        else_=collected.created_by_id,
                    ),
                    accepted.category_id,
                    score(ServiceAcceptance.rating),
                )
            )
            .select_from(ServiceAcceptance)
            .outerjoin(accepted, ServiceAcceptance.case_id == accepted.id)
            .outerjoin(collected, ServiceAcceptance.pickup_id == collected.id)
            .where(
                counts_in_satisfaction(accepted),
                window.contains(ServiceAcceptance.accepted_at),
            )
        )
        return [(Case, cases), (FollowUp, visits), (ServiceAcceptance, acceptances)]

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
    """First rounds that ended: closed and never reopened (success), or ended
    by a reopen (counted, not a success, in the period the first round ended)."""
    closed = select(*_case_row(Case.closed_at, literal(1, Integer))).where(
        Case.status == "closed",
        Case.resolution_cycle == 0,
        window.contains(Case.closed_at),
    )
    ended = func.coalesce(CaseRound.resolved_at, CaseRound.ended_at)
    reopened = (
        select(
            *_row(
                "case",
                Case.id,
                ended,
                CaseRound.department_id,
                CaseRound.owner_id,
                Case.category_id,
                literal(0, Integer),
            )
        )
        .select_from(CaseRound)
        .join(Case, CaseRound.case_id == Case.id)
        .where(CaseRound.cycle == 0, window.contains(ended))
    )
    return [(Case, closed), (Case, reopened)]


def _within(measured: Any, reference: Any, settings: Settings) -> Any:
    """|measured - reference| <= tolerance x reference, in whole grams."""
    ref = _grams(reference)
    return func.abs(_grams(measured) - ref) * 10000 <= ref * literal(
        settings.tolerance_basis_points, BigInteger
    )


def _recovery(window: Window, settings: Settings) -> list[tuple[Any, Any]]:
    """The collection record against what was actually received (seed 002 §4):
    each pickup line's on-site quantity against the net weighed for it, and
    each weighed net against its warehouse re-weigh.

    An inspection takes the weighed net as its own (recycling rules) and
    deducts from it; the weight check behind the inspection is the re-weigh.
    """
    # A pickup line was weighed in the window only if one of its weigh lines
    # was weighed since the window began: the lines read are those of the
    # window and after, not every line ever weighed.
    since = select(WeighLine.pickup_line_id).where(
        WeighLine.pickup_line_id.is_not(None),
        or_(WeighLine.tare_at >= window.start, WeighLine.gross_at >= window.start),
    )
    # Each line's weighed net (all its weigh lines) and last weighing, looked
    # up per pickup line: a viewer's visibility of the pickups then narrows
    # the lines before any weigh line is read.
    of_line = (
        WeighLine.pickup_line_id == PickupLine.id,
        WeighLine.net_kg.is_not(None),
    )
    weighed_net = select(func.sum(WeighLine.net_kg)).where(*of_line).scalar_subquery()
    weighed_at = (
        select(func.max(func.coalesce(WeighLine.tare_at, WeighLine.gross_at)))
        .where(*of_line)
        .scalar_subquery()
    )
    on_site = (
        select(
            *_row(
                "pickup_line",
                PickupLine.id,
                weighed_at,
                Pickup.department_id,
                func.coalesce(PickupLine.changed_by_id, PickupLine.created_by_id),
                literal(None, Integer),
                _flag(_within(PickupLine.collected_kg, weighed_net, settings)),
            )
        )
        .select_from(PickupLine)
        .join(Pickup, PickupLine.pickup_id == Pickup.id)
        .where(
            PickupLine.collected_kg.is_not(None),
            PickupLine.id.in_(since),
            window.contains(weighed_at),
        )
    )
    weigher = func.coalesce(WeighLine.tare_by_id, WeighLine.gross_by_id)
    reweighed = (
        select(
            *_row(
                "weigh_line",
                WeighLine.id,
                Reweigh.weighed_at,
                WeighTicket.department_id,
                weigher,
                literal(None, Integer),
                _flag(_within(Reweigh.net_kg, WeighLine.net_kg, settings)),
            )
        )
        .select_from(Reweigh)
        .join(WeighLine, Reweigh.weigh_line_id == WeighLine.id)
        .join(WeighTicket, WeighLine.ticket_id == WeighTicket.id)
        .where(WeighLine.net_kg.is_not(None), window.contains(Reweigh.weighed_at))
    )
    return [(Pickup, on_site), (WeighTicket, reweighed)]


def _complaints_per_pickup(window: Window, settings: Settings) -> list[tuple[Any, Any]]:
    complaints = select(
        *_row(
            "case",
            Case.id,
            Case.received_at,
            Case.department_id,
            Case.owner_id,
            Case.category_id,
            literal(1, Integer),
            literal(0, Integer),
        )
    ).where(
        Case.kind == "complaint",
        Case.status != "cancelled",
        window.contains(Case.received_at),
    )
    pickups = select(
        *_row(
            "pickup",
            Pickup.id,
            Pickup.received_at,
            Pickup.department_id,
            Pickup.created_by_id,
            literal(None, Integer),
            literal(0, Integer),
        )
    ).where(Pickup.status != "cancelled", window.contains(Pickup.received_at))
    return [(Case, complaints), (Pickup, pickups)]


def _complaints_per_customer(
    window: Window, settings: Settings
) -> list[tuple[Any, Any]]:
    """Complaints per customer active in the period: one with a case or a
    pickup received in it (counted once per period)."""
    complaints = select(
        *_row(
            "case",
            Case.id,
            Case.received_at,
            Case.department_id,
            Case.owner_id,
            Case.category_id,
            literal(1, Integer),
            literal(0, Integer),
        )
    ).where(
        Case.kind == "complaint",
        Case.status != "cancelled",
        window.contains(Case.received_at),
    )
    activity = union_all(
        select(
            Case.customer_id.label("customer_id"), Case.received_at.label("at")
        ).where(Case.status != "cancelled", window.contains(Case.received_at)),
        select(
            Pickup.customer_id.label("customer_id"), Pickup.received_at.label("at")
        ).where(Pickup.status != "cancelled", window.contains(Pickup.received_at)),
    ).subquery("activity")
    first = (
        select(
            activity.c.customer_id,
            func.min(activity.c.at).label("at"),
        )
        .group_by(activity.c.customer_id, window.bucket(activity.c.at))
        .subquery("active")
    )
    customers = (
        select(
            *_row(
                "customer",
                Customer.id,
                first.c.at,
                Customer.department_id,
                Customer.sales_rep_id,
                literal(None, Integer),
                literal(0, Integer),
            )
        )
        .select_from(first)
        .join(Customer, Customer.id == first.c.customer_id)
    )
    return [(Case, complaints), (Customer, customers)]


@dataclass(frozen=True)
class Kpi:
    """One measure: what it counts, how a record is attributed, where it comes
    from, and the policy that asks for it."""

    code: str
    unit: str  # "percent" (num / den x 100), "score" (mean), "per100" (x 100)
    numerator: Any
    denominator: Any
    attribution: Any
    sources: Source
    seed: Any = ""

    @property
    def label(self) -> str:
        return label(KPI_CODES, self.code)

    def format(self, value: Decimal) -> str:
        """A value or a target of this measure as shown, by its unit:
        "95.00 %" (percent), "4.50" (score), "3.00 / 100" (per100)."""
        value = value.quantize(CENT, rounding=ROUND_HALF_UP)
        if self.unit == "percent":
            return f"{value} %"
        if self.unit == "per100":
            return f"{value} / 100"
        return f"{value}"


FELL_DUE = _l(
    "Month the deadline fell due. Counted: met, missed, and still open past "
    "the deadline (as missed)."
)
CASE_ATTRIBUTION = _l(
    "Department: the case's responsible department; staff: the case owner "
    "(for an earlier round: as they were in that round)."
)

KPIS: tuple[Kpi, ...] = (
    Kpi(
        "complaint_timeliness",
        "percent",
        _l("complaint handling rounds resolved within the resolution target"),
        _l(
            "complaint handling rounds whose resolution deadline fell due in the period"
            ": met, missed, and open past the deadline; every round of a "
            "reopened complaint counts"
        ),
        _l("%(when)s %(who)s", when=FELL_DUE, who=CASE_ATTRIBUTION),
        _resolution_rounds(("complaint",)),
        _l("seed 001 §8 (投诉处理及时率), seed 002 §4"),
    ),
    Kpi(
        "response_timeliness",
        "percent",
        _l("cases answered within the response target"),
        _l(
            "cases whose response deadline fell due in the period: answered in "
            "time, answered late, and not yet answered past the deadline"
        ),
        _l("%(when)s %(who)s", when=FELL_DUE, who=CASE_ATTRIBUTION),
        _response_timeliness,
        _l("seed 000 §3, seed 001 §4 (响应及时率)"),
    ),
    Kpi(
        "pickup_response_timeliness",
        "percent",
        _l("bookings confirmed to the customer within the response target"),
        _l(
            "all bookings whose confirmation deadline fell due in the period, "
            "confirmed or not (÷ 总预约次数)"
        ),
        _l(
            "%(when)s Department: the pickup's department; staff: the clerk who "
            "recorded the booking.",
            when=FELL_DUE,
        ),
        _pickup_clock(
            Clock(Pickup.confirm_due_at, Pickup.confirmed_at, Pickup.cancelled_at)
        ),
        _l("seed 002 §4 (服务响应及时率)"),
    ),
    Kpi(
        "arrival_on_time",
        "percent",
        _l("pickups where the crew arrived by the end of the agreed window"),
        _l(
            "pickups whose agreed window ended in the period: arrived in time, "
            "late, and not yet arrived after the window"
        ),
        _l(
            "Month the agreed window ended. Department: the pickup's department; "
            "staff: the clerk who recorded the booking."
        ),
        _pickup_clock(Clock(Pickup.window_end, Pickup.arrived_at, Pickup.cancelled_at)),
        _l("seed 002 §3 (按照约定的时间准时上门)"),
    ),
    Kpi(
        "business_on_time",
        "percent",
        _l("business requests completed within 3 / 7 working days"),
        _l(
            "handling rounds of business requests whose completion deadline fell "
            "due in the period, open ones past the deadline included"
        ),
        _l("%(when)s %(who)s", when=FELL_DUE, who=CASE_ATTRIBUTION),
        _resolution_rounds(("business",)),
        _l("seed 000 §3 (业务办理 3 / 7 个工作日)"),
    ),
    Kpi(
        "aftersales_on_time",
        "percent",
        _l("after-sales requests completed within 24 / 72 hours"),
        _l(
            "handling rounds of after-sales requests whose completion deadline "
            "fell due in the period, open ones past the deadline included"
        ),
        _l("%(when)s %(who)s", when=FELL_DUE, who=CASE_ATTRIBUTION),
        _resolution_rounds(("aftersales",)),
        _l("seed 004 §18, §21 (服务及时率)"),
    ),
    Kpi(
        "satisfaction_mean",
        "score",
        _l("sum of the satisfaction scores (1-5)"),
        _l(
            "scores given in the period: every score of every handling round of a "
            "case (a reopen keeps the earlier score), done follow-up visits and "
            "signed on-site acceptances"
        ),
        _l(
            "Month the score was given. A case's score: its department and owner. "
            "A visit's or an acceptance's score: the case or pickup it follows "
            "up (pickup: its department and recording clerk), else the visit's "
            "own department and assignee."
        ),
        _satisfaction(lambda score: score),
        _l("seed 001 §6, §8, seed 002 §4 (客户满意度)"),
    ),
    Kpi(
        "satisfaction_share",
        "percent",
        _l("scores of 4 or 5"),
        _l(
            "scores given in the period: every score of every handling round of a "
            "case (a reopen keeps the earlier score), done follow-up visits and "
            "signed on-site acceptances"
        ),
        _l("As the mean score."),
        _satisfaction(lambda score: _flag(score >= 4)),
        _l("seed 001 §8, seed 002 §4 (客户满意度)"),
    ),
    Kpi(
        "repeat_complaint_rate",
        "percent",
        _l(
            "complaints reopened, or whose customer complained in the same category "
            "within the previous N days (setting repeat_complaint.days)"
        ),
        _l("complaints received in the period, cancelled ones excluded"),
        _l(
            "Month of receipt. Department: the case's responsible department; "
            "staff: the case owner."
        ),
        _repeat_complaints,
        _l("seed 001 §8 (重复投诉率)"),
    ),
    Kpi(
        "first_time_resolution",
        "percent",
        _l("first handling rounds closed and never reopened"),
        _l(
            "cases (every kind) whose first handling round ended in the period: "
            "closed, or reopened"
        ),
        _l(
            "Month the first round ended. Department: the case's responsible "
            "department; staff: the case owner."
        ),
        _first_time,
        _l("seed 004 §21 (服务一次成功率)"),
    ),
    Kpi(
        "weighing_accuracy",
        "percent",
        _l(
            "checks within ± the tolerance (setting weighing.tolerance_percent) "
            "of the weighed net"
        ),
        _l(
            "checks made in the period: each pickup line's on-site quantity "
            "against the net weighed for it, and each weighed net against its "
            "warehouse re-weigh"
        ),
        _l(
            "Month of the check (weighing, re-weigh). On-site "
            "quantity: the pickup's department and the clerk who recorded it; "
            "weighed net: the weigh ticket's department and the operator who "
            "weighed the tare (else the gross)."
        ),
        _recovery,
        _l("seed 002 §4 (废品回收准确率)"),
    ),
    Kpi(
        "complaint_rate_pickups",
        "per100",
        _l("complaints received in the period (cancelled ones excluded)"),
        _l("pickups booked in the period (cancelled ones excluded), per 100"),
        _l(
            "Month of receipt. Complaints: the case's department and owner; "
            "pickups: the pickup's department and recording clerk."
        ),
        _complaints_per_pickup,
        _l("seed 001 §7, seed 003 (客户投诉率)"),
    ),
    Kpi(
        "complaint_rate_customers",
        "per100",
        _l("complaints received in the period (cancelled ones excluded)"),
        _l(
            "active customers, per 100: customers with a case or a pickup "
            "received in the period"
        ),
        _l(
            "Month of receipt. Complaints: the case's department and owner; "
            "customers: the customer's department and sales representative."
        ),
        _complaints_per_customer,
        _l("seed 001 §7, seed 003 (客户投诉率)"),
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
    period: str = "month"  # the kind of period `month` starts

    @property
    def period_key(self) -> str:
        return Period(self.period, self.month).key

    @property
    def value(self) -> Decimal | None:
        if not self.denominator:
            return None
        ratio = Decimal(self.numerator) / Decimal(self.denominator)
        if self.kpi.unit in ("percent", "per100"):
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
        return f"{self.period_key}|{self.kpi.code}|d{dept}|u{user}"

    def display(self) -> str:
        value = self.value
        return "—" if value is None else self.kpi.format(value)

    def target_display(self) -> str:
        """The target in the measure's unit, e.g. "≥ 95.00 %", "≥ 4.50",
        "≤ 5.00 / 100"; "—" without a target."""
        target = self.target
        if target is None:
            return "—"
        sign = "≤" if target.lower_is_better else "≥"
        return f"{sign} {self.kpi.format(target.percent)}"


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
    unit: str = "month"  # each of `months` starts a period of this kind
    # Set when read from KPI facts: the instant the figures stand as of.
    computed_at: dt.datetime | None = None

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
            self.unit,
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
    """SUM(num), SUM(den) grouped by `dims` (month, department_id, user_id,
    category_id): one aggregate query."""
    rows = _rows(kpi, window, settings or load_settings(), viewer)
    inner = select(
        window.bucket(rows.c.at).label("month"),
        rows.c.department_id,
        rows.c.user_id,
        rows.c.category_id,
        rows.c.num,
        rows.c.den,
    ).subquery("kpi_bucketed")
    columns = [inner.c[name] for name in dims]
    stmt = select(
        *columns,
        func.coalesce(func.sum(inner.c.num), 0),
        func.coalesce(func.sum(inner.c.den), 0),
    ).group_by(*columns)
    return [tuple(row) for row in db.session.execute(stmt)]


def user_departments(staff: Iterable[int]) -> dict[int, int | None]:
    """{user id: department id} of the staff given (a staff member's figure
    is judged against their department's target)."""
    ids = set(staff)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(AppUser.id, AppUser.department_id).where(AppUser.id.in_(ids))
        ).all()
    )


def compute(
    months: Sequence[dt.date],
    viewer: Any,
    kpis: Iterable[Kpi] = KPIS,
    as_of: dt.datetime | None = None,
    unit: str = "month",
) -> Report:
    """Every KPI for the months given, over the rows the viewer may see, as of
    `as_of` (default now: what is open past due by then counts as missed);
    figures per month, or per quarter or year (`unit`) keyed by its first
    month."""
    window = Window(tuple(sorted(set(months))), unit)
    starts = {p.key: p.start for p in window.periods}
    months = tuple(starts.values())
    settings = load_settings(as_of)
    kpis = tuple(kpis)
    sums: dict[Key, list[int]] = {}
    for kpi in kpis:
        for key, dept, user, num, count in grouped(
            kpi, window, viewer, ("month", "department_id", "user_id"), settings
        ):
            month = starts[key]
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
    report = Report(months, kpis, {}, load_targets(), user_departments(staff), unit)
    for (code, month, dept, user), (num, count) in sums.items():
        report.figures[(code, month, dept, user)] = Figure(
            KPI_BY_CODE[code],
            month,
            dept,
            user,
            num,
            count,
            report._target(code, dept, user),
            unit,
        )
    return report


def compute_period(
    period: Period,
    viewer: Any,
    kpis: Iterable[Kpi] = KPIS,
    as_of: dt.datetime | None = None,
) -> Report:
    """Every KPI for one month, quarter or year (keyed by its first month).

    A quarter or year is counted over its whole span at once, not summed from
    months, so a customer active in two months counts once per period.
    """
    return compute(period.months, viewer, kpis, as_of, period.kind)


@dataclass(frozen=True)
class RecordRef:
    """A record behind a figure."""

    record_type: str
    record_id: int
    at: dt.datetime | None
    counted: int  # its share of the numerator (1/0, or the score)
    share: int = 1  # its share of the denominator
    state: str | None = None  # met / missed / overdue (open past due)

    @property
    def state_label(self) -> str:
        return str(RECORD_STATES[self.state]) if self.state else ""


def records(
    kpi: Kpi,
    month: dt.date | Period,
    viewer: Any,
    department_id: int | None = None,
    user_id: int | None = None,
    part: str | None = None,
    limit: int = 1000,
    as_of: dt.datetime | None = None,
) -> list[RecordRef]:
    """The records a figure counts (same sources, same scope); `part`
    "numerator" or "denominator" keeps the records counted in that part only
    (the open overdue ones are in the denominator)."""
    period = month if isinstance(month, Period) else Period("month", month)
    rows = _rows(kpi, Window.of(period), load_settings(as_of), viewer)
    stmt = select(
        rows.c.record_type,
        rows.c.record_id,
        rows.c.at,
        rows.c.num,
        rows.c.den,
        rows.c.state,
    )
    if department_id is not None:
        stmt = stmt.where(rows.c.department_id == department_id)
    if user_id is not None:
        stmt = stmt.where(rows.c.user_id == user_id)
    if part == "numerator":
        stmt = stmt.where(rows.c.num > 0)
    elif part == "denominator":
        stmt = stmt.where(rows.c.den > 0)
    stmt = stmt.order_by(rows.c.at, rows.c.record_type, rows.c.record_id).limit(limit)
    return [
        RecordRef(kind, pk, at, int(num or 0), int(den or 0), state)
        for kind, pk, at, num, den, state in db.session.execute(stmt)
    ]


# ---------------------------------------------------------------- snapshot
def upsert(table: Any) -> Any:
    """INSERT … ON CONFLICT of the session's dialect."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def snapshot_period(period: Period) -> int:
    """Freeze a month's, quarter's or year's figures (company, departments,
    staff) into KpiSnapshot.

    Idempotent: rows are upserted by scope_key, and scopes that no longer have
    data for the period are removed, so a rerun leaves exactly the current
    figures. Computed as the system user (everything visible). Commits.
    """
    report = compute_period(period, system_user())
    stamp = now()
    values = [
        {
            "month": period.start,
            "period": period.kind,
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
        for f in report.all(period.start)
    ]
    table = KpiSnapshot.__table__
    stmt = upsert(table)
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
            KpiSnapshot.month == period.start,
            KpiSnapshot.period == period.kind,
            KpiSnapshot.scope_key.not_in([v["scope_key"] for v in values]),
        )
    )
    db.session.commit()
    return len(values)


def snapshot_month(month: dt.date) -> int:
    """Freeze a month (see snapshot_period)."""
    return snapshot_period(Period("month", month_of(month)))


def periods_closed_by(month: dt.date) -> list[Period]:
    """The month, and the quarter and year it completes."""
    closed = [Period("month", month)]
    if month.month % 3 == 0:
        closed.append(Period.holding("quarter", month))
    if month.month == 12:
        closed.append(Period.holding("year", month))
    return closed


def snapshots(
    month: dt.date | Period, company_only: bool = False
) -> dict[str, KpiSnapshot]:
    """The frozen figures of a period (a plain date: its month) by scope_key;
    `company_only`: those of the company alone."""
    period = month if isinstance(month, Period) else Period("month", month_of(month))
    stmt = select(KpiSnapshot).where(
        KpiSnapshot.month == period.start, KpiSnapshot.period == period.kind
    )
    if company_only:
        stmt = stmt.where(
            KpiSnapshot.department_id.is_(None), KpiSnapshot.user_id.is_(None)
        )
    rows = db.session.scalars(stmt)
    return {row.scope_key: row for row in rows}


# ------------------------------------------------------------ presentation
def describe(
    refs: Sequence[RecordRef],
) -> list[tuple[RecordRef, str, tuple[str, int]]]:
    """Each record behind a figure with its document number and the record
    that opens for it (a pickup line opens its pickup)."""
    from app.models import Material

    ids: dict[str, set[int]] = {}
    for ref in refs:
        ids.setdefault(ref.record_type, set()).add(ref.record_id)
    numbers: dict[tuple[str, int], str] = {}
    opens: dict[tuple[str, int], tuple[str, int]] = {}
    for kind, model in (
        ("case", Case),
        ("followup", FollowUp),
        ("pickup", Pickup),
        ("inspection", Inspection),
    ):
        if kind in ids:
            for pk, number in db.session.execute(
                select(model.id, model.number).where(model.id.in_(ids[kind]))
            ):
                numbers[(kind, pk)] = number
    if "customer" in ids:
        for pk, code, name in db.session.execute(
            select(Customer.id, Customer.code, Customer.name).where(
                Customer.id.in_(ids["customer"])
            )
        ):
            numbers[("customer", pk)] = f"{code} {name}"
    if "weigh_line" in ids:
        for pk, number, material in db.session.execute(
            select(WeighLine.id, WeighTicket.number, Material.name)
            .join(WeighTicket, WeighLine.ticket_id == WeighTicket.id)
            .join(Material, WeighLine.material_id == Material.id)
            .where(WeighLine.id.in_(ids["weigh_line"]))
        ):
            numbers[("weigh_line", pk)] = f"{number} {material}"
    if "acceptance" in ids:
        for pk, case_number, case_id, pickup_number, pickup_id in db.session.execute(
            select(
                ServiceAcceptance.id,
                Case.number,
                Case.id,
                Pickup.number,
                Pickup.id,
            )
            .outerjoin(Case, ServiceAcceptance.case_id == Case.id)
            .outerjoin(Pickup, ServiceAcceptance.pickup_id == Pickup.id)
            .where(ServiceAcceptance.id.in_(ids["acceptance"]))
        ):
            numbers[("acceptance", pk)] = case_number or pickup_number
            opens[("acceptance", pk)] = (
                ("case", case_id) if case_id else ("pickup", pickup_id)
            )
    if "pickup_line" in ids:
        for pk, pickup_id, number, material in db.session.execute(
            select(PickupLine.id, Pickup.id, Pickup.number, Material.name)
            .join(Pickup, PickupLine.pickup_id == Pickup.id)
            .join(Material, PickupLine.material_id == Material.id)
            .where(PickupLine.id.in_(ids["pickup_line"]))
        ):
            numbers[("pickup_line", pk)] = f"{number} {material}"
            opens[("pickup_line", pk)] = ("pickup", pickup_id)
    return [
        (
            ref,
            numbers.get((ref.record_type, ref.record_id), str(ref.record_id)),
            opens.get(
                (ref.record_type, ref.record_id), (ref.record_type, ref.record_id)
            ),
        )
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
        select(func.max(KpiSnapshot.month)).where(KpiSnapshot.period == "month")
    ).scalar_one_or_none()
    start = earliest if frozen is None else max(earliest, add_months(frozen, 1))
    months = []
    while start <= last:
        months.append(start)
        start = add_months(start, 1)
    return months
