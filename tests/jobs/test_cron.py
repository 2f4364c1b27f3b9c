"""`rq cron` ticks: two schedulers ticking the same slot give one run."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.cron import CronScheduler
from sqlalchemy import func, select

from app.jobs import schedule
from app.models import JobRun
from tests.jobqueue import REAL_REDIS


def _due_now(scheduler: CronScheduler) -> None:
    for job in scheduler.get_jobs():
        job.next_enqueue_time = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)


def _scheduled_at(redis_conn: Redis, moment: dt.datetime) -> None:
    """Say the queued ticks were scheduled at `moment`, as a cron process does
    for every tick of one slot, whatever the wall clock reads by the time the
    test enqueues them (a 5-minute boundary may pass mid-test)."""
    for name in ("sla", "default"):
        for job in Queue(name, connection=redis_conn).get_jobs():
            job.enqueued_at = moment
            job.save()


def test_schedule_module_registers_the_ticks(redis_conn):
    scheduler = CronScheduler(connection=redis_conn)
    scheduler.load_config_from_file("app.jobs.schedule")
    names = {job.func_name for job in scheduler.get_jobs()}
    assert names == {
        "app.jobs.schedule.tick_appraisals",
        "app.jobs.schedule.tick_deadlines",
        "app.jobs.schedule.tick_followups",
        "app.jobs.schedule.tick_grading",
        "app.jobs.schedule.tick_kpi_facts",
        "app.jobs.schedule.tick_kpi_facts_window",
        "app.jobs.schedule.tick_kpis",
        "app.jobs.schedule.tick_notices",
        "app.jobs.schedule.tick_overdue",
        "app.jobs.schedule.tick_upkeep",
    }


def test_two_cron_schedulers_one_run_per_slot(db, queues, work, redis_conn):
    schedulers = []
    for _ in range(2):
        scheduler = CronScheduler(connection=redis_conn)
        scheduler.register(
            schedule.tick_deadlines, queue_name="sla", cron="*/5 * * * *"
        )
        scheduler.register(
            schedule.tick_followups, queue_name="default", cron="7 * * * *"
        )
        schedulers.append(scheduler)
    slot_start = dt.datetime.now(dt.UTC).replace(second=1, microsecond=0)
    for scheduler in schedulers:
        _due_now(scheduler)
        assert len(scheduler.enqueue_jobs()) == 2
    _scheduled_at(redis_conn, slot_start)
    work()
    # 4 ticks, then one deadline check and one follow-up generation.
    finished = [
        *Queue("sla", connection=redis_conn).finished_job_registry.get_job_ids(),
        *Queue("default", connection=redis_conn).finished_job_registry.get_job_ids(),
    ]
    assert len(finished) == 6
    assert sum(1 for job_id in finished if job_id.startswith("deadlines-")) == 1
    runs = db.session.execute(
        select(JobRun.job, func.count()).group_by(JobRun.job)
    ).all()
    assert dict(runs) == {"deadlines": 1, "followups": 1}
    # A late tick of the same slot (the job already finished) runs nothing.
    _due_now(schedulers[0])
    schedulers[0].enqueue_jobs()
    _scheduled_at(redis_conn, slot_start + dt.timedelta(seconds=58))
    work()
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 2


def test_slots_are_business_time_periods():
    moment = dt.datetime(2026, 11, 24, 1, 13, 59, tzinfo=dt.UTC)  # 09:13 Shanghai
    assert schedule.slot_of(moment, 5) == "20261124T0910"
    assert schedule.slot_of(moment, 60) == "20261124T0900"


FAST_SCHEDULE = """
from rq import cron

from app.jobs.schedule import tick_deadlines

# The production tick, every second instead of every five minutes.
cron.register(tick_deadlines, queue_name="sla", interval=1)
"""


@pytest.mark.skipif(
    not REAL_REDIS,
    reason="two `rq cron` processes need a real Redis: set TEST_REDIS_URL",
)
def test_two_rq_cron_processes_one_run_per_slot(db, queues, work, redis_conn, tmp_path):
    """Two real `rq cron` processes tick the same slots: each slot runs once."""
    (tmp_path / "fast_schedule.py").write_text(FAST_SCHEDULE)
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "TZ": "Asia/Shanghai",
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{root}",
        # A worker's app refuses to start without a signing key of its own.
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(32),
    }
    rq = str(Path(sys.executable).parent / "rq")
    processes = [
        subprocess.Popen(
            [rq, "cron", "--url", REAL_REDIS, "fast_schedule"],
            env=env,
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    sla = Queue("sla", connection=redis_conn)
    try:
        # Each process first imports the app (seconds on a busy machine), then
        # ticks every second: wait for several ticks, not a fixed time.
        deadline = time.monotonic() + 90
        while sla.count < 6 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # a few more slots with both processes ticking
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
    ticks = sla.count
    assert ticks >= 6  # both processes ticked, several times each
    work()
    finished = Queue("sla", connection=redis_conn).finished_job_registry.get_job_ids()
    checks = sorted(j for j in finished if j.startswith("deadlines-"))
    slots = {j.removeprefix("deadlines-") for j in checks}
    runs = db.session.scalars(select(JobRun.slot).where(JobRun.job == "deadlines"))
    assert sorted(runs) == sorted(slots)
    assert len(checks) == len(slots) <= 2  # one per slot (two if a slot turned)
