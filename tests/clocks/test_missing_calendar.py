"""Missing calendar data, handled in one place for every clock.

The part of a deadline that needs no calendar (12 calendar hours, 2 calendar
hours after a receipt known to be outside working time) is always given; the
rest is "unknown" and admins are alerted. `flask sla due` answers exactly what
a case registered with the same inputs gets, in years with and without data.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import delete, select

from app.models import (
    BUSINESS_TZ,
    CalendarDay,
    CalendarYear,
    Case,
    CaseCategory,
    Channel,
    Notification,
    NotificationRecipient,
)
from app.models.base import clock_at
from app.models.codes import KIND_SEVERITIES
from app.services.clocks import record_clocks
from tests.factories import CaseFactory, CustomerFactory, by_code, user

CASE_KINDS = [k for k in KIND_SEVERITIES if k != "pickup"]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BUSINESS_TZ)


def _calendar_alerts(db, year: int) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(
                Notification.record_type == "calendar",
                Notification.record_id == year,
            )
        )
    )


def test_inquiry_by_api_in_a_year_without_data_is_saved_and_dated_later(
    db, api, runner
):
    customer = CustomerFactory()
    moment = at("2027-01-04 10:00")  # a Monday; 2027 is not loaded
    with clock_at(moment):
        response = api("cs").post(
            "/api/v1/case/",
            json={
                "customer": customer.id,
                "kind": "inquiry",
                "severity": "normal",
                "category": by_code(CaseCategory, "other").id,
                "channel": by_code(Channel, "hotline").id,
                "title": "询问2027年回收价格",
                "description": "客户来电询问新年度的废纸回收价格",
            },
        )
        assert response.status_code == 201, response.get_json()
        case = db.session.get(Case, response.get_json()["id"])
        assert case.received_at == moment
        assert (case.response_state, case.response_due_at) == ("unknown", None)
        assert case.resolution_state == "unknown"
        (alert,) = _calendar_alerts(db, 2027)
        recipients = set(
            db.session.scalars(
                select(NotificationRecipient.user_id).where(
                    NotificationRecipient.notification_id == alert.id
                )
            )
        )
        assert user("admin").id in recipients
        assert user("cs").id not in recipients

        # The days are entered: the clock gets its date (1 working hour).
        synced = runner.invoke(
            args=["calendar", "sync", "--year", "2027", "--provisional"]
        )
        assert synced.exit_code == 0, synced.output
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.response_due_at == at("2027-01-04 11:00")
    assert (case.response_state, case.resolution_state) == ("running", "running")


def test_calendar_free_part_is_given_the_rest_unknown(db):
    with clock_at(at("2027-01-02 00:00")):
        # 12 calendar hours need no calendar; 15 working days reach into 2027.
        major = CaseFactory(
            kind="complaint", severity="major", received_at=at("2026-12-20 10:00")
        )
        # Received outside working time on a known day: 2 calendar hours,
        # though they end in the unknown year.
        late = CaseFactory(
            kind="inquiry", severity="normal", received_at=at("2026-12-31 23:00")
        )
    assert major.response_due_at == at("2026-12-20 22:00")
    assert major.response_state == "breached"  # as of 2 January
    assert (major.resolution_due_at, major.resolution_state) == (None, "unknown")
    assert late.response_due_at == at("2027-01-01 01:00")
    assert _calendar_alerts(db, 2027)


def _case_text(case: Case, clock: str) -> str:
    state = getattr(case, f"{clock}_state")
    if state == "unknown":
        return "unknown"
    due = getattr(case, f"{clock}_due_at")
    return due.isoformat() if due is not None else "none"


RECEIPTS_PER_PAIR = 200


def _receipts(rng: random.Random) -> list[dt.datetime]:
    """Random receipt times, to the minute, from 2024 to the end of 2027."""
    start = at("2024-01-01 00:00")
    span = int((at("2028-01-01 00:00") - start).total_seconds()) // 60
    return [
        start + dt.timedelta(minutes=rng.randrange(span))
        for _ in range(RECEIPTS_PER_PAIR)
    ]


def test_sla_due_equals_the_case_for_every_kind_and_severity(db, runner):
    """Every kind x severity, each on 200 random receipt times in 2024-2027
    (2025 and 2026 loaded; 2024 and 2027 without data): the command prints
    what the registration service gives a case with the same inputs.

    Both run in this process on one database: the command through Click's
    runner (one call per pair, given all 200 times), each case through
    `start_case` on an unsaved case.
    """
    rng = random.Random(11)
    pairs = [(k, s) for k in CASE_KINDS for s in KIND_SEVERITIES[k]]
    assert len(pairs) == 10
    unknown = 0
    for kind, severity in pairs:
        receipts = _receipts(rng)
        with clock_at(at("2026-11-29 12:00")):
            result = runner.invoke(
                args=["sla", "due", kind, severity, *(r.isoformat() for r in receipts)]
            )
            cases = []
            for received in receipts:
                case = Case(kind=kind, severity=severity, received_at=received)
                record_clocks.start_case(case)
                cases.append(case)
        expected = []
        years: dict[bool, set[int]] = {True: set(), False: set()}
        for received, case in zip(receipts, cases, strict=True):
            expected += [
                f"received: {received.isoformat()}",
                f"response: {_case_text(case, 'response')}",
                f"resolution: {_case_text(case, 'resolution')}",
            ]
            missing = "unknown" in (case.response_state, case.resolution_state)
            years[missing].add(received.year)
        lines = result.output.splitlines()
        assert lines[-len(expected) :] == expected, (kind, severity)
        missing_years = {
            int(line.split()[6].rstrip(";"))
            for line in lines[: -len(expected)]
            if line.startswith("The calendar has no data for")
        }
        assert result.exit_code == (2 if years[True] else 0), result.output
        assert bool(missing_years) == bool(years[True]), result.output
        unknown += sum(
            "unknown" in (c.response_state, c.resolution_state) for c in cases
        )
        # Each pair met the loaded years and the years without data.
        assert years[False] >= {2025, 2026}, (kind, severity, years)
        assert {2024, 2027} <= years[True] | years[False], (kind, severity, years)
    # Targets counted in calendar hours never need the calendar; the others
    # are unknown in the years without data.
    assert 0 < unknown < len(pairs) * RECEIPTS_PER_PAIR
    db.session.rollback()


def test_sla_due_for_one_receipt_prints_two_lines(db, runner):
    """One receipt time: just the response and resolution lines."""
    result = runner.invoke(
        args=["sla", "due", "complaint", "major", "2026-12-20T10:00"]
    )
    assert result.output.splitlines()[-2:] == [
        "response: 2026-12-20T22:00:00+08:00",
        "resolution: unknown",
    ]
    assert "received:" not in result.output
    assert result.exit_code == 2


def test_registration_by_screen_with_the_year_missing(demo_db, person):
    """The current year's calendar deleted: an inquiry typed in is saved with
    its response clock unknown, and admins are alerted."""
    year = dt.datetime.now(BUSINESS_TZ).year
    demo_db.session.execute(
        delete(CalendarDay).where(CalendarDay.day >= dt.date(year, 1, 1))
    )
    demo_db.session.execute(delete(CalendarYear).where(CalendarYear.year >= year))
    demo_db.session.commit()
    clerk = person("cs2")
    clerk.open("/cases/add")
    clerk.pick("customer", "华新", "杭州华新纸业有限公司")
    clerk.choose("kind", "咨询")
    clerk.choose("severity", "普通")
    clerk.pick("category", "价格", "价格")
    clerk.type("title", "询问明年废纸回收价格")
    clerk.type("description", "客户来电询问明年的废纸回收价格调整")
    clerk.click_button("保存")
    case = demo_db.session.query(Case).filter_by(title="询问明年废纸回收价格").one()
    clerk.expect_text(case.number)
    assert (case.response_state, case.response_due_at) == ("unknown", None)
    clerk.open(f"/cases/show/{case.id}")
    clerk.expect_text("未知（缺少工作日历）")
    assert _calendar_alerts(demo_db, year)
