"""The engine against a brute-force minute-by-minute oracle on random calendars.

The oracle shares no code with the engine: it marks every local minute of
mid-2023 to mid-2028 as working or not straight from the windows, then answers
each question by looking at minutes one at a time (whole days whose minutes it
has to look at anyway are counted with bytearray.count, which is the same
count done in C). A minute [m, m + 1) runs when it is a working minute (or any
minute for calendar clocks) and is not inside a pause.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta, timezone
from fractions import Fraction
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.clocks.china_holidays import LUNCH_BREAK_WEEKLY, build_china_calendar
from app.services.clocks.service_targets import (
    Target,
    due_at,
    elapsed,
    remaining,
    risk_at,
)
from app.services.clocks.working_time import (
    SHANGHAI,
    CalendarUnknownError,
    WorkCalendar,
)

# Pure computation: no database is touched, so the suite's PostgreSQL run
# (TEST_DATABASE_URL set) leaves it to the SQLite run instead of repeating it.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL", "").strip()),
    reason="database-independent oracle: checked in the SQLite run",
)

ORIGIN_DAY = date(2023, 7, 1)
ORIGIN = datetime(2023, 7, 1, tzinfo=SHANGHAI)
ORD0 = ORIGIN_DAY.toordinal()
N_DAYS = date(2028, 6, 30).toordinal() - ORD0 + 1
N_MIN = N_DAYS * 1440
MINUTE = timedelta(minutes=1)
US_PER_MIN = 60_000_000
YEARS = (2024, 2025, 2026, 2027)

ZONES = [
    SHANGHAI,
    UTC,
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/Berlin"),
    timezone(timedelta(hours=5, minutes=45)),
    timezone(timedelta(hours=-3, minutes=-30)),
]

MinuteWindows = list[tuple[int, int]]


class Unknown(Exception):
    """The oracle had to look at a minute of a day whose year is unknown."""

    def __init__(self, year: int) -> None:
        super().__init__(year)
        self.year = year


def minute_of(instant: datetime) -> int:
    minutes, rest = divmod(instant - ORIGIN, MINUTE)
    assert rest == timedelta(0), f"{instant} is not on a minute"
    return minutes


def instant_of(minute: int) -> datetime:
    return ORIGIN + minute * MINUTE


def year_of_minute(minute: int) -> int:
    return date.fromordinal(ORD0 + minute // 1440).year


class Oracle:
    """One flag per minute; every answer is a walk over those flags."""

    def __init__(
        self,
        weekly: dict[int, MinuteWindows],
        overrides: dict[date, MinuteWindows],
        known: set[int],
    ) -> None:
        self.flags = bytearray(N_MIN)
        self.known = bytearray(N_DAYS)
        for index in range(N_DAYS):
            day = date.fromordinal(ORD0 + index)
            if day.year not in known:
                continue
            self.known[index] = 1
            windows = overrides.get(day, weekly.get(day.weekday(), []))
            for start, end in windows:
                base = index * 1440
                self.flags[base + start : base + end] = b"\x01" * (end - start)

    def check_day(self, minute: int) -> None:
        """Looking at this minute needs its day's calendar."""
        if not self.known[minute // 1440]:
            raise Unknown(year_of_minute(minute))

    def is_working(self, minute: int) -> bool:
        self.check_day(minute)
        return bool(self.flags[minute])

    def running(self, pauses: list[tuple[int, int]], calendar: bool) -> bytearray:
        """Flags of the minutes in which a clock runs, pauses removed."""
        flags = bytearray(b"\x01") * N_MIN if calendar else bytearray(self.flags)
        for start, end in pauses:
            if end > start:
                flags[start:end] = bytes(end - start)
        return flags

    def count(self, flags: bytearray, a: int, b: int, check: bool = True) -> int:
        """Running minutes in [a, b); every day touched must be known."""
        if b <= a:
            return 0
        if check:
            for day in range(a // 1440, (b - 1) // 1440 + 1):
                self.check_day(day * 1440)
        return flags.count(1, a, b)

    def add(self, flags: bytearray, start: int, n: int, check: bool = True) -> int:
        """End of the n-th running minute at or after start (start when n == 0)."""
        if n == 0:
            return start
        minute, left = start, n
        while True:
            if check:
                self.check_day(minute)
            day_end = (minute // 1440 + 1) * 1440
            found = flags.count(1, minute, day_end)
            if found < left:
                left -= found
                minute = day_end
                continue
            while True:
                if flags[minute]:
                    left -= 1
                    if left == 0:
                        return minute + 1
                minute += 1

    def add_us(self, flags: bytearray, start: int, amount_us: int, check: bool) -> int:
        """Like add for an amount in microseconds; the answer is in microseconds."""
        whole, part = divmod(amount_us, US_PER_MIN)
        minute = self.add(flags, start, whole, check)
        if part == 0:
            return minute * US_PER_MIN
        while True:
            if check:
                self.check_day(minute)
            if flags[minute]:
                return minute * US_PER_MIN + part
            minute += 1

    def nth_day_close(self, start: int, n: int) -> int:
        """End of the last working minute of the n-th working day after start's day."""
        day, counted = start // 1440, 0
        while True:
            day += 1
            self.check_day(day * 1440)
            row = self.flags[day * 1440 : (day + 1) * 1440]
            if 1 in row:
                counted += 1
                if counted == n:
                    return day * 1440 + row.rindex(1) + 1


def _as_time(minute: int) -> time:
    return time(0) if minute == 1440 else time(minute // 60, minute % 60)


def to_windows(windows: MinuteWindows) -> list[tuple[time, time]]:
    return [(_as_time(a), _as_time(b)) for a, b in windows]


def build_engine(weekly, overrides, known) -> WorkCalendar:
    return WorkCalendar(
        {day: to_windows(w) for day, w in weekly.items()},
        {day: to_windows(w) for day, w in overrides.items()},
        known=known,
    )


# Strategies ------------------------------------------------------------------

PRESETS: list[MinuteWindows] = [
    [(510, 1050)],  # 08:30-17:30
    [(510, 720), (780, 1050)],  # lunch break
    [(0, 1440)],  # around the clock
    [(1320, 1440)],  # night shift up to midnight
    [(540, 720)],  # mornings only
]
boundary = st.one_of(st.integers(0, 1440), st.integers(0, 96).map(lambda q: q * 15))


@st.composite
def day_windows(draw) -> MinuteWindows:
    if draw(st.booleans()):
        return draw(st.sampled_from(PRESETS))
    count = draw(st.integers(0, 3))
    cuts = sorted(
        draw(st.lists(boundary, min_size=2 * count, max_size=2 * count, unique=True))
    )
    windows = [(cuts[2 * i], cuts[2 * i + 1]) for i in range(count)]
    if count >= 2 and draw(st.booleans()):
        # Let two windows touch: 12:00-13:00 then 13:00-... is legal.
        windows[1] = (windows[0][1], windows[1][1])
    return windows


weekend_windows = st.one_of(st.just([]), st.just([]), day_windows())


@st.composite
def scenario(draw, known_years=None, earliest: int = 0):
    """A random calendar with overrides clustered around a random anchor day."""
    weekly = {day: draw(day_windows()) for day in range(5)}
    weekly |= {day: draw(weekend_windows) for day in (5, 6)}
    anchor = draw(
        st.one_of(
            st.dates(date(2024, 1, 1), date(2027, 12, 31)),
            st.dates(date(2027, 12, 10), date(2027, 12, 31)),
            st.dates(date(2024, 12, 20), date(2025, 1, 10)),
        )
    )
    overrides = draw(
        st.dictionaries(
            st.integers(-10, 40).map(lambda k: anchor + timedelta(days=k)),
            st.one_of(st.just([]), day_windows()),
            max_size=12,
        )
    )
    known = set(YEARS) if known_years is None else draw(known_years)
    around = (anchor.toordinal() - ORD0) * 1440
    low = max(around - 2 * 1440, earliest)
    starts = draw(
        st.lists(st.integers(low, max(low, around + 6 * 1440)), min_size=1, max_size=4)
    )
    zone = draw(st.sampled_from(ZONES))
    return weekly, overrides, known, starts, zone


def engine(call, *args):
    """The engine's answer, or ("unknown", year) when it refuses."""
    try:
        return call(*args)
    except CalendarUnknownError as error:
        return ("unknown", error.year)


def oracle(call, *args):
    """The oracle's answer, or ("unknown", year) when it had to see an unknown day."""
    try:
        return call(*args)
    except Unknown as error:
        return ("unknown", error.year)


def oracle_add(orc: Oracle, start: int, minutes: int) -> datetime:
    return instant_of(orc.add(orc.flags, start, minutes))


def oracle_between(orc: Oracle, a: int, b: int) -> int:
    return 60 * orc.count(orc.flags, a, b)


def oracle_nth(orc: Oracle, start: int, n: int) -> datetime:
    return instant_of(orc.nth_day_close(start, n))


def check_add_between_nth(cal: WorkCalendar, orc: Oracle, start: int, zone, data):
    """Compare add_working, working_seconds_between, nth day and is_working_time."""
    start_dt = instant_of(start).astimezone(zone)
    minutes = data.draw(st.integers(0, 3000), label="working minutes")
    got = engine(cal.add_working, start_dt, minutes * 60)
    assert got == oracle(oracle_add, orc, start, minutes), (start_dt, minutes)
    if isinstance(got, datetime):
        assert got.tzinfo is SHANGHAI
    span = data.draw(st.integers(-60, 20_000), label="span minutes")
    end_dt = instant_of(start + span).astimezone(data.draw(st.sampled_from(ZONES)))
    got = engine(cal.working_seconds_between, start_dt, end_dt)
    assert got == oracle(oracle_between, orc, start, start + span), (start_dt, span)
    n = data.draw(st.integers(1, 10), label="n working days")
    got = engine(cal.end_of_nth_working_day_after, start_dt, n)
    assert got == oracle(oracle_nth, orc, start, n), (start_dt, n)
    got = engine(cal.is_working_time, start_dt)
    assert got == oracle(orc.is_working, start), start_dt


RANDOM_CASES = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(RANDOM_CASES, max_examples=1200)
@given(scenario(), st.data())
def test_working_time_queries_match_oracle(case, data) -> None:
    weekly, overrides, known, starts, zone = case
    cal = build_engine(weekly, overrides, known)
    orc = Oracle(weekly, overrides, known)
    for start in starts:
        check_add_between_nth(cal, orc, start, zone, data)


@settings(RANDOM_CASES, max_examples=500)
@given(
    scenario(
        known_years=st.sets(st.sampled_from(YEARS), min_size=1, max_size=3),
    ),
    st.data(),
)
def test_unknown_years_raise_exactly_when_needed(case, data) -> None:
    weekly, overrides, known, starts, zone = case
    cal = build_engine(weekly, overrides, known)
    orc = Oracle(weekly, overrides, known)
    for start in starts:
        check_add_between_nth(cal, orc, start, zone, data)


pause_list = st.lists(
    st.tuples(st.integers(-3000, 15_000), st.integers(0, 5000)), max_size=4
)
targets = st.one_of(
    st.builds(Target, st.integers(0, 3000), st.just("working_minutes")),
    st.builds(Target, st.integers(0, 40), st.just("working_hours")),
    st.builds(Target, st.integers(1, 10), st.just("working_days")),
    st.builds(Target, st.integers(0, 5000), st.just("calendar_minutes")),
    st.builds(Target, st.integers(0, 72), st.just("calendar_hours")),
)
fractions = st.sampled_from([0, 0.25, 0.5, 0.8, Fraction(2, 3), 1])
TARGET_MINUTES = {
    "working_hours": 60,
    "working_minutes": 1,
    "calendar_hours": 60,
    "calendar_minutes": 1,
}


class ClockOracle:
    """Brute-force SLA clock: the running minutes of one target with its pauses."""

    def __init__(self, orc: Oracle, start: int, target: Target, pauses) -> None:
        self.orc, self.start, self.target = orc, start, target
        self.calendar = target.unit.startswith("calendar_")
        self.check = not self.calendar
        self.flags = orc.running(pauses, self.calendar)

    def total(self) -> int:
        """Minutes the target grants (working_days: working minutes up to the close)."""
        if self.target.unit == "working_days":
            close = self.orc.nth_day_close(self.start, self.target.amount)
            return self.orc.count(self.orc.flags, self.start, close)
        return self.target.amount * TARGET_MINUTES[self.target.unit]

    def due(self) -> datetime:
        return instant_of(
            self.orc.add(self.flags, self.start, self.total(), self.check)
        )

    def risk(self, fraction) -> datetime:
        share = round(Fraction(self.total() * US_PER_MIN) * Fraction(fraction))
        reached = self.orc.add_us(self.flags, self.start, share, self.check)
        return ORIGIN + timedelta(microseconds=reached)

    def elapsed(self, now: int) -> int:
        return 60 * self.orc.count(self.flags, self.start, now, self.check)

    def remaining(self, now: int) -> int:
        return 60 * self.total() - self.elapsed(now)


@settings(RANDOM_CASES, max_examples=1300)
@given(scenario(earliest=(date(2024, 1, 1).toordinal() - ORD0) * 1440), st.data())
def test_sla_clock_with_pauses_matches_oracle(case, data) -> None:
    # Starts stay in known days: the oracle's working-days total needs the
    # receipt day, which the engine only reads when a pause begins on it.
    weekly, overrides, known, starts, zone = case
    cal = build_engine(weekly, overrides, known)
    orc = Oracle(weekly, overrides, known)
    for start in starts:
        start_dt = instant_of(start).astimezone(zone)
        target = data.draw(targets, label="target")
        raw = data.draw(pause_list, label="pauses")
        pauses = [(start + offset, start + offset + length) for offset, length in raw]
        pause_dts = [(instant_of(a).astimezone(zone), instant_of(b)) for a, b in pauses]
        clock = ClockOracle(orc, start, target, pauses)
        # Calendar clocks must not need the calendar at all.
        use = None if clock.calendar and data.draw(st.booleans()) else cal
        label = (start_dt, target, pauses)

        got = engine(due_at, use, start_dt, target, pause_dts)
        assert got == oracle(clock.due), label
        if not isinstance(got, datetime):
            continue
        assert got.tzinfo is SHANGHAI

        fraction = data.draw(fractions, label="fraction")
        got = engine(risk_at, use, start_dt, target, fraction, pause_dts)
        assert got == oracle(clock.risk, fraction), (*label, fraction)

        now = start + data.draw(st.integers(-60, 20_000), label="now")
        now_dt = instant_of(now)
        got = engine(elapsed, use, start_dt, now_dt, target.unit, pause_dts)
        assert got == oracle(clock.elapsed, now), (*label, now_dt)
        got = engine(remaining, use, now_dt, start_dt, target, pause_dts)
        assert got == oracle(clock.remaining, now), (*label, now_dt)


# Real data -------------------------------------------------------------------

CN_WEEKLY = {day: [(510, 720), (780, 1050)] for day in range(5)}


@cache
def china_pair() -> tuple[WorkCalendar, Oracle]:
    """The China calendar 2024-2026 and an oracle fed by chinese_calendar itself."""
    overrides: dict[date, MinuteWindows] = {}
    day = date(2024, 1, 1)
    while day.year <= 2026:
        # Day by day from the library's own verdict, not from our sync code.
        overrides[day] = CN_WEEKLY[0] if chinese_calendar.is_workday(day) else []
        day += timedelta(days=1)
    orc = Oracle(CN_WEEKLY, overrides, {2024, 2025, 2026})
    return build_china_calendar(range(2024, 2027), LUNCH_BREAK_WEEKLY), orc


@settings(RANDOM_CASES, max_examples=600)
@given(
    st.integers(
        (date(2024, 1, 1).toordinal() - ORD0) * 1440,
        (date(2026, 12, 31).toordinal() - ORD0) * 1440 + 1439,
    ),
    st.sampled_from(ZONES),
    st.data(),
)
def test_real_china_calendar_matches_oracle(start, zone, data) -> None:
    cal, orc = china_pair()
    check_add_between_nth(cal, orc, start, zone, data)
