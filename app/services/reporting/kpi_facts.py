"""KPI facts: the figures of kpi.compute kept in `kpi_fact` by a job, so the
dashboard and the KPI page read a few hundred rows instead of the records.

What a figure means is defined once, in app.services.reporting.kpi (SPEC §5;
seed 001 §5, seed 002 §4, seed 003): `refresh` stores exactly what
`kpi.compute_period` returns for the whole company (the system user), per
period (month, quarter, year) and scope (company, department, staff member),
with the instant it was computed as of; for a month, also what each
department's view returns (scope.department_view: the records the department
sees through the department arms of the visibility rules).

A page reads the facts only when they stand for what it would compute:

- the viewer sees every record (Management, CustomerService): the company's
  facts; or, for months, the viewer has a department and sees nothing the
  KPIs count beyond its view (`sees_beyond`: nothing they created or own in
  another department): its view's facts. A clerk who does, and a quarter or
  year of a department clerk, are counted live;
- no `as_of` is asked for (the appraisal sheets use their own instant);
- every period asked for has facts, and they are current (`is_current`):
  at most 40 minutes old for this month and the month before (recounted
  every 15 minutes), at most 26 hours for any other period (recounted
  nightly).

Otherwise the figures are computed from the records, as before. A report read
from facts carries `computed_at`, which the pages show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from flask import g, has_request_context
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import Department, KpiFact, now
from app.security.access import system_user
from app.security.scope import (
    Beyond,
    department_view,
    personal_view,
    restrict,
    sees_all,
)
from app.services.reporting import kpi

# This month and the month before are recounted every REFRESH_MINUTES: their
# facts stand for two missed runs and a half. Every other period of the
# window (older months, the quarters and years, whose recount reads up to a
# year of records: minutes at a million cases) is recounted nightly: its
# facts stand for a day and two hours. Past that the page counts live again.
REFRESH_MINUTES = 15
MAX_AGE_RECENT = dt.timedelta(minutes=40)
MAX_AGE_NIGHTLY = dt.timedelta(hours=26)
# The nightly refresh covers the months a page offers without paging back
# far: the dashboard's 12-month trend and the month before it.
WINDOW_MONTHS = 13


def recent_periods(moment: dt.datetime | None = None) -> list[kpi.Period]:
    """The month holding `moment` (default now) and the month before: what
    the records still change, recounted every REFRESH_MINUTES."""
    this = kpi.month_of(moment or now())
    return [kpi.Period("month", this), kpi.Period("month", kpi.add_months(this, -1))]


def window_periods(moment: dt.datetime | None = None) -> list[kpi.Period]:
    """Every month of the last WINDOW_MONTHS (this one included), and the
    quarters and years holding them."""
    this = kpi.month_of(moment or now())
    months = [kpi.add_months(this, -i) for i in range(WINDOW_MONTHS)]
    seen: list[kpi.Period] = []
    for kind in kpi.PERIOD_KINDS:
        for month in reversed(months):
            period = kpi.Period.holding(kind, month)
            if period not in seen:
                seen.append(period)
    return seen


def due_periods(moment: dt.datetime | None = None) -> list[kpi.Period]:
    """What the 15-minute job refreshes: the recent periods, and any period
    of the window that has no facts yet (a new installation, a month the
    nightly run missed)."""
    due = recent_periods(moment)
    window = [p for p in window_periods(moment) if p not in due]
    have = set(
        db.session.execute(
            select(KpiFact.period, KpiFact.month)
            .where(
                KpiFact.month.in_({p.start for p in window}),
                KpiFact.view_department_id.is_(None),
                KpiFact.department_id.is_(None),
                KpiFact.user_id.is_(None),
            )
            .distinct()
        ).all()
    )
    return due + [p for p in window if (p.kind, p.start) not in have]


def refresh(periods: Iterable[kpi.Period]) -> int:
    """Recompute the facts of each period from the records, as of now, for
    the whole company (and, for a month, each department's view and the
    month's complaint and business facts); returns the number of rows written.

    Rows are upserted by scope key and a view's rows no longer produced are
    removed, so a rerun leaves exactly the current figures. Each period is
    committed on its own (a page never reads half a period).
    """
    from app.services.reporting import business_facts, complaint_facts

    written = 0
    company = system_user()
    departments = (
        db.session.scalars(select(Department).order_by(Department.id)).all()
        if any(p.kind == "month" for p in periods)
        else []
    )
    for period in periods:
        stamp = now()
        values = _values(period, company, None, stamp)
        if period.kind == "month":
            values += _category_values(period, company, stamp)
        written += _store(period, None, values)
        if period.kind == "month":
            for department in departments:
                view = department_view(department)
                written += _store(
                    period,
                    department.id,
                    _values(period, view, department.id, stamp)
                    + _category_values(period, view, stamp, department.id),
                )
            written += complaint_facts.refresh(period.start, stamp)
            written += business_facts.refresh(period.start, stamp)
        db.session.commit()
    return written


def _values(
    period: kpi.Period, viewer: Any, view: int | None, stamp: dt.datetime
) -> list[dict[str, Any]]:
    """The period's figures as the viewer counts them, as fact rows of
    `view` (None: the company); every KPI has its company row, zero when
    nothing was counted, so a period's facts are known to be there."""
    report = kpi.compute_period(period, viewer, as_of=stamp)
    prefix = "" if view is None else f"v{view}|"
    return [
        {
            "period": period.kind,
            "month": period.start,
            "kpi": f.kpi.code,
            "view_department_id": view,
            "department_id": f.department_id,
            "user_id": f.user_id,
            "category_id": None,
            "scope_key": prefix + f.scope_key,
            "numerator": int(f.numerator),
            "denominator": int(f.denominator),
            "computed_at": stamp,
        }
        for f in report.all(period.start)
    ]


def _store(period: kpi.Period, view: int | None, values: list[dict[str, Any]]) -> int:
    """Upsert the rows of one period and view; remove the view's others."""
    table = KpiFact.__table__
    if values:
        stmt = kpi.upsert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.scope_key],
            set_={
                name: stmt.excluded[name]
                for name in ("numerator", "denominator", "computed_at")
            },
        )
        db.session.execute(stmt, values)
    db.session.execute(
        delete(KpiFact).where(
            KpiFact.period == period.kind,
            KpiFact.month == period.start,
            _of_view(view),
            KpiFact.scope_key.not_in([v["scope_key"] for v in values]),
        )
    )
    return len(values)


def _of_view(view: int | None) -> Any:
    if view is None:
        return KpiFact.view_department_id.is_(None)
    return KpiFact.view_department_id == view


# The figures the complaint analysis shows per case category (seed 001 §7.1).
CATEGORY_KPIS = ("complaint_timeliness", "repeat_complaint_rate", "satisfaction_mean")


def _category_values(
    period: kpi.Period, viewer: Any, stamp: dt.datetime, view: int | None = None
) -> list[dict[str, Any]]:
    """A month's CATEGORY_KPIS per case category as the viewer counts them,
    as fact rows of `view` (None: the company, else a department's view)."""
    settings = kpi.load_settings(stamp)
    window = kpi.Window.of(period)
    prefix = "" if view is None else f"v{view}|"
    return [
        {
            "period": period.kind,
            "month": period.start,
            "kpi": code,
            "view_department_id": view,
            "department_id": None,
            "user_id": None,
            "category_id": category_id,
            "scope_key": f"{prefix}{period.key}|{code}|c{category_id}",
            "numerator": int(num),
            "denominator": int(den),
            "computed_at": stamp,
        }
        for code in CATEGORY_KPIS
        for category_id, num, den in kpi.grouped(
            kpi.get_kpi(code), window, viewer, ("category_id",), settings
        )
        if category_id is not None
    ]


def category_sums(
    window: kpi.Window, viewer: Any
) -> dict[str, dict[int, tuple[int, int]]] | None:
    """{kpi code: {category id: (numerator, denominator)}} of CATEGORY_KPIS
    over the window's months, from facts (a category's figure over several
    months is the sum of its months: every counted record falls in one);
    None when the facts do not serve the viewer or a month has none current.

    As `compute` reads them: a viewer who sees every record, the company's
    facts; a department clerk who sees nothing they count beyond the
    department's view (`sees_beyond`), the view's facts."""
    if window.unit != "month":
        return None
    kpis = tuple(kpi.get_kpi(code) for code in CATEGORY_KPIS)
    if serves(viewer):
        view = None
    elif getattr(viewer, "department", None) is not None:
        view = viewer.department_id
    else:
        return None
    if _read(window, kpis, False, view) is None:
        return None
    if view is not None and sees_beyond(viewer, _models(kpis, window)):
        return None
    sums: dict[str, dict[int, tuple[int, int]]] = {code: {} for code in CATEGORY_KPIS}
    for code, category_id, num, den in db.session.execute(
        select(
            KpiFact.kpi,
            KpiFact.category_id,
            func.sum(KpiFact.numerator),
            func.sum(KpiFact.denominator),
        )
        .where(
            KpiFact.period == "month",
            KpiFact.month.in_(list(window.months)),
            KpiFact.kpi.in_(CATEGORY_KPIS),
            _of_view(view),
            KpiFact.category_id.is_not(None),
        )
        .group_by(KpiFact.kpi, KpiFact.category_id)
    ):
        sums[code][category_id] = (int(num), int(den))
    return sums


def is_recent(period: kpi.Period, moment: dt.datetime | None = None) -> bool:
    """Recounted every REFRESH_MINUTES (else nightly)."""
    return period in recent_periods(moment)


def is_current(
    period: kpi.Period, computed_at: dt.datetime, moment: dt.datetime
) -> bool:
    """Facts of `period` computed at `computed_at` still stand at `moment`:
    at most MAX_AGE_RECENT old for this month and the month before, at most
    MAX_AGE_NIGHTLY for any other period (older months leave the nightly
    refresh after 13 months, and are then counted live)."""
    limit = MAX_AGE_RECENT if is_recent(period, moment) else MAX_AGE_NIGHTLY
    return moment - computed_at <= limit


def encoded(key: Any) -> str:
    """A breakdown's value as a month-facts table stores it (complaint_fact,
    business_fact): "" for not recorded (NULL), "=" before any value, so an
    empty text and a missing one stay two values."""
    return "" if key is None else f"={key}"


def decoded(key: str) -> str | None:
    """The value `encoded` stored: None for "", else the text after "="."""
    return None if key == "" else key[1:]


def month_stamps(
    model: Any, window: kpi.Window, *where: Any
) -> dict[dt.date, dt.datetime] | None:
    """{month: computed at} of the window's months in a month-facts table
    (complaint_fact, business_fact: rows with month, dimension, computed_at,
    and a "month" row for every month counted; `where` narrows to one view),
    or None when a month of the window has no current facts (`is_current`)."""
    months = [kpi.Period("month", m) for m in window.months]
    stamps = dict(
        db.session.execute(
            select(model.month, func.min(model.computed_at))
            .where(
                model.month.in_([p.start for p in months]),
                model.dimension == "month",
                *where,
            )
            .group_by(model.month)
        ).all()
    )
    moment = now()
    for period in months:
        stamp = stamps.get(period.start)
        if stamp is None or not is_current(period, stamp, moment):
            return None
    return stamps


def view_key(department_id: int | None) -> str:
    """The `view_key` of a month-facts table: "" the company, else the id."""
    return "" if department_id is None else str(department_id)


def views() -> list[tuple[str, Any]]:
    """(view_key, viewer) of every view a month-facts table keeps: the
    company (the system user) and each department's view."""
    return [("", system_user())] + [
        (view_key(d.id), department_view(d))
        for d in db.session.scalars(select(Department).order_by(Department.id))
    ]


def drop_gone_views(model: Any, month: dt.date, kept: Iterable[str]) -> None:
    """Remove the month's rows of `model` (a month-facts table) whose view is
    not among `kept`: a department removed since the last count."""
    db.session.execute(
        delete(model).where(model.month == month, model.view_key.not_in(list(kept)))
    )


def month_read(
    model: Any, window: kpi.Window, viewer: Any, counted: Iterable[Any]
) -> tuple[str, dt.datetime] | None:
    """(view_key, stamp) of the month facts of `model` (complaint_fact,
    business_fact) that stand for `viewer`'s figures over the window, the
    stamp being its oldest month's; None when counted from the records:

    - a viewer who sees every record: the company's facts;
    - a department clerk: their department view's facts, when they see no
      record of `counted` (through which everything the table counts is
      seen: a weigh line through its ticket) beyond the view
      (`sees_beyond`);

    and only when every month of the window has current facts of that view.
    Decided once per request and table (a page reads several breakdowns).
    """
    if window.unit != "month":
        return None
    if serves(viewer):
        key = ""
    elif getattr(viewer, "department", None) is not None:
        key = view_key(viewer.department_id)
    else:
        return None
    memo = g.setdefault("month_reads", {}) if has_request_context() else {}
    token = (model.__tablename__, key, getattr(viewer, "id", None), window.months)
    if token not in memo:
        stamps = month_stamps(model, window, model.view_key == key)
        memo[token] = (
            None
            if stamps is None or (key and sees_beyond(viewer, counted))
            else (key, min(stamps.values()))
        )
    return memo[token]


def _read(
    window: kpi.Window,
    kpis: tuple[kpi.Kpi, ...],
    breakdown: bool,
    view: int | None = None,
) -> kpi.Report | None:
    """The report of `window` from the facts of `view` (None: the company,
    else a department's view), or None when a period has none or they are
    out of date."""
    periods = window.periods
    codes = [k.code for k in kpis]
    stmt = select(
        KpiFact.month,
        KpiFact.kpi,
        KpiFact.department_id,
        KpiFact.user_id,
        KpiFact.numerator,
        KpiFact.denominator,
        KpiFact.computed_at,
    ).where(
        KpiFact.period == window.unit,
        KpiFact.month.in_([p.start for p in periods]),
        KpiFact.kpi.in_(codes),
        _of_view(view),
    )
    stmt = stmt.where(KpiFact.category_id.is_(None))
    if not breakdown:
        stmt = stmt.where(KpiFact.department_id.is_(None), KpiFact.user_id.is_(None))
    rows = db.session.execute(stmt).all()
    moment = now()
    company = {
        (r.month, r.kpi) for r in rows if r.department_id is None and r.user_id is None
    }
    oldest: dict[dt.date, dt.datetime] = {}
    for r in rows:
        if r.month not in oldest or r.computed_at < oldest[r.month]:
            oldest[r.month] = r.computed_at
    for period in periods:
        if any((period.start, code) not in company for code in codes):
            return None
        if not is_current(period, oldest[period.start], moment):
            return None
    report = kpi.Report(
        tuple(p.start for p in periods),
        kpis,
        {},
        kpi.load_targets(),
        kpi.user_departments(r.user_id for r in rows if r.user_id is not None),
        window.unit,
        computed_at=min(oldest.values()),
    )
    for r in rows:
        report.figures[(r.kpi, r.month, r.department_id, r.user_id)] = kpi.Figure(
            kpi.KPI_BY_CODE[r.kpi],
            r.month,
            r.department_id,
            r.user_id,
            int(r.numerator),
            int(r.denominator),
            report._target(r.kpi, r.department_id, r.user_id),
            window.unit,
        )
    return report


def serves(viewer: Any) -> bool:
    """Facts are the company's figures: only a viewer who sees every record
    may be shown them."""
    return bool(getattr(viewer, "is_system", False) or sees_all(viewer))


def compute(
    months: Sequence[dt.date],
    viewer: Any,
    kpis: Iterable[kpi.Kpi] = kpi.KPIS,
    unit: str = "month",
    breakdown: bool = True,
) -> kpi.Report:
    """kpi.compute as of now, from facts when they serve (see the module);
    `breakdown=False` when only the company figures are shown.

    A department clerk's months are their department view's facts when they
    see no record the KPIs count beyond that view (`sees_beyond`); else
    their scope is counted from the records.
    """
    kpis = tuple(kpis)
    window = kpi.Window(tuple(sorted(set(months))), unit)
    if serves(viewer):
        report = _read(window, kpis, breakdown)
        if report is not None:
            return report
    elif unit == "month" and getattr(viewer, "department", None) is not None:
        report = _read(window, kpis, breakdown, viewer.department_id)
        if report is not None and not sees_beyond(viewer, _models(kpis, window)):
            return report
    return kpi.compute(months, viewer, kpis, unit=unit)


def _models(kpis: Iterable[kpi.Kpi], window: kpi.Window) -> set[Any]:
    """The models whose records the KPIs count (each restricted by its rule)."""
    settings = kpi.load_settings()
    return {model for k in kpis for model, _ in k.sources(window, settings)}


def sees_beyond(clerk: Any, models: Iterable[Any]) -> bool:
    """Whether `clerk` sees a record of `models` beyond their department's
    view (one they created or own in another department, one of their
    customers' ...).

    A clerk who does not has exactly the view's records, so the view's facts
    are their figures (as of the facts' stamp). One who does is counted from
    the records: adding a live count of those records to the facts would
    count twice one that was in the view when the facts were counted and
    left it since, which a change to another record (its pickup, its case,
    a customer's other cases) can do without the record itself changing.

    Each model is counted, not asked for one row: for a LIMIT 1 PostgreSQL
    scans the table hoping for an early match (0.24 s over a million cases
    when there is none).
    """
    beyond = Beyond(personal_view(clerk), department_view(clerk.department))
    return any(
        db.session.scalar(
            select(func.count()).select_from(
                restrict(select(model.id), model, beyond).subquery()
            )
        )
        for model in sorted(models, key=lambda m: m.__tablename__)
    )


def compute_period(period: kpi.Period, viewer: Any) -> kpi.Report:
    """kpi.compute_period as of now, from facts when they serve."""
    return compute(period.months, viewer, unit=period.kind)
