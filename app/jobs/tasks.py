"""Job functions: take ids or a slot, call one service, commit, safe to run twice.

They run in a worker inside an app context as the system user
(`app.jobs.worker.AppJob`); exceptions propagate so that RQ records the
failure (rq-dashboard shows it) after the app log has it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from app.jobs import DEFAULT_QUEUE, jobs
from app.services.clocks import deadline_check
from app.services.core import job_runs
from app.services.notify import mail
from app.services.reference import standards
from app.services.visits import generation

logger = logging.getLogger(__name__)

DEADLINES = "deadlines"
FOLLOWUPS = "followups"
# A catch-up after an outage re-reads one more day than strictly missed.
CATCH_UP_MARGIN = dt.timedelta(days=1)


def check_deadlines(slot: str | None = None) -> dict[str, Any]:
    """The deadline check; with a slot, at most one run per slot. Approved
    standard changes whose date has come are put in force first, so the
    check works on the standards in force."""
    run = job_runs.start(DEADLINES, slot) if slot else None
    if slot and run is None:
        return {"skipped": slot}
    try:
        standards.apply_due()
        result = deadline_check.check_deadlines()
    except Exception as error:
        job_runs.fail(run, error)
        raise
    job_runs.finish(
        run,
        result.total_raised,
        f"marked {dict(result.marked)}, raised {dict(result.raised)}",
    )
    if mail.configured():
        jobs().enqueue_safely(
            deliver_mail,
            queue=DEFAULT_QUEUE,
            job_id=f"mail-{slot}" if slot else None,
            unique=bool(slot),
        )
    return {"marked": result.total_marked, "raised": result.total_raised}


def generate_followups(slot: str | None = None) -> dict[str, Any]:
    """Follow-up generation; resumes from the last successful run."""
    last = job_runs.last_success(FOLLOWUPS)
    run = job_runs.start(FOLLOWUPS, slot) if slot else None
    if slot and run is None:
        return {"skipped": slot}
    try:
        created = generation.generate(since=last - CATCH_UP_MARGIN if last else None)
    except Exception as error:
        job_runs.fail(run, error)
        raise
    job_runs.finish(run, created)
    return {"created": created}


def followups_for_case(case_id: int) -> int:
    return generation.for_case(case_id)


def followups_for_pickup(pickup_id: int) -> int:
    return generation.for_pickup(pickup_id)


def escalate_opened_case(case_id: int) -> int:
    return deadline_check.escalate_opened(case_id)


def deliver_mail() -> dict[str, int]:
    result = mail.deliver_pending()
    return {"sent": result.sent, "failed": result.failed, "expired": result.expired}


KPIS = "kpis"


def snapshot_kpis(slot: str | None = None) -> dict[str, Any]:
    """Freeze every finished month not frozen yet (at most a year back), and
    the quarter and year each of them completes."""
    from app.services.reporting import kpi

    run = job_runs.start(KPIS, slot) if slot else None
    if slot and run is None:
        return {"skipped": slot}
    try:
        months = kpi.months_to_freeze()
        count = sum(
            kpi.snapshot_period(period)
            for month in months
            for period in kpi.periods_closed_by(month)
        )
    except Exception as error:
        job_runs.fail(run, error)
        raise
    job_runs.finish(run, count, ", ".join(kpi.month_key(m) for m in months))
    return {"months": [kpi.month_key(m) for m in months], "figures": count}


KPI_FACTS = "kpi_facts"
KPI_FACTS_WINDOW = "kpi_facts_window"


def _refresh_kpi_facts(job: str, slot: str | None, which: str) -> dict[str, Any]:
    from app.services.reporting import kpi_facts

    run = job_runs.start(job, slot) if slot else None
    if slot and run is None:
        return {"skipped": slot}
    try:
        periods = getattr(kpi_facts, which)()
        count = kpi_facts.refresh(periods)
    except Exception as error:
        job_runs.fail(run, error)
        raise
    keys = [p.key for p in periods]
    job_runs.finish(run, count, ", ".join(keys))
    return {"periods": keys, "figures": count}


def refresh_kpi_facts(slot: str | None = None) -> dict[str, Any]:
    """Every 15 minutes: the KPI facts of this month and the month before,
    and of any period of the last 13 months without facts yet."""
    return _refresh_kpi_facts(KPI_FACTS, slot, "due_periods")


def refresh_kpi_facts_window(slot: str | None = None) -> dict[str, Any]:
    """Nightly: the KPI facts of the last 13 months and their quarters and
    years (the running quarter and year; late corrections of older
    records)."""
    return _refresh_kpi_facts(KPI_FACTS_WINDOW, slot, "window_periods")


APPRAISALS = "appraisals"


def generate_appraisals(slot: str | None = None) -> dict[str, Any]:
    """Monthly: the draft appraisal sheets of the month before the slot's
    ("YYYYMM"; default: the previous month) for every active staff member
    (seed 002 §4(三)); a rerun refreshes drafts and makes nothing twice."""
    from app.services.reporting import kpi
    from app.services.supervision import appraisal

    run = job_runs.start(APPRAISALS, slot) if slot else None
    if slot and run is None:
        return {"skipped": slot}
    month = (
        kpi.add_months(dt.datetime.strptime(slot, "%Y%m").date(), -1)  # noqa: DTZ007
        if slot
        else kpi.previous_month()
    )
    try:
        result = appraisal.generate(month)
    except Exception as error:
        job_runs.fail(run, error)
        raise
    job_runs.finish(run, result.created + result.refreshed, kpi.month_key(month))
    return {
        "month": kpi.month_key(month),
        "created": result.created,
        "refreshed": result.refreshed,
        "kept": result.kept,
    }
