"""Benchmark: SLA due-date computations per second on one core.

Run with `python bench/bench_due.py [count]`. Builds the China calendar for
2025-2026 with a lunch break, generates random (start, target, pauses) cases
of every kind, then times due_at alone (data generation excluded).
"""

from __future__ import annotations

import random
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.services.clocks.china_holidays import (
    LUNCH_BREAK_WEEKLY,
    build_china_calendar,
)
from app.services.clocks.service_targets import Target, due_at
from app.services.clocks.working_time import SHANGHAI

TARGET_RATE = 20_000
FIRST = datetime(2025, 1, 1, tzinfo=SHANGHAI)
# Starts end six weeks before the calendar does so every case has an answer.
SPAN_MINUTES = (
    int((datetime(2026, 11, 15, tzinfo=SHANGHAI) - FIRST).total_seconds()) // 60
)

Case = tuple[str, datetime, Target, list[tuple[datetime, datetime]]]


def make_cases(count: int, seed: int = 20260213) -> list[Case]:
    """Random cases across kinds; about a third carry one to three pauses."""
    rng = random.Random(seed)
    kinds = [
        ("working_hours", lambda: Target(rng.randint(1, 24), "working_hours")),
        ("working_days", lambda: Target(rng.randint(1, 15), "working_days")),
        ("calendar_hours", lambda: Target(rng.randint(1, 72), "calendar_hours")),
    ]
    cases: list[Case] = []
    for _ in range(count):
        name, make_target = rng.choice(kinds)
        start = FIRST + timedelta(
            minutes=rng.randrange(SPAN_MINUTES), seconds=rng.randrange(60)
        )
        if rng.random() < 0.25:
            start = start.astimezone(UTC)  # callers may hand over UTC instants
        pauses = []
        if rng.random() < 0.35:
            for _ in range(rng.randint(1, 3)):
                begin = start + timedelta(minutes=rng.randrange(-600, 10 * 1440))
                pauses.append(
                    (begin, begin + timedelta(minutes=rng.randrange(1, 3000)))
                )
        label = f"{name} {'with pauses' if pauses else 'no pauses'}"
        cases.append((label, start, make_target(), pauses))
    return cases


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    built = time.perf_counter()
    cal = build_china_calendar([2025, 2026], LUNCH_BREAK_WEEKLY)
    built = time.perf_counter() - built
    cases = make_cases(count)

    # Warm-up so one-off costs (imports, caches) do not count.
    for _, start, target, pauses in cases[:1000]:
        due_at(cal, start, target, pauses)

    began = time.perf_counter()
    for _, start, target, pauses in cases:
        due_at(cal, start, target, pauses)
    total = time.perf_counter() - began

    by_kind: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_kind[case[0]].append(case)

    rate = count / total
    print("bench_due: due_at on the China calendar 2025-2026 (lunch break)")
    print(f"  calendar build: {built * 1000:.1f} ms")
    for label in sorted(by_kind):
        group = by_kind[label]
        began = time.perf_counter()
        for _, start, target, pauses in group:
            due_at(cal, start, target, pauses)
        spent = time.perf_counter() - began
        print(f"  {label:<30} {len(group):>7} cases {len(group) / spent:>10,.0f}/s")
    verdict = "OK" if rate >= TARGET_RATE else "TOO SLOW"
    print(
        f"  {'all kinds, mixed order':<30} {count:>7} cases {rate:>10,.0f}/s"
        f"  (target >= {TARGET_RATE:,}/s: {verdict})"
    )


if __name__ == "__main__":
    main()
