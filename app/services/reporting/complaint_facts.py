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
from app.models import Case, ComplaintFact, now
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


def _ranking(
    window: kpi.Window, limit: int, view_key: str
) -> list[tuple[Any, Any, int]] | None:
    """The top `limit` customers of the window from the ranking of
    `view_key`, or None when the ranking was not counted or is no longer
    current (its own instant: the ranking is counted over the whole window
    at once)."""
    last = window.months[-1]
    rows = db.session.execute(
        select(
            ComplaintFact.key,
            ComplaintFact.name,
            ComplaintFact.complaints,
            ComplaintFact.computed_at,
        )
        .where(
            ComplaintFact.view_key == view_key,
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


def _live(
    dimension: str, window: kpi.Window, viewer: Any, limit: int | None = None
) -> list[tuple[Any, Any, int]]:
    from app.services.reporting import complaint_analysis

    return complaint_analysis.counted(dimension, window, viewer, limit)


def _month_rows(
    month: dt.date, viewer: Any, key: str, stamp: dt.datetime
) -> list[dict[str, Any]]:
    """The month's rows of one view: its count per value of every breakdown
    (the "month" row even when zero: it marks the month as counted), and the
    customer rankings of the TOP_SPANS windows ending with it."""
    window = kpi.Window.ending(month)

    def row(dimension: str, value: str, name: Any, complaints: int) -> dict:
        return {
            "view_key": key,
            "month": month,
            "dimension": dimension,
            "key": value,
            "name": name,
            "complaints": complaints,
            "computed_at": stamp,
        }

    values = [
        row(dimension, kpi_facts.encoded(value), name, complaints)
        for dimension in DIMENSIONS
        for value, name, complaints in _live(dimension, window, viewer)
    ]
    if not any(v["dimension"] == "month" for v in values):
        # A month without complaints is known to have none.
        text = kpi.month_key(month)
        values.append(row("month", kpi_facts.encoded(text), text, 0))
    for span in TOP_SPANS:
        # The ranking's mark: this span's ranking was counted (at `stamp`).
        values.append(row(_top(span), RANKED, None, 0))
        values += [
            row(_top(span), kpi_facts.encoded(value), name, complaints)
            for value, name, complaints in _live(
                "customer", kpi.Window.ending(month, span), viewer, TOP
            )
        ]
    return values


def refresh(month: dt.date, stamp: dt.datetime | None = None) -> int:
    """Recount the month's complaints per value of every breakdown from the
    cases into the month's rows, for the company and each department's view
    (committed by the caller). Returns the number of rows written.

    Upserted, then the month's values no longer counted removed: a rerun, or
    two runs at once, leave exactly the current counts.
    """
    stamp = stamp or now()
    views = kpi_facts.views()
    table = ComplaintFact.__table__
    written = 0
    for key, viewer in views:
        values = _month_rows(month, viewer, key, stamp)
        stmt = kpi.upsert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=[
                table.c.view_key,
                table.c.month,
                table.c.dimension,
                table.c.key,
            ],
            set_={
                name: stmt.excluded[name]
                for name in ("name", "complaints", "computed_at")
            },
        )
        db.session.execute(stmt, values)
        for dimension in (*DIMENSIONS, *map(_top, TOP_SPANS)):
            keys = [v["key"] for v in values if v["dimension"] == dimension]
            gone = delete(ComplaintFact).where(
                ComplaintFact.view_key == key,
                ComplaintFact.month == month,
                ComplaintFact.dimension == dimension,
            )
            if keys:
                gone = gone.where(ComplaintFact.key.not_in(keys))
            db.session.execute(gone)
        written += len(values)
    kpi_facts.drop_gone_views(ComplaintFact, month, [key for key, _ in views])
    return written


def _read(window: kpi.Window, viewer: Any) -> tuple[str, dt.datetime] | None:
    return kpi_facts.month_read(ComplaintFact, window, viewer, (Case,))


def counted(
    dimension: str, window: kpi.Window, viewer: Any, limit: int | None = None
) -> list[tuple[Any, Any, int]] | None:
    """complaint_analysis.counted from facts: (key, name, complaints), most
    frequent first, then by name; None when the facts do not serve (another
    breakdown, a customer ranking of another size or span, a month without
    current facts; see kpi_facts.month_read). Keys are text.

    A clerk's counts are their department view's, when they see no
    complaint beyond it (kpi_facts.month_read)."""
    ranking = dimension == "customer" and limit and limit <= TOP
    if not ranking and dimension not in DIMENSIONS:
        return None
    if ranking and len(window.months) not in TOP_SPANS:
        return None
    read = _read(window, viewer)
    if read is None:
        return None
    view_key, _stamp = read
    if ranking:
        return _ranking(window, limit, view_key)
    # Summed per value; shown by its name in the latest month of the window
    # (a category renamed since is not split in two).
    sums = (
        select(
            ComplaintFact.key,
            func.sum(ComplaintFact.complaints).label("total"),
            func.max(ComplaintFact.month).label("latest"),
        )
        .where(
            ComplaintFact.view_key == view_key,
            ComplaintFact.month.in_(window.months),
            ComplaintFact.dimension == dimension,
        )
        .group_by(ComplaintFact.key)
        # A month's zero row only marks it as counted.
        .having(func.sum(ComplaintFact.complaints) > 0)
        .subquery()
    )
    named = aliased(ComplaintFact)
    stmt = select(sums.c.key, named.name, sums.c.total).join(
        named,
        and_(
            named.view_key == view_key,
            named.key == sums.c.key,
            named.month == sums.c.latest,
            named.dimension == dimension,
        ),
    )
    stmt = stmt.order_by(sums.c.total.desc(), named.name)
    if limit:
        stmt = stmt.limit(limit)
    return [
        (kpi_facts.decoded(key), name, int(complaints))
        for key, name, complaints in db.session.execute(stmt)
    ]


def as_of(window: kpi.Window, viewer: Any) -> dt.datetime | None:
    """The instant the window's complaint facts stand as of, when a page would
    read them for `viewer` (None: counted live)."""
    read = _read(window, viewer)
    return read[1] if read is not None else None
