"""Business requests routed to Sales by their category (seed 000 §2).

Order declaration (订单申报), qualification review (资质审核) and payment terms
(账期) are categories like any other: reference data an admin edits, each
with the department a new case of that category lands in.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text

from app.models import Case, CaseCategory, Channel, Department
from tests.factories import CustomerFactory, by_code

BUSINESS = ["订单申报", "资质审核", "账期"]


def _register(api, category: CaseCategory, title: str) -> Case:
    response = api("cs").post(
        "/api/v1/case/",
        json={
            "customer": CustomerFactory().id,
            "kind": "business",
            "severity": "routine",
            "category": category.id,
            "channel": by_code(Channel, "hotline").id,
            "title": title,
            "description": "客户来电申请办理业务手续",
        },
    )
    assert response.status_code == 201, response.get_json()
    from app.extensions import db

    return db.session.get(Case, response.get_json()["id"])


@pytest.mark.parametrize("name", BUSINESS)
def test_business_request_lands_in_sales_queue(db, api, name):
    category = db.session.scalars(
        select(CaseCategory).where(CaseCategory.name == name)
    ).one()
    case = _register(api, category, f"办理{name}")
    assert case.department.code == "sales"
    # Sales finds it in its own list; Operations does not reach it.
    listed = api("sales").get("/api/v1/case/", query_string={"q": "(page_size:100)"})
    assert listed.status_code == 200, listed.get_json()
    assert case.id in listed.get_json()["ids"]
    assert api("sales").get(f"/api/v1/case/{case.id}").status_code == 200
    assert api("ops").get(f"/api/v1/case/{case.id}").status_code == 404


def test_changing_the_category_changes_routing(db, api, login):
    category = by_code(CaseCategory, "order_declaration")
    ops = by_code(Department, "ops")
    admin = login("admin")
    edited = admin.post(
        f"/casecategoryview/edit/{category.id}",
        data={
            "code": category.code,
            "name": category.name,
            "default_department": str(ops.id),
            "default_stage": category.default_stage,
            "active": "y",
        },
    )
    assert edited.status_code == 302, edited.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert by_code(CaseCategory, "order_declaration").default_department_id == ops.id
    moved = by_code(CaseCategory, "order_declaration")
    case = _register(api, moved, "改派后的订单申报")
    assert case.department.code == "ops"
    assert api("sales").get(f"/api/v1/case/{case.id}").status_code == 404


def _triggers(session) -> set[tuple[str, str]]:
    """(table, trigger) pairs of the database: the deadline check's next look."""
    if session.get_bind().dialect.name == "sqlite":
        sql = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = "SELECT event_object_table, trigger_name FROM information_schema.triggers"
    return {tuple(row) for row in session.execute(text(sql))}


def test_migration_adds_the_categories_to_an_existing_database(db, runner):
    """A database from before the categories gets them, routed to Sales.

    Going down and up again keeps the triggers that keep each record's next
    deadline look (SQLite drops them with any table it copies).
    """
    codes = ["order_declaration", "qualification", "payment_terms"]
    triggers = _triggers(db.session)
    assert {"service_case", "pickup", "followup"} <= {table for table, _ in triggers}
    db.session.commit()
    down = runner.invoke(args=["db", "downgrade", "9d4e6f1a2b3c"])
    assert down.exit_code == 0, down.output
    db.session.execute(delete(CaseCategory).where(CaseCategory.code.in_(codes)))
    db.session.commit()
    up = runner.invoke(args=["db", "upgrade"])
    assert up.exit_code == 0, up.output
    db.session.expire_all()
    rows = db.session.scalars(
        select(CaseCategory).where(CaseCategory.code.in_(codes))
    ).all()
    assert sorted((c.name, c.default_department.code) for c in rows) == sorted(
        (name, "sales") for name in BUSINESS
    )
    assert _triggers(db.session) == triggers
