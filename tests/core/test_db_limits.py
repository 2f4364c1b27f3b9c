"""Database time limits on PostgreSQL: web requests are cut with a message, jobs
run under their own, longer limit.

A query is made to run long the way it happens in production: it waits on a
lock another session holds (a statement's time limit counts lock waits).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from rq import Queue
from sqlalchemy import select, text, update

from app.models import Case, FollowUp
from app.services.core import db_limits
from tests.browser import screenshot_dir
from tests.factories import CaseFactory

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="statement time limits are a PostgreSQL feature",
)

MESSAGE = "数据库响应超时，本次请求已中止，未做任何更改。"


@contextlib.contextmanager
def locked(db: Any, table: str, seconds: float | None = None) -> Iterator[None]:
    """Another session holds an exclusive lock on `table` (for `seconds`)."""
    conn = db.engine.connect()
    transaction = conn.begin()
    conn.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
    timer = None
    if seconds is not None:
        timer = threading.Timer(seconds, transaction.rollback)
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.join()
        if transaction.is_active:
            transaction.rollback()
        conn.close()


@pytest.fixture
def limits(app, monkeypatch):
    def _set(web: float, job: float) -> None:
        monkeypatch.setitem(app.config, "DB_STATEMENT_TIMEOUT", web)
        monkeypatch.setitem(app.config, "JOB_STATEMENT_TIMEOUT", job)

    return _set


def test_a_screen_past_the_limit_is_stopped_with_a_message(db, login, limits):
    browser = login("cs")
    limits(web=0.3, job=30)
    with locked(db, "service_case"):
        began = time.monotonic()
        response = browser.get("/cases/list/")
        elapsed = time.monotonic() - began
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert MESSAGE in page and "请求处理超时" in page
    assert elapsed < 5
    # The next request works again on the same connections.
    assert browser.get("/cases/list/").status_code == 200


def test_an_api_call_past_the_limit_is_stopped_with_a_json_message(db, api, limits):
    client = api("cs")
    limits(web=0.3, job=30)
    with locked(db, "service_case"):
        response = client.get("/api/v1/case/")
    assert response.status_code == 503
    assert response.get_json()["message"].startswith(MESSAGE)
    assert client.get("/api/v1/case/").status_code == 200


def _closed_complaint(db) -> None:
    case = CaseFactory()
    db.session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(status="closed", closed_at=case.received_at, resolution_state="met")
    )
    db.session.commit()


def test_a_job_is_not_cut_at_the_web_limit(db, queues, work, limits, redis_conn):
    _closed_complaint(db)
    limits(web=0.2, job=30)
    job = queues.enqueue("app.jobs.tasks.generate_followups")
    # The job waits a second for the follow-up table, five times the web limit.
    with locked(db, "followup", seconds=1.0):
        work()
    assert job.get_status(refresh=True) == "finished", job.latest_result()
    assert job.return_value() == {"created": 1}
    assert len(db.session.scalars(select(FollowUp)).all()) == 1


def test_a_job_past_its_own_limit_is_stopped(db, queues, work, limits, redis_conn):
    _closed_complaint(db)
    limits(web=30, job=0.3)
    job = queues.enqueue("app.jobs.tasks.generate_followups")
    with locked(db, "followup", seconds=2.0):
        work()
    assert job.id in Queue("default", connection=redis_conn).failed_job_registry
    assert not db.session.scalars(select(FollowUp)).all()


def test_each_kind_of_work_runs_under_its_limits(app, db, limits):
    limits(web=12, job=345)

    def shown() -> tuple[str, str, str]:
        from app.extensions import db as _db

        with app.app_context():
            values = tuple(
                _db.session.execute(text(f"SHOW {name}")).scalar_one()
                for name in (
                    "statement_timeout",
                    "idle_in_transaction_session_timeout",
                    "jit",
                )
            )
            _db.session.remove()
        return values

    with db.engine.connect() as conn:
        server_jit = conn.execute(text("SHOW jit")).scalar_one()
    # Web requests: short limits and no JIT compilation.
    with app.test_request_context("/"):
        assert shown() == ("12s", "1min", "off")
    with db_limits.for_jobs():
        assert shown() == ("345s", "15min", server_jit)
    assert shown() == ("0", "0", server_jit)  # commands and migrations: no limit


def test_a_clerk_sees_why_a_page_was_stopped(db, person, limits):
    """In the browser: the case list waits on a lock past the limit; the clerk
    reads what happened in Chinese and goes on once the lock is gone."""
    clerk = person("cs")
    clerk.page.wait_for_load_state("networkidle")  # the landing page's charts
    limits(web=0.5, job=30)
    with locked(db, "service_case"):
        clerk.open("/cases/list/")
        clerk.expect_text("请求处理超时", MESSAGE)
        clerk.screenshot(screenshot_dir(), "db-time-limit-page")
    # The 503 is what this test is about, not a failure of the page.
    problems = clerk.problems
    assert problems.server_errors == [f"503 {clerk.page.url}"]
    assert [e for e in problems.console_errors if "503" not in e] == []
    problems.server_errors.clear()
    problems.console_errors.clear()
    clerk.click("首页")
    clerk.open("/cases/list/")
    assert "请求处理超时" not in clerk.text()
