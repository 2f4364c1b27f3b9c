"""Time limits on database work (PostgreSQL): web requests short, jobs longer.

A query that runs away (or waits on a lock) must not hold a web worker thread
and a database connection until it ends. Every connection is given, when the
pool hands it out, the limits of the work that takes it:

- in a web request: `DB_STATEMENT_TIMEOUT` seconds per statement and
  `DB_IDLE_IN_TRANSACTION_TIMEOUT` seconds idle inside a transaction;
- in a background job (`for_jobs`, entered by the worker around every job):
  `JOB_STATEMENT_TIMEOUT` and `JOB_IDLE_IN_TRANSACTION_TIMEOUT`;
- elsewhere (commands, migrations): no limit.

Web requests also run without PostgreSQL's JIT compilation: a page's queries
take milliseconds, but one whose cost is estimated high (a list asking its
scope customer by customer, say) would spend ~0.6 s compiling first. Jobs
and commands keep the server's setting.

0 means no limit. The settings are sent only when they differ from what the
connection already has, so a pool serving one kind of work pays nothing per
request. When a limit fires PostgreSQL cancels the statement (SQLSTATE 57014)
or ends the idle session (25P03); `is_timeout` recognises both and the web
layer answers with a message instead of an error page (`app.ui.errors`).
SQLite (the embedded development database) has no such limits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from flask import Flask, current_app, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

# What the connections of this context are doing: "job", or None (see above).
_work: ContextVar[str | None] = ContextVar("db_work", default=None)
SETTINGS_KEY = "db_limits"
TIMEOUT_CODES = ("57014", "25P03")  # query_canceled, idle_in_transaction timeout

DEFAULTS = {
    "DB_STATEMENT_TIMEOUT": 30.0,
    "DB_IDLE_IN_TRANSACTION_TIMEOUT": 60.0,
    "JOB_STATEMENT_TIMEOUT": 900.0,
    "JOB_IDLE_IN_TRANSACTION_TIMEOUT": 900.0,
}


@contextlib.contextmanager
def for_jobs() -> Iterator[None]:
    """Database work inside the block runs under the jobs' limits."""
    token = _work.set("job")
    try:
        yield
    finally:
        _work.reset(token)


def _milliseconds(name: str) -> int:
    value = current_app.config.get(name, DEFAULTS[name])
    return max(0, round(float(value or 0) * 1000))


def wanted() -> tuple[int, int, bool]:
    """(statement, idle-in-transaction) limits in ms for the current work,
    and whether it may use JIT compilation."""
    if not has_app_context():
        return (0, 0, True)
    if _work.get() == "job":
        prefix = "JOB"
    elif has_request_context():
        prefix = "DB"
    else:
        return (0, 0, True)
    return (
        _milliseconds(f"{prefix}_STATEMENT_TIMEOUT"),
        _milliseconds(f"{prefix}_IDLE_IN_TRANSACTION_TIMEOUT"),
        prefix == "JOB",
    )


def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    limits = wanted()
    if record.info.get(SETTINGS_KEY) == limits:
        return
    cursor = dbapi_connection.cursor()
    try:
        statement, idle, jit = limits
        cursor.execute(
            "SET statement_timeout = %s; SET idle_in_transaction_session_timeout = %s; "
            + ("SET jit TO DEFAULT" if jit else "SET jit = off"),
            (statement, idle),
        )
    finally:
        cursor.close()
    dbapi_connection.commit()  # outside any transaction the pool resets
    record.info[SETTINGS_KEY] = limits


def install(app: Flask, engine: Engine) -> None:
    """Give the app's PostgreSQL connections the limits of their work."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    if engine.dialect.name == "postgresql" and not event.contains(
        engine, "checkout", _on_checkout
    ):
        event.listen(engine, "checkout", _on_checkout)


def is_timeout(error: BaseException) -> bool:
    """Whether a database error is a limit of this module firing."""
    original = getattr(error, "orig", None)
    return getattr(original, "pgcode", None) in TIMEOUT_CODES
