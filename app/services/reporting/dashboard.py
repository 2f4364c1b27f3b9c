"""Dashboard data: current KPIs vs target, 12-month trends, clocks, complaint mix.

The landing page of Management (permission Dashboard.home) and department
heads. Each chart is one JSON document built from SQL GROUP BY queries over
the rows the viewer may see; the page draws them with the locally served
Chart.js.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from app.models import BUSINESS_TZ
from app.models.codes import CLOCK_STATES, label
from app.security.access import can
from app.services.reporting import (
    business,
    complaint_analysis,
    kpi,
    kpi_facts,
    worklist,
)

TREND_MONTHS = 12
TOP_CUSTOMERS = 10


def is_landing(user: Any) -> bool:
    """Management and department heads land on the dashboard, clerks on the
    workbench."""
    if user is None or not can(user, "read", "Dashboard"):
        return False
    return can(user, "home", "Dashboard") or bool(
        getattr(user, "is_department_head", False)
    )


def page(user: Any, month: dt.date | None = None) -> dict[str, Any]:
    """The page around the charts: the month's company figures (default: this
    month) in the viewer's scope."""
    month = month or kpi.month_of(kpi.now())
    report = kpi_facts.compute([month], user, breakdown=False)
    return {
        "month": month,
        # Set when the figures come from KPI facts (shown with their time).
        "computed_at": report.computed_at,
        "refreshed_often": kpi_facts.is_recent(kpi.Period("month", month)),
        "business_tz": BUSINESS_TZ,
        "refresh_minutes": kpi_facts.REFRESH_MINUTES,
        "month_text": kpi.month_key(month),
        "figures": [report.figure(k.code, month) for k in kpi.KPIS],
        "charts": list(CHARTS),
        "can_kpi": can(user, "read", "Kpi"),
        "can_business": can(user, "read", "BusinessStatistics"),
        "todos": worklist.todos(user),
    }


def _trend(user: Any, month: dt.date) -> dict[str, Any]:
    months = kpi.Window.ending(month, TREND_MONTHS).months
    report = kpi_facts.compute(months, user, breakdown=False)
    datasets = []
    for measure in kpi.KPIS:
        if measure.unit != "percent":
            continue
        values = [report.figure(measure.code, m).value for m in months]
        target = report.figure(measure.code, month).target
        datasets.append(
            {
                "code": measure.code,
                "label": measure.label,
                "data": [float(v) if v is not None else None for v in values],
                "target": float(target.percent) if target else None,
            }
        )
    return {"labels": [kpi.month_key(m) for m in months], "datasets": datasets}


def _satisfaction(user: Any, month: dt.date) -> dict[str, Any]:
    months = kpi.Window.ending(month, TREND_MONTHS).months
    report = kpi_facts.compute(
        months, user, [kpi.get_kpi("satisfaction_mean")], breakdown=False
    )
    values = [report.figure("satisfaction_mean", m).value for m in months]
    return {
        "labels": [kpi.month_key(m) for m in months],
        "datasets": [
            {
                "label": str(kpi.get_kpi("satisfaction_mean").label),
                "data": [float(v) if v is not None else None for v in values],
            }
        ],
    }


def _clocks(user: Any, month: dt.date) -> dict[str, Any]:
    counts = complaint_analysis.open_cases_by_clock(user)
    states = [s for s in CLOCK_STATES if any(c.state == s for c in counts)]
    datasets = []
    for clock, title in (
        ("response", _l("Waiting for first response")),
        ("resolution", _l("Being resolved")),
    ):
        per_state = {c.state: c.count for c in counts if c.clock == clock}
        datasets.append(
            {
                "label": str(title),
                "clock": clock,
                "data": [per_state.get(s, 0) for s in states],
            }
        )
    return {
        "labels": [label(CLOCK_STATES, s) for s in states],
        "states": states,
        "datasets": datasets,
    }


def _complaints(
    dimension: str, limit: int | None = None
) -> Callable[[Any, dt.date], dict[str, Any]]:
    def build(user: Any, month: dt.date) -> dict[str, Any]:
        window = kpi.Window.ending(month, TREND_MONTHS)
        slices = complaint_analysis.complaint_counts(dimension, window, user, limit)
        return {
            "labels": [s.label for s in slices],
            "datasets": [
                {"label": str(_l("Complaints")), "data": [s.count for s in slices]}
            ],
            "period": complaint_analysis.period_label(window),
        }

    return build


CHARTS: dict[str, Callable[[Any, dt.date], dict[str, Any]]] = {
    "trend": _trend,
    "satisfaction": _satisfaction,
    "complaints_by_month": _complaints("month"),
    "clocks": _clocks,
    "by_category": _complaints("category"),
    "by_stage": _complaints("stage"),
    "by_region": _complaints("region"),
    "top_customers": _complaints("customer", TOP_CUSTOMERS),
    # Business statistics (seed 002 §7(二)): volumes and settlement amounts.
    **business.CHARTS,
}


def chart(name: str, user: Any, month: dt.date) -> dict[str, Any] | None:
    build = CHARTS.get(name)
    return build(user, month) if build else None
