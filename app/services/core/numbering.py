"""Gap-free document numbers such as CS-2026-000123.

The counter row is advanced by an upsert inside the caller's transaction: a
concurrent creator waits on the row lock until the first commits or rolls
back, so numbers are unique, and a rolled-back insert gives its number back.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import NumberSequence, now

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
}


def next_number(kind: str, when: dt.datetime | None = None) -> str:
    """Take the next number of `kind` for the year of `when` (business time)."""
    prefix = PREFIXES[kind]
    year = (when or now()).year
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = NumberSequence.__table__
    stmt = (
        insert(table)
        .values(name=kind, year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=[table.c.name, table.c.year],
            set_={"last_value": table.c.last_value + 1},
        )
        .returning(table.c.last_value)
    )
    value = db.session.execute(stmt).scalar_one()
    return f"{prefix}-{year}-{value:06d}"


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
