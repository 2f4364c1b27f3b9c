"""China official days: 2026 as published, unpublished years, cross-check, builder."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from app.services.clocks.china_holidays import (
    LUNCH_BREAK_WEEKLY,
    Disagreement,
    YearNotPublishedError,
    build_china_calendar,
    official_days,
    published_years,
    sync_year,
)
from app.services.clocks.working_time import SHANGHAI, CalendarUnknownError

MAKE_UP_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


def _span(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def test_2026_make_up_working_days() -> None:
    days = official_days(2026)
    assert [d.date for d in days if d.kind == "workday"] == MAKE_UP_2026
    assert all(d.date.weekday() >= 5 for d in days if d.kind == "workday")


def test_2026_holiday_periods() -> None:
    holidays = {d.date: d for d in official_days(2026) if d.kind == "holiday"}
    assert _span(date(2026, 2, 15), date(2026, 2, 23)) <= holidays.keys()
    assert _span(date(2026, 10, 1), date(2026, 10, 7)) <= holidays.keys()
    assert _span(date(2026, 1, 1), date(2026, 1, 3)) <= holidays.keys()
    assert _span(date(2026, 5, 1), date(2026, 5, 5)) <= holidays.keys()
    assert date(2026, 2, 24) not in holidays
    assert date(2026, 10, 8) not in holidays
    spring = holidays[date(2026, 2, 17)]
    assert (spring.name, spring.name_zh) == ("Spring Festival", "春节")
    assert holidays[date(2026, 10, 1)].name_zh == "国庆节"
    dates = [d.date for d in official_days(2026)]
    assert dates == sorted(dates)
    assert {d.year for d in dates} == {2026}


def test_sync_report_for_a_published_year() -> None:
    report = sync_year(2026)
    assert report.source == "chinese_calendar"
    assert report.published
    assert not report.provisional
    assert list(report.days) == official_days(2026)
    # Both libraries agree on every day of 2026.
    assert report.disagreements == ()


def test_cross_check_reports_real_disagreements() -> None:
    # holidays treats Sat 2005-12-31 as a make-up working day, chinese_calendar
    # does not: the report names the date rather than silently picking one.
    assert Disagreement(date(2005, 12, 31), False, True, None) in (
        sync_year(2005).disagreements
    )


def test_unpublished_year_raises() -> None:
    # chinesecalendar 1.11.0 stops at 2026.
    assert 2026 in published_years()
    assert 2027 not in published_years()
    with pytest.raises(YearNotPublishedError) as caught:
        official_days(2027)
    assert caught.value.year == 2027
    assert isinstance(caught.value, CalendarUnknownError)
    with pytest.raises(YearNotPublishedError):
        sync_year(2027)
    with pytest.raises(YearNotPublishedError):
        build_china_calendar([2026, 2027])


def test_provisional_unpublished_year_is_flagged() -> None:
    report = sync_year(2027, provisional=True)
    assert report.source == "holidays"
    assert not report.published
    assert report.provisional
    holidays = {d.date for d in report.days if d.kind == "holiday"}
    assert date(2027, 1, 1) in holidays
    assert date(2027, 10, 1) in holidays
    assert {d.date.year for d in report.days} == {2027}
    assert official_days(2027, provisional=True) == list(report.days)
    # Published years ignore the flag: chinese_calendar stays the authority.
    assert official_days(2026, provisional=True) == official_days(2026)
    cal = build_china_calendar([2027], provisional=True)
    assert not cal.is_workday(date(2027, 10, 1))
    assert cal.is_workday(date(2027, 10, 8))


def test_build_china_calendar() -> None:
    cal = build_china_calendar([2025, 2026], LUNCH_BREAK_WEEKLY)
    assert cal.known_years == frozenset({2025, 2026})
    assert cal.windows_on(date(2026, 2, 14)) == list(LUNCH_BREAK_WEEKLY[0])
    assert cal.windows_on(date(2026, 2, 16)) == []
    assert cal.windows_on(date(2026, 3, 2)) == list(LUNCH_BREAK_WEEKLY[0])
    assert not cal.is_workday(date(2026, 3, 7))
    default = build_china_calendar([2026])
    assert default.windows_on(date(2026, 9, 20)) == [(time(8, 30), time(17, 30))]
    # 2025 National Day and Mid-autumn: Oct 1-8 off, Sat Oct 11 worked.
    received = datetime(2025, 9, 30, 10, tzinfo=SHANGHAI)
    assert cal.end_of_nth_working_day_after(received, 2) == datetime(
        2025, 10, 10, 17, 30, tzinfo=SHANGHAI
    )
    with pytest.raises(ValueError, match="Monday"):
        build_china_calendar([2026], {5: [(time(9), time(12))]})


def test_an_arrangement_starting_in_december_is_kept_whole() -> None:
    # The 2019 New Year: Sat 29 Dec 2018 worked, 30 Dec 2018 - 1 Jan 2019 off.
    days = {d.date: d.kind for d in official_days(2019)}
    assert days[date(2018, 12, 29)] == "workday"
    assert days[date(2018, 12, 30)] == days[date(2018, 12, 31)] == "holiday"
    assert days[date(2019, 1, 1)] == "holiday"
    assert not any(d < date(2018, 12, 1) for d in days)
    # 2023's own December days are still part of 2023 (by date).
    assert date(2023, 12, 30) in {d.date for d in official_days(2023)}
