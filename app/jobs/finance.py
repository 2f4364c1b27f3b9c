"""Receivables jobs: open the follow-up tasks of overdue settlements."""

from __future__ import annotations

import logging
from typing import Any

from app.services.core import job_runs
from app.services.finance import receivables

logger = logging.getLogger(__name__)

OVERDUE = "overdue_tasks"


def open_overdue_tasks(slot: str | None = None) -> dict[str, Any]:
    """One follow-up task per overdue settlement; with a slot, one run per slot.

    Reads every confirmed settlement past its due date, so a missed slot is
    caught up by the next run.
    """
    run = job_runs.start(OVERDUE, slot) if slot else None
    if slot and run is None:
        return {"skipped": slot}
    try:
        created = receivables.open_overdue_tasks()
    except Exception as error:
        job_runs.fail(run, error)
        raise
    job_runs.finish(run, created)
    return {"created": created}
