"""Savepoints that nest in the caller's transaction on every database."""

from __future__ import annotations

from sqlalchemy import text

from app.extensions import db


def open_for_savepoints() -> None:
    """Make sure a real transaction is open before the first SAVEPOINT.

    pysqlite (legacy transaction control) sends BEGIN only before the first
    INSERT/UPDATE/DELETE; a SAVEPOINT sent before that opens a transaction of
    its own, and releasing it commits - a later rollback would then keep it.
    A write that changes nothing opens the transaction first, so savepoints
    nest in it as they do on PostgreSQL.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            text("UPDATE number_sequence SET last_value = last_value WHERE 1 = 0")
        )
