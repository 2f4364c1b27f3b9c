"""A record opened from a related one (`/cases/add?_flt_0_customer=7`) shows
that record chosen in its search-as-you-type picker, in the user's scope."""

from __future__ import annotations

from app.models import CustomerContact, Department
from app.ui import pickers
from tests.factories import CustomerFactory, user


def _customers(db):
    sales = user("sales")
    other = (
        db.session.query(Department)
        .filter(Department.id != sales.department_id)
        .first()
    )
    theirs = CustomerFactory(name="华新再生资源", sales_rep_id=sales.id)
    hidden = CustomerFactory(name="远方金属回收", department_id=other.id)
    assert pickers.get("customer", theirs.id, sales) is not None
    assert pickers.get("customer", hidden.id, sales) is None
    return theirs, hidden


def test_the_customer_a_case_is_opened_from_is_chosen(db, login):
    theirs, hidden = _customers(db)
    sales = login("sales")
    page = sales.get(f"/cases/add?_flt_0_customer={theirs.id}").get_data(as_text=True)
    assert f'<option value="{theirs.id}" selected>华新再生资源' in page
    assert 'data-pick="/pick/customer"' in page  # shown, and can be changed
    page = sales.get(f"/cases/add?_flt_0_customer={hidden.id}").get_data(as_text=True)
    assert "远方金属回收" not in page
    assert f'<option value="{hidden.id}" selected' not in page


def test_a_customer_outside_the_scope_is_not_taken_from_the_address(db, login):
    _, hidden = _customers(db)
    sales = login("sales")
    before = db.session.query(CustomerContact).count()
    response = sales.post(
        f"/customercontactview/add?_flt_0_customer={hidden.id}",
        {"customer": "", "name": "张三"},
    )
    assert response.status_code == 200
    assert "该字段是必填字段" in response.get_data(as_text=True)
    assert db.session.query(CustomerContact).count() == before
    # Posted as the picker sends it, the customer is read back in scope too.
    response = sales.post(
        f"/customercontactview/add?_flt_0_customer={hidden.id}",
        {"customer": str(hidden.id), "name": "张三"},
    )
    assert response.status_code == 200
    assert db.session.query(CustomerContact).count() == before
