"""Gap-free document numbers such as CS-2026-000123.

The counter row is advanced by an upsert inside the caller's transaction: a
concurrent creator waits on the row lock until the first commits or rolls
back, so numbers are unique, and a rolled-back insert gives its number back.
Set-based inserts lock the counter first, number their rows from its value
in SQL and advance it by the count in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from app.extensions import db
from app.models import NumberSequence, now

WIDTH = 6
PREFIXES = {
    "case": "CS",
    "customer": "KH",
    "pickup": "PK",
    "ticket": "BD",
    "inspection": "QC",
    "settlement": "JS",
    "voucher": "PZ",
    "followup": "HF",
    "action": "GJ",
    "statement": "DZ",
    "overdue": "YQ",
    "visit_plan": "XJ",
    "visit": "XF",
}


def _advance(kind: str, year: int, step: int) -> int:
    """Move the counter by `step` (creating it), locking its row; its new value."""
    dialect = db.session.get_bind().dialect.name
    return int(db.session.execute(_upsert(dialect, kind, year, step)).scalar_one())


def _upsert(dialect: str, kind: str, year: int, step: int) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = NumberSequence.__table__
    stmt = (
        insert(table)
        .values(name=kind, year=year, last_value=step)
        .on_conflict_do_update(
            index_elements=[table.c.name, table.c.year],
            set_={"last_value": table.c.last_value + step},
        )
        .returning(table.c.last_value)
    )
    return stmt


def next_number(kind: str, when: dt.datetime | None = None) -> str:
    """Take the next number of `kind` for the year of `when` (business time)."""
    year = (when or now()).year
    return f"{PREFIXES[kind]}-{year}-{_advance(kind, year, 1):0{WIDTH}d}"


def give_back(kind: str, number: str) -> bool:
    """Return the number just taken when its insert turned out unnecessary.

    Valid only in the transaction that took it: that transaction still holds
    the counter row's lock, so no later number exists and the series stays
    gap-free. Returns whether the counter was moved back.
    """
    prefix, year, value = number.rsplit("-", 2)
    if prefix != PREFIXES[kind]:
        raise ValueError(f"{number} is not a {kind} number")
    table = NumberSequence.__table__
    result = db.session.execute(
        table.update()
        .where(
            table.c.name == kind,
            table.c.year == int(year),
            table.c.last_value == int(value),
        )
        .values(last_value=int(value) - 1)
    )
    return bool(result.rowcount)


def lock_counter(kind: str, when: dt.datetime) -> int:
    """Lock the counter of `kind` for the year of `when`; returns its last value.

    For a block of numbers taken by one set-based insert: the lock is held
    until the transaction ends, so no other creator can take a number (or see
    the counter) before the block is committed with `advance_counter`.
    """
    return _advance(kind, when.year, 0)


def lock_counter_on(connection: Connection, kind: str, when: dt.datetime) -> int:
    """`lock_counter` in the transaction of `connection` (not the session's)."""
    stmt = _upsert(connection.dialect.name, kind, when.year, 0)
    return int(connection.execute(stmt).scalar_one())


def advance_counter(kind: str, when: dt.datetime, by: Any) -> Any:
    """UPDATE moving the locked counter past a block (`by`: int or SQL count)."""
    table = NumberSequence.__table__
    return (
        table.update()
        .where(table.c.name == kind, table.c.year == when.year)
        .values(last_value=table.c.last_value + by)
    )


def number_sql(kind: str, when: dt.datetime, value: Any) -> Any:
    """SQL text of the number `value` of `kind` for the year of `when`
    (the same format as `next_number`: CS-2026-000123)."""
    from app.services.core.portable_sql import zero_padded

    return literal(f"{PREFIXES[kind]}-{when.year}-") + zero_padded(value, WIDTH)
