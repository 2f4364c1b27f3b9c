"""The monthly KPI snapshot job: freezes finished months once, catches up."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app.jobs import DEFAULT_QUEUE
from app.models import BUSINESS_TZ, JobRun, KpiSnapshot
from app.models.base import clock_at
from app.security.access import acting_as
from app.services.cases.case_steps import CASE_FLOW
from app.services.reporting import kpi
from tests.factories import CaseFactory, user


def _closed_inquiry(when: dt.datetime) -> None:
    with clock_at(when):
        case = CaseFactory(kind="inquiry", severity="normal", received_at=when)
        cs = user("cs")
        with acting_as(cs):
            CASE_FLOW.run(case, "answer", {"answer": "已答复"}, cs)


def test_snapshot_job_freezes_missed_months_once(db, queues, work):
    last = kpi.previous_month()
    older = kpi.add_months(last, -2)
    _closed_inquiry(
        dt.datetime.combine(older, dt.time(10), BUSINESS_TZ) + dt.timedelta(days=3)
    )
    _closed_inquiry(
        dt.datetime.combine(last, dt.time(10), BUSINESS_TZ) + dt.timedelta(days=3)
    )
    job = queues.enqueue("app.jobs.tasks.snapshot_kpis", "202612", queue=DEFAULT_QUEUE)
    work()
    assert job.get_status(refresh=True) == "finished", job.exc_info
    months = set(db.session.scalars(select(KpiSnapshot.month).distinct()))
    assert {older, last} <= months
    count = db.session.scalar(select(func.count()).select_from(KpiSnapshot))
    # The same slot again does nothing; the next slot has nothing left to freeze.
    queues.enqueue("app.jobs.tasks.snapshot_kpis", "202612", queue=DEFAULT_QUEUE)
    work()
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 1
    assert kpi.months_to_freeze() == []
    assert db.session.scalar(select(func.count()).select_from(KpiSnapshot)) == count


def test_the_scheduler_ticks_monthly_for_kpis(redis_conn):
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=redis_conn)
    scheduler.load_config_from_file("app.jobs.schedule")
    entries = {job.func_name.rsplit(".", 1)[-1]: job for job in scheduler.get_jobs()}
    assert entries["tick_kpis"].cron == "30 1 1 * *"
