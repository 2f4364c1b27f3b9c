"""Business facts: the business statistics of `business` per month, kept in
`business_fact` by the KPI facts job, so the business charts of the
dashboard and the business statistics page read a few hundred rows instead
of the weigh lines and settlements.

What a figure means is defined once, in business (seed 002 §7(二)); the job
stores, for the whole company (the system user, `view_key` "") and for each
department's view (scope.department_view, `view_key` its id), per month:

- "received" and "sold" grams per material, grade, region and the month's
  total (dimension "month"; written even when zero: it marks the month as
  counted);
- the month's amounts settled and paid per direction, in cents (dimension
  "month", measures business.AMOUNTS);
- the price sums per direction, material and grade (dimension "price").

Every figure is a sum over rows that fall in exactly one month (a weighing,
a confirmation, a payment), so a window's figure is the sum of its months'.
A missing grade or region is kept as "" (not as its name in the job's
language) and named when read.

Read under the same conditions as the KPI facts (kpi_facts.month_read): a
viewer who sees every record reads the company's facts; a department clerk
who sees no weigh ticket or settlement beyond the department's view, that
view's facts; every month of the window current. Otherwise the callers count
from the records.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, func, select, tuple_

from app.extensions import db
from app.models import (
    BusinessFact,
    Settlement,
    WeighTicket,
    now,
)
from app.services.reporting import kpi, kpi_facts

VOLUMES = ("received", "sold")
# The breakdowns kept ("month": per month, with the amounts; "price": the
# price sums per direction, material and grade).
DIMENSIONS = ("month", "material", "grade", "region", "price")
# The price sums of business.price_sums, in its order.
PRICE_SUMS = ("grams", "cents", "list_grams", "list_value")


def _counted(window: kpi.Window, viewer: Any) -> Iterator[tuple[str, Any, str, int]]:
    """(dimension, key, measure, value) over the window, counted from the
    records as `viewer` sees them by business's own queries ("month": keyed
    by month; the other breakdowns summed over the window's months)."""
    from app.services.reporting import business

    for dimension in DIMENSIONS:
        if dimension == "price":
            for direction, material, grade, *sums in business.price_sums(
                window, viewer
            ):
                key = json.dumps([direction, material, grade], ensure_ascii=False)
                for measure, value in zip(PRICE_SUMS, sums, strict=True):
                    yield "price", key, measure, value
            continue
        for measure, query in zip(
            VOLUMES, (business.received_query, business.sold_query), strict=True
        ):
            for key, grams in db.session.execute(
                query(window, viewer, dimension, named=False)
            ):
                yield dimension, key, measure, int(grams or 0)
        if dimension == "month":
            for (month, measure), cents in business.amount_sums(window, viewer).items():
                yield "month", month, measure, cents


def _rows_of(
    month: dt.date, viewer: Any, view_key: str, stamp: dt.datetime
) -> list[dict[str, Any]]:
    """The month's fact rows of one view; its "month" row of every measure
    is written even when zero: it marks the month as counted."""
    from app.services.reporting import business

    month_text = kpi.month_key(month)
    values: dict[tuple[str, str, str], int] = {
        ("month", kpi_facts.encoded(month_text), measure): 0
        for measure in (*VOLUMES, *business.AMOUNTS)
    }
    for dimension, key, measure, value in _counted(kpi.Window.ending(month), viewer):
        encoded = kpi_facts.encoded(key)
        values[(dimension, encoded, measure)] = (
            values.get((dimension, encoded, measure), 0) + value
        )
    return [
        {
            "view_key": view_key,
            "month": month,
            "dimension": dimension,
            "key": key,
            "measure": measure,
            "value": value,
            "computed_at": stamp,
        }
        for (dimension, key, measure), value in values.items()
    ]


def refresh(month: dt.date, stamp: dt.datetime | None = None) -> int:
    """Recount the month's business figures from the records into its rows,
    for the company and each department's view (committed by the caller).
    Returns the number of rows written.

    Upserted, then the month's rows no longer counted removed: a rerun, or
    two runs at once, leave exactly the current figures.
    """
    stamp = stamp or now()
    views = kpi_facts.views()
    written = 0
    for view_key, viewer in views:
        values = _rows_of(month, viewer, view_key, stamp)
        table = BusinessFact.__table__
        stmt = kpi.upsert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=[
                table.c.view_key,
                table.c.month,
                table.c.dimension,
                table.c.key,
                table.c.measure,
            ],
            set_={name: stmt.excluded[name] for name in ("value", "computed_at")},
        )
        db.session.execute(stmt, values)
        kept: dict[tuple[str, str], list[str]] = {}
        for v in values:
            kept.setdefault((v["dimension"], v["measure"]), []).append(v["key"])
        this = (BusinessFact.view_key == view_key, BusinessFact.month == month)
        # A breakdown is never written empty (a price pair counted in no
        # settlement is simply absent), so a (dimension, measure) pair not
        # written this time is all gone; of the others, the keys not written.
        db.session.execute(
            delete(BusinessFact).where(
                *this,
                tuple_(BusinessFact.dimension, BusinessFact.measure).not_in(list(kept)),
            )
        )
        for (dimension, measure), keys in kept.items():
            db.session.execute(
                delete(BusinessFact).where(
                    *this,
                    BusinessFact.dimension == dimension,
                    BusinessFact.measure == measure,
                    BusinessFact.key.not_in(keys),
                )
            )
        written += len(values)
    kpi_facts.drop_gone_views(BusinessFact, month, [key for key, _ in views])
    return written


# Every counted weigh line is seen through its ticket, every settlement line
# through its settlement.
COUNTED = (WeighTicket, Settlement)


def _read(window: kpi.Window, viewer: Any) -> tuple[str, dt.datetime] | None:
    return kpi_facts.month_read(BusinessFact, window, viewer, COUNTED)


def _summed(
    dimension: str, window: kpi.Window, viewer: Any
) -> dict[str, dict[str | None, int]] | None:
    """{measure: {key: sum over the window's months}} of one dimension, or
    None when the facts do not serve (`_read`)."""
    read = _read(window, viewer)
    if read is None:
        return None
    view_key, _stamp = read
    sums: dict[str, dict[str | None, int]] = {}
    for key, measure, value in db.session.execute(
        select(BusinessFact.key, BusinessFact.measure, func.sum(BusinessFact.value))
        .where(
            BusinessFact.view_key == view_key,
            BusinessFact.month.in_(window.months),
            BusinessFact.dimension == dimension,
        )
        .group_by(BusinessFact.key, BusinessFact.measure)
    ):
        sums.setdefault(measure, {})[kpi_facts.decoded(key)] = int(value)
    return sums


def volume_sums(
    dimension: str, window: kpi.Window, viewer: Any
) -> dict[str, dict[str, int]] | None:
    """{"received"|"sold": {key shown: grams}} of business.volumes from the
    facts (a missing grade or region under its name), or None."""
    from app.services.reporting import business

    sums = _summed(dimension, window, viewer)
    if sums is None:
        return None
    named: dict[str, dict[str, int]] = {m: {} for m in VOLUMES}
    for measure in VOLUMES:
        for key, grams in sums.get(measure, {}).items():
            name = key if key is not None else business.missing_name(dimension)
            named[measure][name] = named[measure].get(name, 0) + grams
    return named


def amount_sums(window: kpi.Window, viewer: Any) -> dict[tuple[str, str], int] | None:
    """business.amount_sums from the facts: {(month key, amount): cents}, or None."""
    sums = _summed("month", window, viewer)
    if sums is None:
        return None
    from app.services.reporting import business

    return {
        (month, measure): cents
        for measure in business.AMOUNTS
        for month, cents in sums.get(measure, {}).items()
        if month is not None
    }


def price_sums(window: kpi.Window, viewer: Any) -> list[tuple[Any, ...]] | None:
    """business.price_sums from the facts, or None."""
    sums = _summed("price", window, viewer)
    if sums is None:
        return None
    keys = sorted({k for per_key in sums.values() for k in per_key if k is not None})
    return [
        (
            *json.loads(key),
            *(sums.get(measure, {}).get(key, 0) for measure in PRICE_SUMS),
        )
        for key in keys
    ]


def as_of(window: kpi.Window, viewer: Any) -> dt.datetime | None:
    """The instant the window's business facts stand as of, when a page would
    read them for `viewer` (None: counted live)."""
    read = _read(window, viewer)
    return read[1] if read is not None else None
