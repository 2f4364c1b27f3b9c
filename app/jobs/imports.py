"""Import jobs: run an uploaded workbook's import, reporting progress to RQ.

The import holds one transaction until it commits or rolls back (all or
nothing), so its progress cannot be committed to the task row meanwhile: it
goes to the job's meta in Redis, which the import page polls.
"""

from __future__ import annotations

from rq import get_current_job

from app.services.imports import importer


def run_import(task_id: int) -> None:
    job = get_current_job()

    def progress(done: int, total: int) -> None:
        if job is not None:
            job.meta["progress"] = [done, total]
            job.save_meta()

    importer.run_task(task_id, progress)
