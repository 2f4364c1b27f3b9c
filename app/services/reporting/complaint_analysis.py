"""Complaint analysis (seed 001 §7.1): by category, stage, region, customer and month.

The monthly report also explains (seed 001 §7(一)2 问题原因剖析): complaints by
cause category and by responsibility (责任归属) as recorded on the case, and
each category's month against the month before (环比).

Complaints counted here are cases of kind "complaint" received in the window
(business time), cancelled ones (withdrawn, duplicates) left out, restricted to
what the viewer may see. Every breakdown is one SQL GROUP BY. Per-category
KPI figures come from the KPI definitions (app.services.reporting.kpi), grouped by the
case category instead of by month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models import Case, CaseCategory, Customer, Department
from app.models.codes import (
    BUSINESS_STAGES,
    CASE_OPEN_STATUSES,
    CAUSES,
    CLOCK_STATES,
    RESPONSIBILITIES,
    label,
)
from app.security.scope import restrict
from app.services.reporting import complaint_facts, kpi, kpi_facts
from app.services.reporting.kpi import Figure, Window

DIMENSIONS = (
    "category",
    "stage",
    "region",
    "customer",
    "department",
    "month",
    "cause",
    "responsibility",
)
# Code-list dimensions: their codes are shown by label.
CODED = {"stage": BUSINESS_STAGES, "cause": CAUSES, "responsibility": RESPONSIBILITIES}


@dataclass(frozen=True)
class Slice:
    """One bar of a breakdown."""

    key: str
    label: str
    count: int


def complaint_filter(window: Window) -> list[Any]:
    return [
        Case.kind == "complaint",
        Case.status != "cancelled",
        window.contains(Case.received_at),
    ]


def counted(
    dimension: str, window: Window, viewer: Any, limit: int | None = None
) -> list[tuple[Any, Any, int]]:
    """(key, name, complaints) per value of `dimension` from the records, most
    frequent first, then by name."""
    stmt = select(Case.id).select_from(Case)
    if dimension == "category":
        key, name = CaseCategory.id, CaseCategory.name
        stmt = stmt.join(CaseCategory, Case.category_id == CaseCategory.id)
    elif dimension in CODED:
        key = name = getattr(Case, dimension)
    elif dimension in ("region", "customer"):
        stmt = stmt.join(Customer, Case.customer_id == Customer.id)
        key, name = (
            (Customer.region, Customer.region)
            if dimension == "region"
            else (Customer.id, Customer.name)
        )
    elif dimension == "department":
        key, name = Department.id, Department.name
        stmt = stmt.join(Department, Case.department_id == Department.id)
    elif dimension == "month":
        key = name = window.bucket(Case.received_at)
    else:
        raise ValueError(dimension)
    inner = restrict(
        stmt.add_columns(key.label("k"), name.label("n")).where(
            *complaint_filter(window)
        ),
        Case,
        viewer,
    ).subquery()
    count = func.count()
    grouped = select(inner.c.k, inner.c.n, count).group_by(inner.c.k, inner.c.n)
    grouped = grouped.order_by(count.desc(), inner.c.n)
    if limit:
        grouped = grouped.limit(limit)
    return [(k, n, int(c)) for k, n, c in db.session.execute(grouped)]


def complaint_counts(
    dimension: str, window: Window, viewer: Any, limit: int | None = None
) -> list[Slice]:
    """Complaints per value of `dimension`, most frequent first (months in
    order); from the complaint facts when they serve (complaint_facts)."""
    rows = complaint_facts.counted(dimension, window, viewer, limit)
    if rows is None:
        rows = counted(dimension, window, viewer, limit)
    if dimension == "month":
        counts = {str(k): c for k, _n, c in rows}
        return [
            Slice(kpi.month_key(m), kpi.month_key(m), counts.get(kpi.month_key(m), 0))
            for m in window.months
        ]
    slices = []
    for k, n, c in rows:
        if dimension in CODED and n:
            n = label(CODED[dimension], n)
        slices.append(
            Slice(
                str(k) if k is not None else "",
                str(n) if n else str(_l("Not recorded")),
                int(c),
            )
        )
    return slices


@dataclass(frozen=True)
class Trend:
    """A category's complaints this month against the month before (环比)."""

    category_id: int
    name: str
    this: int
    last: int

    @property
    def change(self) -> int:
        return self.this - self.last

    @property
    def change_percent(self) -> Decimal | None:
        """Change over last month's count, in percent to one place (None: none
        last month, the change has no base)."""
        if not self.last:
            return None
        return (Decimal(100 * self.change) / self.last).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )


def month_on_month(month: dt.date, viewer: Any) -> list[Trend]:
    """Every category with complaints in `month` or the month before."""
    this = {
        int(s.key): s
        for s in complaint_counts("category", Window.ending(month), viewer)
    }
    last = {
        int(s.key): s
        for s in complaint_counts(
            "category", Window.ending(kpi.add_months(month, -1)), viewer
        )
    }
    rows = [
        Trend(
            cat,
            (this.get(cat) or last[cat]).label,
            this[cat].count if cat in this else 0,
            last[cat].count if cat in last else 0,
        )
        for cat in set(this) | set(last)
    ]
    return sorted(rows, key=lambda r: (-r.this, -r.change, r.name))


@dataclass(frozen=True)
class ClockCount:
    clock: str  # "response" (not answered yet) or "resolution"
    state: str
    count: int

    @property
    def state_label(self) -> str:
        return label(CLOCK_STATES, self.state)


def open_cases_by_clock(viewer: Any) -> list[ClockCount]:
    """Open cases by the clock that runs now (response until answered, then
    resolution) and its state.

    Counted by the raw columns (a few dozen groups, which an index of the
    open cases' states serves without reading the cases) and folded into
    clocks here.
    """
    waiting = Case.responded_at.is_(None).label("waiting")
    inner = restrict(
        select(waiting, Case.response_state, Case.resolution_state).where(
            Case.status.in_(CASE_OPEN_STATUSES)
        ),
        Case,
        viewer,
    ).subquery()
    stmt = select(
        inner.c.waiting,
        inner.c.response_state,
        inner.c.resolution_state,
        func.count(),
    ).group_by(inner.c.waiting, inner.c.response_state, inner.c.resolution_state)
    counts: dict[tuple[str, str], int] = {}
    for waiting_, response, resolution, n in db.session.execute(stmt):
        key = ("response", response) if waiting_ else ("resolution", resolution)
        counts[key] = counts.get(key, 0) + int(n)
    return [ClockCount(c, s, n) for (c, s), n in counts.items()]


@dataclass(frozen=True)
class CategoryRow:
    """A category's complaints and KPI figures over the window."""

    category_id: int
    name: str
    complaints: int
    timeliness: Figure
    repeat: Figure
    satisfaction: Figure

    @property
    def flagged(self) -> list[Figure]:
        return [
            f for f in (self.timeliness, self.repeat, self.satisfaction) if f.flagged
        ]


def by_category(window: Window, viewer: Any) -> list[CategoryRow]:
    """Every category with complaints or figures in the window, worst first."""
    settings = kpi.load_settings()
    targets = kpi.load_targets()
    last = window.months[-1]
    sums = kpi_facts.category_sums(window, viewer)
    if sums is None:
        sums = {}
        for code in kpi_facts.CATEGORY_KPIS:
            measure = kpi.get_kpi(code)
            sums[code] = {
                cat: (int(num), int(count))
                for cat, num, count in kpi.grouped(
                    measure, window, viewer, ("category_id",), settings
                )
                if cat is not None
            }
    counts = {int(s.key): s.count for s in complaint_counts("category", window, viewer)}
    ids = set(counts) | {cat for per in sums.values() for cat in per}
    names = (
        dict(
            db.session.execute(
                select(CaseCategory.id, CaseCategory.name).where(
                    CaseCategory.id.in_(ids)
                )
            ).all()
        )
        if ids
        else {}
    )

    def figure(code: str, category_id: int) -> Figure:
        num, den = sums[code].get(category_id, (0, 0))
        return Figure(
            kpi.get_kpi(code), last, None, None, num, den, targets.get((code, None))
        )

    rows = [
        CategoryRow(
            cat,
            names.get(cat, str(cat)),
            counts.get(cat, 0),
            figure("complaint_timeliness", cat),
            figure("repeat_complaint_rate", cat),
            figure("satisfaction_mean", cat),
        )
        for cat in ids
    ]
    return sorted(rows, key=lambda r: (-len(r.flagged), -r.complaints, r.name))


def period_label(window: Window) -> str:
    first, last = window.months[0], window.months[-1]
    if first == last:
        return kpi.month_key(first)
    return f"{kpi.month_key(first)} – {kpi.month_key(last)}"


def window_for(month: dt.date, span: int) -> Window:
    return Window.ending(month, max(1, min(int(span), 36)))


def category_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(CaseCategory.id, CaseCategory.name)
        .where(CaseCategory.active.is_(True))
        .order_by(CaseCategory.id)
    )
    return [(str(pk), name) for pk, name in rows]


CATEGORY_FIGURES = {
    "complaint_timeliness": "timeliness",
    "repeat_complaint_rate": "repeat",
    "satisfaction_mean": "satisfaction",
}


def category_figure(
    category_id: int | None, code: str | None, window: Window, viewer: Any
) -> Figure | None:
    """The category's figure of a KPI over the window, for an action's problem."""
    attribute = CATEGORY_FIGURES.get(code or "")
    if category_id is None or attribute is None:
        return None
    for row in by_category(window, viewer):
        if row.category_id == category_id:
            return getattr(row, attribute)
    return None
