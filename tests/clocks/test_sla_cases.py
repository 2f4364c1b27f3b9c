"""Golden deadlines of the SLA table on real 2026 dates, through the case service.

Calendar: Mon-Fri 08:30-17:30 (seed 003) with China's 2026 arrangement loaded
by `flask calendar sync` (Spring Festival Feb 15-23 off, make-up Saturdays
Feb 14 and Feb 28; Labour Day May 1-5 off, make-up Saturday May 9; National
Day Oct 1-7 off, make-up Sunday Sep 20 and Saturday Oct 10).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete

from app.models import (
    BUSINESS_TZ,
    CalendarDay,
    CalendarYear,
    Notification,
    NotificationRecipient,
    WorkWindow,
)
from app.services.clocks import record_clocks
from app.services.clocks.business_calendar import sync_year
from tests.factories import CaseFactory, user


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BUSINESS_TZ)


GOLDEN = [
    # kind, severity, received, response due, resolution due
    # 1 working hour inside working time; an answered inquiry is resolved then.
    ("inquiry", "normal", "2026-03-03 10:00", "2026-03-03 11:00", "2026-03-03 11:00"),
    # Sunday 22:00 is outside working time: the 2-calendar-hour rule.
    ("inquiry", "normal", "2026-03-01 22:00", "2026-03-02 00:00", "2026-03-02 00:00"),
    ("inquiry", "complex", "2026-03-03 10:00", "2026-03-03 11:00", "2026-03-04 10:00"),
    # 3 working days after Tue Mar 3: Wed, Thu, Fri -> Fri 17:30.
    ("business", "routine", "2026-03-03 10:00", "2026-03-03 11:00", "2026-03-06 17:30"),
    # 7 working days: Mar 4, 5, 6, 9, 10, 11, 12.
    ("business", "special", "2026-03-03 10:00", "2026-03-03 11:00", "2026-03-12 17:30"),
    # SPEC example: Fri Feb 13 16:00; Feb 14 (make-up Sat) = 1, Feb 15-23 off,
    # Feb 24-27 = 2..5, Feb 28 (make-up Sat) = 6, Mon Mar 2 = 7.
    (
        "complaint",
        "general",
        "2026-02-13 16:00",
        "2026-02-14 16:00",
        "2026-03-02 17:30",
    ),
    # Major: 12 calendar hours; 15 working days after Apr 30 across Labour Day:
    # May 6, 7, 8, 9 (make-up Sat), 11-15, 18-22, 25 -> May 25.
    ("complaint", "major", "2026-04-30 15:00", "2026-05-01 03:00", "2026-05-25 17:30"),
    # National Day week: Oct 8, 9, 10 (make-up Sat), 12, 13, 14, 15.
    (
        "complaint",
        "general",
        "2026-09-30 10:00",
        "2026-10-01 10:00",
        "2026-10-15 17:30",
    ),
    (
        "aftersales",
        "urgent",
        "2026-10-03 10:00",
        "2026-10-03 12:00",
        "2026-10-04 10:00",
    ),
    (
        "aftersales",
        "normal",
        "2026-03-03 10:00",
        "2026-03-04 10:00",
        "2026-03-06 10:00",
    ),
    (
        "suggestion",
        "normal",
        "2026-03-03 10:00",
        "2026-03-04 10:00",
        "2026-03-12 17:30",
    ),
    ("incident", "urgent", "2026-03-03 10:00", "2026-03-03 12:00", "2026-03-04 10:00"),
]


@pytest.mark.parametrize(
    ("kind", "severity", "received", "response", "resolution"), GOLDEN
)
def test_seed_table_on_real_dates(db, kind, severity, received, response, resolution):
    case = CaseFactory(kind=kind, severity=severity, received_at=at(received))
    assert case.response_due_at == at(response)
    assert case.resolution_due_at == at(resolution)
    assert case.sla_policy.kind == kind
    # The same engine answers `flask sla due`.
    due = record_clocks.due_times(kind, severity, at(received))
    assert (due.response.due, due.resolution.due) == (at(response), at(resolution))


def test_lunch_break_is_not_working_time(db):
    db.session.execute(delete(WorkWindow))
    for weekday in range(5):
        db.session.add(
            WorkWindow(
                weekday=weekday, start_time=dt.time(8, 30), end_time=dt.time(12, 0)
            )
        )
        db.session.add(
            WorkWindow(
                weekday=weekday, start_time=dt.time(13, 0), end_time=dt.time(17, 30)
            )
        )
    db.session.commit()
    # 30 minutes before lunch + 30 after it.
    case = CaseFactory(
        kind="inquiry", severity="normal", received_at=at("2026-03-03 11:30")
    )
    assert case.response_due_at == at("2026-03-03 13:30")
    # Received during lunch: outside working time, so the 2-hour rule applies.
    lunch = CaseFactory(
        kind="inquiry", severity="normal", received_at=at("2026-03-03 12:15")
    )
    assert lunch.response_due_at == at("2026-03-03 14:15")


def test_pause_and_resume_adds_the_hold_back(db):
    case = CaseFactory(received_at=at("2026-03-03 10:00"))
    assert case.resolution_due_at == at("2026-03-12 17:30")
    record_clocks.pause(case, "等待客户提供单据", at=at("2026-03-04 10:00"))
    assert case.paused_since == at("2026-03-04 10:00")
    record_clocks.resume(case, at=at("2026-03-05 10:00"))
    db.session.commit()
    # Held Wed 10:00-17:30 (7.5 h) + Thu 08:30-10:00 (1.5 h) = 9 working hours,
    # one full day: due moves from Thu Mar 12 17:30 to Fri Mar 13 17:30.
    assert case.resolution_due_at == at("2026-03-13 17:30")
    assert case.paused_since is None
    assert [(p.started_at, p.ended_at) for p in case.pauses] == [
        (at("2026-03-04 10:00"), at("2026-03-05 10:00"))
    ]


def test_reopen_starts_a_new_resolution_target(db):
    case = CaseFactory(received_at=at("2026-03-03 10:00"))
    record_clocks.respond(case, at("2026-03-03 11:00"))
    record_clocks.resolve(case, at("2026-03-10 16:00"))
    assert case.resolved_at == at("2026-03-10 16:00")
    record_clocks.reopen(case, at("2026-03-16 09:00"))
    # 7 working days after Mon Mar 16: Mar 17-20, 23-25 -> Wed Mar 25 17:30.
    assert case.resolution_due_at == at("2026-03-25 17:30")
    assert case.resolution_cycle == 1
    assert case.resolution_state == "running"  # as of the reopening
    record_clocks.refresh_states(case)  # the deadline check, today
    assert case.resolution_state == "breached"


def test_a_breached_clock_stays_breached(db):
    case = CaseFactory(received_at=at("2026-03-03 10:00"))
    assert case.resolution_state == "breached"
    record_clocks.pause(case, "x", at=at("2026-03-20 10:00"))
    record_clocks.resume(case, at=at("2026-03-21 10:00"))
    assert case.resolution_state == "breached"
    record_clocks.resolve(case)
    assert case.resolution_state == "missed"


def test_missing_calendar_year_alerts_admins_and_gives_no_date(db):
    db.session.execute(
        delete(CalendarDay).where(CalendarDay.day >= dt.date(2026, 1, 1))
    )
    db.session.execute(delete(CalendarYear).where(CalendarYear.year >= 2026))
    db.session.commit()
    case = CaseFactory()  # received now, in 2026
    # 24 calendar hours need no calendar; 7 working days do.
    assert case.response_due_at is not None
    assert case.resolution_due_at is None
    assert case.resolution_state == "unknown"
    alert = (
        db.session.query(Notification)
        .filter_by(record_type="calendar", level="calendar_missing")
        .one()
    )
    assert alert.record_id == 2026
    recipients = {
        r.user_id
        for r in db.session.query(NotificationRecipient).filter_by(
            notification_id=alert.id
        )
    }
    assert user("admin").id in recipients
    assert user("cs").id not in recipients
    # A second case does not raise the alert again.
    CaseFactory()
    assert db.session.query(Notification).filter_by(record_type="calendar").count() == 1
    # Loading the year computes the waiting clocks (at its commit).
    sync_year(2026)
    db.session.refresh(case)
    assert case.resolution_due_at is not None
    assert case.resolution_state == "running"


def test_calendar_edit_changes_deadlines_immediately(db):
    before = CaseFactory(received_at=at("2026-03-03 10:00"))
    assert before.resolution_due_at == at("2026-03-12 17:30")
    db.session.add(CalendarDay(day=dt.date(2026, 3, 9), kind="holiday", name="停电"))
    db.session.commit()
    after = CaseFactory(received_at=at("2026-03-03 10:00"))
    assert after.resolution_due_at == at("2026-03-13 17:30")


def test_make_up_day_can_follow_another_weekday_and_custom_hours(db):
    db.session.add(
        CalendarDay(day=dt.date(2026, 3, 7), kind="custom", hours="09:00-12:00")
    )
    db.session.commit()
    # Fri Mar 6 17:00 + 1 working hour: 30 min Friday, 30 min on the custom
    # Saturday (from 09:00).
    case = CaseFactory(
        kind="inquiry", severity="normal", received_at=at("2026-03-06 17:00")
    )
    assert case.response_due_at == at("2026-03-07 09:30")


def test_sla_due_command(runner, db):
    result = runner.invoke(
        args=["sla", "due", "complaint", "general", "2026-02-13T16:00:00+08:00"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == [
        "response: 2026-02-14T16:00:00+08:00",
        "resolution: 2026-03-02T17:30:00+08:00",
    ]
    paused = runner.invoke(
        args=[
            "sla",
            "due",
            "complaint",
            "general",
            "2026-03-03T10:00",
            "--pause",
            "2026-03-04T10:00",
            "2026-03-05T10:00",
        ]
    )
    assert paused.output.splitlines()[-1] == "resolution: 2026-03-13T17:30:00+08:00"
    none = runner.invoke(args=["sla", "due", "pickup", "normal", "2026-03-03T10:00"])
    assert none.output.splitlines()[-2:] == [
        "response: 2026-03-03T12:00:00+08:00",
        "resolution: none",
    ]
    bad = runner.invoke(args=["sla", "due", "complaint", "urgent", "2026-03-03"])
    assert bad.exit_code != 0
    assert "severities" in bad.output


def test_sla_due_reports_unknown_instead_of_a_wrong_date(runner, db):
    result = runner.invoke(
        args=["sla", "due", "complaint", "major", "2026-12-20T10:00"]
    )
    assert result.exit_code == 2
    assert "resolution: unknown" in result.output
    assert "2027" in result.output


def test_a_policy_without_targets_means_no_deadlines(db):
    from app.models import SlaPolicy

    policy = (
        db.session.query(SlaPolicy)
        .filter_by(kind="suggestion", severity="normal")
        .one()
    )
    policy.response_amount = policy.response_unit = None
    policy.resolution_amount = policy.resolution_unit = None
    db.session.commit()
    case = CaseFactory(kind="suggestion", severity="normal")
    assert (case.response_state, case.resolution_state) == ("none", "none")
    assert case.response_due_at is None and case.resolution_due_at is None


def test_customer_type_policy_wins_over_the_generic_one(db):
    from app.models import CustomerType, SlaPolicy

    partner = db.session.query(CustomerType).filter_by(code="partner").one()
    db.session.add(
        SlaPolicy(
            kind="complaint",
            severity="general",
            customer_type=partner,
            name="合作伙伴一般投诉",
            response_amount=4,
            response_unit="calendar_hours",
            resolution_amount=3,
            resolution_unit="working_days",
        )
    )
    db.session.commit()
    from tests.factories import CustomerFactory

    case = CaseFactory(
        customer=CustomerFactory(customer_type=partner),
        received_at=at("2026-03-03 10:00"),
    )
    assert case.response_due_at == at("2026-03-03 14:00")
    assert case.resolution_due_at == at("2026-03-06 17:30")
    other = CaseFactory(received_at=at("2026-03-03 10:00"))
    assert other.response_due_at == at("2026-03-04 10:00")


def test_calendar_sync_command(runner, db):
    refused = runner.invoke(args=["calendar", "sync", "--year", "2027"])
    assert refused.exit_code == 1
    assert "2027" in refused.output
    again = runner.invoke(args=["calendar", "sync", "--year", "2026"])
    assert again.exit_code == 0, again.output
    assert "0 days added" in again.output
    provisional = runner.invoke(
        args=["calendar", "sync", "--year", "2027", "--provisional"]
    )
    assert provisional.exit_code == 0, provisional.output
    year = db.session.query(CalendarYear).filter_by(year=2027).one()
    assert year.status == "provisional"
    spring = db.session.query(CalendarDay).filter_by(day=dt.date(2027, 2, 8)).one()
    assert spring.kind == "holiday"


def test_calendar_sync_keeps_manual_edits(runner, db):
    day = db.session.query(CalendarDay).filter_by(day=dt.date(2026, 2, 14)).one()
    day.kind, day.source = "holiday", "manual"
    db.session.commit()
    result = runner.invoke(args=["calendar", "sync", "--year", "2026"])
    assert "1 manual edits kept" in result.output
    db.session.expire_all()
    assert (
        db.session.query(CalendarDay).filter_by(day=dt.date(2026, 2, 14)).one().kind
        == "holiday"
    )


def test_calendar_sync_writes_the_arrangement_wherever_it_falls(runner, db):
    # The 2024 New Year holiday began on Saturday 30 December 2023.
    result = runner.invoke(args=["calendar", "sync", "--year", "2024"])
    assert result.exit_code == 0, result.output
    days = {
        d.day: d.kind
        for d in db.session.query(CalendarDay).filter(
            CalendarDay.day.between(dt.date(2023, 12, 1), dt.date(2024, 1, 2))
        )
    }
    assert days == {
        dt.date(2023, 12, 30): "holiday",
        dt.date(2023, 12, 31): "holiday",
        dt.date(2024, 1, 1): "holiday",
    }
