"""Complaint facts: complaint_analysis.counted per month, kept in
`complaint_fact` by the KPI facts job, so the complaint charts of the
dashboard and the analysis read a few hundred rows instead of the cases.

What counts as a complaint is defined once, in complaint_analysis
(seed 001 §7.1: cases of kind complaint received in the month, cancelled
ones left out). A breakdown over several months is the sum of its months,
since every complaint is received in exactly one. The customer breakdown is not
additive that way at a useful size (a row per customer and month): the job
keeps instead, for each month it recounts, the top TOP customers of the
TOP_SPANS windows ending with it (what the dashboard and the analysis show),
counted from the cases at the job's instant.

Read under the same conditions as the KPI facts (kpi_facts): a viewer who
sees every record, and every month of the window current.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import ComplaintFact, now
from app.security.access import system_user
from app.services.reporting import kpi, kpi_facts

# Breakdowns kept per month ("month": the month's total).
DIMENSIONS = (
    "month",
    "category",
    "stage",
    "region",
    "department",
    "cause",
    "responsibility",
)

# The customer rankings kept: the top TOP of the windows of TOP_SPANS months
# ending with each month (the analysis offers these spans; the dashboard
# shows the 12 months' top ten).
TOP = 10
TOP_SPANS = (1, 3, 6, 12)


# The key of the row marking a ranking as counted (never a value's key,
# which is "" or starts with "=").
RANKED = "*"


def _top(span: int) -> str:
    return f"customer_top{span}"


def _ranking(window: kpi.Window, limit: int) -> list[tuple[Any, Any, int]] | None:
    """The top `limit` customers of the window from its ranking, or None when
    the ranking was not counted or is no longer current (its own instant:
    the ranking is counted over the whole window at once)."""
    last = window.months[-1]
    rows = db.session.execute(
        select(
            ComplaintFact.key,
            ComplaintFact.name,
            ComplaintFact.complaints,
            ComplaintFact.computed_at,
        )
        .where(
            ComplaintFact.month == last,
            ComplaintFact.dimension == _top(len(window.months)),
        )
        .order_by(ComplaintFact.complaints.desc(), ComplaintFact.name)
    ).all()
    mark = next((r for r in rows if r.key == RANKED), None)
    if mark is None or not kpi_facts.is_current(
        kpi.Period("month", last), mark.computed_at, now()
    ):
        return None
    return [
        (kpi_facts.decoded(r.key), r.name, int(r.complaints))
        for r in rows
        if r.key != RANKED
    ][:limit]


def refresh(month: dt.date, stamp: dt.datetime | None = None) -> int:
    """Recount the month's complaints per value of every breakdown from the
    cases into the month's rows (committed by the caller). Returns the number
    of rows written."""
    from app.services.reporting import complaint_analysis

    stamp = stamp or now()
    window = kpi.Window.ending(month)
    viewer = system_user()
    values = [
        {
            "month": month,
            "dimension": dimension,
            "key": kpi_facts.encoded(key),
            "name": name,
            "complaints": complaints,
            "computed_at": stamp,
        }
        for dimension in DIMENSIONS
        for key, name, complaints in complaint_analysis.counted(
            dimension, window, viewer
        )
    ]
    values += [
        {
            "month": month,
            "dimension": _top(span),
            "key": key if key == RANKED else kpi_facts.encoded(key),
            "name": name,
            "complaints": complaints,
            "computed_at": stamp,
        }
        for span in TOP_SPANS
        for key, name, complaints in [
            # The ranking's mark: this span's ranking was counted (at `stamp`).
            (RANKED, None, 0),
            *complaint_analysis.counted(
                "customer", kpi.Window.ending(month, span), viewer, TOP
            ),
        ]
    ]
    if not any(v["dimension"] == "month" for v in values):
        # A month without complaints is known to have none.
        key = kpi.month_key(month)
        values.append(
            {
                "month": month,
                "dimension": "month",
                "key": kpi_facts.encoded(key),
                "name": key,
                "complaints": 0,
                "computed_at": stamp,
            }
        )
    # Upserted, then the month's values no longer counted removed: a rerun,
    # or two runs at once, leave exactly the current counts.
    table = ComplaintFact.__table__
    stmt = kpi.upsert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.month, table.c.dimension, table.c.key],
        set_={
            name: stmt.excluded[name] for name in ("name", "complaints", "computed_at")
        },
    )
    db.session.execute(stmt, values)
    for dimension in (*DIMENSIONS, *map(_top, TOP_SPANS)):
        keys = [v["key"] for v in values if v["dimension"] == dimension]
        gone = delete(ComplaintFact).where(
            ComplaintFact.month == month, ComplaintFact.dimension == dimension
        )
        if keys:
            gone = gone.where(ComplaintFact.key.not_in(keys))
        db.session.execute(gone)
    return len(values)


def _stamps(window: kpi.Window) -> dict[dt.date, dt.datetime] | None:
    return kpi_facts.month_stamps(ComplaintFact, window)


def counted(
    dimension: str, window: kpi.Window, viewer: Any, limit: int | None = None
) -> list[tuple[Any, Any, int]] | None:
    """complaint_analysis.counted from facts: (key, name, complaints), most
    frequent first, then by name; None when the facts do not serve (another
    breakdown, a customer ranking of another size or span, a viewer who does
    not see everything, a month without current facts)."""
    ranking = dimension == "customer" and limit and limit <= TOP
    if not ranking and dimension not in DIMENSIONS:
        return None
    if not kpi_facts.serves(viewer) or window.unit != "month":
        return None
    if ranking:
        if len(window.months) not in TOP_SPANS:
            return None
        return _ranking(window, limit)
    if _stamps(window) is None:
        return None
    months = [kpi.Period("month", m) for m in window.months]
    # Summed per value; shown by its name in the latest month of the window
    # (a category renamed since is not split in two).
    sums = (
        select(
            ComplaintFact.key,
            func.sum(ComplaintFact.complaints).label("total"),
            func.max(ComplaintFact.month).label("latest"),
        )
        .where(
            ComplaintFact.month.in_([p.start for p in months]),
            ComplaintFact.dimension == dimension,
        )
        .group_by(ComplaintFact.key)
        .subquery()
    )
    named = aliased(ComplaintFact)
    stmt = (
        select(sums.c.key, named.name, sums.c.total)
        .join(
            named,
            and_(
                named.key == sums.c.key,
                named.month == sums.c.latest,
                named.dimension == dimension,
            ),
        )
        .order_by(sums.c.total.desc(), named.name)
    )
    if limit:
        stmt = stmt.limit(limit)
    return [
        (kpi_facts.decoded(key), name, int(complaints))
        for key, name, complaints in db.session.execute(stmt)
    ]


def as_of(window: kpi.Window, viewer: Any) -> dt.datetime | None:
    """The instant the window's complaint facts stand as of, when a page would
    read them for `viewer` (None: counted live)."""
    if not kpi_facts.serves(viewer):
        return None
    stamps = _stamps(window)
    return min(stamps.values()) if stamps is not None else None
