"""Runs of periodic jobs, one row per (job, slot): monitoring and the run-once guard.

A slot names one scheduled run (e.g. "20261124T0905" for the 09:05 deadline
check). The unique (job, slot) row makes a second start of the same slot -
from a second `rq cron` process, a late tick, a requeue - a no-op, whatever
Redis remembers about the first.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import JobRun, now

logger = logging.getLogger(__name__)


def start(job: str, slot: str) -> JobRun | None:
    """Claim the slot; None when a run of it already started or finished."""
    table = JobRun.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new_id = db.session.execute(
        insert(table)
        .values(job=job, slot=slot, started_at=now(), items=0, status="running")
        .on_conflict_do_nothing(index_elements=["job", "slot"])
        .returning(table.c.id)
    ).scalar_one_or_none()
    db.session.commit()
    if new_id is None:
        logger.info("%s for slot %s already ran; skipping", job, slot)
        return None
    return db.session.get(JobRun, new_id)


def finish(run: JobRun | None, items: int, message: str | None = None) -> None:
    if run is None:
        return
    run.status = "done"
    run.items = items
    run.message = message
    run.finished_at = now()
    db.session.commit()


def fail(run: JobRun | None, error: BaseException) -> None:
    """Record the failure (the job still raises, so RQ shows it too)."""
    if run is None:
        return
    db.session.rollback()
    run = db.session.get(JobRun, run.id)
    if run is None:
        return
    run.status = "failed"
    run.message = f"{type(error).__name__}: {error}"[:2000]
    run.finished_at = now()
    db.session.commit()


def last_success(job: str) -> dt.datetime | None:
    """Start of the job's last successful run (where a catch-up resumes)."""
    return db.session.execute(
        select(func.max(JobRun.started_at)).where(
            JobRun.job == job, JobRun.status == "done"
        )
    ).scalar_one_or_none()
