"""The business calendar from the database: weekly windows, dated overrides, years.

`current_calendar()` builds a `WorkCalendar` from the admin-edited tables and
caches it per process under a fingerprint of those tables, so a due date is
never computed on a stale calendar. `sync_year` loads China's official
arrangement for a year.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models import CalendarDay, CalendarYear, WorkWindow
from app.services.clocks.china_holidays import YearNotPublishedError
from app.services.clocks.china_holidays import sync_year as official
from app.services.clocks.working_time import WorkCalendar
from app.services.core.errors import InvalidInput
from app.services.reference.reference_rules import parse_hours

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_cache: dict[str, Any] = {"version": None, "calendar": None}


def _version() -> tuple[Any, ...]:
    """A fingerprint of the calendar tables: row counts and latest changes.

    Any insert, update or delete - through the screens, a command or plain
    SQL - changes it, so the cached calendar is never stale.
    """
    parts = []
    for model in (CalendarDay, CalendarYear, WorkWindow):
        parts += [
            select(func.count()).select_from(model).scalar_subquery(),
            select(func.max(model.changed_at)).scalar_subquery(),
        ]
    return tuple(db.session.execute(select(*parts)).one())


def build_calendar() -> WorkCalendar:
    """A WorkCalendar from the tables as they are now."""
    weekly: dict[int, list[tuple[dt.time, dt.time]]] = {d: [] for d in range(7)}
    for window in db.session.scalars(
        select(WorkWindow).order_by(WorkWindow.weekday, WorkWindow.start_time)
    ):
        weekly[window.weekday].append((window.start_time, window.end_time))
    overrides: dict[dt.date, list[tuple[dt.time, dt.time]]] = {}
    for day in db.session.scalars(select(CalendarDay)):
        if day.kind == "holiday":
            overrides[day.day] = []
        elif day.kind == "workday":
            overrides[day.day] = list(weekly.get(day.follows_weekday or 0, []))
        else:
            overrides[day.day] = parse_hours(day.hours)
    years = set(db.session.scalars(select(CalendarYear.year)))
    return WorkCalendar(weekly, overrides, known=years)


def current_calendar() -> WorkCalendar:
    """The cached calendar, rebuilt when an admin changed the calendar tables."""
    version = _version()
    with _lock:
        if _cache["version"] != version or _cache["calendar"] is None:
            _cache["calendar"] = build_calendar()
            _cache["version"] = version
        return _cache["calendar"]


@dataclass
class YearSync:
    """What `sync_year` did, for the command's report."""

    year: int
    status: str
    added: int = 0
    updated: int = 0
    kept_manual: list[dt.date] = field(default_factory=list)
    disagreements: list[Any] = field(default_factory=list)


def sync_year(year: int, provisional: bool = False) -> YearSync:
    """Load China's holidays and make-up days for a year; manual edits are kept.

    Raises InvalidInput when the year is not published and provisional data
    was not asked for (make-up days are unknown before publication).
    """
    try:
        report = official(year, provisional=provisional)
    except YearNotPublishedError:
        raise InvalidInput(
            _l(
                "China's holiday arrangement for %(year)s is not published in the "
                "installed calendar data. Update the chinesecalendar package, enter "
                "the days by hand, or sync with --provisional (statutory holidays "
                "only, make-up working days unknown).",
                year=year,
            )
        ) from None
    source = "holidays (provisional)" if report.provisional else "chinese-calendar"
    result = YearSync(
        year=year,
        status="provisional" if report.provisional else "published",
        disagreements=list(report.disagreements),
    )
    # The arrangement may start in December of the year before: every one of
    # its days is written, wherever it falls.
    first = min([d.date for d in report.days] + [dt.date(year, 1, 1)])
    existing = {
        d.day: d
        for d in db.session.scalars(
            select(CalendarDay).where(
                CalendarDay.day >= first,
                CalendarDay.day <= dt.date(year, 12, 31),
            )
        )
    }
    for official_day in report.days:
        row = existing.get(official_day.date)
        name = official_day.name_zh or official_day.name
        if row is None:
            db.session.add(
                CalendarDay(
                    day=official_day.date,
                    kind=official_day.kind,
                    name=name,
                    follows_weekday=0 if official_day.kind == "workday" else None,
                    source=source,
                )
            )
            result.added += 1
        elif row.source == "manual":
            result.kept_manual.append(row.day)
        elif row.kind != official_day.kind or row.name != name:
            row.kind, row.name, row.source = official_day.kind, name, source
            row.follows_weekday = 0 if official_day.kind == "workday" else None
            result.updated += 1
    year_row = db.session.execute(
        select(CalendarYear).where(CalendarYear.year == year)
    ).scalar_one_or_none()
    if year_row is None:
        db.session.add(CalendarYear(year=year, status=result.status, source=source))
    elif year_row.status != "manual":
        year_row.status, year_row.source = result.status, source
    db.session.commit()
    return result


def missing_years(cal: WorkCalendar, around: dt.date) -> list[int]:
    """Years from this one to next that the calendar does not know."""
    return [y for y in (around.year, around.year + 1) if y not in cal.known_years]
