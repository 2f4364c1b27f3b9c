"""Lists and pickers whose cost does not grow with the table (app.ui.listing,
app.ui.pickers): capped counting, related rows loaded with the page, pickers
matching a fragment of a customer's name, code or phone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.extensions import db as _db
from app.models import CaseCategory
from app.ui import listing
from tests.factories import CaseFactory, CustomerFactory, by_code


@pytest.fixture
def statements(app):
    """SQL statements run while the block runs (list of strings)."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_count_stops_at_the_cap_on_screen_and_in_the_api(db, login, api, monkeypatch):
    for _ in range(3):
        CaseFactory()
    monkeypatch.setattr(listing, "COUNT_CAP", 2)
    page = login("cs").get("/cases/list/").get_data(as_text=True)
    assert re.search(r"</strong>\s*2\+", page), "capped count shown as 2+"
    listed = api("cs").get("/api/v1/case/").get_json()
    assert listed["count"] == 3  # the cap + 1: more than the cap
    monkeypatch.setattr(listing, "COUNT_CAP", 10)
    page = login("cs").get("/cases/list/").get_data(as_text=True)
    assert re.search(r"</strong>\s*3\s*<", page), "exact count under the cap"


def test_a_list_page_costs_the_same_queries_for_5_or_25_rows(db, login, statements):
    browser = login("cs")

    def queries_for(rows: int) -> int:
        for _ in range(rows):
            CaseFactory(customer=CustomerFactory(), _as="cs")
        browser.get("/cases/list/")  # warm
        statements.clear()
        page = browser.get("/cases/list/").get_data(as_text=True)
        assert page.count("/cases/show/") >= min(rows, 25)
        return len(statements)

    few = queries_for(5)
    many = queries_for(25)
    # Each row's customer, department and owner come with the page, not one by one.
    assert many == few


def test_customer_picker_matches_any_fragment_of_name_code_or_phone(db, login):
    customer = CustomerFactory(
        name="绍兴永盛纸业有限公司", phone="13912345678", _as="sales"
    )
    CustomerFactory(name="宁波天成塑业有限公司", phone="13800001111", _as="sales")
    browser = login("cs")

    def found(text: str, who=browser) -> list[int]:
        answer = who.get(f"/pick/customer?q={text}").get_json()
        return [row["id"] for row in answer["results"]]

    assert found("永盛纸") == [customer.id]
    assert found(customer.code[2:]) == [customer.id]
    assert found("2345") == [customer.id]
    assert found("100%") == []  # % and _ are text, not wildcards
    label = browser.get(f"/pick/customer?id={customer.id}").get_json()["results"][0]
    assert label["text"] == f"绍兴永盛纸业有限公司 ({customer.code})"
    # Warehouse sees the customer (a case routed to it) but not its phone: a
    # phone fragment finds nothing.
    CaseFactory(customer=customer, category=by_code(CaseCategory, "weighing"))
    warehouse = login("warehouse")
    assert found("永盛纸", warehouse) == [customer.id]
    assert found("2345", warehouse) == []


def test_case_form_renders_no_customer_list(db, login):
    """The add form holds an empty picker, not every customer as an option."""
    for _ in range(5):
        CustomerFactory(_as="sales")
    page = login("cs").get("/cases/add").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="customer"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None and 'data-pick="/pick/customer"' in select.group(0)
    assert select.group(1).count("<option") == 1  # the blank choice only
