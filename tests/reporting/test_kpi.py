"""KPI definitions against the hand-made October of tests/reporting/kpi_month.py.

Every expected figure is (numerator, denominator, value) with the arithmetic
in a comment; values are percentages (or the mean score) rounded half-up to
two places.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.models import CaseRound, KpiSnapshot
from app.services.reporting import kpi
from tests.reporting.kpi_month import AS_OF, OCTOBER, build_october

D = Decimal

# (numerator, denominator, value) for the company (everything: manager's view),
# as of AS_OF (Nov 20): what fell due in October.
COMPANY = {
    # complaint rounds due in October: C1 met, C2 round 0 missed, C3 met (due
    # Oct 1 05:00), C4 met, C5 met, C10 open overdue, O1 round 0 met, O1 round
    # 1 open overdue = 8; met 5 (C6 due in November, C7 unknown, H1 held, X1
    # and X2 cancelled before due): 5 / 8 = 62.50 %
    "complaint_timeliness": (5, 8, D("62.50")),
    # response deadlines in October: C1 C4 C5 C6 C10 Q1 O1 B1 X1 H1 met; C2
    # and A1 answered late, X2 cancelled after due unanswered, N1 unanswered
    # (overdue): 10 / 14 = 71.43 %  (C3 Sept., C7 unknown, O2 none, N2 Nov.)
    "response_timeliness": (10, 14, D("71.43")),
    # every booking due in October: P1 met, P2 late, P3 met, P6 never
    # confirmed, P8 cancelled after due: 2 / 5 = 40.00 %  (P4 Sept., P5 no
    # target, P7 cancelled before due)
    "pickup_response_timeliness": (2, 5, D("40.00")),
    # windows ending in October: P1 in time, P2 late, P3 not arrived: 1 / 3
    "arrival_on_time": (1, 3, D("33.33")),
    # O2 open past Oct 14, B1 met: 1 / 2
    "business_on_time": (1, 2, D("50.00")),
    # A1 round 0 met, round 1 late, round 2 met: 2 / 3
    "aftersales_on_time": (2, 3, D("66.67")),
    # case scores given in October, every round: C1 5, C2 2 and 4, C3 4, C5 3,
    # C7 4, A1 1, 2 and 5, O1 2 (sum 32, 10 scores) + visits F1 5, F2 4, F3 3
    # (sum 12): 44 / 13 = 3.3846 -> 3.38
    "satisfaction_mean": (44, 13, D("3.38")),
    # scores >= 4: C1, C2 (2nd), C3, C7, A1 (3rd), F1, F2 = 7 of 13 = 53.85 %
    "satisfaction_share": (7, 13, D("53.85")),
    # complaints received in October, not cancelled: C1 C2 C4 C5 C6 C7 C10 O1
    # N1 N2 H1 = 11; repeats: C2 (C1, and reopened), C6 (C5), C10 (C9 28 days
    # before), O1 (reopened), N1 (C3 29 days 23 h before), N2 (C5, C6) = 6.
    # Not: C4 (C8 34 days before), C7 (X2 was cancelled): 6 / 11 = 54.55 %
    "repeat_complaint_rate": (6, 11, D("54.55")),
    # first rounds ended in October: closed C1 C3 C4 C5 C7 Q1 B1 (7) and
    # reopened C2, A1, O1: 7 / 10 = 70.00 %
    "first_time_resolution": (7, 10, D("70.00")),
    # within 1 % of the weighed net: re-weighs W1 yes (exactly 1 %), W2 no
    # (1.0001 %), W3 yes; on site L1 yes (4 of 1004), L2 no (100 of 1000):
    # 3 / 5  (W4 September, W5 not checked)
    "weighing_accuracy": (3, 5, D("60.00")),
    # 11 complaints / 5 bookings (P1 P2 P3 P5 P6; P7 P8 cancelled, P4 Sept.)
    "complaint_rate_pickups": (11, 5, D("220.00")),
    # 11 complaints / 6 active customers (K1-K6 all had a case or a booking)
    "complaint_rate_customers": (11, 6, D("183.33")),
}

DEPARTMENTS = {
    "ops": {
        # C1 met, C2 r0 missed, C3 met, O1 r0 met, O1 r1 overdue: 3 / 5
        "complaint_timeliness": (3, 5, D("60.00")),
        # C1 met, C2 late, A1 late, O1 met, X1 met, X2 missed, N1 overdue,
        # H1 met: 4 / 8
        "response_timeliness": (4, 8, D("50.00")),
        "pickup_response_timeliness": (2, 5, D("40.00")),
        "arrival_on_time": (1, 3, D("33.33")),
        "business_on_time": (0, 0, None),
        "aftersales_on_time": (2, 3, D("66.67")),
        # C1 5, C2 2+4, C3 4, C7 4, A1 1+2+5, O1 2 (29 / 9) + F2 4 (pickup P1)
        "satisfaction_mean": (33, 10, D("3.30")),
        "satisfaction_share": (6, 10, D("60.00")),
        # C1, C2*, C7, O1*, N1*, H1
        "repeat_complaint_rate": (3, 6, D("50.00")),
        # C1, C3, C7 closed; C2, A1, O1 reopened
        "first_time_resolution": (3, 6, D("50.00")),
        # on-site lines L1 (within), L2 (outside)
        "weighing_accuracy": (1, 2, D("50.00")),
        # C1 C2 C7 O1 N1 H1 / the 5 bookings
        "complaint_rate_pickups": (6, 5, D("120.00")),
    },
    "warehouse": {
        "complaint_timeliness": (1, 1, D("100.00")),  # C4
        "response_timeliness": (1, 1, D("100.00")),  # C4
        "pickup_response_timeliness": (0, 0, None),
        "satisfaction_mean": (5, 1, D("5.00")),  # F1, the visit after C4
        "repeat_complaint_rate": (0, 1, D("0.00")),  # C4
        "first_time_resolution": (1, 1, D("100.00")),  # C4
        # re-weighs W1 W2 W3
        "weighing_accuracy": (2, 3, D("66.67")),
    },
    "cs": {
        "complaint_timeliness": (1, 2, D("50.00")),  # C5 met, C10 overdue
        "response_timeliness": (3, 3, D("100.00")),  # C5, C6, C10
        "business_on_time": (0, 1, D("0.00")),  # O2 overdue
        "satisfaction_mean": (6, 2, D("3.00")),  # C5 3 + F3 3
        "satisfaction_share": (0, 2, D("0.00")),
        "repeat_complaint_rate": (3, 4, D("75.00")),  # C5, C6*, C10*, N2*
        "first_time_resolution": (1, 1, D("100.00")),  # C5
    },
    "sales": {
        "complaint_timeliness": (0, 0, None),
        "response_timeliness": (2, 2, D("100.00")),  # Q1, B1
        "business_on_time": (1, 1, D("100.00")),  # B1
        "satisfaction_mean": (0, 0, None),
        "repeat_complaint_rate": (0, 0, None),
        "first_time_resolution": (2, 2, D("100.00")),  # Q1, B1
    },
}

STAFF = {
    "ops": {
        "complaint_timeliness": (2, 3, D("66.67")),  # C1, O1 r0 met, O1 r1
        # C1, A1 late, O1, X1, X2 missed, N1 overdue
        "response_timeliness": (3, 6, D("50.00")),
        # P3 met; P2 late, P6 never confirmed, P8 cancelled after due
        "pickup_response_timeliness": (1, 4, D("25.00")),
        "satisfaction_mean": (19, 6, D("3.17")),  # C1 5, C7 4, A1 1 2 5, O1 2
        "satisfaction_share": (3, 6, D("50.00")),
        "first_time_resolution": (2, 4, D("50.00")),  # C1, C7 | A1, O1
        "weighing_accuracy": (1, 2, D("50.00")),  # L1, L2 recorded by ops
    },
    "ops2": {
        "complaint_timeliness": (1, 2, D("50.00")),  # C2 r0 missed, C3 met
        "response_timeliness": (1, 2, D("50.00")),  # C2 late, H1
        "satisfaction_mean": (10, 3, D("3.33")),  # C2 2 and 4, C3 4
        "satisfaction_share": (2, 3, D("66.67")),
        "repeat_complaint_rate": (1, 2, D("50.00")),  # C2*, H1
        "first_time_resolution": (1, 2, D("50.00")),  # C3 | C2 reopened
        "weighing_accuracy": (1, 1, D("100.00")),  # W3, tare weighed by ops2
    },
    "warehouse": {
        "complaint_timeliness": (1, 1, D("100.00")),
        "satisfaction_mean": (5, 1, D("5.00")),  # F1
        "weighing_accuracy": (1, 2, D("50.00")),  # W1 within, W2 outside
    },
    "cs": {
        "complaint_timeliness": (1, 1, D("100.00")),  # C5
        "response_timeliness": (1, 1, D("100.00")),  # C5 (N2 due in November)
        "pickup_response_timeliness": (1, 1, D("100.00")),  # P1 (P7 cancelled)
        "satisfaction_mean": (7, 2, D("3.50")),  # C5 3 + F2 4 (P1's clerk)
        "satisfaction_share": (1, 2, D("50.00")),
        "repeat_complaint_rate": (1, 2, D("50.00")),  # C5, N2*
    },
    "cs2": {
        "complaint_timeliness": (0, 1, D("0.00")),  # C10 open past due
        "response_timeliness": (2, 2, D("100.00")),  # C6, C10 (O2 has no target)
        "business_on_time": (0, 1, D("0.00")),  # O2 open past due
        "satisfaction_mean": (3, 1, D("3.00")),  # F3
        "satisfaction_share": (0, 1, D("0.00")),
        "repeat_complaint_rate": (2, 2, D("100.00")),  # C6, C10
    },
    "sales": {
        "response_timeliness": (2, 2, D("100.00")),
        "first_time_resolution": (2, 2, D("100.00")),
    },
}


def _triple(figure: kpi.Figure) -> tuple[int, int, Decimal | None]:
    return (figure.numerator, figure.denominator, figure.value)


@pytest.fixture
def october(db):
    return build_october()


def test_company_department_and_staff_figures(october, users):
    report = kpi.compute([OCTOBER], users["manager"], as_of=AS_OF)
    for code, expected in COMPANY.items():
        assert _triple(report.figure(code, OCTOBER)) == expected, code
    for username, figures in DEPARTMENTS.items():
        department_id = users[username].department_id
        for code, expected in figures.items():
            got = _triple(report.figure(code, OCTOBER, department_id=department_id))
            assert got == expected, (username, code)
    for username, figures in STAFF.items():
        for code, expected in figures.items():
            got = _triple(report.figure(code, OCTOBER, user_id=users[username].id))
            assert got == expected, (username, code)


def test_targets_flag_figures_worse_than_target(october, users):
    report = kpi.compute([OCTOBER], users["manager"], as_of=AS_OF)
    # 80.00 < 95 (higher is better): flagged.
    assert report.figure("complaint_timeliness", OCTOBER).flagged
    # 50.00 > 5 (lower is better): flagged.
    repeat = report.figure("repeat_complaint_rate", OCTOBER)
    assert repeat.target.lower_is_better and repeat.flagged
    # Warehouse repeat rate 0.00 <= 5: not flagged; its timeliness 100 >= 95.
    warehouse = users["warehouse"].department_id
    assert not report.figure("repeat_complaint_rate", OCTOBER, warehouse).flagged
    assert not report.figure("complaint_timeliness", OCTOBER, warehouse).flagged
    # The mean score has no target and is never flagged.
    assert report.figure("satisfaction_mean", OCTOBER).target is None


def test_department_target_overrides_company_target(october, users, db):
    from app.models import KpiTarget

    ops = users["ops"].department_id
    db.session.add(
        KpiTarget(kpi="complaint_timeliness", department_id=ops, target_percent=D("60"))
    )
    db.session.commit()
    report = kpi.compute([OCTOBER], users["manager"], as_of=AS_OF)
    # Operations: 66.67 >= its own 60 -> fine; company still against 95.
    assert not report.figure("complaint_timeliness", OCTOBER, ops).flagged
    assert report.figure("complaint_timeliness", OCTOBER).flagged
    # ops2 works in Operations: their 50.00 < 60 is flagged against 60.
    staff = report.figure("complaint_timeliness", OCTOBER, user_id=users["ops2"].id)
    assert staff.target.percent == D("60") and staff.flagged


def test_a_clerk_sees_figures_over_their_scope_only(october, users):
    report = kpi.compute([OCTOBER], users["ops2"], as_of=AS_OF)
    # Cases and pickups of Operations only: the Operations figures.
    for code in (
        "complaint_timeliness",
        "response_timeliness",
        "pickup_response_timeliness",
        "arrival_on_time",
        "aftersales_on_time",
        "repeat_complaint_rate",
        "first_time_resolution",
        "complaint_rate_pickups",
    ):
        assert _triple(report.figure(code, OCTOBER)) == DEPARTMENTS["ops"][code], code
    # Visits belong to Customer service: ops2 sees only the case scores
    # C1 5, C2 2 and 4, C3 4, C7 4, A1 1, 2 and 5, O1 2 = 29 / 9; >= 4: 5 of 9.
    assert _triple(report.figure("satisfaction_mean", OCTOBER)) == (29, 9, D("3.22"))
    assert _triple(report.figure("satisfaction_share", OCTOBER)) == (5, 9, D("55.56"))
    # Weigh tickets are the warehouse's: only the on-site lines of the pickups.
    assert _triple(report.figure("weighing_accuracy", OCTOBER)) == (1, 2, D("50.00"))
    assert users["warehouse"].department_id not in report.departments(OCTOBER)


def test_tolerance_and_repeat_window_are_settings(october, users, db):
    from app.models import Setting

    db.session.query(Setting).filter_by(key="weighing.tolerance_percent").update(
        {"value": "0.4"}
    )
    db.session.query(Setting).filter_by(key="repeat_complaint.days").update(
        {"value": "40"}
    )
    db.session.commit()
    report = kpi.compute([OCTOBER], users["manager"], as_of=AS_OF)
    # 0.4 %: W1 (1 %), W2, W3 (0.5 %) and L2 out; L1 (4 of 1004 = 0.398 %) in.
    assert _triple(report.figure("weighing_accuracy", OCTOBER)) == (1, 5, D("20.00"))
    # 40 days: C4 now repeats C8 (34 days before): 7 / 11.
    assert _triple(report.figure("repeat_complaint_rate", OCTOBER)) == (
        7,
        11,
        D("63.64"),
    )


def test_records_behind_a_figure_include_the_open_overdue(october, users):
    manager = users["manager"]
    timeliness = kpi.get_kpi("complaint_timeliness")
    everything = kpi.records(timeliness, OCTOBER, manager, as_of=AS_OF)
    by_case = sorted(
        ((r.record_id, r.state) for r in everything), key=lambda x: (x[0], x[1])
    )
    assert by_case == sorted(
        [
            (october["C1"].id, "met"),
            (october["C2"].id, "missed"),  # its first round, before the reopen
            (october["C3"].id, "met"),
            (october["C4"].id, "met"),
            (october["C5"].id, "met"),
            (october["C10"].id, "overdue"),
            (october["O1"].id, "met"),  # first round
            (october["O1"].id, "overdue"),  # second round, still open
        ]
    )
    met = kpi.records(
        timeliness,
        OCTOBER,
        manager,
        department_id=users["ops"].department_id,
        part="numerator",
        as_of=AS_OF,
    )
    assert sorted(r.record_id for r in met) == sorted(
        october[k].id for k in ("C1", "C3", "O1")
    )
    bookings = kpi.records(
        kpi.get_kpi("pickup_response_timeliness"),
        OCTOBER,
        manager,
        part="denominator",
        as_of=AS_OF,
    )
    assert {(r.record_id, r.state) for r in bookings} == {
        (october["P1"].id, "met"),
        (october["P2"].id, "missed"),
        (october["P3"].id, "met"),
        (october["P6"].id, "overdue"),  # never confirmed
        (october["P8"].id, "missed"),  # cancelled after its deadline
    }
    scores = kpi.records(
        kpi.get_kpi("satisfaction_mean"),
        OCTOBER,
        manager,
        user_id=users["cs"].id,
        as_of=AS_OF,
    )
    assert {(r.record_type, r.record_id, r.counted) for r in scores} == {
        ("case", october["C5"].id, 3),
        ("followup", october["F2"].id, 4),
    }
    # Complaint rate: complaints count in the numerator, bookings in the
    # denominator only.
    rate = kpi.records(
        kpi.get_kpi("complaint_rate_pickups"), OCTOBER, manager, as_of=AS_OF
    )
    assert sum(r.counted for r in rate) == 11 and sum(r.share for r in rate) == 5
    # A clerk's drill-down stays in scope.
    lines = kpi.records(
        kpi.get_kpi("weighing_accuracy"), OCTOBER, users["ops2"], as_of=AS_OF
    )
    assert {r.record_type for r in lines} == {"pickup_line"}


def test_trend_buckets_months_in_business_time(october, users):
    september = kpi.add_months(OCTOBER, -1)
    november = kpi.add_months(OCTOBER, 1)
    report = kpi.compute([september, OCTOBER, november], users["manager"], as_of=AS_OF)
    # September: C8, C9 (C3 falls due at 05:00 on Oct 1 in Shanghai).
    assert _triple(report.figure("complaint_timeliness", september)) == (
        2,
        2,
        D("100.00"),
    )
    assert (
        _triple(report.figure("complaint_timeliness", OCTOBER))
        == COMPANY["complaint_timeliness"]
    )
    # November: C2's second round met, C6 (due 07:00 on Nov 1 in Shanghai, Oct
    # 31 in UTC) met, N1 and N2 open past due by Nov 20: 2 / 4.
    assert _triple(report.figure("complaint_timeliness", november)) == (
        2,
        4,
        D("50.00"),
    )


def test_snapshot_freezes_the_month_idempotently(october, users, db):
    written = kpi.snapshot_month(OCTOBER)
    rows = kpi.snapshots(OCTOBER)
    assert len(rows) == written
    company = rows["2026-10|complaint_timeliness|d-|u-"]
    assert (company.numerator, company.denominator, company.value, company.target) == (
        5,
        8,
        D("62.50"),
        D("95.00"),
    )
    ops2 = rows[f"2026-10|complaint_timeliness|d-|u{users['ops2'].id}"]
    assert (ops2.numerator, ops2.denominator, ops2.value) == (1, 2, D("50.00"))
    mean = rows["2026-10|satisfaction_mean|d-|u-"]
    assert (mean.numerator, mean.denominator, mean.value) == (44, 13, D("3.38"))

    # A correction (C2's first round was resolved in time after all), then the
    # month is recomputed: same keys, new figures.
    first = db.session.query(CaseRound).filter_by(case_id=october["C2"].id).one()
    first.resolved_at = first.due_at
    db.session.commit()
    assert kpi.snapshot_month(OCTOBER) == written
    assert db.session.query(KpiSnapshot).count() == written
    again = kpi.snapshots(OCTOBER)["2026-10|complaint_timeliness|d-|u-"]
    assert (again.numerator, again.denominator, again.value) == (6, 8, D("75.00"))


def test_snapshot_job_takes_plain_arguments(october, users):
    from app.jobs.kpi import snapshot_kpis

    assert snapshot_kpis("2026-10") == len(kpi.snapshots(OCTOBER))
    assert kpi.previous_month(kpi.month_start(OCTOBER)) == kpi.add_months(OCTOBER, -1)


def test_every_kpi_has_a_seeded_target_but_the_mean(db):
    targets = kpi.load_targets()
    for item in kpi.KPIS:
        assert ((item.code, None) in targets) is (item.code != "satisfaction_mean")


def test_unknown_month_text_is_refused():
    from app.services.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        kpi.parse_month("October")


def test_quarter_and_year_count_their_whole_span(october, users):
    """Seed 003: monthly, quarterly and yearly appraisal."""
    from tests.factories import PickupFactory

    # One more booking in November by K1 (active in October already).
    late = PickupFactory(customer=october["K1"], _as="ops")
    late.received_at = kpi.month_start(kpi.add_months(OCTOBER, 1))
    late.confirm_due_at = late.confirmed_at = None
    kpi.db.session.commit()
    quarter = kpi.parse_period("2026-Q4")
    assert (quarter.kind, quarter.start, quarter.key) == ("quarter", OCTOBER, "2026-Q4")
    months = kpi.compute(quarter.months, users["manager"], as_of=AS_OF)
    whole = kpi.compute_period(quarter, users["manager"], as_of=AS_OF)
    year = kpi.compute_period(kpi.parse_period("2026"), users["manager"], as_of=AS_OF)
    for code in (
        "complaint_timeliness",
        "response_timeliness",
        "pickup_response_timeliness",
        "satisfaction_mean",
        "first_time_resolution",
        "complaint_rate_pickups",
    ):
        parts = [months.figure(code, m) for m in quarter.months]
        figure = whole.figure(code, OCTOBER)
        assert (figure.numerator, figure.denominator) == (
            sum(p.numerator for p in parts),
            sum(p.denominator for p in parts),
        ), code
        assert figure.scope_key.startswith("2026-Q4|")
    # Q4: October's 5 / 8 and November's 2 / 4 (C2's second round, C6 met;
    # N1, N2 open past due by Nov 20).
    timeliness = whole.figure("complaint_timeliness", OCTOBER)
    assert (timeliness.numerator, timeliness.denominator) == (7, 12)
    # Active customers are counted once per period: K1..K6 (K1 also active in
    # November), not 6 + 1.
    rate = whole.figure("complaint_rate_customers", OCTOBER)
    assert (rate.numerator, rate.denominator) == (11, 6)
    assert (
        months.figure(
            "complaint_rate_customers", kpi.add_months(OCTOBER, 1)
        ).denominator
        == 1
    )
    # The year holds September's C8, C9 too.
    yearly = year.figure("complaint_timeliness", dt.date(2026, 1, 1))
    assert (yearly.numerator, yearly.denominator) == (9, 14)
    assert yearly.scope_key == "2026|complaint_timeliness|d-|u-"


def test_quarter_and_year_snapshots_beside_the_month(october, users):
    month = kpi.snapshot_month(OCTOBER)
    quarter = kpi.snapshot_period(kpi.parse_period("2026-Q4"))
    assert (
        set(kpi.snapshots(OCTOBER)) & set(kpi.snapshots(kpi.parse_period("2026-Q4")))
        == set()
    )
    assert len(kpi.snapshots(OCTOBER)) == month
    assert len(kpi.snapshots(kpi.parse_period("2026-Q4"))) == quarter
    frozen = kpi.snapshots(kpi.parse_period("2026-Q4"))[
        "2026-Q4|complaint_timeliness|d-|u-"
    ]
    assert (frozen.period, frozen.month) == ("quarter", OCTOBER)
    # December completes the quarter and the year: the job freezes all three.
    assert [p.key for p in kpi.periods_closed_by(dt.date(2026, 12, 1))] == [
        "2026-12",
        "2026-Q4",
        "2026",
    ]
    assert [p.key for p in kpi.periods_closed_by(OCTOBER)] == ["2026-10"]


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26", "Q4", "2026-"])
def test_unknown_period_text_is_refused(text):
    from app.services.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        kpi.parse_period(text)


def test_a_pickup_line_weighed_across_the_month_start_counts_all_its_lines(
    october, users, db
):
    """Weighing accuracy (seed 002 §4): a pickup line weighed on two weigh
    lines, one on September 30 and one on October 1, was weighed in October
    (its last weighing) against the net of both; one weighed only in
    September does not count in October."""
    from app.models import BUSINESS_TZ
    from tests.factories import PickupLineFactory, WeighLineFactory

    def at(month: int, day: int, hour: int) -> dt.datetime:
        return dt.datetime(2026, month, day, hour, tzinfo=BUSINESS_TZ)

    before = kpi.compute([OCTOBER], users["manager"], as_of=AS_OF)
    for weighings in ((at(9, 30, 23), at(10, 1, 8)), (at(9, 29, 9), at(9, 30, 9))):
        item = PickupLineFactory(
            pickup=october["P1"], collected_kg=Decimal("2000"), _as="ops"
        )
        for when in weighings:
            line = WeighLineFactory(
                gross_kg=Decimal("1500"), tare_kg=Decimal("500"), _as="warehouse"
            )
            line.pickup_line_id = item.id
            line.gross_at = line.tare_at = when
    db.session.commit()
    after = kpi.compute([OCTOBER], users["manager"], as_of=AS_OF)
    # 2000 kg on site against 1000 + 1000 kg weighed: within; the September
    # line is not counted.
    was, now = (r.figure("weighing_accuracy", OCTOBER) for r in (before, after))
    assert (now.numerator, now.denominator) == (was.numerator + 1, was.denominator + 1)


@pytest.mark.parametrize(
    ("code", "target", "lower", "value", "shown"),
    [
        ("complaint_timeliness", "95", False, "62.50 %", "≥ 95.00 %"),
        ("complaint_rate_pickups", "5", True, "62.50 / 100", "≤ 5.00 / 100"),
        ("satisfaction_mean", "4.5", False, "0.63", "≥ 4.50"),
        ("satisfaction_mean", None, False, "0.63", "—"),
    ],
)
def test_a_value_and_its_target_are_shown_in_the_measure_s_unit(
    code, target, lower, value, shown
):
    goal = kpi.Target(Decimal(target), lower) if target else None
    figure = kpi.Figure(kpi.get_kpi(code), OCTOBER, None, None, 5, 8, goal)
    assert (figure.display(), figure.target_display()) == (value, shown)


@pytest.mark.parametrize(
    ("period", "today", "latest"),
    [
        ("2026", dt.date(2026, 11, 15), dt.date(2026, 11, 1)),
        ("2025", dt.date(2026, 11, 15), dt.date(2025, 12, 1)),
        ("2027", dt.date(2026, 11, 15), dt.date(2027, 1, 1)),
        ("2026-Q2", dt.date(2026, 11, 15), dt.date(2026, 6, 1)),
        ("2026-Q4", dt.date(2026, 10, 31), dt.date(2026, 10, 1)),
        ("2026-09", dt.date(2026, 11, 15), dt.date(2026, 9, 1)),
    ],
)
def test_a_narrower_view_of_a_period_opens_on_its_latest_begun_month(
    period, today, latest
):
    assert kpi.parse_period(period).latest_month(today) == latest
