"""Complaint facts: complaint_analysis.counted per month, kept in
`complaint_fact` by the KPI facts job, so the complaint charts of the
dashboard and the analysis read a few hundred rows instead of the cases.

What counts as a complaint is defined once, in complaint_analysis
(seed 001 §7.1: cases of kind complaint received in the month, cancelled
ones left out). A breakdown over several months is the sum of its months,
since every complaint is received in exactly one. The customer breakdown (a
top ten over the window) is not additive that way at a useful size and is
counted from the cases.

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


def _encoded(key: Any) -> str:
    """A breakdown's value as stored: "" for not recorded (NULL), "=" before
    any value, so an empty text and a missing one stay two values."""
    return "" if key is None else f"={key}"


def _decoded(key: str) -> str | None:
    return None if key == "" else key[1:]


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
            "key": _encoded(key),
            "name": name,
            "complaints": complaints,
            "computed_at": stamp,
        }
        for dimension in DIMENSIONS
        for key, name, complaints in complaint_analysis.counted(
            dimension, window, viewer
        )
    ]
    if not any(v["dimension"] == "month" for v in values):
        # A month without complaints is known to have none.
        key = kpi.month_key(month)
        values.append(
            {
                "month": month,
                "dimension": "month",
                "key": _encoded(key),
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
    for dimension in DIMENSIONS:
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
    breakdown, a viewer who does not see everything, a month without current
    facts)."""
    if dimension not in DIMENSIONS or not kpi_facts.serves(viewer):
        return None
    if window.unit != "month" or _stamps(window) is None:
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
        (_decoded(key), name, int(complaints))
        for key, name, complaints in db.session.execute(stmt)
    ]


def as_of(window: kpi.Window, viewer: Any) -> dt.datetime | None:
    """The instant the window's complaint facts stand as of, when a page would
    read them for `viewer` (None: counted live)."""
    if not kpi_facts.serves(viewer):
        return None
    stamps = _stamps(window)
    return min(stamps.values()) if stamps is not None else None
