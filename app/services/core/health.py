"""What a health check reports: database, Redis, job processes and calendar.

`GET /health` (app.ui.health) answers 200 while the database answers (the
screens work without Redis: jobs are enqueued later or caught up by the next
sweep) and 503 when it does not. `status` is "ok" when everything below is
fine, "degraded" otherwise:

- database: a trivial query;
- redis: a PING on REDIS_URL ("off" when none is configured);
- workers / cron: RQ workers and the `rq cron` scheduler registered in Redis,
  with the age of their last heartbeat;
- calendar: this year's and next year's business calendar loaded (deadlines
  need it, SPEC business calendar; a new year is published around November).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError

from app.extensions import db

# A worker or scheduler silent longer than this is reported stale.
HEARTBEAT_STALE_SECONDS = 600


def _age(moment: dt.datetime | None, at: dt.datetime) -> float | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    # Clocks of the worker and this process may differ by a fraction of a second.
    return max(0.0, round((at - moment).total_seconds(), 1))


def database_health() -> dict[str, Any]:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as problem:
        db.session.rollback()
        return {"ok": False, "error": type(problem).__name__}
    return {"ok": True}


def _connection() -> Any:
    from app.jobs import connect

    url = current_app.config.get("REDIS_URL", "")
    if not url:
        return None
    # Short timeouts: a dead Redis must not hold the health check up.
    connection = connect(url)
    connection.connection_pool.connection_kwargs.update(
        socket_connect_timeout=1, socket_timeout=2
    )
    return connection


def _processes(kind: str, found: list[Any], at: dt.datetime) -> dict[str, Any]:
    beats = [getattr(p, "last_heartbeat", None) for p in found]
    ages = [age for age in (_age(b, at) for b in beats) if age is not None]
    youngest = min(ages) if ages else None
    return {
        "ok": youngest is not None and youngest <= HEARTBEAT_STALE_SECONDS,
        "count": len(found),
        "last_heartbeat_seconds_ago": youngest,
        "kind": kind,
    }


def jobs_health(at: dt.datetime) -> dict[str, dict[str, Any]]:
    """Redis, workers and the cron scheduler as Redis knows them."""
    from rq import Worker
    from rq.cron import CronScheduler

    connection = _connection()
    if connection is None:
        off = {"ok": False, "configured": False}
        return {"redis": off, "workers": off, "cron": off}
    try:
        connection.ping()
        workers = Worker.all(connection=connection)
        schedulers = CronScheduler.all(connection)
    except (RedisError, OSError) as problem:
        down = {"ok": False, "error": type(problem).__name__}
        return {"redis": down, "workers": down, "cron": down}
    finally:
        connection.close()
    return {
        "redis": {"ok": True},
        "workers": _processes("rq worker", workers, at),
        "cron": _processes("rq cron", schedulers, at),
    }


def calendar_health(today: dt.date) -> dict[str, Any]:
    from app.models import CalendarYear

    try:
        loaded = set(
            db.session.scalars(
                sa.select(CalendarYear.year).where(
                    CalendarYear.year.in_((today.year, today.year + 1))
                )
            )
        )
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return {"ok": False, "error": "database"}
    return {
        "ok": today.year + 1 in loaded and today.year in loaded,
        "this_year": today.year in loaded,
        "next_year": today.year + 1 in loaded,
        "missing": [y for y in (today.year, today.year + 1) if y not in loaded],
    }


def report() -> tuple[dict[str, Any], bool]:
    """The health report and whether the web side can serve (database up)."""
    from app.models import BUSINESS_TZ

    at = dt.datetime.now(dt.UTC)
    checks: dict[str, Any] = {"database": database_health()}
    checks.update(jobs_health(at))
    checks["calendar"] = calendar_health(at.astimezone(BUSINESS_TZ).date())
    serving = checks["database"]["ok"]
    healthy = all(part["ok"] for part in checks.values())
    status = "ok" if healthy else ("degraded" if serving else "down")
    return {"status": status, "checked_at": at.isoformat(), **checks}, serving
