"""KPI facts (app.services.reporting.kpi_facts) against the raw computation.

The hand-made October of tests/reporting/kpi_month.py: the facts written by
the job, read back, equal kpi.compute_period over the records for every
scope (company, department, staff member) of the month, its quarter and its
year, and the hand-worked company figures of test_kpi.COMPANY; the pages use
them only while they stand for what the viewer would compute.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from app.jobs import DEFAULT_QUEUE
from app.models import (
    BUSINESS_TZ,
    BusinessFact,
    Case,
    CaseCategory,
    ComplaintFact,
    Department,
    JobRun,
    KpiFact,
)
from app.models.base import clock_at
from app.security.access import acting_as
from app.security.scope import is_visible
from app.services.cases.case_steps import CASE_FLOW
from app.services.reporting import complaint_analysis, complaint_facts, kpi, kpi_facts
from tests.factories import CaseFactory, CustomerFactory, by_code, user
from tests.reporting.kpi_month import AS_OF, OCTOBER, build_october, build_year
from tests.reporting.test_kpi import COMPANY

MONTH = kpi.Period("month", OCTOBER)
QUARTER = kpi.parse_period("2026-Q4")
YEAR = kpi.parse_period("2026")
NOVEMBER = kpi.Period("month", kpi.add_months(OCTOBER, 1))
SEPTEMBER = kpi.Period("month", kpi.add_months(OCTOBER, -1))


@pytest.fixture
def october(db):
    return build_october()


def _figures(report: kpi.Report, period: kpi.Period) -> list[tuple]:
    return [
        (f.scope_key, f.numerator, f.denominator, f.value, f.target, f.flagged)
        for f in report.all(period.start)
    ]


def _stored() -> int:
    return sum(
        kpi.db.session.scalar(select(func.count()).select_from(model))
        for model in (KpiFact, ComplaintFact, BusinessFact)
    )


def _answered_inquiry(when: dt.datetime) -> None:
    """An inquiry received and answered at `when` (response met)."""
    with clock_at(when):
        case = CaseFactory(kind="inquiry", severity="normal", received_at=when)
        cs = user("cs")
        with acting_as(cs):
            CASE_FLOW.run(case, "answer", {"answer": "已答复"}, cs)


def test_facts_equal_the_raw_computation_in_every_scope(october, users):
    periods = [MONTH, NOVEMBER, QUARTER, YEAR]
    with clock_at(AS_OF):
        written = kpi_facts.refresh(periods)
        stored = _stored()
        assert written == stored > 0
        for period in periods:
            raw = kpi.compute_period(period, users["manager"], as_of=AS_OF)
            facts = kpi_facts.compute_period(period, users["manager"])
            assert facts.computed_at == AS_OF, period.key
            assert _figures(facts, period) == _figures(raw, period), period.key
            # Departments and staff of the breakdown come back too.
            assert facts.departments(period.start) == raw.departments(period.start)
            assert facts.staff(period.start) == raw.staff(period.start)
        month = kpi_facts.compute([OCTOBER], users["manager"])
        for code, (num, den, value) in COMPANY.items():
            figure = month.figure(code, OCTOBER)
            assert (figure.numerator, figure.denominator, figure.value) == (
                num,
                den,
                value,
            ), code
        # The company-only read (dashboard) holds the same company figures.
        company = kpi_facts.compute([OCTOBER], users["manager"], breakdown=False)
        assert company.departments() == [] and company.staff() == []
        assert [f.numerator for f in company.all(OCTOBER)] == [
            month.figure(k.code, OCTOBER).numerator for k in kpi.KPIS
        ]
        # A rerun leaves exactly the same rows.
        assert kpi_facts.refresh(periods) == written
        assert _stored() == stored


def test_a_running_period_is_counted_live_once_its_facts_are_old(october, users):
    manager = users["manager"]
    with clock_at(AS_OF):
        kpi_facts.refresh([MONTH, NOVEMBER])
    # A November inquiry answered after the refresh.
    _answered_inquiry(AS_OF + dt.timedelta(minutes=5))
    code = "response_timeliness"
    with clock_at(AS_OF + dt.timedelta(minutes=10)):
        before = kpi_facts.compute([NOVEMBER.start], manager)
        live = kpi.compute([NOVEMBER.start], manager)
    assert before.computed_at == AS_OF
    stale = before.figure(code, NOVEMBER.start)
    fresh = live.figure(code, NOVEMBER.start)
    assert (fresh.numerator, fresh.denominator) == (
        stale.numerator + 1,
        stale.denominator + 1,
    )
    # Past 40 minutes, November and October (the months recounted every 15
    # minutes) are counted from the records; September, recounted nightly,
    # still comes from facts until 26 hours have passed.
    with clock_at(AS_OF):
        kpi_facts.refresh([SEPTEMBER])
    later = AS_OF + kpi_facts.MAX_AGE_RECENT + dt.timedelta(minutes=1)
    with clock_at(later):
        november = kpi_facts.compute([NOVEMBER.start], manager)
        october_report = kpi_facts.compute([OCTOBER], manager)
        september = kpi_facts.compute([SEPTEMBER.start], manager)
    assert november.computed_at is None and october_report.computed_at is None
    figure = november.figure(code, NOVEMBER.start)
    assert (figure.numerator, figure.denominator) == (
        fresh.numerator,
        fresh.denominator,
    )
    assert september.computed_at == AS_OF
    with clock_at(AS_OF + kpi_facts.MAX_AGE_NIGHTLY + dt.timedelta(minutes=1)):
        assert kpi_facts.compute([SEPTEMBER.start], manager).computed_at is None
    # A window with a month that has no facts is counted live as a whole.
    with clock_at(AS_OF):
        window = kpi_facts.compute([kpi.add_months(OCTOBER, -2), OCTOBER], manager)
    assert window.computed_at is None


def test_only_a_viewer_who_sees_everything_reads_the_company_facts(october, users, db):
    with clock_at(AS_OF):
        kpi_facts.refresh([MONTH])
        # Facts that no longer match the records: whoever reads them shows it.
        db.session.execute(
            update(KpiFact)
            .where(KpiFact.kpi == "complaint_timeliness")
            .values(numerator=0)
        )
        db.session.commit()
        manager = kpi_facts.compute([OCTOBER], users["manager"])
        cs = kpi_facts.compute([OCTOBER], users["cs"])
        clerk = kpi_facts.compute([OCTOBER], users["ops2"])
        quarter = kpi_facts.compute_period(QUARTER, users["ops2"])
        raw_quarter = kpi.compute_period(QUARTER, users["ops2"], as_of=AS_OF)
    assert manager.figure("complaint_timeliness", OCTOBER).numerator == 0
    assert cs.figure("complaint_timeliness", OCTOBER).numerator == 0
    # A department clerk reads their department's view, not the company's:
    # the (corrupted) view facts show, the company's would have been 0 too,
    # so compare with the company's untouched figure of another KPI.
    assert clerk.computed_at == AS_OF
    assert clerk.figure("complaint_timeliness", OCTOBER).numerator == 0
    company = manager.figure("response_timeliness", OCTOBER)
    mine = clerk.figure("response_timeliness", OCTOBER)
    assert mine.denominator < company.denominator
    # A clerk's quarter (no department facts) is counted over their scope.
    assert quarter.computed_at is None
    assert _figures(quarter, QUARTER) == _figures(raw_quarter, QUARTER)


def _beyond_their_department(db: Any) -> None:
    """October records ops2 sees only personally: a complaint they own that
    was routed on to Sales, and one they recorded that Finance owns."""
    for minute, owner in ((0, "ops2"), (30, "finance")):
        when = dt.datetime(2026, 10, 15, 10, minute, tzinfo=BUSINESS_TZ)
        with clock_at(when):
            case = CaseFactory(kind="complaint", received_at=when, _as="ops2")
            case.owner_id = user(owner).id
            department = user("sales" if owner == "ops2" else owner).department_id
            case.department_id = department
            db.session.commit()


@pytest.mark.parametrize(
    "username", ["ops", "ops2", "sales", "warehouse", "qc", "finance"]
)
def test_a_department_clerk_reads_their_view_or_the_records(
    october, users, db, username
):
    """A clerk who sees nothing beyond their department's view reads the
    view's facts; ops2, who owns a complaint routed on to Sales and recorded
    one Finance owns, is counted from the records. Both equal the count
    over the clerk's scope."""
    _beyond_their_department(db)
    viewer = users[username]
    stamp = None if username == "ops2" else AS_OF
    with clock_at(AS_OF):
        kpi_facts.refresh([MONTH, NOVEMBER])
        for months in ([OCTOBER], [OCTOBER, NOVEMBER.start]):
            raw = kpi.compute(months, viewer, as_of=AS_OF)
            facts = kpi_facts.compute(months, viewer)
            assert facts.computed_at == stamp
            for month in months:
                period = kpi.Period("month", month)
                assert _figures(facts, period) == _figures(raw, period), month
                assert facts.staff(month) == raw.staff(month)
                assert facts.departments(month) == raw.departments(month)
            company = kpi_facts.compute(months, viewer, breakdown=False)
            if stamp is not None:  # facts without their breakdown
                assert company.staff() == [] and company.departments() == []
            assert [company.figure(k.code, OCTOBER).numerator for k in kpi.KPIS] == [
                raw.figure(k.code, OCTOBER).numerator for k in kpi.KPIS
            ]
    if username == "ops2":
        # The two complaints beyond the department count for ops2 only.
        ops = kpi_facts.compute([OCTOBER], users["ops"])
        with clock_at(AS_OF):
            mine = kpi_facts.compute([OCTOBER], viewer)
        code = "complaint_rate_pickups"
        assert (
            mine.figure(code, OCTOBER).numerator
            == ops.figure(code, OCTOBER).numerator + 2
        )


def test_a_customer_that_leaves_the_department_through_an_old_case_counts_once(
    db, users
):
    """A customer is in Operations' view only through a September inquiry
    routed to Operations; ops2 records the customer's October complaint,
    routed to Sales. After the facts are counted the September inquiry goes
    to Finance: the customer is now only ops2's, beyond the department,
    without having changed itself. ops2's complaints per active customer
    (seed 001 §7) are counted from the records: one active customer, not
    the one in the facts and again beyond them."""
    ops2 = users["ops2"]
    september = dt.datetime(2026, 9, 5, 10, tzinfo=BUSINESS_TZ)
    with clock_at(september):
        customer = CustomerFactory()
        old = CaseFactory(
            kind="inquiry",
            severity="normal",
            received_at=september,
            customer=customer,
            _as="cs",
        )
        old.department_id = users["ops"].department_id
        old.owner_id = users["ops"].id
        db.session.commit()
    october = dt.datetime(2026, 10, 12, 10, tzinfo=BUSINESS_TZ)
    with clock_at(october):
        complaint = CaseFactory(
            kind="complaint", received_at=october, customer=customer, _as="ops2"
        )
        complaint.department_id = users["sales"].department_id
        complaint.owner_id = users["sales"].id
        db.session.commit()
    with clock_at(AS_OF):
        kpi_facts.refresh([MONTH])
    code = "complaint_rate_customers"
    later = AS_OF + dt.timedelta(minutes=5)
    with clock_at(later):
        old.department_id = users["finance"].department_id
        db.session.commit()
        shown = kpi_facts.compute([OCTOBER], ops2).figure(code, OCTOBER)
        raw = kpi.compute([OCTOBER], ops2, as_of=later).figure(code, OCTOBER)
    assert (shown.numerator, shown.denominator) == (raw.numerator, raw.denominator)
    assert (shown.numerator, shown.denominator) == (1, 1)


def test_a_record_that_left_the_department_since_the_facts_is_counted_once(
    october, users, db
):
    """ops2's complaint, routed to Operations when the facts were counted,
    goes on to Sales five minutes later: it is beyond the department now and
    still in the department's facts, so ops2's month is counted live."""
    when = dt.datetime(2026, 10, 15, 10, tzinfo=BUSINESS_TZ)
    with clock_at(when):
        case = CaseFactory(kind="complaint", received_at=when, _as="ops2")
        case.owner_id = user("ops2").id
        case.department_id = user("ops").department_id
        db.session.commit()
    with clock_at(AS_OF):
        kpi_facts.refresh([MONTH])
        before = kpi_facts.compute([OCTOBER], users["ops2"])
    later = AS_OF + dt.timedelta(minutes=5)
    with clock_at(later):
        case.department_id = user("sales").department_id
        db.session.commit()
        after = kpi_facts.compute([OCTOBER], users["ops2"])
        raw = kpi.compute([OCTOBER], users["ops2"], as_of=later)
    assert before.computed_at == AS_OF
    assert after.computed_at is None
    assert _figures(after, MONTH) == _figures(raw, MONTH)
    code = "complaint_rate_pickups"
    assert after.figure(code, OCTOBER).numerator == (
        before.figure(code, OCTOBER).numerator
    )


def test_a_user_sees_their_department_view_and_their_personal_view(october, db):
    """Every rule splits into a department arm and a personal arm, so the
    clerk's records are the department view's and, disjoint from them, those
    beyond it (which kpi_facts.sees_beyond asks about)."""
    from app.models import AppUser
    from app.security.scope import (
        RULES,
        Beyond,
        department_view,
        personal_view,
        restrict,
        sees_all,
    )

    _beyond_their_department(db)
    clerks = [
        u
        for u in db.session.query(AppUser).filter(AppUser.department_id.is_not(None))
        if not sees_all(u) and not u.is_system
    ]
    assert {"ops", "ops2", "sales", "warehouse", "qc", "finance"} <= {
        u.username for u in clerks
    }
    seen_any = 0
    for model in RULES:
        for clerk in clerks:

            def ids(viewer: Any, model: Any = model) -> set[int]:
                return set(
                    db.session.scalars(restrict(select(model.id), model, viewer))
                )

            department = department_view(clerk.department)
            mine, theirs = ids(clerk), ids(department)
            personal = ids(personal_view(clerk))
            assert mine == theirs | personal, (model.__name__, clerk.username)
            assert ids(Beyond(personal_view(clerk), department)) == mine - theirs
            seen_any += len(mine)
    assert seen_any > 0


def test_the_job_fills_the_window_then_refreshes_the_running_periods(
    db, queues, work, users
):
    moment = dt.datetime(2026, 11, 20, 9, 4, tzinfo=BUSINESS_TZ)
    _answered_inquiry(moment - dt.timedelta(days=30))
    with clock_at(moment):
        first = kpi_facts.due_periods()
        assert [p.key for p in first[:3]] == [
            "2026-11",
            "2026-10",
            # 13 months back: November 2025 is the first without facts.
            "2025-11",
        ]
        assert {p.key for p in first} >= {"2025-Q4", "2025", "2026-Q4", "2026"}
        job = queues.enqueue(
            "app.jobs.tasks.refresh_kpi_facts", "20261120T0900", queue=DEFAULT_QUEUE
        )
        work()
        assert job.get_status(refresh=True) == "finished", job.exc_info
        # Only the running periods are left for the next run.
        assert [p.key for p in kpi_facts.due_periods()] == ["2026-11", "2026-10"]
        covered = set(
            db.session.execute(select(KpiFact.period, KpiFact.month).distinct()).all()
        )
        assert {(p.kind, p.start) for p in first} == covered
        # The same slot twice runs once.
        queues.enqueue(
            "app.jobs.tasks.refresh_kpi_facts", "20261120T0900", queue=DEFAULT_QUEUE
        )
        work()
    runs = db.session.scalars(select(JobRun).where(JobRun.job == "kpi_facts")).all()
    assert [(r.slot, r.status) for r in runs] == [("20261120T0900", "done")]
    # October's inquiry is in the facts, as the records count it.
    with clock_at(moment):
        facts = kpi_facts.compute([OCTOBER], users["manager"])
        raw = kpi.compute([OCTOBER], users["manager"], as_of=moment)
    assert facts.computed_at is not None
    assert _figures(facts, MONTH) == _figures(raw, MONTH)
    assert facts.figure("response_timeliness", OCTOBER).denominator == 1


def test_the_scheduler_ticks_the_facts_every_fifteen_minutes_and_nightly(redis_conn):
    from rq.cron import CronScheduler

    from app.jobs import schedule

    scheduler = CronScheduler(connection=redis_conn)
    scheduler.load_config_from_file("app.jobs.schedule")
    entries = {job.func_name.rsplit(".", 1)[-1]: job for job in scheduler.get_jobs()}
    assert entries["tick_kpi_facts"].cron == "4-59/15 * * * *"
    assert entries["tick_kpi_facts_window"].cron == "20 1 * * *"
    assert schedule.KPI_FACTS_MINUTES == kpi_facts.REFRESH_MINUTES


def test_the_pages_say_when_their_figures_stand_as_of(october, login):
    with clock_at(AS_OF):
        kpi_facts.refresh([MONTH])
    stamp = "统计截至 2026-11-20 09:00，每 15 分钟更新一次"
    manager = login("manager")
    with clock_at(AS_OF + dt.timedelta(minutes=10)):
        page = manager.get("/kpis/?month=2026-10").get_data(as_text=True)
        assert stamp in page
        page = manager.get("/dashboard/?month=2026-10").get_data(as_text=True)
        assert stamp in page
        # The analysis of October reads complaint facts, and says so.
        page = manager.get("/analysis/?month=2026-10&span=1").get_data(as_text=True)
        assert stamp in page
        # Twelve months, of which the earlier have no facts: counted live.
        page = manager.get("/analysis/?month=2026-10&span=12").get_data(as_text=True)
        assert "统计截至" not in page
        assert "按打开本页时的记录实时统计" in page
    # A quarter is recounted nightly, and says so.
    with clock_at(AS_OF):
        kpi_facts.refresh([QUARTER])
    with clock_at(AS_OF + dt.timedelta(hours=20)):
        page = manager.get("/kpis/?month=2026-Q4").get_data(as_text=True)
    assert "统计截至 2026-11-20 09:00，每晚更新" in page
    # The landing page is the dashboard of this month.
    kpi_facts.refresh(kpi_facts.recent_periods())
    assert "统计截至" in manager.get("/").get_data(as_text=True)
    # A department clerk's month reads their department's view, and says so;
    # their quarter is counted live.
    clerk = login("ops2")
    with clock_at(AS_OF + dt.timedelta(minutes=10)):
        page = clerk.get("/kpis/?month=2026-10").get_data(as_text=True)
        assert stamp in page
        page = clerk.get("/kpis/?month=2026-Q4").get_data(as_text=True)
        assert "统计截至" not in page
        assert "按打开本页时的记录实时统计" in page


def _rows(rows: list[tuple]) -> list[tuple]:
    return [(str(k) if k is not None else None, n, c) for k, n, c in rows]


def test_complaint_facts_equal_the_cases_in_every_breakdown(db, users):
    build_year()
    build_october()
    db.session.commit()
    manager = users["manager"]
    months = kpi.Window.ending(OCTOBER, 12).months
    with clock_at(AS_OF):
        kpi_facts.refresh([kpi.Period("month", m) for m in months])
        for span in (1, 3, 12):
            window = kpi.Window.ending(OCTOBER, span)
            for dimension in complaint_facts.DIMENSIONS:
                for limit in (None, 3):
                    facts = complaint_facts.counted(dimension, window, manager, limit)
                    raw = complaint_analysis.counted(dimension, window, manager, limit)
                    assert facts is not None, (dimension, span)
                    assert _rows(facts) == _rows(raw), (dimension, span, limit)
            assert sum(
                c for _k, _n, c in complaint_analysis.counted("month", window, manager)
            ) == sum(
                s.count
                for s in complaint_analysis.complaint_counts("month", window, manager)
            )
        window = kpi.Window.ending(OCTOBER, 12)
        # Every month of the year has complaints; October's are the most.
        by_month = complaint_analysis.complaint_counts("month", window, manager)
        assert [s.key for s in by_month] == [kpi.month_key(m) for m in months]
        assert all(s.count > 0 for s in by_month)
        # The customer rankings of the spans kept, as ranked from the cases.
        for span in complaint_facts.TOP_SPANS:
            for limit in (complaint_facts.TOP, 3):
                ranked = kpi.Window.ending(OCTOBER, span)
                facts = complaint_facts.counted("customer", ranked, manager, limit)
                raw = complaint_analysis.counted("customer", ranked, manager, limit)
                assert facts is not None, span
                assert _rows(facts) == _rows(raw), (span, limit)
        # A month counted before the rankings were kept (no ranking mark) is
        # ranked from the cases, not shown as having no customers.
        marks = (
            ComplaintFact.month == OCTOBER,
            ComplaintFact.key == complaint_facts.RANKED,
        )
        kpi.db.session.execute(delete(ComplaintFact).where(*marks))
        assert complaint_facts.counted("customer", window, manager, 10) is None
        kpi.db.session.rollback()
        assert complaint_facts.counted("customer", window, manager, 10) is not None
        # Not served from facts: every customer, a ranking of another span,
        # and a window reaching a month without facts.
        assert complaint_facts.counted("customer", window, manager) is None
        two = kpi.Window.ending(OCTOBER, 2)
        assert complaint_facts.counted("customer", two, manager, 10) is None
        assert complaint_facts.counted("customer", window, manager, 11) is None
        longer = kpi.Window.ending(OCTOBER, 13)
        assert complaint_facts.counted("category", longer, manager) is None
    # A category whose complaints are all withdrawn leaves October's facts.
    october = kpi.Window.ending(OCTOBER)
    first = complaint_analysis.counted("category", october, manager)[0][0]
    db.session.execute(
        update(Case)
        .where(Case.category_id == first, Case.kind == "complaint")
        .values(status="cancelled")
    )
    db.session.commit()
    with clock_at(AS_OF):
        kpi_facts.refresh([MONTH])
        facts = complaint_facts.counted("category", october, manager)
        raw = complaint_analysis.counted("category", october, manager)
    assert str(first) not in {k for k, _n, _c in facts}
    assert _rows(facts) == _rows(raw)
    # This month and the last go out of date after 40 minutes, older months
    # after 26 hours.
    with clock_at(AS_OF):
        kpi_facts.refresh([NOVEMBER])
    november = kpi.Window.ending(NOVEMBER.start)
    summer = kpi.Window.ending(SEPTEMBER.start, 3)
    with clock_at(AS_OF + kpi_facts.MAX_AGE_RECENT - dt.timedelta(minutes=1)):
        assert complaint_facts.counted("month", november, manager) is not None
        assert complaint_facts.as_of(november, manager) == AS_OF
    with clock_at(AS_OF + kpi_facts.MAX_AGE_RECENT + dt.timedelta(minutes=1)):
        assert complaint_facts.counted("month", november, manager) is None
        assert complaint_facts.as_of(november, manager) is None
        assert complaint_facts.counted("month", summer, manager) is not None
    with clock_at(AS_OF + kpi_facts.MAX_AGE_NIGHTLY + dt.timedelta(minutes=1)):
        assert complaint_facts.counted("month", summer, manager) is None


def test_a_clerks_complaint_counts_are_the_department_facts_or_the_cases(db, users):
    """Every department clerk's complaint counts, customer rankings and
    per-category figures equal the count from the cases over their scope, in
    every breakdown and span: read from their department view's facts when
    they see no complaint beyond it, else (ops2, who owns one routed to
    CustomerService) counted from the cases."""
    build_year()
    build_october()
    clerk = users["ops2"]
    # A complaint routed to CustomerService that ops2 owns: beyond the view.
    _complaint(
        dt.datetime(2026, 10, 9, 10, tzinfo=BUSINESS_TZ),
        department=by_code(Department, "cs"),
        owner_id=clerk.id,
    )
    db.session.commit()
    clerks = [
        u
        for u in users.values()
        if u.department_id is not None and not kpi_facts.serves(u)
    ]
    assert len(clerks) >= 5
    months = kpi.Window.ending(OCTOBER, 12).months
    with clock_at(AS_OF):
        kpi_facts.refresh([kpi.Period("month", m) for m in months])
        for viewer in clerks:
            from_facts = viewer is not clerk
            for span in (1, 3, 12):
                window = kpi.Window.ending(OCTOBER, span)
                stamp = complaint_facts.as_of(window, viewer)
                assert stamp == (AS_OF if from_facts else None), viewer.username
                for dimension in complaint_facts.DIMENSIONS:
                    facts = complaint_facts.counted(dimension, window, viewer)
                    if not from_facts:
                        assert facts is None
                        continue
                    raw = complaint_analysis.counted(dimension, window, viewer)
                    assert sorted(_rows(facts), key=str) == sorted(
                        _rows(raw), key=str
                    ), (viewer.username, dimension, span)
                    top = complaint_facts.counted(dimension, window, viewer, 3)
                    assert [c for _k, _n, c in top] == [c for _k, _n, c in raw[:3]]
                ranked = complaint_facts.counted("customer", window, viewer, 10)
                raw = complaint_analysis.counted("customer", window, viewer, 10)
                if from_facts:
                    assert _rows(ranked) == _rows(raw), (viewer.username, span)
                # The analysis's per-category KPI figures (seed 001 §7.1).
                sums = kpi_facts.category_sums(window, viewer)
                assert (sums is not None) == from_facts
                for code in kpi_facts.CATEGORY_KPIS if from_facts else ():
                    grouped = kpi.grouped(
                        kpi.get_kpi(code), window, viewer, ("category_id",)
                    )
                    assert sums[code] == {
                        cat: (num, den)
                        for cat, num, den in grouped
                        if cat is not None and (num or den)
                    }, (viewer.username, code, span)
        # October's total as ops2's page shows it, against the cases one by one.
        october = kpi.Window.ending(OCTOBER)
        shown = complaint_analysis.complaint_counts("month", october, clerk)
        by_hand = sum(
            1
            for case in db.session.query(Case)
            if case.kind == "complaint"
            and case.status != "cancelled"
            and kpi.month_of(case.received_at) == OCTOBER
            and is_visible(Case, case.id, clerk)
        )
        assert [s.count for s in shown] == [by_hand]


def _complaint(when: dt.datetime, **fields: Any) -> Any:
    with clock_at(when):
        return CaseFactory(kind="complaint", received_at=when, **fields)


def test_a_blank_and_a_missing_region_stay_two_values(db, users):
    """A blank form field stores "", an import or the API may leave NULL: the
    facts keep both, as the count from the cases does."""
    manager = users["manager"]
    blank = CustomerFactory(region="")
    missing = CustomerFactory(region=None)
    for day in (5, 6):
        _complaint(dt.datetime(2026, 10, day, 9, tzinfo=BUSINESS_TZ), customer=blank)
    _complaint(dt.datetime(2026, 10, 7, 9, tzinfo=BUSINESS_TZ), customer=missing)
    window = kpi.Window.ending(OCTOBER)
    with clock_at(AS_OF):
        kpi_facts.refresh([MONTH])
        facts = complaint_facts.counted("region", window, manager)
        raw = complaint_analysis.counted("region", window, manager)
    assert sorted(_rows(facts), key=str) == sorted(_rows(raw), key=str)
    assert sorted(c for _k, _n, c in facts) == [1, 2]


def test_a_renamed_category_is_one_value_under_its_new_name(db, users):
    manager = users["manager"]
    category = by_code(CaseCategory, "other")
    _complaint(dt.datetime(2026, 9, 5, 9, tzinfo=BUSINESS_TZ), category=category)
    for day in (5, 6):
        _complaint(dt.datetime(2026, 10, day, 9, tzinfo=BUSINESS_TZ), category=category)
    with clock_at(AS_OF):
        kpi_facts.refresh([SEPTEMBER])
    db.session.execute(
        update(CaseCategory)
        .where(CaseCategory.id == category.id)
        .values(name="其他（改名）")
    )
    db.session.commit()
    window = kpi.Window.ending(OCTOBER, 2)
    with clock_at(AS_OF):
        kpi_facts.refresh([MONTH])
        slices = complaint_analysis.complaint_counts("category", window, manager)
        rows = complaint_analysis.by_category(window, manager)
        raw = complaint_analysis.counted("category", window, manager)
    assert [(s.key, s.label, s.count) for s in slices] == [
        (str(category.id), "其他（改名）", 3)
    ]
    assert _rows(raw) == [(str(category.id), "其他（改名）", 3)]
    row = next(r for r in rows if r.category_id == category.id)
    assert row.complaints == 3


def test_category_figures_of_the_analysis_equal_the_raw_computation(db, users):
    build_year()
    build_october()
    db.session.commit()
    manager, clerk = users["manager"], users["ops2"]
    months = kpi.Window.ending(OCTOBER, 12).months
    with clock_at(AS_OF):
        kpi_facts.refresh([kpi.Period("month", m) for m in months])
        settings = kpi.load_settings(AS_OF)
        for span in (1, 3, 12):
            window = kpi.Window.ending(OCTOBER, span)
            facts = kpi_facts.category_sums(window, manager)
            assert facts is not None, span
            for code in kpi_facts.CATEGORY_KPIS:
                raw = {
                    cat: (int(num), int(den))
                    for cat, num, den in kpi.grouped(
                        kpi.get_kpi(code), window, manager, ("category_id",), settings
                    )
                    if cat is not None
                }
                assert facts[code] == raw, (code, span)
                assert raw, (code, span)
        year = kpi.Window.ending(OCTOBER, 12)
        rows = complaint_analysis.by_category(year, manager)
        counts = {
            int(s.key): s.count
            for s in complaint_analysis.complaint_counts("category", year, manager)
        }
        assert {r.category_id: r.complaints for r in rows if r.complaints} == counts
        # The KPI report of the month is unchanged by the category rows.
        report = kpi_facts.compute([OCTOBER], manager)
        raw_report = kpi.compute([OCTOBER], manager, as_of=AS_OF)
        assert _figures(report, MONTH) == _figures(raw_report, MONTH)
        # A clerk's: their department view's facts and what they see beyond.
        assert kpi_facts.category_sums(year, clerk) == {
            code: {
                cat: (int(num), int(den))
                for cat, num, den in kpi.grouped(
                    kpi.get_kpi(code), year, clerk, ("category_id",), settings
                )
                if cat is not None
            }
            for code in kpi_facts.CATEGORY_KPIS
        }
        assert kpi_facts.category_sums(kpi.Window.ending(OCTOBER, 13), manager) is None
