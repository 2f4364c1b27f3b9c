"""Adding a customer whose name is already on file saves it, with a warning
naming the customers filed under that name (brackets half- or full-width
alike); the clerk sees the codes of those they may see, a count of the others."""

from __future__ import annotations

import html

from app.models import Customer, CustomerType
from tests.factories import CustomerFactory, by_code


def _add(browser, name: str) -> str:
    supplier = by_code(CustomerType, "supplier")
    response = browser.post(
        "/customers/add",
        data={"name": name, "customer_type": str(supplier.id), "status": "active"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_a_duplicate_name_is_saved_with_a_warning(db, login):
    filed = CustomerFactory(name="华新再生资源（杭州）有限公司", _as="cs")
    before = db.session.query(Customer).count()

    page = _add(login("cs"), "华新再生资源(杭州)有限公司 ")
    assert db.session.query(Customer).count() == before + 1
    assert f"已有同名客户：{filed.code}（共 1 个）。请确认不是重复建档。" in page

    # Customers of another department: counted, not named.
    page = _add(login("sales"), "华新再生资源（杭州）有限公司")
    assert db.session.query(Customer).count() == before + 2
    assert "其他部门已有 2 个同名客户。请确认不是重复建档。" in page
    assert filed.code not in page

    page = _add(login("sales"), "宁波鑫海物资回收有限公司")
    assert db.session.query(Customer).count() == before + 3
    assert "同名客户" not in page
