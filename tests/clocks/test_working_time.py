"""WorkCalendar behaviour at its edges: validation, boundaries, precision, unknowns."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from app.services.clocks.working_time import (
    SHANGHAI,
    CalendarError,
    CalendarUnknownError,
    WorkCalendar,
)

LUNCH = [(time(8, 30), time(12)), (time(13), time(17, 30))]
WEEKDAYS = dict.fromkeys(range(5), LUNCH)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, us: int = 0):
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=SHANGHAI)


def make(overrides=None, known=(2026,), weekly=None) -> WorkCalendar:
    return WorkCalendar(WEEKDAYS if weekly is None else weekly, overrides, known=known)


@pytest.mark.parametrize(
    "windows",
    [
        [(time(9), time(12)), (time(11), time(14))],  # overlap
        [(time(13), time(17)), (time(8), time(12))],  # unsorted
        [(time(9), time(9))],  # empty
        [(time(17), time(9))],  # reversed
        [(time(9), time(12, tzinfo=UTC))],  # not a wall time
        [(time(9),)],  # not a pair
        [("09:00", "12:00")],  # not times
    ],
)
def test_invalid_windows_are_rejected(windows: list) -> None:
    with pytest.raises(ValueError):
        make(weekly={0: windows})
    with pytest.raises(ValueError):
        make(overrides={date(2026, 3, 2): windows})


def test_invalid_construction() -> None:
    with pytest.raises(ValueError, match="weekday"):
        make(weekly={7: LUNCH})
    with pytest.raises(ValueError, match="at least one"):
        make(known=())
    with pytest.raises(ValueError, match="integers"):
        make(known=("2026",))
    with pytest.raises(ValueError, match="dates"):
        make(overrides={at(2026, 3, 2): []})
    # 1988 had daylight saving time in China: local arithmetic would be wrong.
    with pytest.raises(ValueError, match="offset"):
        make(known=(1988,))


def test_touching_windows_are_allowed() -> None:
    cal = make(weekly={0: [(time(9), time(12)), (time(12), time(13))]})
    monday = at(2026, 3, 2, 11)
    assert cal.add_working(monday, 7200) == at(2026, 3, 2, 13)


def test_weekly_pattern_and_overrides() -> None:
    cal = make(
        overrides={
            date(2026, 3, 7): [(time(9), time(12))],  # a working Saturday
            date(2026, 3, 9): [],  # a Monday off
            date(2025, 3, 10): [],  # outside the known years: never used
        }
    )
    assert cal.known_years == frozenset({2026})
    assert cal.is_workday(date(2026, 3, 6))
    assert cal.windows_on(date(2026, 3, 6)) == LUNCH
    assert cal.is_workday(date(2026, 3, 7))
    assert cal.windows_on(date(2026, 3, 7)) == [(time(9), time(12))]
    assert not cal.is_workday(date(2026, 3, 8))
    assert not cal.is_workday(date(2026, 3, 9))
    assert cal.windows_on(date(2026, 3, 9)) == []
    with pytest.raises(CalendarUnknownError):
        cal.is_workday(date(2025, 3, 10))
    with pytest.raises(TypeError):
        cal.is_workday(at(2026, 3, 9))  # type: ignore[arg-type]


def test_is_working_time_includes_start_and_excludes_end() -> None:
    cal = make()
    assert not cal.is_working_time(at(2026, 3, 2, 8, 29, 59))
    assert cal.is_working_time(at(2026, 3, 2, 8, 30))
    assert cal.is_working_time(at(2026, 3, 2, 11, 59, 59, 999_999))
    assert not cal.is_working_time(at(2026, 3, 2, 12))
    assert cal.is_working_time(at(2026, 3, 2, 13))
    assert not cal.is_working_time(at(2026, 3, 2, 17, 30))
    assert not cal.is_working_time(at(2026, 3, 7, 10))
    # 02:00 UTC is 10:00 in Shanghai.
    assert cal.is_working_time(datetime(2026, 3, 2, 2, tzinfo=UTC))


def test_working_seconds_between() -> None:
    cal = make()
    monday = at(2026, 3, 2, 8)
    assert cal.working_seconds_between(monday, monday) == 0
    assert cal.working_seconds_between(monday, monday - timedelta(hours=1)) == 0
    # 08:30-12:00 and 13:00-17:30: 8 h a day, 5 days a week.
    assert cal.working_seconds_between(monday, at(2026, 3, 2, 20)) == 8 * 3600
    assert cal.working_seconds_between(monday, at(2026, 3, 9, 8)) == 40 * 3600
    assert cal.working_seconds_between(at(2026, 3, 2, 11), at(2026, 3, 2, 14)) == 7200
    # Sub-second parts are kept exactly and rounded down only at the end.
    a = at(2026, 3, 2, 9, 0, 0, 250_000)
    b = at(2026, 3, 2, 9, 0, 1, 0)
    assert cal.working_time_between(a, b) == timedelta(microseconds=750_000)
    assert cal.working_seconds_between(a, b) == 0


def test_add_working_basics() -> None:
    cal = make()
    start = datetime(2026, 3, 2, 2, tzinfo=UTC)  # Mon 10:00 in Shanghai
    zero = cal.add_working(start, 0)
    assert zero == start
    assert zero.tzinfo is SHANGHAI
    assert cal.add_working(start, 3600) == at(2026, 3, 2, 11)
    assert cal.add_working(start, timedelta(hours=2)) == at(2026, 3, 2, 12)
    assert cal.add_working(start, 2.5 * 3600) == at(2026, 3, 2, 13, 30)
    # Friday 17:00 + 1 h: 30 min Friday, weekend skipped, Monday 09:00.
    assert cal.add_working(at(2026, 3, 6, 17), 3600) == at(2026, 3, 9, 9)
    # Microseconds in the start are carried through.
    precise = at(2026, 3, 2, 10, 0, 0, 123_456)
    assert cal.add_working(precise, 3600) == at(2026, 3, 2, 11, 0, 0, 123_456)
    # Seconds in the amount are honoured.
    assert cal.add_working(start, 61) == at(2026, 3, 2, 10, 1, 1)
    with pytest.raises(ValueError, match="negative"):
        cal.add_working(start, -1)
    with pytest.raises(TypeError):
        cal.add_working(start, "1h")  # type: ignore[arg-type]


def test_naive_instants_are_rejected() -> None:
    cal = make()
    naive = datetime(2026, 3, 2, 10)
    with pytest.raises(ValueError, match="naive"):
        cal.add_working(naive, 60)
    with pytest.raises(ValueError, match="naive"):
        cal.is_working_time(naive)
    with pytest.raises(ValueError, match="naive"):
        cal.end_of_nth_working_day_after(naive, 1)


def test_end_of_nth_working_day_after() -> None:
    cal = make(overrides={date(2026, 3, 7): [(time(9), time(12))]})
    friday = at(2026, 3, 6, 23, 59)
    # The receipt day never counts; Saturday 03-07 is a working day ending 12:00.
    assert cal.end_of_nth_working_day_after(friday, 1) == at(2026, 3, 7, 12)
    assert cal.end_of_nth_working_day_after(friday, 2) == at(2026, 3, 9, 17, 30)
    # The local date decides: 16:30 UTC Friday is already Saturday in Shanghai.
    saturday = datetime(2026, 3, 6, 16, 30, tzinfo=UTC)
    assert cal.end_of_nth_working_day_after(saturday, 1) == at(2026, 3, 9, 17, 30)
    with pytest.raises(ValueError):
        cal.end_of_nth_working_day_after(friday, 0)


def test_windows_reaching_midnight() -> None:
    # time(0) as an end means 24:00: a 24-hour Monday and a night shift Tuesday.
    cal = make(weekly={0: [(time(0), time(0))], 1: [(time(22), time(0))]})
    assert cal.windows_on(date(2026, 3, 2)) == [(time(0), time(0))]
    assert cal.is_working_time(at(2026, 3, 2, 23, 59, 59))
    assert not cal.is_working_time(at(2026, 3, 3, 0))
    # Monday 23:00 + 2 h: one hour on Monday, then Tuesday 22:00-23:00.
    assert cal.add_working(at(2026, 3, 2, 23), 7200) == at(2026, 3, 3, 23)
    # Exactly used up at 24:00 on Tuesday = Wednesday 00:00.
    assert cal.add_working(at(2026, 3, 3, 22), 7200) == at(2026, 3, 4)
    assert cal.end_of_nth_working_day_after(at(2026, 3, 1, 12), 1) == at(2026, 3, 3)
    assert cal.working_seconds_between(at(2026, 3, 2), at(2026, 3, 4)) == 26 * 3600


def test_gaps_in_known_years() -> None:
    cal = make(known={2024, 2026})
    assert cal.known_years == frozenset({2024, 2026})
    late_2024 = at(2024, 12, 31, 16)
    with pytest.raises(CalendarUnknownError) as caught:
        cal.add_working(late_2024, 3 * 3600)
    assert caught.value.year == 2025
    with pytest.raises(CalendarUnknownError, match="2025"):
        cal.working_seconds_between(late_2024, at(2026, 1, 5))
    with pytest.raises(CalendarUnknownError, match="2025"):
        cal.end_of_nth_working_day_after(late_2024, 1)
    # Up to midnight ending 2024 only 2024 is needed.
    assert cal.working_seconds_between(late_2024, at(2025, 1, 1)) == 5400
    assert cal.add_working(late_2024, 5400) == at(2024, 12, 31, 17, 30)
    # Before and after the covered range.
    with pytest.raises(CalendarUnknownError, match="2023"):
        cal.is_working_time(at(2023, 6, 1, 10))
    with pytest.raises(CalendarUnknownError, match="2027"):
        cal.add_working(at(2026, 12, 31, 17), 3600)
    # Results depending only on known days never raise, 2026 included.
    assert cal.add_working(at(2026, 12, 31, 17), 1800) == at(2026, 12, 31, 17, 30)


def test_unknown_error_is_a_calendar_error_and_pickles() -> None:
    error = CalendarUnknownError(2027)
    assert isinstance(error, CalendarError)
    assert "2027" in str(error)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert copy.year == 2027


def test_odd_offset_zones_are_converted_exactly() -> None:
    cal = make()
    kathmandu = timezone(timedelta(hours=5, minutes=45))
    # 07:00+05:45 = 01:15Z = 09:15 in Shanghai; 1 h later is 10:15.
    start = datetime(2026, 3, 2, 7, tzinfo=kathmandu)
    assert cal.add_working(start, 3600) == at(2026, 3, 2, 10, 15)
