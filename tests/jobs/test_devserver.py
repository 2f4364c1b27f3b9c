"""`make run`'s supervisor: the web server outlives Redis; worker and cron come
back with it, and what was saved meanwhile is caught up."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rq import Queue
from sqlalchemy import select

from app.devserver import ROOT, Supervisor, job_commands, web_command
from app.models import CaseCategory, Channel, IncidentType, Notification
from tests.conftest import PASSWORD
from tests.factories import CustomerFactory, by_code
from tests.jobs.test_redis_down import ThrowawayRedis, free_port

# Seconds for the whole story: about 50 on an idle machine; the bound leaves
# room for CI, where two suites share two cores.
BUDGET = 120.0


def http(
    method: str, url: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    """(status, JSON or text) of one request to the served app."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
        url, data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def wait_for(what: str, check: Callable[[], Any], until: float) -> Any:
    while time.monotonic() < until:
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _url(url: Any) -> str:
    if hasattr(url, "render_as_string"):
        return url.render_as_string(hide_password=False)
    return str(url)


@pytest.fixture
def redis_server() -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: cannot stop and restart Redis")
    server = ThrowawayRedis()
    yield server
    server.stop()


def test_web_outlives_redis_and_jobs_resume_when_it_returns(
    demo_db, database, redis_server, tmp_path
):
    throwaway_redis = redis_server
    customer = CustomerFactory()
    demo_db.session.commit()
    throwaway_redis.start()
    redis_url = f"redis://127.0.0.1:{throwaway_redis.port}/0"
    port = str(free_port())
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "APP_ENV": "development",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": _url(database.url),
        "REDIS_URL": redis_url,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "DEMO_PASSWORD": PASSWORD,
        "TZ": "Asia/Shanghai",
        "PYTHONPATH": str(ROOT),
    }
    supervisor = Supervisor(
        env, web_command(port), job_commands(redis_url), redis_url, check_every=0.3
    )
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop.is_set,), daemon=True)
    until = time.monotonic() + BUDGET
    thread.start()
    try:

        def health() -> dict[str, Any]:
            return http("GET", f"{base}/health")[1]

        def jobs_registered() -> bool:
            report = health()
            return (
                report["workers"].get("count", 0) >= 1
                and report["cron"].get("count", 0) >= 1
            )

        wait_for("web, worker and cron", jobs_registered, until)

        # Redis goes away: the web server stays; worker and cron are stopped.
        throwaway_redis.stop()
        wait_for("jobs stopped", lambda: supervisor.jobs == [None, None], until)
        assert http("GET", f"{base}/login/")[0] == 200
        report = health()
        assert report["status"] == "degraded" and report["redis"]["ok"] is False
        assert report["database"]["ok"] is True
        status, signed_in = http(
            "POST",
            f"{base}/api/v1/security/login",
            {"username": "cs", "password": PASSWORD, "provider": "db"},
        )
        assert status == 200, signed_in
        status, saved = http(
            "POST",
            f"{base}/api/v1/case/",
            token=signed_in["access_token"],
            body={
                "customer": customer.id,
                "kind": "incident",
                "incident_type": by_code(IncidentType, "safety_accident").id,
                "severity": "urgent",
                "category": by_code(CaseCategory, "other").id,
                "channel": by_code(Channel, "hotline").id,
                "title": "厂区叉车事故",
                "description": "装卸时叉车侧翻，一人轻伤",
            },
        )
        assert status == 201, saved
        incident = saved["id"]

        # Redis returns (empty): worker and cron start again and register anew.
        throwaway_redis.start()
        wait_for("worker and cron back", jobs_registered, until)
        job = Queue("sla", connection=throwaway_redis.client()).enqueue(
            "app.jobs.tasks.check_deadlines", job_timeout=60
        )
        wait_for(
            "the deadline check to run", lambda: job.get_status() == "finished", until
        )
        demo_db.session.expire_all()
        opened = demo_db.session.scalars(
            select(Notification).where(
                Notification.clock == "opened", Notification.record_id == incident
            )
        ).all()
        assert opened, "the incident saved while Redis was down was not caught up"
        assert health()["status"] in ("ok", "degraded")
        assert health()["redis"]["ok"] is True
    finally:
        stop.set()
        thread.join(timeout=30)
        supervisor.stop()
