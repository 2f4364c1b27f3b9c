"""Worker side: one Flask app per worker process, an app context per job.

Production: ``rq worker --worker-class app.jobs.worker.AppWorker
--job-class app.jobs.worker.AppJob --url $REDIS_URL sla default``. The worker
builds the app once (before forking, so each work horse inherits it), and
every job runs in a fresh app context, acting as the system user, under the
jobs' database time limits (`app.services.core.db_limits`), with its own
database session that is removed afterwards.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from rq import SimpleWorker, Worker
from rq.job import Job

logger = logging.getLogger(__name__)

_app: dict[str, Any] = {"app": None, "pid": None}


def set_app(app: Flask) -> None:
    """Use this app for jobs run in this process (tests pass their app)."""
    _app["app"] = app
    _app["pid"] = os.getpid()


def worker_app() -> Flask:
    """The process's app, created from the environment on first use."""
    if _app["app"] is None:
        from app import create_app

        set_app(create_app())
    return _app["app"]


class AppJob(Job):
    """A job that runs inside an app context as the system user."""

    def _execute(self) -> Any:
        from app.extensions import db
        from app.security.access import acting_as, system_user
        from app.services.core import db_limits

        app = worker_app()
        with app.app_context():
            if _app["pid"] != os.getpid():
                # A forked work horse must not reuse the parent's pooled sockets.
                db.engine.dispose(close=False)
                _app["pid"] = os.getpid()
            try:
                with db_limits.for_jobs(), acting_as(system_user()):
                    return super()._execute()
            except Exception:
                logger.exception("Job %s (%s) failed", self.id, self.func_name)
                db.session.rollback()
                raise
            finally:
                db.session.remove()


def _with_app_job(kwargs: dict[str, Any]) -> dict[str, Any]:
    """`rq worker` passes its default Job class; jobs need the app context."""
    job_class = kwargs.get("job_class")
    if not (isinstance(job_class, type) and issubclass(job_class, AppJob)):
        kwargs["job_class"] = AppJob
    return kwargs


class AppWorker(Worker):
    """Forking worker that builds the app once, before its first fork."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **_with_app_job(kwargs))
        worker_app()


class AppSimpleWorker(SimpleWorker):
    """Non-forking variant (tests, platforms without fork)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **_with_app_job(kwargs))
        worker_app()
