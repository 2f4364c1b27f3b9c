"""With Redis down, cases are still created and updated; the next sweep catches up."""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import select

from app.jobs import QUEUES
from app.jobs.worker import AppSimpleWorker
from app.models import (
    AppUser,
    Case,
    CaseCategory,
    Channel,
    FollowUp,
    IncidentType,
    Notification,
)
from tests.factories import CustomerFactory, by_code


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayRedis:
    """A private redis-server on its own port, started and killed at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def client(self) -> Redis:
        return Redis(
            host="127.0.0.1",
            port=self.port,
            socket_connect_timeout=0.5,
            socket_timeout=2,
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            with contextlib.suppress(RedisError, OSError):
                if self.client().ping():
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: cannot stop and restart Redis")
    server = ThrowawayRedis()
    yield server
    server.stop()


def _ok(response: Any, code: int = 200) -> dict[str, Any]:
    assert response.status_code == code, response.get_json()
    return response.get_json()


def test_cases_work_with_redis_down_and_the_sweep_catches_up(
    app, db, api, queues, throwaway_redis, caplog
):
    queues.use(throwaway_redis.client())  # nothing listens there yet
    customer = CustomerFactory()
    cs = api("cs")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        complaint = _ok(
            cs.post(
                "/api/v1/case/",
                json={
                    "customer": customer.id,
                    "kind": "complaint",
                    "severity": "general",
                    "category": by_code(CaseCategory, "other").id,
                    "channel": by_code(Channel, "hotline").id,
                    "title": "磅单重量有误",
                    "description": "客户认为过磅少了20公斤",
                },
            ),
            201,
        )
        incident = _ok(
            cs.post(
                "/api/v1/case/",
                json={
                    "customer": customer.id,
                    "kind": "incident",
                    "incident_type": by_code(IncidentType, "safety_accident").id,
                    "severity": "urgent",
                    "category": by_code(CaseCategory, "other").id,
                    "channel": by_code(Channel, "hotline").id,
                    "title": "厂区叉车事故",
                    "description": "装卸时叉车侧翻，一人轻伤",
                },
            ),
            201,
        )
        case_id = complaint["id"]
        _ok(
            cs.put(
                f"/api/v1/case/{case_id}",
                json={
                    "solution": "复磅并补差价",
                    "findings": "复核地磅记录",
                    "root_cause": "皮重录入错误",
                    "responsibility": "company",
                },
            )
        )
        for step, data in (
            ("acknowledge", {"content": "已致电客户"}),
            (
                "assign",
                {
                    "department": str(complaint_department(db, case_id)),
                    "owner": str(user_id(db, "cs")),
                },
            ),
            ("start", {}),
            ("submit", {"result": "已复磅并补差价"}),
            ("review", {}),
            ("close", {"satisfaction": 3, "content": "已反馈结果"}),
        ):
            _ok(cs.post(f"/api/v1/case/{case_id}/step/{step}", json=data))
    assert time.monotonic() - started < 30  # no request waited on Redis for long
    assert any("Could not enqueue" in r.getMessage() for r in caplog.records)
    db.session.expire_all()
    closed = db.session.get(Case, case_id)
    assert closed.status == "closed" and closed.solution == "复磅并补差价"
    assert db.session.scalars(select(FollowUp)).all() == []  # the job never ran
    assert (
        db.session.scalars(
            select(Notification).where(Notification.clock == "opened")
        ).all()
        == []
    )

    # Redis comes back; the periodic jobs (as cron enqueues them) catch up.
    throwaway_redis.start()
    connection = throwaway_redis.client()
    queues.use(connection)
    queues.enqueue("app.jobs.tasks.check_deadlines", "20261124T1100", queue="sla")
    queues.enqueue("app.jobs.tasks.generate_followups", "20261124T1100")
    AppSimpleWorker(
        [Queue(n, connection=connection) for n in QUEUES], connection=connection
    ).work(burst=True)
    db.session.expire_all()
    visit = db.session.scalars(select(FollowUp)).one()
    assert visit.case_id == case_id
    escalation = db.session.scalars(
        select(Notification).where(Notification.clock == "opened")
    ).one()
    assert escalation.record_id == incident["id"]


def complaint_department(db: Any, case_id: int) -> int:
    return db.session.get(Case, case_id).department_id


def user_id(db: Any, username: str) -> int:
    return db.session.scalar(select(AppUser.id).where(AppUser.username == username))
