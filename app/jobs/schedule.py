"""`rq cron app.jobs.schedule`: cheap ticks that enqueue the real jobs once per slot.

RQ's cron has no lock between processes, so every cron entry is a tick that
enqueues the real job under the id "<job>-<slot>" with `unique=True`: a second
cron process (or a late tick) gets DuplicateJobError and enqueues nothing, and
the JobRun row (job, slot) guards the database side. Jobs process everything
due as of their run, so a missed slot is caught up by the next one. Cron
strings are local time in RQ 3: run the process with TZ=Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

from rq import Queue, cron, get_current_job
from rq.exceptions import DuplicateJobError
from rq.job import Job

from app.jobs import DEFAULT_QUEUE, SLA_QUEUE
from app.models import BUSINESS_TZ

logger = logging.getLogger(__name__)

DEADLINE_MINUTES = int(os.environ.get("DEADLINE_CHECK_MINUTES", "5"))
FOLLOWUP_MINUTES = 60
NOTICE_MINUTES = 5
KPI_FACTS_MINUTES = 15  # app.services.reporting.kpi_facts.REFRESH_MINUTES


def slot_of(moment: dt.datetime, minutes: int) -> str:
    """The slot (business time, floored to the period) holding `moment`."""
    local = moment.astimezone(BUSINESS_TZ)
    minute = (local.minute // minutes) * minutes if minutes < 60 else 0
    floored = local.replace(minute=minute, second=0, microsecond=0)
    return floored.strftime("%Y%m%dT%H%M")


def _scheduled() -> tuple[Job, dt.datetime]:
    """The running tick and the instant it was scheduled for (UTC)."""
    tick = get_current_job()
    if tick is None:
        raise RuntimeError("A tick runs as an RQ job.")
    scheduled = tick.enqueued_at or dt.datetime.now(dt.UTC)
    if scheduled.tzinfo is None:
        scheduled = scheduled.replace(tzinfo=dt.UTC)
    return tick, scheduled


def _enqueue_once(
    tick: Job, name: str, func: str, queue: str, slot: str, timeout: int = 900
) -> str | None:
    """Enqueue `func(slot)` under the id "<name>-<slot>" unless already there."""
    try:
        job: Job = Queue(queue, connection=tick.connection).enqueue(
            func,
            slot,
            job_id=f"{name}-{slot}",
            unique=True,
            job_timeout=timeout,
            result_ttl=86400,
            failure_ttl=30 * 86400,
        )
    except DuplicateJobError:
        logger.info("%s for slot %s is already queued", name, slot)
        return None
    return job.id


def _tick(name: str, func: str, queue: str, minutes: int) -> str | None:
    """Enqueue `func(slot)` once for the slot this tick was scheduled in."""
    tick, scheduled = _scheduled()
    return _enqueue_once(tick, name, func, queue, slot_of(scheduled, minutes))


def tick_deadlines() -> str | None:
    return _tick(
        "deadlines", "app.jobs.tasks.check_deadlines", SLA_QUEUE, DEADLINE_MINUTES
    )


def tick_followups() -> str | None:
    return _tick(
        "followups",
        "app.jobs.tasks.generate_followups",
        DEFAULT_QUEUE,
        FOLLOWUP_MINUTES,
    )


def tick_overdue() -> str | None:
    """Hourly: follow-up tasks for settlements that went past their due date."""
    return _tick(
        "overdue",
        "app.jobs.finance.open_overdue_tasks",
        DEFAULT_QUEUE,
        FOLLOWUP_MINUTES,
    )


def tick_notices() -> str | None:
    """Every 5 minutes: queued customer notices, silent-case reminders."""
    return _tick(
        "notices", "app.jobs.notices.notice_sweep", DEFAULT_QUEUE, NOTICE_MINUTES
    )


def tick_upkeep() -> str | None:
    """Daily: customer licences about to lapse, files due for review."""
    tick, scheduled = _scheduled()
    slot = scheduled.astimezone(BUSINESS_TZ).strftime("%Y%m%d")
    return _enqueue_once(
        tick, "upkeep", "app.jobs.notices.customer_upkeep", DEFAULT_QUEUE, slot
    )


def tick_kpis() -> str | None:
    """Monthly: freeze the finished month's KPIs (and any month missed)."""
    tick, scheduled = _scheduled()
    slot = scheduled.astimezone(BUSINESS_TZ).strftime("%Y%m")
    return _enqueue_once(
        tick, "kpis", "app.jobs.tasks.snapshot_kpis", DEFAULT_QUEUE, slot, timeout=1800
    )


def tick_kpi_facts() -> str | None:
    """Every 15 minutes: the KPI facts of the running periods."""
    return _tick(
        "kpi_facts",
        "app.jobs.tasks.refresh_kpi_facts",
        DEFAULT_QUEUE,
        KPI_FACTS_MINUTES,
    )


def tick_kpi_facts_window() -> str | None:
    """Nightly: the KPI facts of the last 13 months."""
    tick, scheduled = _scheduled()
    slot = scheduled.astimezone(BUSINESS_TZ).strftime("%Y%m%d")
    return _enqueue_once(
        tick,
        "kpi_facts_window",
        "app.jobs.tasks.refresh_kpi_facts_window",
        DEFAULT_QUEUE,
        slot,
        timeout=3600,
    )


def tick_grading() -> str | None:
    """Monthly: regrading proposals from the last 12 months (seed 003 第四条)."""
    tick, scheduled = _scheduled()
    slot = scheduled.astimezone(BUSINESS_TZ).strftime("%Y%m")
    return _enqueue_once(
        tick,
        "grading",
        "app.jobs.notices.propose_grades",
        DEFAULT_QUEUE,
        slot,
        timeout=1800,
    )


def tick_appraisals() -> str | None:
    """Monthly: the finished month's draft appraisal sheets (seed 002 §4(三))."""
    tick, scheduled = _scheduled()
    slot = scheduled.astimezone(BUSINESS_TZ).strftime("%Y%m")
    return _enqueue_once(
        tick,
        "appraisals",
        "app.jobs.tasks.generate_appraisals",
        DEFAULT_QUEUE,
        slot,
        timeout=1800,
    )


cron.register(
    tick_deadlines,
    queue_name=SLA_QUEUE,
    cron=f"*/{DEADLINE_MINUTES} * * * *",
    result_ttl=600,
)
cron.register(
    tick_followups, queue_name=DEFAULT_QUEUE, cron="7 * * * *", result_ttl=600
)
cron.register(tick_overdue, queue_name=DEFAULT_QUEUE, cron="17 * * * *", result_ttl=600)
cron.register(
    tick_notices, queue_name=DEFAULT_QUEUE, cron="2-59/5 * * * *", result_ttl=600
)
cron.register(tick_upkeep, queue_name=DEFAULT_QUEUE, cron="40 7 * * *", result_ttl=600)
cron.register(
    tick_kpi_facts,
    queue_name=DEFAULT_QUEUE,
    cron=f"4-59/{KPI_FACTS_MINUTES} * * * *",
    result_ttl=600,
)
cron.register(
    tick_kpi_facts_window, queue_name=DEFAULT_QUEUE, cron="20 1 * * *", result_ttl=600
)
cron.register(tick_kpis, queue_name=DEFAULT_QUEUE, cron="30 1 1 * *", result_ttl=600)
cron.register(tick_grading, queue_name=DEFAULT_QUEUE, cron="50 1 1 * *", result_ttl=600)
# After the KPI snapshot of the finished month.
cron.register(
    tick_appraisals, queue_name=DEFAULT_QUEUE, cron="10 2 1 * *", result_ttl=600
)
