"""The departments that see a customer through its cases and pickups.

A clerk sees a customer when they see one of its cases or pickups
(app.security.scope). The personal arms of those rules (created by the clerk,
owned by them) read a few indexed rows; the department arm does not: an
Operations clerk sees every pickup, and asking which customers those belong
to read hundreds of thousands of rows on every page of the customer list.

`customer_scope` holds that department arm ready: per (department, customer)
the number of the customer's cases routed to the department and pickups the
department sees (its own, or at the stage of the flow it handles:
`scope.PICKUP_STAGE_FROM`). Database triggers keep it on every path (screens,
API, import, jobs, SQL); a row goes when its count reaches zero.

Note for later migrations: a SQLite batch_alter_table that recreates
`service_case` or `pickup` drops these triggers; re-create them after it.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import exists, func, select, text

from app.extensions import db
from app.models import Customer, CustomerScope

TABLE = "customer_scope"
# A department that sees more than this share of the customers is asked
# customer by customer (the list stops after its page); one that sees fewer,
# by the set of its customers (read once per query).
WIDE_SHARE = 0.5
# How long a process keeps a department's share (seconds).
SHARE_KEPT_S = 600.0
_shares: dict[int, tuple[float, float]] = {}


def _pickup_departments(row: str) -> str:
    """SQL condition on `department d`: the departments that see pickup `row`
    by department (its own, or the stage of the flow they handle)."""
    from app.security.scope import PICKUP_STAGE_FROM

    terms = [f"d.id = {row}.department_id"]
    for code, statuses in PICKUP_STAGE_FROM.items():
        listed = ", ".join(f"'{status}'" for status in statuses)
        terms.append(f"(d.code = '{code}' AND {row}.status IN ({listed}))")
    return " OR ".join(terms)


# (table, columns whose change moves the row's departments, departments of `row`)
SOURCES = (
    ("service_case", ("customer_id", "department_id"), "d.id = {row}.department_id"),
    ("pickup", ("customer_id", "department_id", "status"), None),
)


def _departments(condition: str | None, row: str) -> str:
    return _pickup_departments(row) if condition is None else condition.format(row=row)


def _add_sql(condition: str | None, row: str) -> str:
    return (
        f"INSERT INTO {TABLE} (department_id, customer_id, records) "  # noqa: S608
        f"SELECT d.id, {row}.customer_id, 1 FROM department d "
        f"WHERE {row}.customer_id IS NOT NULL "
        f"AND ({_departments(condition, row)}) "
        "ON CONFLICT (department_id, customer_id) "
        f"DO UPDATE SET records = {TABLE}.records + 1"
    )


def _remove_sql(condition: str | None, row: str) -> list[str]:
    return [
        f"UPDATE {TABLE} SET records = records - 1 "  # noqa: S608
        f"WHERE customer_id = {row}.customer_id AND department_id IN "
        f"(SELECT d.id FROM department d WHERE {_departments(condition, row)})",
        f"DELETE FROM {TABLE} WHERE customer_id = {row}.customer_id "  # noqa: S608
        "AND records <= 0",
    ]


def trigger_sql(dialect: str) -> list[str]:
    """DDL of the triggers keeping `customer_scope` (PostgreSQL or SQLite)."""
    statements = []
    for table, columns, condition in SOURCES:
        name = f"{table}_customer_scope"
        add = _add_sql(condition, "NEW")
        remove = _remove_sql(condition, "OLD")
        if dialect == "postgresql":
            new = ", ".join(f"NEW.{c}" for c in columns)
            old = ", ".join(f"OLD.{c}" for c in columns)
            statements += [
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP = 'UPDATE' AND ROW({new}) IS NOT DISTINCT FROM ROW({old}) "
                "THEN RETURN NULL; END IF; "
                "IF TG_OP IN ('UPDATE', 'DELETE') THEN "
                + "; ".join(remove)
                + "; END IF; "
                f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {add}; END IF; "
                "RETURN NULL; END $$",
                f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE OF "
                f"{', '.join(columns)} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()",
            ]
        else:
            changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
            statements += [
                f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} "
                f"FOR EACH ROW BEGIN {add}; END",
                f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(columns)} "
                f"ON {table} FOR EACH ROW WHEN {changed} "
                f"BEGIN {'; '.join(remove)}; {add}; END",
                f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} "
                f"FOR EACH ROW BEGIN {'; '.join(remove)}; END",
            ]
    return statements


def drop_trigger_sql(dialect: str) -> list[str]:
    statements = []
    for table, _columns, _condition in SOURCES:
        name = f"{table}_customer_scope"
        if dialect == "postgresql":
            statements += [
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"DROP FUNCTION IF EXISTS {name}()",
            ]
        else:
            statements += [
                f"DROP TRIGGER IF EXISTS {name}_{event}"
                for event in ("insert", "update", "delete")
            ]
    return statements


def rebuild_sql() -> list[str]:
    """Statements that fill `customer_scope` afresh from the cases and pickups."""
    arms = [
        f"SELECT d.id AS department_id, r.customer_id FROM {table} r "  # noqa: S608
        f"JOIN department d ON ({_departments(condition, 'r')}) "
        "WHERE r.customer_id IS NOT NULL"
        for table, _columns, condition in SOURCES
    ]
    return [
        f"DELETE FROM {TABLE}",  # noqa: S608
        f"INSERT INTO {TABLE} (department_id, customer_id, records) "  # noqa: S608
        "SELECT department_id, customer_id, count(*) FROM ("
        + " UNION ALL ".join(arms)
        + ") arms GROUP BY department_id, customer_id",
    ]


def rebuild() -> None:
    """Fill `customer_scope` afresh (in the caller's transaction), e.g. after
    rows were loaded with the triggers disabled."""
    for statement in rebuild_sql():
        db.session.execute(text(statement))


def department_share(department_id: int) -> float:
    """The share (0..1) of all customers that `department_id` sees through
    cases and pickups; kept per process for SHARE_KEPT_S seconds (it only
    chooses how the rule is asked, never what it answers)."""
    kept = _shares.get(department_id)
    moment = time.monotonic()
    if kept is not None and kept[0] > moment:
        return kept[1]
    with db.session.no_autoflush:  # may be asked while the session flushes
        seen = db.session.scalar(
            select(func.count()).where(CustomerScope.department_id == department_id)
        )
        customers = db.session.scalar(select(func.count()).select_from(Customer))
    share = seen / customers if customers else 0.0
    _shares[department_id] = (moment + SHARE_KEPT_S, share)
    return share


def customers_of(rows: Any, where: Any, probed: bool) -> Any:
    """The clause: the customer has a row of `rows` (a model with
    customer_id) matching `where`.

    `probed`: asked customer by customer, through the row's customer index;
    the OFFSET keeps PostgreSQL from reading every matching row into a hash
    first, which costs what matches on every query (~60 ms for a department
    seeing 97 k of 100 k customers). Right when most customers match, so a
    list stops after its page. Otherwise membership of the matching set,
    read once per query: right when few match.
    """
    if probed:
        return exists(
            select(rows.customer_id)
            .where(rows.customer_id == Customer.id, where)
            .offset(0)
        )
    return Customer.id.in_(select(rows.customer_id).where(where))


def seen_by_department(department_id: int) -> tuple[Any, bool]:
    """(the clause: the customer is seen by `department_id` through one of
    its cases or pickups, whether the department sees most customers)."""
    wide = department_share(department_id) > WIDE_SHARE
    clause = customers_of(
        CustomerScope, CustomerScope.department_id == department_id, wide
    )
    return clause, wide
