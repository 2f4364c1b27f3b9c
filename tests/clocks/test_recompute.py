"""Open clocks follow the calendar, the policy and the case's classification.

A holiday and a make-up working day entered through the screen, the import
and `flask calendar sync` move every open clock they touch and no other; the
deadline check then raises nothing false, and alerts raised on a date that
no longer holds are kept as history, marked withdrawn.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from app.models import (
    BUSINESS_TZ,
    CalendarDay,
    Case,
    Notification,
    SlaPolicy,
)
from app.models.base import clock_at
from app.services.clocks import record_clocks
from app.services.clocks.deadline_check import check_deadlines
from app.services.imports import importer
from app.services.imports.template import template
from tests.factories import CaseFactory, user


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BUSINESS_TZ)


def _complaint(received: str) -> Case:
    return CaseFactory(kind="complaint", severity="general", received_at=at(received))


def _march_cases() -> dict[str, Case]:
    """Complaints (7 working days) around a holiday on Thu 12 March 2026 and a
    make-up working day on Sat 7 March."""
    cases = {
        # Mar 10, 11, 12, 13, 16, 17, 18 -> with the holiday: ... 19.
        "holiday": _complaint("2026-03-09 10:00"),
        # Mar 3, 4, 5, 6, 9, 10, 11 -> with the Saturday worked: ... 10.
        "make_up": _complaint("2026-03-02 10:00"),
        # Feb 25 .. Mar 4: before both days.
        "before": _complaint("2026-02-24 10:00"),
    }
    assert [c.resolution_due_at for c in cases.values()] == [
        at("2026-03-18 17:30"),
        at("2026-03-11 17:30"),
        at("2026-03-04 17:30"),
    ]
    return cases


def _assert_moved(db, cases: dict[str, Case]) -> None:
    db.session.expire_all()
    due = {k: db.session.get(Case, c.id).resolution_due_at for k, c in cases.items()}
    assert due == {
        "holiday": at("2026-03-19 17:30"),
        "make_up": at("2026-03-10 17:30"),
        "before": at("2026-03-04 17:30"),
    }


def test_days_imported_move_the_open_clocks(db):
    cases = _march_cases()
    book = template()
    for row in (
        ["2026-03-12", "休息日", None, None, "停电检修"],
        ["2026-03-07", "调休补班日", "周一", None, "补班"],
    ):
        book["工作日历"].append(row)
    path = importer.folder("imports") / "march.xlsx"
    book.save(path)
    outcome = importer.import_workbook(path, user("admin"))
    assert not outcome.problems, outcome.problems
    _assert_moved(db, cases)


def test_calendar_sync_moves_the_open_clocks(db, runner):
    # The official Labour Day holiday of May 5 and the make-up Saturday of
    # October 10 are missing when the cases are registered.
    db.session.execute(
        delete(CalendarDay).where(
            CalendarDay.day.in_((dt.date(2026, 5, 5), dt.date(2026, 10, 10)))
        )
    )
    db.session.commit()
    # Apr 29, 30, May 5, 6, 7, 8, 9 (make-up Sat) / Oct 12 .. 20.
    may = _complaint("2026-04-28 10:00")
    october = _complaint("2026-10-09 10:00")
    assert may.resolution_due_at == at("2026-05-09 17:30")
    assert october.resolution_due_at == at("2026-10-20 17:30")
    result = runner.invoke(args=["calendar", "sync", "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert "2 days added" in result.output
    assert "Open clocks recomputed: 2 changed" in result.output
    db.session.expire_all()
    assert db.session.get(Case, may.id).resolution_due_at == at("2026-05-11 17:30")
    assert db.session.get(Case, october.id).resolution_due_at == at("2026-10-19 17:30")


def _alerts(db, case: Case) -> list[tuple[str, bool]]:
    return sorted(
        (n.level, n.withdrawn_at is not None)
        for n in db.session.scalars(
            select(Notification).where(
                Notification.record_type == "case",
                Notification.record_id == case.id,
                Notification.clock == "resolution",
            )
        )
    )


def test_a_day_off_added_late_withdraws_the_breach_and_the_sweep_stays_quiet(db):
    case = _complaint("2026-03-03 10:00")
    assert case.resolution_due_at == at("2026-03-12 17:30")
    case.responded_at = at("2026-03-03 11:00")
    case.response_state = "met"
    db.session.commit()
    with clock_at(at("2026-03-12 18:00")):
        check_deadlines(at("2026-03-12 18:00"))
    db.session.refresh(case)
    assert case.resolution_state == "breached"
    assert case.escalation_level == 1
    assert _alerts(db, case) == [("breached", False), ("escalated", False)]

    # Next morning the admin enters the 12th as a day off (a typhoon).
    moment = at("2026-03-13 09:00")
    with clock_at(moment):
        db.session.add(
            CalendarDay(day=dt.date(2026, 3, 12), kind="holiday", name="台风")
        )
        db.session.commit()
        db.session.refresh(case)
        assert case.resolution_due_at == at("2026-03-13 17:30")
        assert record_clocks.time_left(case, "resolution", moment) == 8 * 3600 + 1800
        # Past 80 % of its time, but not breached.
        assert case.resolution_state == "at_risk"
        assert case.escalation_level == 0
        assert _alerts(db, case) == [("breached", True), ("escalated", True)]
        check_deadlines(moment)
        check_deadlines(moment)
    db.session.refresh(case)
    assert case.resolution_state == "at_risk"
    assert case.escalation_level == 0
    assert _alerts(db, case) == [
        ("at_risk", False),
        ("breached", True),
        ("escalated", True),
    ]
    # When the new date passes, the breach is raised again (once).
    with clock_at(at("2026-03-13 17:31")):
        check_deadlines(at("2026-03-13 17:31"))
        check_deadlines(at("2026-03-13 17:31"))
    assert _alerts(db, case) == [
        ("at_risk", False),
        ("breached", False),
        ("breached", True),
        ("escalated", False),
        ("escalated", True),
    ]


def test_a_make_up_day_added_late_brings_the_date_forward(db):
    case = _complaint("2026-03-02 10:00")
    with clock_at(at("2026-03-10 12:00")):
        db.session.add(
            CalendarDay(day=dt.date(2026, 3, 7), kind="workday", name="补班")
        )
        db.session.commit()
    db.session.refresh(case)
    assert case.resolution_due_at == at("2026-03-10 17:30")
    assert case.resolution_state == "at_risk"


def test_a_policy_edit_moves_its_open_cases_only(db):
    general = _complaint("2026-03-09 10:00")
    major = CaseFactory(
        kind="complaint", severity="major", received_at=at("2026-03-09 10:00")
    )
    closed = _complaint("2026-03-09 10:00")
    closed.status = "closed"
    db.session.commit()
    policy = db.session.scalars(
        select(SlaPolicy).where(
            SlaPolicy.kind == "complaint",
            SlaPolicy.severity == "general",
            SlaPolicy.customer_type_id.is_(None),
        )
    ).one()
    policy.resolution_amount = 8
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Case, general.id).resolution_due_at == at("2026-03-19 17:30")
    assert db.session.get(Case, closed.id).resolution_due_at == at("2026-03-18 17:30")
    assert db.session.get(Case, major.id).resolution_due_at == at("2026-03-30 17:30")


def test_reclassifying_one_case_recomputes_it(db):
    case = _complaint("2026-03-09 10:00")
    case.severity = "major"
    record_clocks.recompute_case(case)
    db.session.commit()
    # 12 calendar hours; 15 working days.
    assert case.response_due_at == at("2026-03-09 22:00")
    assert case.resolution_due_at == at("2026-03-30 17:30")


def test_days_entered_on_the_screen_move_the_open_clocks(demo_db, person):
    cases = _march_cases()
    admin = person("admin")
    for day, kind in (("2026-03-12", "休息日"), ("2026-03-07", "调休补班日")):
        admin.open("/calendardayview/add")
        admin.type("day", day)
        admin.choose("kind", kind)
        admin.type("name", "临时调整")
        admin.click_button("保存")
        admin.expect_text(day)
    _assert_moved(demo_db, cases)
