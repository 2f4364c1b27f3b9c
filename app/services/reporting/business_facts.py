"""Business facts: the business statistics of `business` per month, kept in
`business_fact` by the KPI facts job, so the business charts of the
dashboard and the business statistics page read a few hundred rows instead
of the weigh lines and settlements.

What a figure means is defined once, in business (seed 002 §7(二)); the job
stores, for the whole company (the system user), per month:

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

Read under the same conditions as the KPI facts (kpi_facts): a viewer who
sees every record, and every month of the window current; otherwise the
callers count from the records.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, func, select, tuple_

from app.extensions import db
from app.models import BusinessFact, now
from app.security.access import system_user
from app.services.reporting import kpi, kpi_facts

VOLUMES = ("received", "sold")
# The price sums of business.price_sums, in its order.
PRICE_SUMS = ("grams", "cents", "list_grams", "list_value")


def _counted(month: dt.date) -> Iterator[tuple[str, Any, str, int]]:
    """(dimension, key, measure, value) of the month, counted from the
    records as the system user by business's own queries."""
    from app.services.reporting import business

    window = kpi.Window.ending(month)
    viewer = system_user()
    month_text = kpi.month_key(month)
    totals = dict.fromkeys(VOLUMES, 0)
    for dimension in business.DIMENSIONS:
        for measure, query in zip(
            VOLUMES, (business.received_query, business.sold_query), strict=True
        ):
            for key, grams in db.session.execute(
                query(window, viewer, dimension, named=False)
            ):
                if dimension == "month":
                    totals[measure] += int(grams or 0)
                else:
                    yield dimension, key, measure, int(grams or 0)
    for measure, grams in totals.items():
        yield "month", month_text, measure, grams
    amounts = business.amount_sums(window, viewer)
    for measure in business.AMOUNTS:
        yield "month", month_text, measure, amounts.get((month_text, measure), 0)
    for direction, material, grade, *sums in business.price_sums(window, viewer):
        key = json.dumps([direction, material, grade], ensure_ascii=False)
        for measure, value in zip(PRICE_SUMS, sums, strict=True):
            yield "price", key, measure, value


def refresh(month: dt.date, stamp: dt.datetime | None = None) -> int:
    """Recount the month's business figures from the records into its rows
    (committed by the caller). Returns the number of rows written.

    Upserted, then the month's rows no longer counted removed: a rerun, or
    two runs at once, leave exactly the current figures.
    """
    stamp = stamp or now()
    values = [
        {
            "month": month,
            "dimension": dimension,
            "key": kpi_facts.encoded(key),
            "measure": measure,
            "value": value,
            "computed_at": stamp,
        }
        for dimension, key, measure, value in _counted(month)
    ]
    table = BusinessFact.__table__
    stmt = kpi.upsert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.month, table.c.dimension, table.c.key, table.c.measure],
        set_={name: stmt.excluded[name] for name in ("value", "computed_at")},
    )
    db.session.execute(stmt, values)
    written: dict[tuple[str, str], list[str]] = {}
    for v in values:
        written.setdefault((v["dimension"], v["measure"]), []).append(v["key"])
    # Keys of a breakdown no longer counted this month; a breakdown is never
    # written empty (a price pair counted in no settlement is simply absent),
    # so a (dimension, measure) pair not written this time is all gone.
    db.session.execute(
        delete(BusinessFact).where(
            BusinessFact.month == month,
            tuple_(BusinessFact.dimension, BusinessFact.measure).not_in(list(written)),
        )
    )
    for (dimension, measure), keys in written.items():
        db.session.execute(
            delete(BusinessFact).where(
                BusinessFact.month == month,
                BusinessFact.dimension == dimension,
                BusinessFact.measure == measure,
                BusinessFact.key.not_in(keys),
            )
        )
    return len(values)


def _summed(
    dimension: str, window: kpi.Window, viewer: Any
) -> dict[str, dict[str | None, int]] | None:
    """{measure: {key: sum over the window's months}} of one dimension, or
    None when the facts do not serve (a viewer who does not see everything,
    a month of the window without current facts)."""
    if not kpi_facts.serves(viewer) or window.unit != "month":
        return None
    if kpi_facts.month_stamps(BusinessFact, window) is None:
        return None
    sums: dict[str, dict[str | None, int]] = {}
    for key, measure, value in db.session.execute(
        select(BusinessFact.key, BusinessFact.measure, func.sum(BusinessFact.value))
        .where(
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
    if not kpi_facts.serves(viewer) or window.unit != "month":
        return None
    stamps = kpi_facts.month_stamps(BusinessFact, window)
    return min(stamps.values()) if stamps is not None else None
