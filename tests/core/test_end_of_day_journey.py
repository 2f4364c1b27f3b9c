"""An administrator, in Chromium, adds a Sunday evening shift ending at
midnight typed as 2400 (work windows may end at 24:00), and a day of custom
hours up to 24:00; the working time the deadlines count includes the hour up
to midnight, checked against a straightforward minute count written here.
The screens show no language menu (Chinese only) and the list rows' link to a
record reads 查看 (view), not 查询 (query)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.models import BUSINESS_TZ, CalendarDay, WorkWindow, now
from app.services.clocks.business_calendar import build_calendar
from app.services.reference.reference_rules import parse_hours
from tests.browser import screenshot_dir


def _minutes_worked(windows_of, start: dt.datetime, end: dt.datetime) -> int:
    """Count minute by minute: a minute counts when it starts inside a window
    of its day; `windows_of(day)` gives (start, end) minutes after midnight."""
    minutes, t = 0, start
    while t < end:
        here = t.hour * 60 + t.minute
        if any(a <= here < b for a, b in windows_of(t.date())):
            minutes += 1
        t += dt.timedelta(minutes=1)
    return minutes


def _quiet_sunday(db) -> dt.date:
    """A Sunday ahead with no calendar entry on it or the Monday after."""
    day = now().date() + dt.timedelta(days=14)
    day += dt.timedelta(days=(6 - day.weekday()) % 7)
    while db.session.scalar(
        select(CalendarDay.id).where(
            CalendarDay.day >= day, CalendarDay.day <= day + dt.timedelta(days=2)
        )
    ):
        day += dt.timedelta(days=7)
    return day


def test_a_window_ending_at_midnight_is_typed_saved_shown_and_counted(demo_db, person):
    db = demo_db
    db.session.query(WorkWindow).filter_by(weekday=6).delete()
    db.session.commit()
    sunday = _quiet_sunday(db)
    admin = person("admin")
    # Chinese only: no language menu (no flag, no "English").
    assert admin.page.locator(".navbar .flag").count() == 0
    assert "English" not in admin.text()

    admin.click("基础资料")
    admin.click("作息时间")
    admin.click("a[href*='/workwindowview/add']")
    admin.choose("weekday", "星期日")
    admin.type("start_time", "1800")
    admin.type("end_time", "2400")
    admin.click_button("保存")
    admin.expect_text("星期日", "18:00", "24:00")
    saved = db.session.scalars(select(WorkWindow).filter_by(weekday=6)).one()
    assert (saved.start_time, saved.end_time) == (dt.time(18), dt.time.max)
    admin.screenshot(screenshot_dir(), "work-window-until-midnight")
    # Opened again for editing, it still reads 24:00.
    admin.click("编辑")
    assert admin.field("end_time").input_value() == "24:00"
    # In the list, the row's link to the record says 查看.
    admin.click("基础资料")
    admin.click("作息时间")
    admin.expect_text("24:00")
    link = admin.page.locator(f"a[href*='/workwindowview/show/{saved.id}']").first
    # (Bootstrap's tooltip keeps the title as data-original-title.)
    tip = link.get_attribute("data-original-title") or link.get_attribute("title")
    assert tip == "查看记录"
    assert link.locator(".sr-only").inner_text() == "查看"

    # Working time counted up to midnight: Sunday 17:00 to Monday 10:00.
    db.session.expire_all()
    weekly = {}
    for window in db.session.scalars(select(WorkWindow)):
        end = (
            24 * 60
            if window.end_time == dt.time.max
            else (window.end_time.hour * 60 + window.end_time.minute)
        )
        weekly.setdefault(window.weekday, []).append(
            (window.start_time.hour * 60 + window.start_time.minute, end)
        )
    start = dt.datetime.combine(sunday, dt.time(17), BUSINESS_TZ)
    end = start + dt.timedelta(hours=17)
    expected = _minutes_worked(lambda d: weekly.get(d.weekday(), []), start, end)
    monday_morning = sum(
        max(0, min(b, 600) - a) for a, b in weekly.get(0, []) if a < 600
    )
    assert expected == 6 * 60 + monday_morning
    counted = build_calendar().working_time_between(start, end)
    assert counted == dt.timedelta(minutes=expected)


def test_custom_hours_up_to_24_00_count_the_last_minute(db):
    """A calendar day worked 20:00-24:00: four full hours, not 3 h 59 min."""
    assert parse_hours("08:30-12:00,20:00-24:00")[-1] == (dt.time(20), dt.time.max)
    day = dt.date(2026, 3, 18)  # a Wednesday, no holiday
    db.session.add(
        CalendarDay(day=day, kind="custom", hours="20:00-24:00", name="夜班")
    )
    db.session.commit()
    start = dt.datetime.combine(day, dt.time(19), BUSINESS_TZ)
    end = start + dt.timedelta(hours=6)
    expected = _minutes_worked(
        lambda d: [(20 * 60, 24 * 60)] if d == day else [], start, end
    )
    assert expected == 240
    assert build_calendar().working_time_between(start, end) == dt.timedelta(
        minutes=expected
    )
