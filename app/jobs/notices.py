"""Customer-notice jobs: send the queued messages, remind of silent cases."""

from __future__ import annotations

import logging
from typing import Any

from app.services.core import job_runs
from app.services.notify import customer_notices

logger = logging.getLogger(__name__)

NOTICES = "customer_notices"


def deliver_customer_notices() -> dict[str, int]:
    """Send what is queued; safe to run twice (each message is claimed once)."""
    result = customer_notices.deliver_pending()
    return {"sent": result.sent, "failed": result.failed}


def notice_sweep(slot: str | None = None) -> dict[str, Any]:
    """Periodic: send anything still queued (an enqueue lost with Redis down)
    and remind handlers of cases whose customer has heard nothing for N
    working days; with a slot, one run per slot."""
    run = job_runs.start(NOTICES, slot) if slot else None
    if slot and run is None:
        return {"skipped": slot}
    try:
        delivered = customer_notices.deliver_pending()
        reminded = customer_notices.remind_silent_cases()
    except Exception as error:
        job_runs.fail(run, error)
        raise
    job_runs.finish(run, delivered.sent + reminded, f"reminded {reminded}")
    return {"sent": delivered.sent, "failed": delivered.failed, "reminded": reminded}


UPKEEP = "customer_upkeep"


def customer_upkeep(slot: str | None = None) -> dict[str, Any]:
    """Daily: licence-expiry and file-review reminders to Sales, each once."""
    from app.services.customers import upkeep

    run = job_runs.start(UPKEEP, slot) if slot else None
    if slot and run is None:
        return {"skipped": slot}
    try:
        raised = upkeep.check_upkeep()
    except Exception as error:
        job_runs.fail(run, error)
        raise
    job_runs.finish(run, sum(raised.values()), str(raised))
    return raised


GRADING = "customer_grading"


def propose_grades(slot: str | None = None) -> dict[str, Any]:
    """Monthly: the regrading proposals of the slot's month ("YYYYMM"; default
    this month) for Sales to accept or reject; with a slot, one run per slot."""
    import datetime as dt

    from app.services.customers import grading

    run = job_runs.start(GRADING, slot) if slot else None
    if slot and run is None:
        return {"skipped": slot}
    period = (
        dt.datetime.strptime(slot, "%Y%m").date()  # noqa: DTZ007
        if slot
        else grading.current_period()
    )
    try:
        made = grading.propose(period)
    except Exception as error:
        job_runs.fail(run, error)
        raise
    job_runs.finish(run, made, period.strftime("%Y-%m"))
    return {"period": period.strftime("%Y-%m"), "proposals": made}
