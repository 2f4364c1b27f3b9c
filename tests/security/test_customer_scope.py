"""The customer visibility rule reads `customer_scope`, kept by triggers.

The oracle is the rule as it reads without the table: a customer is seen when
it is the user's own or one of its cases or pickups is seen by their rules
(app.security.scope RULES[Case], RULES[Pickup]). Checked for every user after
each kind of change, made by the record rules and by plain SQL (an import, a
job or a hand fix in the database would pass no record rule).
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, or_, select, update

from app.models import (
    AppUser,
    Case,
    Customer,
    CustomerScope,
    Department,
    Pickup,
)
from app.security import customer_scope
from app.security.scope import RULES, visible_clause
from tests.factories import CaseFactory, CustomerFactory, PickupFactory


def _oracle(db, user) -> set[int]:
    own = or_(
        Customer.created_by_id == user.id,
        Customer.sales_rep_id == user.id,
        *(
            [Customer.department_id == user.department_id]
            if user.department_id is not None
            else []
        ),
    )
    cases = select(Case.customer_id).where(RULES[Case](user))
    pickups = select(Pickup.customer_id).where(RULES[Pickup](user))
    query = select(Customer.id).where(
        or_(own, Customer.id.in_(cases), Customer.id.in_(pickups))
    )
    return set(db.session.scalars(query))


def _seen(db, user) -> set[int]:
    return set(
        db.session.scalars(select(Customer.id).where(visible_clause(Customer, user)))
    )


def _scope_rows(db) -> set[tuple[int, int, int]]:
    return set(
        db.session.execute(
            select(
                CustomerScope.department_id,
                CustomerScope.customer_id,
                CustomerScope.records,
            )
        ).tuples()
    )


def _agrees(db, step: str) -> None:
    db.session.expire_all()
    clerks = db.session.scalars(select(AppUser).order_by(AppUser.id)).all()
    for user in clerks:
        if visible_clause(Customer, user) is None:
            continue  # sees every customer
        assert _seen(db, user) == _oracle(db, user), (step, user.username)
    # The table holds exactly what a rebuild from the records gives.
    kept = _scope_rows(db)
    customer_scope.rebuild()
    assert _scope_rows(db) == kept, step
    db.session.rollback()


def _delete_with_dependents(db, model, pk: int) -> None:
    """Delete one record in SQL, with the rows that point at it first."""
    parent = model.__table__
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table is parent and table is not parent:
                db.session.execute(delete(table).where(key.parent == pk))
    db.session.execute(delete(parent).where(parent.c.id == pk))


def _department(db, code: str) -> int:
    return db.session.scalar(select(Department.id).where(Department.code == code))


@pytest.fixture(params=["probed", "as a set"])
def asked(request, monkeypatch):
    """Both ways the rule asks `customer_scope`: customer by customer (a
    department seeing most customers) and by the department's set."""
    share = 0.0 if request.param == "probed" else 1.0
    monkeypatch.setattr(customer_scope, "WIDE_SHARE", share)
    monkeypatch.setattr(customer_scope, "_shares", {})
    return request.param


def test_the_rule_sees_the_customers_the_cases_and_pickups_give_on_every_path(
    db, asked
):
    first, second, third = (CustomerFactory() for _ in range(3))
    complaint = CaseFactory(customer=first, _as="cs")
    routed = CaseFactory(customer=second, _as="sales")
    pickup = PickupFactory(customer=third, _as="ops")
    _agrees(db, "records created through their rules")

    session = db.session
    # A case moves to another department (a transfer typed in SQL).
    session.execute(
        update(Case)
        .where(Case.id == complaint.id)
        .values(department_id=_department(db, "warehouse"))
    )
    session.commit()
    _agrees(db, "case moved to the warehouse")

    # A case is put on another customer; two cases of one customer, one left.
    session.execute(
        update(Case).where(Case.id == routed.id).values(customer_id=first.id)
    )
    session.commit()
    _agrees(db, "case moved to another customer")

    # A pickup goes down the flow: the warehouse, QC and Finance see it in turn.
    for status in ("collected", "weighed", "inspected", "settled", "closed"):
        session.execute(
            update(Pickup).where(Pickup.id == pickup.id).values(status=status)
        )
        session.commit()
        _agrees(db, f"pickup {status}")

    # A change of nothing the rule reads leaves the table as it is.
    before = _scope_rows(db)
    session.execute(
        update(Pickup).where(Pickup.id == pickup.id).values(address="新地址")
    )
    session.commit()
    assert _scope_rows(db) == before

    # Deleted records take their customer out of the department's sight.
    _delete_with_dependents(db, Case, complaint.id)
    session.commit()
    _agrees(db, "case deleted")
    _delete_with_dependents(db, Pickup, pickup.id)
    session.commit()
    _agrees(db, "pickup deleted")
    assert not session.scalars(
        select(CustomerScope).where(CustomerScope.customer_id == third.id)
    ).all()


def test_the_demo_records_give_the_same_customers_as_the_rule_without_the_table(
    demo_db, asked
):
    _agrees(demo_db, "demo records")


def test_the_migration_installs_the_triggers_the_module_writes():
    """The migration holds a copy of the SQL at its revision: the same."""
    import importlib.util
    from pathlib import Path

    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    path = next(versions.glob("c5a7e9b1d3f2_*.py"))
    spec = importlib.util.spec_from_file_location("customer_scope_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert customer_scope.trigger_sql("postgresql") == migration.POSTGRESQL
    assert customer_scope.trigger_sql("sqlite") == migration.SQLITE
    assert customer_scope.rebuild_sql() == migration.REBUILD
