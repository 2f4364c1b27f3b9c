"""KPI definitions against the hand-made October of tests/reporting/kpi_month.py.

Every expected figure is (numerator, denominator, value) with the arithmetic
in a comment; values are percentages (or the mean score) rounded half-up to
two places.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models import KpiSnapshot
from app.services.reporting import kpi
from tests.reporting.kpi_month import OCTOBER, build_october

D = Decimal

# (numerator, denominator, value) for the company (everything: manager's view).
COMPANY = {
    # closed complaints with a verdict: C1 met, C2 missed, C3 met, C4 met, C5 met
    # (C6 closes in November, C7's clock is unknown): 4 / 5 = 80.00 %
    "complaint_timeliness": (4, 5, D("80.00")),
    # first answers in October with a target: C1 C2 C4 C5 C6 Q1 A1 O1 X1 C10 = 10;
    # missed: C2, A1 -> 8 / 10 = 80.00 %  (C3 Sept., C7 unknown, O2 none)
    "response_timeliness": (8, 10, D("80.00")),
    # P1 met, P2 missed, P3 met (P4 September, P5 none): 2 / 3 = 66.67 %
    "pickup_response_timeliness": (2, 3, D("66.67")),
    # scores: cases C1 5, C2 2, C3 4, C5 3, C7 4, A1 1 (sum 19) + visits F1 5,
    # F2 4, F3 3 (sum 12): 31 / 9 = 3.444… -> 3.44
    "satisfaction_mean": (31, 9, D("3.44")),
    # scores >= 4: C1, C3, C7, F1, F2 = 5 of 9 = 55.555… -> 55.56 %
    "satisfaction_share": (5, 9, D("55.56")),
    # received in October, not cancelled: C1 C2 C4 C5 C6 C7 O1 C10 = 8;
    # repeats: C2 (C1 on Oct 2, and reopened), C6 (C5 on Oct 14), C10 (C9 on
    # Sep 20, 28 days before), O1 (reopened) = 4; C4 is not (C8 was 34 days
    # before): 4 / 8 = 50.00 %
    "repeat_complaint_rate": (4, 8, D("50.00")),
    # closed in October: C1 C2 C3 C4 C5 C7 Q1 A1 = 8; reopened: C2, A1:
    # 6 / 8 = 75.00 %
    "first_time_resolution": (6, 8, D("75.00")),
    # W1 |1010-1000| = 10 <= 1 % of 1000 (within), W2 10.001 > 10 (outside),
    # W3 10 <= 20 (within); W4 September, W5 unchecked: 2 / 3 = 66.67 %
    "weighing_accuracy": (2, 3, D("66.67")),
}

DEPARTMENTS = {
    "ops": {
        # C1 met, C2 missed, C3 met: 2 / 3
        "complaint_timeliness": (2, 3, D("66.67")),
        # C1 met, C2 missed, A1 missed, O1 met, X1 met: 3 / 5
        "response_timeliness": (3, 5, D("60.00")),
        # all pickups are Operations': 2 / 3
        "pickup_response_timeliness": (2, 3, D("66.67")),
        # C1 5 + C2 2 + C3 4 + C7 4 + A1 1 + F2 4 (pickup P1) = 20 / 6 = 3.33
        "satisfaction_mean": (20, 6, D("3.33")),
        # 5, 4, 4, 4 of 6
        "satisfaction_share": (4, 6, D("66.67")),
        # C1, C2*, C7, O1*: 2 / 4
        "repeat_complaint_rate": (2, 4, D("50.00")),
        # C1, C2 (reopened), C3, C7, A1 (reopened): 3 / 5
        "first_time_resolution": (3, 5, D("60.00")),
        "weighing_accuracy": (0, 0, None),
    },
    "warehouse": {
        "complaint_timeliness": (1, 1, D("100.00")),  # C4
        "response_timeliness": (1, 1, D("100.00")),  # C4
        "pickup_response_timeliness": (0, 0, None),
        "satisfaction_mean": (5, 1, D("5.00")),  # F1, the visit after C4
        "satisfaction_share": (1, 1, D("100.00")),
        "repeat_complaint_rate": (0, 1, D("0.00")),  # C4
        "first_time_resolution": (1, 1, D("100.00")),  # C4
        "weighing_accuracy": (2, 3, D("66.67")),  # W1, W2, W3 tickets
    },
    "cs": {
        "complaint_timeliness": (1, 1, D("100.00")),  # C5
        "response_timeliness": (3, 3, D("100.00")),  # C5, C6, C10
        "pickup_response_timeliness": (0, 0, None),
        "satisfaction_mean": (6, 2, D("3.00")),  # C5 3 + F3 3
        "satisfaction_share": (0, 2, D("0.00")),
        "repeat_complaint_rate": (2, 3, D("66.67")),  # C5, C6*, C10*
        "first_time_resolution": (1, 1, D("100.00")),  # C5
        "weighing_accuracy": (0, 0, None),
    },
    "sales": {
        "complaint_timeliness": (0, 0, None),
        "response_timeliness": (1, 1, D("100.00")),  # Q1
        "satisfaction_mean": (0, 0, None),
        "repeat_complaint_rate": (0, 0, None),
        "first_time_resolution": (1, 1, D("100.00")),  # Q1
    },
}

STAFF = {
    "ops": {
        "complaint_timeliness": (1, 1, D("100.00")),  # C1
        "response_timeliness": (3, 4, D("75.00")),  # C1, A1 missed, O1, X1
        "pickup_response_timeliness": (1, 2, D("50.00")),  # P2 missed, P3
        "satisfaction_mean": (10, 3, D("3.33")),  # C1 5, C7 4, A1 1
        "satisfaction_share": (2, 3, D("66.67")),
        "repeat_complaint_rate": (1, 3, D("33.33")),  # C1, C7, O1*
        "first_time_resolution": (2, 3, D("66.67")),  # C1, C7, A1 reopened
        "weighing_accuracy": (0, 0, None),
    },
    "ops2": {
        "complaint_timeliness": (1, 2, D("50.00")),  # C2 missed, C3 met
        "response_timeliness": (0, 1, D("0.00")),  # C2 missed
        "satisfaction_mean": (6, 2, D("3.00")),  # C2 2, C3 4
        "satisfaction_share": (1, 2, D("50.00")),
        "repeat_complaint_rate": (1, 1, D("100.00")),  # C2
        "first_time_resolution": (1, 2, D("50.00")),  # C2 reopened, C3
        "weighing_accuracy": (1, 1, D("100.00")),  # W3, tare weighed by ops2
    },
    "warehouse": {
        "complaint_timeliness": (1, 1, D("100.00")),
        "satisfaction_mean": (5, 1, D("5.00")),  # F1
        "weighing_accuracy": (1, 2, D("50.00")),  # W1 within, W2 outside
    },
    "cs": {
        "complaint_timeliness": (1, 1, D("100.00")),  # C5
        "response_timeliness": (1, 1, D("100.00")),  # C5
        "pickup_response_timeliness": (1, 1, D("100.00")),  # P1 recorded by cs
        "satisfaction_mean": (7, 2, D("3.50")),  # C5 3 + F2 4 (P1's clerk)
        "satisfaction_share": (1, 2, D("50.00")),
        "repeat_complaint_rate": (0, 1, D("0.00")),  # C5
    },
    "cs2": {
        "complaint_timeliness": (0, 0, None),  # C6 closes in November
        "response_timeliness": (2, 2, D("100.00")),  # C6, C10 (O2 has no target)
        "satisfaction_mean": (3, 1, D("3.00")),  # F3
        "satisfaction_share": (0, 1, D("0.00")),
        "repeat_complaint_rate": (2, 2, D("100.00")),  # C6, C10
    },
    "sales": {
        "response_timeliness": (1, 1, D("100.00")),
        "first_time_resolution": (1, 1, D("100.00")),
    },
}


def _triple(figure: kpi.Figure) -> tuple[int, int, Decimal | None]:
    return (figure.numerator, figure.denominator, figure.value)


@pytest.fixture
def october(db):
    return build_october()


def test_company_department_and_staff_figures(october, users):
    report = kpi.compute([OCTOBER], users["manager"])
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
    report = kpi.compute([OCTOBER], users["manager"])
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
    report = kpi.compute([OCTOBER], users["manager"])
    # Operations: 66.67 >= its own 60 -> fine; company still against 95.
    assert not report.figure("complaint_timeliness", OCTOBER, ops).flagged
    assert report.figure("complaint_timeliness", OCTOBER).flagged
    # ops2 works in Operations: their 50.00 < 60 is flagged against 60.
    staff = report.figure("complaint_timeliness", OCTOBER, user_id=users["ops2"].id)
    assert staff.target.percent == D("60") and staff.flagged


def test_a_clerk_sees_figures_over_their_scope_only(october, users):
    report = kpi.compute([OCTOBER], users["ops2"])
    # Cases of Operations only: the Operations figures.
    for code in (
        "complaint_timeliness",
        "response_timeliness",
        "repeat_complaint_rate",
        "first_time_resolution",
    ):
        assert _triple(report.figure(code, OCTOBER)) == DEPARTMENTS["ops"][code]
    # Visits belong to Customer service: ops2 sees only the case scores
    # C1 5, C2 2, C3 4, C7 4, A1 1 = 16 / 5 = 3.20; >= 4: 3 of 5.
    assert _triple(report.figure("satisfaction_mean", OCTOBER)) == (16, 5, D("3.20"))
    assert _triple(report.figure("satisfaction_share", OCTOBER)) == (3, 5, D("60.00"))
    # Weigh tickets are the warehouse's: nothing to see.
    assert _triple(report.figure("weighing_accuracy", OCTOBER)) == (0, 0, None)
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
    report = kpi.compute([OCTOBER], users["manager"])
    # 0.4 %: W1 (1 %) and W2 out, W3 (0.5 %) out too: 0 / 3.
    assert _triple(report.figure("weighing_accuracy", OCTOBER)) == (0, 3, D("0.00"))
    # 40 days: C4 now repeats C8 (34 days before): 5 / 8.
    assert _triple(report.figure("repeat_complaint_rate", OCTOBER)) == (
        5,
        8,
        D("62.50"),
    )


def test_records_behind_a_figure(october, users):
    manager = users["manager"]
    timeliness = kpi.get_kpi("complaint_timeliness")
    everything = kpi.records(timeliness, OCTOBER, manager)
    assert {r.record_id for r in everything} == {
        october[k].id for k in ("C1", "C2", "C3", "C4", "C5")
    }
    met = kpi.records(
        timeliness,
        OCTOBER,
        manager,
        numerator_only=True,
        department_id=users["ops"].department_id,
    )
    assert {r.record_id for r in met} == {october["C1"].id, october["C3"].id}
    visits = kpi.records(
        kpi.get_kpi("satisfaction_mean"), OCTOBER, manager, user_id=users["cs"].id
    )
    assert {(r.record_type, r.record_id, r.counted) for r in visits} == {
        ("case", october["C5"].id, 3),
        ("followup", october["F2"].id, 4),
    }
    # A clerk's drill-down stays in scope.
    assert kpi.records(kpi.get_kpi("weighing_accuracy"), OCTOBER, users["ops2"]) == []


def test_trend_buckets_months_in_business_time(october, users):
    september = kpi.add_months(OCTOBER, -1)
    november = kpi.add_months(OCTOBER, 1)
    report = kpi.compute([september, OCTOBER, november], users["manager"])
    # September closes C8, C9 (C3 closes at 05:00 on Oct 1 in Shanghai).
    assert _triple(report.figure("complaint_timeliness", september)) == (
        2,
        2,
        D("100.00"),
    )
    assert (
        _triple(report.figure("complaint_timeliness", OCTOBER))
        == COMPANY["complaint_timeliness"]
    )
    # C6 closes at 07:00 on Nov 1 in Shanghai (Oct 31 in UTC): November.
    assert _triple(report.figure("complaint_timeliness", november)) == (
        1,
        1,
        D("100.00"),
    )


def test_snapshot_freezes_the_month_idempotently(october, users, db):
    written = kpi.snapshot_month(OCTOBER)
    rows = kpi.snapshots(OCTOBER)
    assert len(rows) == written
    company = rows["2026-10|complaint_timeliness|d-|u-"]
    assert (company.numerator, company.denominator, company.value, company.target) == (
        4,
        5,
        D("80.00"),
        D("95.00"),
    )
    ops2 = rows[f"2026-10|complaint_timeliness|d-|u{users['ops2'].id}"]
    assert (ops2.numerator, ops2.denominator, ops2.value) == (1, 2, D("50.00"))
    mean = rows["2026-10|satisfaction_mean|d-|u-"]
    assert (mean.numerator, mean.denominator, mean.value) == (31, 9, D("3.44"))

    # A correction, then the month is recomputed: same keys, new figures.
    october["C2"].resolution_state = "met"
    db.session.commit()
    assert kpi.snapshot_month(OCTOBER) == written
    assert db.session.query(KpiSnapshot).count() == written
    again = kpi.snapshots(OCTOBER)["2026-10|complaint_timeliness|d-|u-"]
    assert (again.numerator, again.denominator, again.value) == (5, 5, D("100.00"))


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
