"""A worker SIGKILLed half-way through a sweep; a restarted one finishes the work."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from app.models import AppUser, Department, ImprovementAction, JobRun, Notification
from app.models import NotificationRecipient as Delivery
from tests.jobqueue import REAL_REDIS

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 600

pytestmark = pytest.mark.skipif(
    not REAL_REDIS,
    reason="needs a real Redis shared with a worker process: set TEST_REDIS_URL",
)


def _overdue_actions(db: Any) -> None:
    """ITEMS improvement actions, all past due, bulk-inserted."""
    now = dt.datetime.now(dt.UTC)
    cs = db.session.scalar(select(AppUser).where(AppUser.username == "cs"))
    department = db.session.scalar(select(Department.id).where(Department.code == "qc"))
    db.session.execute(
        insert(ImprovementAction.__table__),
        [
            {
                "number": f"GJ-2026-9{i:05d}",
                "problem": "上门迟到",
                "measure": "调整排班",
                "department_id": department,
                "owner_id": cs.id,
                "due_at": now - dt.timedelta(hours=1),
                "risk_at": now - dt.timedelta(hours=2),
                "due_state": "running",
                "status": "open",
                "escalation_level": 0,
                "created_at": now,
                "changed_at": now,
                "created_by_id": cs.id,
                "changed_by_id": cs.id,
            }
            for i in range(ITEMS)
        ],
    )
    db.session.commit()


def _worker(app: Any) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": REAL_REDIS,
        "DEADLINE_BATCH_SIZE": "3",
        "APP_ENV": "development",
        "SECRET_KEY": app.config["SECRET_KEY"],
        "TZ": "Asia/Shanghai",
        "FLASK_APP": "app",
    }
    rq = str(Path(sys.executable).parent / "rq")
    return subprocess.Popen(
        [
            rq,
            "worker",
            "--burst",
            "--url",
            REAL_REDIS,
            "--worker-class",
            "app.jobs.worker.AppWorker",
            "--path",
            str(ROOT),
            "sla",
            "default",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _count(db: Any) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Notification))


def test_sigkill_mid_sweep_then_restart_finishes_without_duplicates(app, db, queues):
    _overdue_actions(db)
    queues.enqueue("app.jobs.tasks.check_deadlines", "20261124T1200", queue="sla")
    worker = _worker(app)
    deadline = time.monotonic() + 120
    while _count(db) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    # Kill the worker and its work horse (its own process group) at once.
    for pid in [*_children(worker.pid), worker.pid]:
        os.kill(pid, signal.SIGKILL)
    worker.wait(10)
    partial = _count(db)
    assert 0 < partial < ITEMS * 2, "the kill should land in the middle of the sweep"

    # Restarted: the next slot's check (as the next cron tick) does the rest.
    queues.enqueue("app.jobs.tasks.check_deadlines", "20261124T1205", queue="sla")
    restarted = _worker(app)
    assert restarted.wait(120) == 0
    assert _count(db) == ITEMS * 2  # breached + escalated for each, no more
    pairs = db.session.execute(select(Delivery.notification_id, Delivery.user_id)).all()
    assert len(pairs) == len(set(pairs))
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ImprovementAction)
            .where(ImprovementAction.due_state == "breached")
        )
        == ITEMS
    )
    runs = dict(db.session.execute(select(JobRun.slot, JobRun.status)).all())
    assert runs == {"20261124T1200": "running", "20261124T1205": "done"}
