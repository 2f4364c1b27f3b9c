"""China's official holiday arrangements (放假调休) as WorkCalendar data.

`chinese_calendar` is the authority for the years it has published: it lists
every statutory day off and every make-up working day (调休补班) on a weekend.
`holidays` is used as an independent cross-check and, only on request, as a
provisional source for a year the State Council has not published yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import chinese_calendar
import holidays

from app.services.clocks.working_time import CalendarUnknownError, Window, WorkCalendar

__all__ = [
    "DEFAULT_WEEKLY",
    "LUNCH_BREAK_WEEKLY",
    "Disagreement",
    "OfficialDay",
    "SyncReport",
    "YearNotPublishedError",
    "arrangement_year",
    "build_china_calendar",
    "official_days",
    "published_years",
    "sync_year",
]

DayKind = Literal["holiday", "workday"]

# Seed 003: the customer-service department works 8:30-17:30 on weekdays.
DEFAULT_WEEKLY: Mapping[int, Sequence[Window]] = {
    weekday: ((dt.time(8, 30), dt.time(17, 30)),) for weekday in range(5)
}
LUNCH_BREAK_WEEKLY: Mapping[int, Sequence[Window]] = {
    weekday: ((dt.time(8, 30), dt.time(12, 0)), (dt.time(13, 0), dt.time(17, 30)))
    for weekday in range(5)
}

_CHINESE_NAMES = {
    holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday
}


class YearNotPublishedError(CalendarUnknownError):
    """The official arrangement for the year is not in the installed data yet."""

    def __str__(self) -> str:
        return (
            f"China's holiday arrangement for {self.year} is not published in "
            "chinese_calendar; upgrade it or ask for provisional data"
        )


@dataclass(frozen=True, slots=True)
class OfficialDay:
    """One day the official arrangement sets apart from the plain weekly pattern."""

    date: dt.date
    kind: DayKind
    name: str
    name_zh: str = ""


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A date on which the two libraries disagree about working or not."""

    date: dt.date
    chinese_calendar_working: bool
    holidays_working: bool
    holidays_name: str | None


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What a year's official days are, where they came from and how sure we are.

    `provisional` data comes from `holidays` for an unpublished year: its
    statutory holidays are computed from rules and make-up working days are
    only those that library already knows, which before publication is none.
    """

    year: int
    source: Literal["chinese_calendar", "holidays"]
    published: bool
    provisional: bool
    days: tuple[OfficialDay, ...]
    disagreements: tuple[Disagreement, ...]


def published_years() -> range:
    """Years chinese_calendar has data for.

    This is the same bound the library checks before it raises for a year
    it does not cover, so staying inside it keeps its queries safe.
    """
    data_years = [day.year for day in chinese_calendar.holidays]
    return range(min(data_years), max(data_years) + 1)


NEW_YEAR = "New Year's Day"


def arrangement_year(day: dt.date, name: str) -> int:
    """The year whose official arrangement a day belongs to.

    New Year's days off and make-up days in December (e.g. Saturday 29
    December 2018 worked for the 2019 New Year) belong to the next year's
    arrangement; every other day to its own year.
    """
    return day.year + 1 if day.month == 12 and name == NEW_YEAR else day.year


def _published_days(year: int) -> list[OfficialDay]:
    """Every day of the year plus every day of its arrangement, wherever it falls."""

    def wanted(day: dt.date, name: str) -> bool:
        return day.year == year or arrangement_year(day, name) == year

    days = [
        OfficialDay(day, "holiday", name, _CHINESE_NAMES.get(name, ""))
        for day, name in chinese_calendar.holidays.items()
        if wanted(day, name)
    ]
    days += [
        OfficialDay(day, "workday", name, _CHINESE_NAMES.get(name, ""))
        for day, name in chinese_calendar.workdays.items()
        if wanted(day, name)
    ]
    return sorted(days, key=lambda official: official.date)


def _provisional_days(year: int) -> list[OfficialDay]:
    english = holidays.country_holidays("CN", years=year, language="en_US")
    chinese = holidays.country_holidays("CN", years=year, language="zh_CN")
    days = [
        OfficialDay(day, "holiday", name, chinese.get(day, ""))
        for day, name in english.items()
    ]
    days += [
        OfficialDay(day, "workday", "Adjusted working day", "调休补班")
        for day in english.weekend_workdays
        if day.year == year
    ]
    return sorted(days, key=lambda official: official.date)


def official_days(year: int, *, provisional: bool = False) -> list[OfficialDay]:
    """The year's statutory days off and make-up working days, sorted by date.

    "holiday" days are every date of an official holiday period (weekend days
    inside it included); "workday" days are weekend days worked in exchange.
    The year's arrangement may begin in December of the year before (New
    Year); those days are included.
    Raises YearNotPublishedError for an unpublished year unless `provisional`.
    """
    if year in published_years():
        return _published_days(year)
    if provisional:
        return _provisional_days(year)
    raise YearNotPublishedError(year)


def _cross_check(year: int) -> list[Disagreement]:
    """Days of a published year on which `holidays` judges working time otherwise."""
    other = holidays.country_holidays("CN", years=year, language="en_US")
    disagreements = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        ours = chinese_calendar.is_workday(day)
        theirs = other.is_working_day(day)
        if ours != theirs:
            disagreements.append(Disagreement(day, ours, theirs, other.get(day)))
        day += dt.timedelta(days=1)
    return disagreements


def sync_year(year: int, *, provisional: bool = False) -> SyncReport:
    """Official days of the year plus a day-by-day cross-check against `holidays`.

    A provisional report has nothing to cross-check: `holidays` is its source.
    """
    days = official_days(year, provisional=provisional)
    published = year in published_years()
    return SyncReport(
        year=year,
        source="chinese_calendar" if published else "holidays",
        published=published,
        provisional=not published,
        days=tuple(days),
        disagreements=tuple(_cross_check(year)) if published else (),
    )


def build_china_calendar(
    years: Iterable[int],
    weekly: Mapping[int, Sequence[Window]] | None = None,
    *,
    provisional: bool = False,
) -> WorkCalendar:
    """WorkCalendar for the years: weekly windows plus China's official days.

    Holidays become days off; make-up working days get Monday's windows. With
    `provisional`, unpublished years use `holidays` data and count as known,
    so the caller accepts that their make-up days may be missing.
    """
    pattern = DEFAULT_WEEKLY if weekly is None else weekly
    makeup = pattern.get(0)
    if not makeup:
        raise ValueError("weekly needs Monday windows to use on make-up workdays")
    wanted = sorted(set(years))
    overrides: dict[dt.date, Sequence[Window]] = {}
    for year in wanted:
        for official in official_days(year, provisional=provisional):
            overrides[official.date] = () if official.kind == "holiday" else makeup
    return WorkCalendar(pattern, overrides, known=wanted)
