"""SLA clocks: due instants, at-risk instants and time left for service targets.

Pure functions over a WorkCalendar so that the deadline check, views, the API
and the CLI all apply the same counting rules (see SPEC "Counting rules"):

* calendar hours/minutes run on wall-clock elapsed time;
* working hours/minutes run only inside the calendar's working windows;
* N working days end at the close of the N-th working day after the day of
  receipt (the receipt day does not count).

A clock may be paused (e.g. the resolution clock while waiting for the
customer). Pauses are (from, to) pairs of aware datetimes, in any order and
possibly overlapping; they are merged and clipped to the clock's start. A pause
that is still open has no end yet: pass the current time as its end, which
gives the earliest the due instant can be (it moves later while the pause
lasts). The clock runs only outside pauses; the due instant is the first
instant at which the running time reaches the target.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Literal, Protocol, get_args

from app.services.clocks.working_time import SHANGHAI, WorkCalendar

__all__ = [
    "UNITS",
    "Pause",
    "Target",
    "Unit",
    "due_at",
    "elapsed",
    "merge_pauses",
    "remaining",
    "risk_at",
]

Unit = Literal[
    "calendar_hours",
    "calendar_minutes",
    "working_hours",
    "working_minutes",
    "working_days",
]
UNITS: frozenset[str] = frozenset(get_args(Unit))

Pause = tuple[datetime, datetime]

_UNIT_LENGTH = {
    "calendar_hours": timedelta(hours=1),
    "calendar_minutes": timedelta(minutes=1),
    "working_hours": timedelta(hours=1),
    "working_minutes": timedelta(minutes=1),
}
_ONE_US = timedelta(microseconds=1)
_ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Target:
    """A service target such as "7 working days" or "12 calendar hours"."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise ValueError(f"target amount must be an integer, got {self.amount!r}")
        if self.unit not in UNITS:
            raise ValueError(f"unknown target unit {self.unit!r}")
        if self.amount < 0:
            raise ValueError("target amount cannot be negative")
        # "0 working days" has no meaning under the receipt-day rule.
        if self.unit == "working_days" and self.amount < 1:
            raise ValueError("a working_days target needs at least 1 day")


class _Clock(Protocol):
    def measure(self, start: datetime, end: datetime) -> timedelta: ...

    def extend(self, start: datetime, amount: timedelta) -> datetime: ...


class _WallClock:
    """Elapsed real time; arithmetic in UTC so DST zones in the input stay correct."""

    def measure(self, start: datetime, end: datetime) -> timedelta:
        return max(end - start, timedelta(0))

    def extend(self, start: datetime, amount: timedelta) -> datetime:
        return start.astimezone(UTC) + amount


class _WorkingClock:
    """Working time inside the calendar's windows."""

    def __init__(self, cal: WorkCalendar | None) -> None:
        self._cal = _need_calendar(cal)

    def measure(self, start: datetime, end: datetime) -> timedelta:
        return self._cal.working_time_between(start, end)

    def extend(self, start: datetime, amount: timedelta) -> datetime:
        return self._cal.add_working(start, amount)


_WALL_CLOCK = _WallClock()


def _need_calendar(cal: WorkCalendar | None) -> WorkCalendar:
    if cal is None:
        raise ValueError("a working-time target needs a WorkCalendar")
    return cal


def _clock_for(cal: WorkCalendar | None, unit: str) -> _Clock:
    if unit not in UNITS:
        raise ValueError(f"unknown target unit {unit!r}")
    if unit.startswith("calendar_"):
        return _WALL_CLOCK
    return _WorkingClock(cal)


def _require_aware(instant: datetime, what: str) -> None:
    if not isinstance(instant, datetime):
        raise TypeError(f"{what} must be a datetime")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} is naive: pass a timezone-aware datetime")


def merge_pauses(pauses: Iterable[Pause], start: datetime) -> list[Pause]:
    """Sorted, disjoint pauses clipped to begin no earlier than `start`.

    Overlapping or touching pauses are merged; pauses that end by `start` and
    empty ones are dropped. An open pause must be given `now` as its end.
    """
    _require_aware(start, "start")
    clipped: list[Pause] = []
    for pause in pauses:
        begin, end = pause
        _require_aware(begin, "pause start")
        if end is None:
            raise ValueError("an open pause needs an end: pass the current time")
        _require_aware(end, "pause end")
        if end < begin:
            raise ValueError(f"pause ends before it starts: {begin} > {end}")
        begin = max(begin, start)
        if end > begin:
            clipped.append((begin.astimezone(SHANGHAI), end.astimezone(SHANGHAI)))
    clipped.sort()
    merged: list[Pause] = []
    for begin, end in clipped:
        if merged and begin <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((begin, end))
    return merged


def _run(clock: _Clock, due: datetime, pauses: list[Pause]) -> datetime:
    """Push an unpaused due instant later by every pause that starts before it.

    Each pause that begins before the current due hides exactly its own measure
    of running time, so the due moves by that measure (running time is
    additive over adjacent intervals); a pause beginning at or after the due
    cannot affect it, nor can any later one since the pauses are sorted.
    """
    for begin, end in pauses:
        if begin >= due:
            break
        due = clock.extend(due, clock.measure(begin, end))
    return due.astimezone(SHANGHAI)


def _base_due(cal: WorkCalendar | None, start: datetime, target: Target) -> datetime:
    """Due instant of a working_days target before any pause."""
    return _need_calendar(cal).end_of_nth_working_day_after(start, target.amount)


def _total(cal: WorkCalendar | None, start: datetime, target: Target) -> timedelta:
    """Running time the target grants, in the clock's own measure.

    For working days this is the working time between start and the close of
    the N-th working day, which makes every clock a plain amount of time.
    """
    if target.unit == "working_days":
        base = _base_due(cal, start, target)
        return _need_calendar(cal).working_time_between(start, base)
    return target.amount * _UNIT_LENGTH[target.unit]


def due_at(
    cal: WorkCalendar | None,
    start: datetime,
    target: Target,
    pauses: Iterable[Pause] = (),
) -> datetime:
    """Instant (Asia/Shanghai) at which the target's running time is used up.

    Calendar-time targets never consult the calendar (cal may be None). For
    working_days targets the close of the N-th working day is extended by the
    working time of each pause that begins before the (moving) due instant.
    """
    _require_aware(start, "start")
    merged = merge_pauses(pauses, start)
    if target.unit == "working_days":
        clock: _Clock = _WorkingClock(cal)
        due = _base_due(cal, start, target)
    else:
        clock = _clock_for(cal, target.unit)
        due = clock.extend(start, target.amount * _UNIT_LENGTH[target.unit])
    return _run(clock, due, merged)


def _elapsed(
    clock: _Clock, start: datetime, end: datetime, merged: list[Pause]
) -> timedelta:
    if end <= start:
        return timedelta(0)
    used = clock.measure(start, end)
    for begin, pause_end in merged:
        if begin >= end:
            break
        used -= clock.measure(begin, min(pause_end, end))
    return used


def elapsed(
    cal: WorkCalendar | None,
    start: datetime,
    end: datetime,
    unit: str,
    pauses: Iterable[Pause] = (),
) -> int:
    """Running seconds (rounded down) in [start, end) in the unit's measure.

    Calendar units count wall-clock time; working units, working_days
    included, count working time; paused time never counts.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    clock = _clock_for(cal, unit)
    used = _elapsed(clock, start, end, merge_pauses(pauses, start))
    return used // _ONE_SECOND


def remaining(
    cal: WorkCalendar | None,
    now: datetime,
    start: datetime,
    target: Target,
    pauses: Iterable[Pause] = (),
) -> int:
    """Running seconds left at `now` in the target's own measure; negative if over.

    Rounded down, so the value is negative exactly when more running time than
    the target has been used. Between the due instant and the next running
    moment (e.g. a night after a working-hours due) it stays 0: use due_at for
    the breach decision and this for "time left" displays.
    """
    _require_aware(now, "now")
    _require_aware(start, "start")
    clock = _clock_for(cal, target.unit)
    used = _elapsed(clock, start, now, merge_pauses(pauses, start))
    return (_total(cal, start, target) - used) // _ONE_SECOND


def risk_at(
    cal: WorkCalendar | None,
    start: datetime,
    target: Target,
    fraction: float | Fraction,
    pauses: Iterable[Pause] = (),
) -> datetime:
    """Instant at which `fraction` (e.g. 0.8) of the target's running time is used.

    The running time is measured as for due_at; for working_days targets the
    total is the working time between start and the close of the N-th working
    day, so risk_at(..., 1) equals due_at(...). The share is rounded to the
    nearest microsecond.
    """
    if isinstance(fraction, bool) or not 0 <= fraction <= 1:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction!r}")
    _require_aware(start, "start")
    merged = merge_pauses(pauses, start)
    clock = _clock_for(cal, target.unit)
    total = _total(cal, start, target)
    share = timedelta(
        microseconds=round(Fraction(total // _ONE_US) * Fraction(fraction))
    )
    return _run(clock, clock.extend(start, share), merged)
