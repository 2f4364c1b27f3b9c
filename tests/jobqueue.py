"""Fixtures for the jobs: a Redis (fakeredis, or the real one in TEST_REDIS_URL),
the app's queues pointed at it, and a burst worker that runs what is queued."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from redis import Redis
from rq import Queue


def _real_redis_url() -> str:
    """TEST_REDIS_URL, moved to a database of its own per parallel test worker.

    pytest-xdist names its workers gw0, gw1, …; worker n uses the configured
    database number + n, so two workers never clear each other's queues.
    """
    url = os.environ.get("TEST_REDIS_URL", "").strip()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + int(worker[2:])}"))


REAL_REDIS = _real_redis_url()


def _clear_rq(connection: Redis) -> None:
    """Remove RQ's keys only: the test Redis database may hold other data."""
    keys = list(connection.scan_iter("rq:*", count=1000))
    for start in range(0, len(keys), 500):
        connection.delete(*keys[start : start + 500])


@pytest.fixture
def redis_conn() -> Iterator[Redis]:
    """fakeredis by default; the real server of TEST_REDIS_URL when set (CI)."""
    if REAL_REDIS:
        connection = Redis.from_url(REAL_REDIS)
        connection.ping()  # a configured but dead Redis is a failure, not a skip
        _clear_rq(connection)
        yield connection
        _clear_rq(connection)
        connection.close()
    else:
        import fakeredis

        yield fakeredis.FakeRedis(server=fakeredis.FakeServer())


@pytest.fixture
def queues(app: Any, db: Any, redis_conn: Redis) -> Iterator[Any]:
    """The app's JobQueues on the test Redis; workers in this process use `app`."""
    from app.jobs import jobs
    from app.jobs.worker import set_app

    set_app(app)
    jobs(app).use(redis_conn)
    yield jobs(app)
    jobs(app).use(None)


@pytest.fixture
def work(queues: Any, redis_conn: Redis, db: Any) -> Any:
    """work() runs every queued job with a real RQ worker in burst mode."""
    from app.jobs import QUEUES
    from app.jobs.worker import AppSimpleWorker

    def _work(*names: str) -> AppSimpleWorker:
        worker = AppSimpleWorker(
            [Queue(name, connection=redis_conn) for name in names or QUEUES],
            connection=redis_conn,
        )
        worker.work(burst=True)
        db.session.expire_all()
        return worker

    return _work


def shift(base: dt.datetime, **delta: float) -> dt.datetime:
    return base + dt.timedelta(**delta)


@pytest.fixture(autouse=True)
def _app_loggers_enabled() -> None:
    """Alembic's fileConfig (run in-process to build the template database)
    disables loggers that existed then; the app's log is part of what is tested."""
    import logging

    for name, logger in logging.Logger.manager.loggerDict.items():
        if name.startswith(("app", "rq")) and isinstance(logger, logging.Logger):
            logger.disabled = False
