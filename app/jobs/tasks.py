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
from app.services import deadlines, jobruns, mail, visits

logger = logging.getLogger(__name__)

DEADLINES = "deadlines"
FOLLOWUPS = "followups"
# A catch-up after an outage re-reads one more day than strictly missed.
CATCH_UP_MARGIN = dt.timedelta(days=1)


def check_deadlines(slot: str | None = None) -> dict[str, Any]:
    """The deadline check; with a slot, at most one run per slot."""
    run = jobruns.start(DEADLINES, slot) if slot else None
    if slot and run is None:
        return {"skipped": slot}
    try:
        result = deadlines.check_deadlines()
    except Exception as error:
        jobruns.fail(run, error)
        raise
    jobruns.finish(
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
    last = jobruns.last_success(FOLLOWUPS)
    run = jobruns.start(FOLLOWUPS, slot) if slot else None
    if slot and run is None:
        return {"skipped": slot}
    try:
        created = visits.generate(since=last - CATCH_UP_MARGIN if last else None)
    except Exception as error:
        jobruns.fail(run, error)
        raise
    jobruns.finish(run, created)
    return {"created": created}


def followups_for_case(case_id: int) -> int:
    return visits.for_case(case_id)


def followups_for_pickup(pickup_id: int) -> int:
    return visits.for_pickup(pickup_id)


def escalate_opened_case(case_id: int) -> int:
    return deadlines.escalate_opened(case_id)


def deliver_mail() -> dict[str, int]:
    result = mail.deliver_pending()
    return {"sent": result.sent, "failed": result.failed, "expired": result.expired}


KPIS = "kpis"


def snapshot_kpis(slot: str | None = None) -> dict[str, Any]:
    """Freeze every finished month not frozen yet (at most a year back)."""
    from app.services import kpi

    run = jobruns.start(KPIS, slot) if slot else None
    if slot and run is None:
        return {"skipped": slot}
    try:
        months = kpi.months_to_freeze()
        count = sum(kpi.snapshot_month(month) for month in months)
    except Exception as error:
        jobruns.fail(run, error)
        raise
    jobruns.finish(run, count, ", ".join(kpi.month_key(m) for m in months))
    return {"months": [kpi.month_key(m) for m in months], "figures": count}
