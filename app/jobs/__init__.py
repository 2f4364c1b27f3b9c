"""Background jobs on RQ: the Redis connection, the queues and safe enqueueing.

The web process only enqueues; workers (`app.jobs.worker`) run the jobs of
`app.jobs.tasks` inside an app context as the system user; `rq cron` runs the
cheap ticks of `app.jobs.schedule`. With Redis unreachable, enqueueing from an
event handler is logged and skipped: the record is already committed and the
next periodic sweep catches up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError
from rq.job import Job

logger = logging.getLogger(__name__)

# "sla" carries the deadline check and escalations, "default" the rest; a
# worker listens on both, in this order.
SLA_QUEUE = "sla"
DEFAULT_QUEUE = "default"
QUEUES = (SLA_QUEUE, DEFAULT_QUEUE)

# After a failed connection, skip enqueue attempts for this long so that a
# dead Redis does not cost every web request a connection timeout.
RETRY_AFTER_SECONDS = 30.0


def connect(url: str) -> Redis:
    """A Redis client for redis://, rediss:// or unix:// (embedded Redis) URLs."""
    return Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30
    )


class JobQueues:
    """Per-app access to Redis and the RQ queues (app.extensions["jobs"])."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._connection: Redis | None = None
        self._down_until = 0.0

    @property
    def enabled(self) -> bool:
        return bool(self.url) or self._connection is not None

    @property
    def connection(self) -> Redis:
        if self._connection is None:
            if not self.url:
                raise RuntimeError("REDIS_URL is not set: background jobs are off.")
            self._connection = connect(self.url)
        return self._connection

    def use(self, connection: Redis | None) -> None:
        """Point at another connection (tests: fakeredis, a dead or real server)."""
        self._connection = connection
        self._down_until = 0.0

    def queue(self, name: str = DEFAULT_QUEUE) -> Queue:
        return Queue(name, connection=self.connection)

    def enqueue(
        self,
        func: Callable[..., Any] | str,
        *args: Any,
        queue: str = DEFAULT_QUEUE,
        job_id: str | None = None,
        unique: bool = False,
        **options: Any,
    ) -> Job:
        """Enqueue a job; raises RedisError, or DuplicateJobError when unique."""
        return self.queue(queue).enqueue(
            func, *args, job_id=job_id, unique=unique, **options
        )

    def enqueue_safely(
        self, func: Callable[..., Any] | str, *args: Any, **kwargs: Any
    ) -> Job | None:
        """Enqueue after a commit: never fail the caller; the sweeps catch up."""
        if not self.enabled:
            logger.debug("Jobs are off (no REDIS_URL); not enqueueing %s", func)
            return None
        if time.monotonic() < self._down_until:
            logger.warning("Redis was unreachable recently; not enqueueing %s", func)
            return None
        try:
            return self.enqueue(func, *args, **kwargs)
        except DuplicateJobError:
            return None
        except (RedisError, OSError):
            self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.exception(
                "Could not enqueue %s%r; the next sweep catches up", func, args
            )
            return None


def jobs(app: Flask | None = None) -> JobQueues:
    """The JobQueues of the given or current app."""
    return (app or current_app).extensions["jobs"]


def init_app(app: Flask) -> None:
    """Attach the queues to the app and subscribe the event handlers."""
    from app.jobs import events

    app.extensions["jobs"] = JobQueues(app.config.get("REDIS_URL", ""))
    events.subscribe_all()
