"""One large set-based write split over several PostgreSQL connections.

PostgreSQL runs an INSERT ... SELECT on one core: its per-row work (foreign
key checks, index entries, triggers) does not spread. `write_in_parts` runs
the parts of such a write at once, each on its own connection, all reading
one snapshot, and commits them only when every part has succeeded:

1. the leading connection (REPEATABLE READ) runs `begin` (e.g. locks a
   number counter) and exports its snapshot;
2. every part's statement is built (`statement(head, part)`), part 0 runs on
   the leading connection, the others on helper connections importing the
   snapshot (`SET TRANSACTION SNAPSHOT`), at the same time;
3. if any part fails, every part rolls back and the first error is raised
   (a serialization failure - a row the parts lock was changed meanwhile -
   is retried from 1 on a new snapshot, up to RETRIES times);
4. otherwise each helper checks that its connection still answers, then
   `finish(leader, total)` runs on the leading connection (e.g. advances
   the counter past the block), the leader commits, then the helpers commit.

Parts wait for one another idle in their transactions: the server's
idle-in-transaction limit is lifted inside them (the statement limit still
applies, and a helper that hears nothing for WAIT seconds rolls back).

With `lock` (an advisory lock key), the leading connection holds that lock
from before its snapshot until every part has committed: another writer
taking the same key (as a transaction lock, `hold`) waits, then sees all the
parts.

The one gap: a helper whose connection is lost between its check and its
COMMIT (the time of the leader's `finish` and commit) leaves its part
unwritten; that is raised as `PartNotCommitted`, and a rerun writes it.
Rows of the committed parts are never lost or duplicated. (Two-phase
commit would close it, but needs max_prepared_transactions, off by
default.)

Helpers run in a copy of the caller's context (the caller's database limits
apply to their statements) with their own pooled connection.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from app.extensions import db

logger = logging.getLogger(__name__)

RETRIES = 5
SERIALIZATION_FAILURE = "40001"
# Longest wait (s) for a part's result or the decision to commit, beyond
# the statement limits (a part never waits on another part's rows).
WAIT = 3600


class PartNotCommitted(RuntimeError):
    """A helper's commit failed after the leading part committed."""


def _serialization_failure(error: BaseException) -> bool:
    return (
        isinstance(error, DBAPIError)
        and getattr(error.orig, "pgcode", None) == SERIALIZATION_FAILURE
    )


NO_IDLE_LIMIT = text("SET LOCAL idle_in_transaction_session_timeout = 0")


class _Helper:
    """A part on its own connection: runs its statement on the snapshot,
    then answers the leader: "check" (is the connection alive), True
    (commit) or False (roll back)."""

    def __init__(self, snapshot: str, statement: Any) -> None:
        self.results: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.orders: queue.Queue[Any] = queue.Queue()
        self.answers: queue.Queue[BaseException | None] = queue.Queue()
        app = current_app._get_current_object()
        engine = db.engine

        def run() -> None:
            try:
                with app.app_context(), engine.connect() as connection:
                    connection = connection.execution_options(
                        isolation_level="REPEATABLE READ"
                    )
                    transaction = connection.begin()
                    try:
                        connection.execute(
                            text("SET TRANSACTION SNAPSHOT :snapshot"),
                            {"snapshot": snapshot},
                        )
                        connection.execute(NO_IDLE_LIMIT)
                        self.results.put(int(connection.execute(statement).scalar()))
                        order = self.orders.get(timeout=WAIT)
                        if order == "check":
                            connection.execute(text("SELECT 1"))
                            self.answers.put(None)
                            order = self.orders.get(timeout=WAIT)
                    except BaseException:
                        transaction.rollback()
                        raise
                    if order is True:
                        transaction.commit()
                    else:
                        transaction.rollback()
            except BaseException as error:  # handed to the leader
                if self.results.empty():
                    self.results.put(error)
                self.answers.put(error)
                return
            self.answers.put(None)

        self.thread = threading.Thread(
            target=contextvars.copy_context().run, args=(run,), daemon=True
        )
        self.thread.start()

    def result(self) -> Any:
        return self.results.get(timeout=WAIT)

    def check(self) -> BaseException | None:
        """Whether the part's connection still answers (None) or its error."""
        if not self.thread.is_alive():
            return self.answers.get(timeout=WAIT)
        self.orders.put("check")
        return self.answers.get(timeout=WAIT)

    def decide(self, commit: bool) -> BaseException | None:
        """Tell the part to commit or roll back; its error, if any."""
        if self.thread.is_alive():
            self.orders.put(commit)
            error = self.answers.get(timeout=WAIT)
        else:
            error = self.answers.get_nowait() if not self.answers.empty() else None
        self.thread.join(timeout=10)
        return error


def hold(lock: int) -> None:
    """Wait for, and hold until the session's transaction ends, the advisory
    lock `lock` (PostgreSQL): no write in parts under it runs meanwhile."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})


def write_in_parts(
    parts: int,
    begin: Callable[[Connection], Any],
    statement: Callable[[Any, int], Any],
    finish: Callable[[Connection, int], None],
    lock: int | None = None,
) -> int:
    """Run `statement(head, part)` for part = 0 .. parts-1 at once on one
    snapshot and commit them all; returns the sum of their results (each a
    scalar count). `head` is what `begin(leader)` returned; `lock`: see the
    module. PostgreSQL only.

    Raises the first part's error (nothing committed), or `PartNotCommitted`
    (the leading part and `finish` committed, some helper's part not).
    """
    with db.engine.connect() as leader:
        if lock is not None:
            leader.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock})
            leader.commit()
        try:
            return _write(leader, parts, begin, statement, finish)
        finally:
            if lock is not None:
                leader.rollback()
                leader.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock})
                leader.commit()


def _write(
    connection: Connection,
    parts: int,
    begin: Callable[[Connection], Any],
    statement: Callable[[Any, int], Any],
    finish: Callable[[Connection, int], None],
) -> int:
    leader = connection.execution_options(isolation_level="REPEATABLE READ")
    for attempt in range(RETRIES):
        try:
            return _attempt(leader, parts, begin, statement, finish)
        except DBAPIError as error:
            if not _serialization_failure(error) or attempt == RETRIES - 1:
                raise
            logger.info("Write in parts: retrying on a newer snapshot")
    raise AssertionError("unreachable")  # pragma: no cover


def _attempt(
    leader: Connection,
    parts: int,
    begin: Callable[[Connection], Any],
    statement: Callable[[Any, int], Any],
    finish: Callable[[Connection, int], None],
) -> int:
    """One try: every part written and committed, or none (raises)."""
    transaction = leader.begin()
    helpers: list[_Helper] = []
    try:
        head = begin(leader)
        snapshot = leader.execute(text("SELECT pg_export_snapshot()")).scalar()
        leader.execute(NO_IDLE_LIMIT)
        statements = [statement(head, part) for part in range(parts)]
        helpers = [_Helper(snapshot, s) for s in statements[1:]]
        total = int(leader.execute(statements[0]).scalar())
        results = [helper.result() for helper in helpers]
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is None:
            failed = next((e for e in (h.check() for h in helpers) if e), None)
        if failed is not None:
            raise failed
        finish(leader, total + sum(results))
        transaction.commit()
    except BaseException:
        transaction.rollback()
        for helper in helpers:
            helper.decide(False)
        raise
    errors = [error for error in (h.decide(True) for h in helpers) if error]
    if errors:
        logger.error("Write in parts: a part did not commit: %s", errors[0])
        raise PartNotCommitted(str(errors[0])) from errors[0]
    return total + sum(results)
