"""Golden SLA deadlines on real 2026 dates, each checked by hand in a comment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.services.clocks.china_holidays import LUNCH_BREAK_WEEKLY, build_china_calendar
from app.services.clocks.service_targets import (
    Target,
    due_at,
    elapsed,
    merge_pauses,
    remaining,
    risk_at,
)
from app.services.clocks.working_time import SHANGHAI, CalendarUnknownError

# 2026 as published: Mon-Fri 08:30-17:30 plus the official days off and
# make-up working days (Jan 4, Feb 14, Feb 28, May 9, Sep 20, Oct 10).
CAL = build_china_calendar([2026])
LUNCH = build_china_calendar([2026], LUNCH_BREAK_WEEKLY)


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026):
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_general_complaint_seven_working_days_over_spring_festival() -> None:
    # Received Fri 02-13 (does not count). Sat 02-14 make-up = 1; 02-15..02-23
    # Spring Festival off; Tue 02-24 = 2, 02-25 = 3, 02-26 = 4, Fri 02-27 = 5;
    # Sat 02-28 make-up = 6; Mon 03-02 = 7 -> close 17:30.
    due = due_at(CAL, at(2, 13, 16), Target(7, "working_days"))
    assert due == at(3, 2, 17, 30)
    assert due.tzinfo is SHANGHAI


def test_general_complaint_response_is_24_calendar_hours() -> None:
    # "24 hours" are calendar hours: Fri 16:00 + 24 h = Sat 16:00.
    assert due_at(CAL, at(2, 13, 16), Target(24, "calendar_hours")) == at(2, 14, 16)


def test_complaint_spanning_national_day_week() -> None:
    # Received Tue 09-29. Wed 09-30 = 1; 10-01..10-07 off; Thu 10-08 = 2,
    # Fri 10-09 = 3, Sat 10-10 make-up = 4, Sun 10-11 off, Mon 10-12 = 5.
    assert due_at(CAL, at(9, 29, 10), Target(5, "working_days")) == at(10, 12, 17, 30)
    # Received Wed 09-30: 10-08 = 1, 10-09 = 2, 10-10 = 3, 10-12 = 4, 10-13 = 5,
    # 10-14 = 6, Thu 10-15 = 7.
    assert due_at(CAL, at(9, 30, 9), Target(7, "working_days")) == at(10, 15, 17, 30)


def test_sunday_make_up_day_before_mid_autumn_counts() -> None:
    # Received Fri 09-18: Sat 09-19 off, Sun 09-20 is a make-up working day.
    assert due_at(CAL, at(9, 18, 12), Target(1, "working_days")) == at(9, 20, 17, 30)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # 11:30-12:00 is 30 min, lunch 12:00-13:00 is off, 13:00-13:30 the rest.
        (at(3, 4, 11, 30), at(3, 4, 13, 30)),
        # Wed 17:00-17:30 is 30 min, Thu 08:30-09:00 the other 30 min.
        (at(3, 4, 17), at(3, 5, 9)),
        # Fri 02-13 17:00-17:30, then make-up Sat 02-14 08:30-09:00.
        (at(2, 13, 17), at(2, 14, 9)),
        # Fri 05-08 17:00-17:30, then make-up Sat 05-09 08:30-09:00.
        (at(5, 8, 17), at(5, 9, 9)),
        # Exactly reaching a window end stays there: 11:00 + 1 h = 12:00.
        (at(3, 4, 11), at(3, 4, 12)),
        # 16:30 + 1 h = 17:30 the same day, not next morning.
        (at(3, 4, 16, 30), at(3, 4, 17, 30)),
        # Received during lunch: the hour starts at 13:00.
        (at(3, 4, 12, 15), at(3, 4, 14)),
        # Received on Sunday: Mon 08:30 + 1 h.
        (at(3, 8, 15), at(3, 9, 9, 30)),
    ],
)
def test_one_working_hour_with_lunch_break(start: datetime, expected: datetime) -> None:
    assert due_at(LUNCH, start, Target(1, "working_hours")) == expected


def test_major_complaint_response_and_resolution() -> None:
    received = at(4, 30, 20)
    # Response: 12 calendar hours, holidays irrelevant: Fri 05-01 08:00.
    assert due_at(CAL, received, Target(12, "calendar_hours")) == at(5, 1, 8)
    # Resolution: 05-01..05-05 off; Wed 05-06 = 1, 05-07 = 2, 05-08 = 3,
    # Sat 05-09 make-up = 4, 05-11..05-15 = 5..9, 05-18..05-22 = 10..14,
    # Mon 05-25 = 15.
    assert due_at(CAL, received, Target(15, "working_days")) == at(5, 25, 17, 30)


def test_calendar_hours_across_midnight_and_weekend() -> None:
    friday_night = at(3, 6, 22)
    assert due_at(CAL, friday_night, Target(12, "calendar_hours")) == at(3, 7, 10)
    assert due_at(CAL, friday_night, Target(48, "calendar_hours")) == at(3, 8, 22)
    # Same instant given in UTC (14:00Z): output is Asia/Shanghai wall time.
    in_utc = friday_night.astimezone(UTC)
    due = due_at(None, in_utc, Target(12, "calendar_hours"))
    assert due == at(3, 7, 10)
    assert (due.hour, due.utcoffset()) == (10, timedelta(hours=8))


def test_calendar_hours_are_elapsed_time_across_input_zone_dst() -> None:
    # New York springs forward on 2026-03-08 02:00. Sat 12:00 EST is
    # 2026-03-08 01:00 in Shanghai; 24 real hours later is 03-09 01:00 there
    # (wall-clock arithmetic in New York would give 00:00, an hour short).
    new_york = datetime(2026, 3, 7, 12, tzinfo=ZoneInfo("America/New_York"))
    assert due_at(None, new_york, Target(24, "calendar_hours")) == at(3, 9, 1)


def test_working_hours_pause_over_lunch() -> None:
    start = at(3, 9, 10)
    # Unpaused: 10:00-12:00 (2 h) + 13:00-15:00 (2 h) = 15:00.
    assert due_at(LUNCH, start, Target(4, "working_hours")) == at(3, 9, 15)
    # Paused 11:30-13:30 hides 11:30-12:00 and 13:00-13:30 = 1 working hour.
    pause = [(at(3, 9, 11, 30), at(3, 9, 13, 30))]
    assert due_at(LUNCH, start, Target(4, "working_hours"), pause) == at(3, 9, 16)


def test_working_hours_pause_over_a_night() -> None:
    start = at(3, 9, 15)
    # Unpaused: Mon 15:00-17:30 (2.5 h) + Tue 08:30-10:00 (1.5 h) = Tue 10:00.
    assert due_at(LUNCH, start, Target(4, "working_hours")) == at(3, 10, 10)
    # Paused Mon 17:00 - Tue 09:00: running Mon 15:00-17:00 (2 h) and
    # Tue 09:00-11:00 (2 h) -> Tue 11:00.
    pause = [(at(3, 9, 17), at(3, 10, 9))]
    assert due_at(LUNCH, start, Target(4, "working_hours"), pause) == at(3, 10, 11)


def test_calendar_hours_pause() -> None:
    start = at(3, 9, 20)
    # 12 h: Tue 08:00; a 3.5 h pause Mon 22:00 - Tue 01:30 moves it to 11:30.
    pause = [(at(3, 9, 22), at(3, 10, 1, 30))]
    assert due_at(LUNCH, start, Target(12, "calendar_hours")) == at(3, 10, 8)
    assert due_at(LUNCH, start, Target(12, "calendar_hours"), pause) == at(
        3, 10, 11, 30
    )


def test_pause_at_or_after_the_due_does_not_move_it() -> None:
    start = at(3, 9, 15)  # due Tue 10:00 as above
    for pause in (
        (at(3, 10, 10), at(3, 10, 12)),  # begins exactly at the due
        (at(3, 11, 9), at(3, 12, 9)),  # a day later
    ):
        assert due_at(LUNCH, start, Target(4, "working_hours"), [pause]) == at(
            3, 10, 10
        )


def test_overlapping_unsorted_and_early_pauses_are_merged_and_clipped() -> None:
    start = at(3, 9, 10)
    pauses = [
        (at(3, 9, 11, 45), at(3, 9, 12, 30)),
        (at(3, 9, 11, 30), at(3, 9, 12)),
        # Began before the clock started: only 10:00-10:30 counts.
        (at(3, 9, 8), at(3, 9, 10, 30)),
    ]
    assert merge_pauses(pauses, start) == [
        (at(3, 9, 10), at(3, 9, 10, 30)),
        (at(3, 9, 11, 30), at(3, 9, 12, 30)),
    ]
    # Hidden working time: 10:00-10:30 and 11:30-12:00 = 1 h -> 16:00.
    assert due_at(LUNCH, start, Target(4, "working_hours"), pauses) == at(3, 9, 16)


def test_open_pause_is_given_now_as_its_end() -> None:
    start, now = at(3, 9, 10), at(3, 9, 14)
    # Paused since 11:00 and still waiting at 14:00: 11:00-12:00 and
    # 13:00-14:00 hidden (2 h), so at least until 17:00.
    pause = [(at(3, 9, 11), now)]
    assert due_at(LUNCH, start, Target(4, "working_hours"), pause) == at(3, 9, 17)
    with pytest.raises(ValueError, match="open pause"):
        due_at(LUNCH, start, Target(4, "working_hours"), [(at(3, 9, 11), None)])


def test_working_days_target_extended_by_working_time_of_pause() -> None:
    start = at(2, 13, 16)  # base due Mon 03-02 17:30 (first golden test)
    # Waiting for the customer Tue 02-24 10:00 - Wed 02-25 10:00 hides
    # 10:00-17:30 (7.5 h) + 08:30-10:00 (1.5 h) = 9 h = Tue 03-03 whole day.
    pause = [(at(2, 24, 10), at(2, 25, 10))]
    assert due_at(CAL, start, Target(7, "working_days"), pause) == at(3, 3, 17, 30)
    # A pause after the base due changes nothing.
    late = [(at(3, 2, 17, 30), at(3, 5))]
    assert due_at(CAL, start, Target(7, "working_days"), late) == at(3, 2, 17, 30)


def test_risk_remaining_and_elapsed_for_working_days() -> None:
    start, target = at(2, 13, 16), Target(7, "working_days")
    # Total running time: Fri 16:00-17:30 (1.5 h) + 7 days x 9 h = 64.5 h.
    # 80 % = 51.6 h: 1.5 (02-13) + 9 (02-14) + 36 (02-24..02-27) = 46.5 h,
    # then 5.1 h = 5 h 06 min into Sat 02-28 from 08:30 -> 13:36.
    assert risk_at(CAL, start, target, 0.8) == at(2, 28, 13, 36)
    assert risk_at(CAL, start, target, 1) == due_at(CAL, start, target)
    assert risk_at(CAL, start, target, 0) == start
    # At Tue 02-24 08:30, 10.5 h are used: 54 h left.
    assert remaining(CAL, at(2, 24, 8, 30), start, target) == 54 * 3600
    # Tue 03-03 09:30 is one working hour past the due.
    assert remaining(CAL, at(3, 3, 9, 30), start, target) == -3600
    assert elapsed(CAL, start, at(2, 24, 8, 30), "working_days") == 10.5 * 3600


def test_remaining_for_hour_targets_and_pauses() -> None:
    start = at(3, 9, 10)
    target = Target(4, "working_hours")
    pause = [(at(3, 9, 11, 30), at(3, 9, 13, 30))]
    # At 14:00: ran 10:00-11:30 and 13:30-14:00 = 2 h, 2 h left.
    assert elapsed(LUNCH, start, at(3, 9, 14), "working_hours", pause) == 7200
    assert remaining(LUNCH, at(3, 9, 14), start, target, pause) == 7200
    # Due 16:00; by 22:00 the clock ran on until 17:30: 1.5 h over.
    assert remaining(LUNCH, at(3, 9, 16), start, target, pause) == 0
    assert remaining(LUNCH, at(3, 9, 22), start, target, pause) == -5400
    # Started 13:30 without pause: due exactly at the 17:30 close. That night
    # no working time has passed since, so 0 is left rather than a negative
    # amount; Tue 09:00 is 30 working minutes over.
    assert remaining(LUNCH, at(3, 9, 22), at(3, 9, 13, 30), target) == 0
    assert remaining(LUNCH, at(3, 10, 9), at(3, 9, 13, 30), target) == -1800
    # Calendar clock: 12 h from 20:00, 3 h in at 23:00, a 30 min pause.
    cal_target = Target(12, "calendar_hours")
    cal_pause = [(at(3, 9, 21), at(3, 9, 21, 30))]
    assert remaining(None, at(3, 9, 23), at(3, 9, 20), cal_target, cal_pause) == (
        9.5 * 3600
    )
    # 80 % of 12 h = 9.6 h = 9 h 36 min, pushed 30 min by the pause.
    assert risk_at(None, at(3, 9, 20), cal_target, 0.8, cal_pause) == at(3, 10, 6, 6)


def test_unknown_year_raises_instead_of_guessing() -> None:
    # Dec 29, 30, 31 are working days 1..3; days 4..7 are in 2027, unknown.
    with pytest.raises(CalendarUnknownError) as caught:
        due_at(CAL, at(12, 28, 10), Target(7, "working_days"))
    assert caught.value.year == 2027
    with pytest.raises(CalendarUnknownError, match="2027"):
        due_at(CAL, at(12, 31, 16), Target(2, "working_hours"))
    # Still inside 2026: fine.
    assert due_at(CAL, at(12, 31, 16), Target(1, "working_hours")) == at(12, 31, 17)


def test_calendar_hours_never_need_the_calendar() -> None:
    start = at(12, 31, 20)
    expected = datetime(2027, 1, 1, 8, tzinfo=SHANGHAI)
    assert due_at(CAL, start, Target(12, "calendar_hours")) == expected
    assert due_at(None, start, Target(12, "calendar_hours")) == expected
    with pytest.raises(ValueError, match="WorkCalendar"):
        due_at(None, start, Target(1, "working_hours"))


def test_receipt_day_need_not_be_known() -> None:
    # Received 2025-12-31 (2025 unknown): 2026-01-01..03 off, Sun 01-04 is a
    # make-up working day -> 1 working day ends 2026-01-04 17:30.
    received = datetime(2025, 12, 31, 10, tzinfo=SHANGHAI)
    assert due_at(CAL, received, Target(1, "working_days")) == at(1, 4, 17, 30)
    # Received 2025-12-30: day 2025-12-31 would be needed.
    with pytest.raises(CalendarUnknownError) as caught:
        due_at(CAL, received - timedelta(days=1), Target(1, "working_days"))
    assert caught.value.year == 2025


@pytest.mark.parametrize(
    ("amount", "unit"),
    [(-1, "working_hours"), (0, "working_days"), (1, "hours"), (1.5, "working_hours")],
)
def test_invalid_targets(amount: object, unit: str) -> None:
    with pytest.raises(ValueError):
        Target(amount, unit)  # type: ignore[arg-type]


def test_invalid_inputs() -> None:
    start = at(3, 9, 10)
    with pytest.raises(ValueError, match="naive"):
        due_at(CAL, datetime(2026, 3, 9, 10), Target(1, "working_hours"))
    with pytest.raises(ValueError, match="ends before"):
        due_at(CAL, start, Target(1, "working_hours"), [(at(3, 9, 12), at(3, 9, 11))])
    with pytest.raises(ValueError, match="fraction"):
        risk_at(CAL, start, Target(1, "working_hours"), 1.2)
    with pytest.raises(ValueError, match="unit"):
        elapsed(CAL, start, at(3, 9, 12), "fortnights")
