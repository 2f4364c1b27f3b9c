"""Business calendar: working windows and working-time arithmetic for SLA deadlines.

Everything here is pure (no database, no Flask) so the deadline rules can be
tested exhaustively and reused by views, the API, jobs and the CLI alike.

Business time is Asia/Shanghai wall-clock time. Internally an instant is an
integer number of microseconds since local midnight of 1 January of the first
known year ("local microseconds"); this is exact because Asia/Shanghai keeps a
fixed UTC offset in every year a calendar may cover (checked on construction).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

__all__ = [
    "SHANGHAI",
    "CalendarError",
    "CalendarUnknownError",
    "Window",
    "WorkCalendar",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")

Window = tuple[time, time]

_DAY_US = 86_400_000_000
_ONE_US = timedelta(microseconds=1)
# Working amounts arrive as whole seconds from callers; timedeltas stay exact.
_SECOND_US = 1_000_000


class CalendarError(Exception):
    """Base of every business-calendar failure, so callers can catch them together."""


class CalendarUnknownError(CalendarError):
    """A computation needed a day of a year whose calendar data is not loaded."""

    def __init__(self, year: int) -> None:
        # args stays (year,) so the exception pickles and compares cleanly.
        super().__init__(year)
        self.year = year

    def __str__(self) -> str:
        return f"business calendar has no data for year {self.year}"


def _time_us(value: time) -> int:
    """Microseconds since midnight of a naive wall-clock time."""
    return (
        (value.hour * 60 + value.minute) * 60 + value.second
    ) * _SECOND_US + value.microsecond


def _us_time(us: int) -> time:
    """Inverse of _time_us; 24:00 maps back to time(0) as in the input convention."""
    us %= _DAY_US
    seconds, micro = divmod(us, _SECOND_US)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return time(hour, minute, second, micro)


def _parse_windows(
    windows: Sequence[Window], where: str
) -> tuple[tuple[int, int], ...]:
    """Validate one day's windows and turn them into (start_us, end_us) pairs.

    An end of time(0) or time.max means 24:00 so that a window can reach
    midnight; windows must be sorted and may touch but not overlap.
    """
    parsed: list[tuple[int, int]] = []
    previous_end = 0
    for window in windows:
        if len(window) != 2:
            raise ValueError(
                f"{where}: a window is a (start, end) pair, got {window!r}"
            )
        start, end = window
        if not isinstance(start, time) or not isinstance(end, time):
            raise ValueError(f"{where}: window bounds must be datetime.time values")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"{where}: window bounds are Asia/Shanghai wall times")
        start_us = _time_us(start)
        # time(0) or time.max (how the database holds 24:00) as an end: midnight.
        end_us = _DAY_US if end == time.max else _time_us(end) or _DAY_US
        if start_us >= end_us:
            raise ValueError(f"{where}: window {start}-{end} is empty or reversed")
        if start_us < previous_end:
            raise ValueError(f"{where}: windows must be sorted and must not overlap")
        parsed.append((start_us, end_us))
        previous_end = end_us
    return tuple(parsed)


def _worked_before(windows: tuple[tuple[int, int], ...], offset: int) -> int:
    """Working microseconds of one day that lie before `offset` (from midnight)."""
    done = 0
    for start, end in windows:
        if offset <= start:
            break
        if offset < end:
            return done + offset - start
        done += end - start
    return done


@cache
def _year_offset(year: int) -> timedelta | None:
    """The year's single Asia/Shanghai UTC offset, or None if it changes in-year."""
    midnight = datetime(year, 1, 1, tzinfo=SHANGHAI)
    offsets = {
        (midnight + timedelta(days=day, hours=hour)).utcoffset()
        for day in range(date(year, 12, 31).toordinal() - midnight.toordinal() + 1)
        for hour in (0, 12)
    }
    return offsets.pop() if len(offsets) == 1 else None


def _amount_us(amount: int | float | timedelta) -> int:
    """Normalise a working amount (seconds or timedelta) to microseconds."""
    if isinstance(amount, timedelta):
        us = amount // _ONE_US
    elif isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise TypeError("a working amount is a number of seconds or a timedelta")
    elif isinstance(amount, int):
        us = amount * _SECOND_US
    else:
        us = round(amount * _SECOND_US)
    if us < 0:
        raise ValueError("a working amount cannot be negative")
    return us


class WorkCalendar:
    """Working windows per day plus the years they are known for, with O(log n) math.

    Built from a weekly pattern (weekday 0=Monday .. 6=Sunday -> windows), per
    date overrides (an empty list is a day off, a non-empty list replaces the
    day's windows, e.g. a make-up Saturday) and the set of years whose data is
    complete. Every day of the covered range is precomputed once: the working
    time accumulated before it and the list of working days, so deadlines are
    found by bisection instead of walking day by day. Any computation that
    needs a day outside the known years raises CalendarUnknownError.
    """

    __slots__ = (
        "_close",
        "_cum",
        "_known",
        "_n",
        "_ord0",
        "_origin",
        "_unknown",
        "_windows",
        "_workdays",
    )

    def __init__(
        self,
        weekly: Mapping[int, Sequence[Window]],
        overrides: Mapping[date, Sequence[Window]] | None = None,
        *,
        known: Iterable[int],
    ) -> None:
        years: set[int] = set()
        for year in known:
            if isinstance(year, bool) or not isinstance(year, int):
                raise ValueError(f"known years must be integers, got {year!r}")
            # The covered range must stay inside what datetime can represent.
            if not 1 <= year <= 9998:
                raise ValueError(f"known year {year} is out of range")
            years.add(year)
        if not years:
            raise ValueError("a calendar needs at least one known year")
        self._known = frozenset(years)

        pattern: list[tuple[tuple[int, int], ...]] = [() for _ in range(7)]
        for weekday, windows in weekly.items():
            if isinstance(weekday, bool) or weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) .. 6, got {weekday!r}")
            pattern[weekday] = _parse_windows(windows, f"weekday {weekday}")

        first, last = min(years), max(years)
        self._ord0 = date(first, 1, 1).toordinal()
        self._n = date(last, 12, 31).toordinal() - self._ord0 + 1
        self._origin = datetime(first, 1, 1, tzinfo=SHANGHAI)
        self._check_fixed_offset(first, last)

        explicit: dict[int, tuple[tuple[int, int], ...]] = {}
        for day, windows in (overrides or {}).items():
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"override keys must be dates, got {day!r}")
            parsed = _parse_windows(windows, f"override {day}")
            # Overrides outside the known years cannot be used: those days raise.
            if day.year in years:
                explicit[day.toordinal() - self._ord0] = parsed

        day_windows: list[tuple[tuple[int, int], ...]] = []
        unknown: list[int] = []
        for year in range(first, last + 1):
            start = date(year, 1, 1).toordinal() - self._ord0
            stop = date(year, 12, 31).toordinal() - self._ord0 + 1
            if year not in years:
                unknown.extend(range(start, stop))
                day_windows.extend(() for _ in range(start, stop))
                continue
            for index in range(start, stop):
                found = explicit.get(index)
                if found is None:
                    found = pattern[(self._ord0 + index - 1) % 7]
                day_windows.append(found)

        cum = [0] * (self._n + 1)
        running = 0
        workdays: list[int] = []
        close = [0] * self._n
        for index, windows in enumerate(day_windows):
            cum[index] = running
            if windows:
                running += sum(end - start for start, end in windows)
                workdays.append(index)
                close[index] = windows[-1][1]
        cum[self._n] = running

        self._windows = day_windows
        self._cum = cum
        self._workdays = workdays
        self._close = close
        self._unknown = unknown

    def _check_fixed_offset(self, first: int, last: int) -> None:
        """Refuse ranges where Asia/Shanghai changed offset (DST ended in 1991)."""
        offsets = {_year_offset(year) for year in range(first, last + 1)}
        offsets.add(datetime(last + 1, 1, 1, tzinfo=SHANGHAI).utcoffset())
        if len(offsets) != 1 or None in offsets:
            raise ValueError(
                "Asia/Shanghai changes UTC offset inside the calendar range"
            )

    @property
    def known_years(self) -> frozenset[int]:
        """Years whose calendar data is complete."""
        return self._known

    def _local_us(self, instant: datetime) -> int:
        """Local microseconds of an aware instant (any time zone)."""
        if not isinstance(instant, datetime):
            raise TypeError(f"expected a datetime, got {type(instant).__name__}")
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("naive datetime: pass a timezone-aware instant")
        return (instant - self._origin) // _ONE_US

    def _instant(self, local_us: int) -> datetime:
        """Aware Asia/Shanghai datetime for local microseconds."""
        return self._origin + timedelta(microseconds=local_us)

    def _year_of_day(self, index: int) -> int:
        """Calendar year of a day index, also for indexes outside the range."""
        ordinal = self._ord0 + index
        if ordinal < 1:
            return 0
        if ordinal > date.max.toordinal():
            return date.max.year + 1
        return date.fromordinal(ordinal).year

    def _require(self, first: int, last: int) -> None:
        """Raise CalendarUnknownError for the earliest unknown day in [first, last]."""
        if first < 0:
            raise CalendarUnknownError(self._year_of_day(first))
        at = bisect_left(self._unknown, first)
        if at < len(self._unknown) and self._unknown[at] <= last:
            raise CalendarUnknownError(self._year_of_day(self._unknown[at]))
        if last >= self._n:
            raise CalendarUnknownError(self._year_of_day(max(first, self._n)))

    def _day_index(self, day: date) -> int:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError(f"expected a date, got {type(day).__name__}")
        index = day.toordinal() - self._ord0
        self._require(index, index)
        return index

    def is_workday(self, day: date) -> bool:
        """Whether the date has at least one working window."""
        return bool(self._windows[self._day_index(day)])

    def windows_on(self, day: date) -> list[Window]:
        """The date's working windows as wall-clock times (an end of 00:00 is 24:00)."""
        windows = self._windows[self._day_index(day)]
        return [(_us_time(start), _us_time(end)) for start, end in windows]

    def is_working_time(self, instant: datetime) -> bool:
        """Whether the instant lies inside a working window (window ends excluded)."""
        local = self._local_us(instant)
        index, offset = divmod(local, _DAY_US)
        self._require(index, index)
        return any(start <= offset < end for start, end in self._windows[index])

    def _worked_until(self, local: int) -> int:
        """Working microseconds in the covered range before `local` (days checked)."""
        index, offset = divmod(local, _DAY_US)
        if offset == 0:
            return self._cum[index]
        return self._cum[index] + _worked_before(self._windows[index], offset)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Exact working time in [start, end); zero when end <= start."""
        a = self._local_us(start)
        b = self._local_us(end)
        if b <= a:
            return timedelta(0)
        # The day holding b's last microsecond is the last one the answer needs.
        self._require(a // _DAY_US, (b - 1) // _DAY_US)
        return timedelta(microseconds=self._worked_until(b) - self._worked_until(a))

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        """Working time in [start, end) in whole seconds, rounded down."""
        return self.working_time_between(start, end) // timedelta(seconds=1)

    def add_working(
        self, start: datetime, seconds: int | float | timedelta
    ) -> datetime:
        """Earliest instant t >= start with `seconds` of working time in [start, t).

        A target reached exactly at a window's end returns that end (17:30, not
        the next morning); zero returns start itself.
        """
        amount = _amount_us(seconds)
        local = self._local_us(start)
        if amount == 0:
            return start.astimezone(SHANGHAI)
        index, offset = divmod(local, _DAY_US)
        self._require(index, index)
        goal = self._cum[index] + _worked_before(self._windows[index], offset) + amount
        # cum[day] < goal <= cum[day + 1]: the goal is reached inside `day`.
        day = bisect_left(self._cum, goal) - 1
        self._require(index, day)
        need = goal - self._cum[day]
        windows = self._windows[day]
        for window_start, window_end in windows[:-1]:
            length = window_end - window_start
            if need <= length:
                return self._instant(day * _DAY_US + window_start + need)
            need -= length
        # The goal lies within this day's total, so what is left fits the last one.
        return self._instant(day * _DAY_US + windows[-1][0] + need)

    def end_of_nth_working_day_after(self, start: datetime, n: int) -> datetime:
        """Close of the n-th working day strictly after start's local date.

        The receipt day never counts, as in legal deadlines, so only the days
        after it need to be known.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        index = self._local_us(start) // _DAY_US
        position = bisect_right(self._workdays, index) + n - 1
        if index < -1 or position >= len(self._workdays):
            # Either the days right after start precede the range or the n-th
            # working day lies past it: report the first day we cannot see.
            self._require(index + 1, self._n)
        day = self._workdays[position]
        self._require(index + 1, day)
        return self._instant(day * _DAY_US + self._close[day])
