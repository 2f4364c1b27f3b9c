"""Bad input on forms and API calls gets a clear message and changes nothing."""

from __future__ import annotations

import pytest

from app.models import (
    Case,
    CaseCategory,
    Channel,
    Customer,
    CustomerType,
    Inspection,
    Pickup,
    PickupLine,
    WeighLine,
)
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    PickupFactory,
    WeighTicketFactory,
    by_code,
)

REQUIRED = "该字段是必填字段"  # WTForms' "This field is required." in Chinese


def count(db, model) -> int:
    return db.session.query(model).count()


def page(response) -> str:
    return response.get_data(as_text=True)


# ------------------------------------------------------------------ screens
def test_customer_form_missing_required_fields(db, login):
    browser = login("sales")
    before = count(db, Customer)
    response = browser.post("/customers/add", data={"name": ""})
    assert response.status_code == 200  # form shown again with the errors
    assert REQUIRED in page(response)
    assert count(db, Customer) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("credit_code", "91330100MA2XXXXX00", "统一社会信用代码"),
        ("phone", "call me", "电话"),
        ("email", "not-an-email", "邮箱"),
    ],
)
def test_customer_form_rule_violations(db, login, field, value, message):
    browser = login("sales")
    supplier = by_code(CustomerType, "supplier")
    before = count(db, Customer)
    data = {
        "name": "宁波鑫海物资回收有限公司",
        "customer_type": str(supplier.id),
        "status": "active",
        field: value,
    }
    response = browser.post("/customers/add", data=data, follow_redirects=True)
    text = page(response)
    assert message in text or value in text
    assert "alert-danger" in text
    assert count(db, Customer) == before


def test_over_long_text_is_refused(db, login, api):
    browser = login("cs")
    customer = CustomerFactory()
    category = by_code(CaseCategory, "other")
    channel = by_code(Channel, "hotline")
    before = count(db, Case)
    response = browser.post(
        "/cases/add",
        data={
            "customer": str(customer.id),
            "kind": "complaint",
            "severity": "general",
            "category": str(category.id),
            "channel": str(channel.id),
            "stage": "other",
            "title": "长" * 201,
            "description": "x",
        },
    )
    assert response.status_code == 200
    assert "200" in page(response)  # "不能超过 200 个字符"-style message
    reply = api("cs").post(
        "/api/v1/case/",
        json={
            "customer": customer.id,
            "kind": "complaint",
            "severity": "general",
            "category": category.id,
            "channel": channel.id,
            "title": "长" * 201,
            "description": "x",
        },
    )
    assert reply.status_code in (400, 422)
    assert "title" in str(reply.get_json())
    assert count(db, Case) == before


def test_negative_weight_on_a_pickup_line(db, login):
    pickup = PickupFactory(_as="ops")
    material = pickup.customer  # any row id that exists is fine for the select
    del material
    from app.models import Material

    paper = db.session.query(Material).filter_by(code="paper-cardboard").one()
    browser = login("ops")
    before = count(db, PickupLine)
    response = browser.post(
        "/pickuplineview/add",
        data={
            "pickup": str(pickup.id),
            "material": str(paper.id),
            "estimated_kg": "-5",
        },
    )
    assert response.status_code == 200
    assert "不能小于 0" in page(response)
    response = browser.post(
        "/pickuplineview/add",
        data={
            "pickup": str(pickup.id),
            "material": str(paper.id),
            "estimated_kg": "五百",
        },
    )
    assert response.status_code == 200
    assert count(db, PickupLine) == before


def test_tare_above_gross_is_refused(db, login):
    ticket = WeighTicketFactory(_as="warehouse")
    from app.models import Material

    paper = db.session.query(Material).filter_by(code="paper-cardboard").one()
    browser = login("warehouse")
    before = count(db, WeighLine)
    response = browser.post(
        "/weighlineview/add",
        data={
            "ticket": str(ticket.id),
            "material": str(paper.id),
            "gross_kg": "1000",
            "tare_kg": "1200",
        },
        follow_redirects=True,
    )
    assert "皮重（1200 kg）不能超过毛重（1000 kg）。" in page(response)
    assert count(db, WeighLine) == before


def test_unknown_foreign_key_on_a_form(db, login):
    browser = login("cs")
    category = by_code(CaseCategory, "other")
    before = count(db, Case)
    response = browser.post(
        "/cases/add",
        data={
            "customer": "999999",
            "kind": "complaint",
            "severity": "general",
            "category": str(category.id),
            "channel": "1",
            "stage": "other",
            "title": "测试",
            "description": "x",
        },
    )
    assert response.status_code == 200
    assert "alert-danger" in page(response)
    assert count(db, Case) == before


def test_severity_must_fit_the_kind(db, login):
    browser = login("cs")
    customer = CustomerFactory()
    before = count(db, Case)
    response = browser.post(
        "/cases/add",
        data={
            "customer": str(customer.id),
            "kind": "inquiry",
            "severity": "major",
            "category": str(by_code(CaseCategory, "other").id),
            "channel": "1",
            "stage": "other",
            "title": "咨询",
            "description": "x",
        },
        follow_redirects=True,
    )
    assert "咨询" in page(response) and "alert-danger" in page(response)
    assert count(db, Case) == before


# ---------------------------------------------------------------------- API
def test_api_missing_required_fields(db, api):
    before = count(db, Case)
    reply = api("cs").post("/api/v1/case/", json={"title": "只有标题"})
    assert reply.status_code in (400, 422)
    body = str(reply.get_json())
    assert "customer" in body and "description" in body
    assert count(db, Case) == before


def test_api_unknown_foreign_key(db, api):
    before = count(db, Case)
    reply = api("cs").post(
        "/api/v1/case/",
        json={
            "customer": 999999,
            "kind": "complaint",
            "severity": "general",
            "category": by_code(CaseCategory, "other").id,
            "channel": 1,
            "title": "x",
            "description": "x",
        },
    )
    assert reply.status_code in (400, 404, 422)
    assert "customer" in str(reply.get_json()).lower()
    assert count(db, Case) == before


def test_api_negative_and_out_of_range_numbers(db, api):
    before = count(db, Inspection)
    client = api("qc")
    paper = 2
    reply = client.post(
        "/api/v1/inspection/",
        json={
            "sales_lot": "LOT-1",
            "material": paper,
            "net_kg": "-10",
            "result": "pass",
        },
    )
    assert reply.status_code in (400, 422)
    assert "net_kg" in str(reply.get_json())
    reply = client.post(
        "/api/v1/inspection/",
        json={
            "sales_lot": "LOT-1",
            "material": paper,
            "net_kg": "100",
            "impurity_pct": "120",
            "result": "pass",
        },
    )
    assert reply.status_code in (400, 422)
    assert "impurity_pct" in str(reply.get_json())
    reply = client.post(
        "/api/v1/inspection/",
        json={
            "sales_lot": "LOT-1",
            "material": paper,
            "net_kg": "100",
            "impurity_pct": "60",
            "moisture_pct": "50",
            "result": "pass",
        },
    )
    assert reply.status_code == 400
    assert "100" in reply.get_json()["message"]
    assert count(db, Inspection) == before


def test_api_wrong_type_and_unknown_code(db, api):
    case = CaseFactory()
    client = api("cs")
    reply = client.put(f"/api/v1/case/{case.id}", json={"kind": "gossip"})
    assert reply.status_code == 400
    assert reply.get_json()["field"] == "kind"
    reply = client.put(f"/api/v1/case/{case.id}", json={"urgent": "maybe"})
    assert reply.status_code in (400, 422)
    db.session.expire_all()
    assert db.session.get(Case, case.id).kind == "complaint"


def test_api_non_json_body(db, api):
    reply = api("ops").post(
        "/api/v1/pickup/", data="customer=1", content_type="text/plain"
    )
    assert reply.status_code == 400
    assert count(db, Pickup) == 0


def test_api_put_with_a_json_array_body_is_400(db, api):
    case = CaseFactory()
    reply = api("cs").put(f"/api/v1/case/{case.id}", json=[{"title": "数组"}])
    assert reply.status_code == 400
    db.session.expire_all()
    assert db.session.get(Case, case.id).title != "数组"


def test_api_reference_is_a_record_id_not_a_new_record(db, api):
    from app.models import CustomerType

    client = api("cs")
    customers, types = count(db, Customer), count(db, CustomerType)
    for reference in ({}, {"name": "伪造类型", "code": "forged"}, [], True, "x"):
        reply = client.post(
            "/api/v1/customer/",
            json={"name": "宁波鑫海物资回收有限公司", "customer_type": reference},
        )
        assert reply.status_code == 422, (reference, reply.get_json())
        assert "customer_type" in reply.get_json()["message"]
    reply = client.post(
        "/api/v1/customer/",
        json={"name": "宁波鑫海物资回收有限公司", "customer_type": 10**30},
    )
    assert reply.status_code == 422
    assert count(db, Customer) == customers
    assert count(db, CustomerType) == types


def test_api_sign_in_without_provider_is_400(client):
    reply = client.post(
        "/api/v1/security/login", json={"username": "cs", "password": "x"}
    )
    assert reply.status_code == 400
    assert "provider" in reply.get_json()["message"]


def test_api_date_outside_the_years_records_use(db, api):
    from app.models import FollowUp
    from tests.factories import FollowUpFactory

    followup = FollowUpFactory()
    due = followup.due_at
    reply = api("cs").put(
        f"/api/v1/followup/{followup.id}", json={"due_at": "1143-08-06T23:20:03Z"}
    )
    assert reply.status_code == 422
    assert "due_at" in reply.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(FollowUp, followup.id).due_at == due


def test_api_field_info_has_labels_not_the_catalog_header(db, api):
    reply = api("cs").get("/api/v1/case/_info")
    assert reply.status_code == 200
    assert "Project-Id-Version" not in reply.get_data(as_text=True)
    fields = {f["name"]: f for f in reply.get_json()["add_columns"]}
    assert fields["customer"]["label"] == "客户"


# ------------------------------------------------- malformed list arguments
@pytest.mark.parametrize(
    "query",
    [
        "(page:-1,page_size:10)",
        "(page:0,page_size:-5)",
        f"(page:{10**30},page_size:10)",
        "(page:9.49e+305)",
        "(page_size:9.49e+305)",
        "(filters:!((col:number,opr:sw,value:'\x00')))",
        "(order_column:phone,order_direction:asc)",
        "(order_column:number,order_direction:sideways)",
        "9.49e+305",
        "(((((((((((((((((((((((((((((((((((((((",
    ],
)
def test_api_malformed_list_arguments_are_400(db, api, query):
    CaseFactory()
    reply = api("cs").get("/api/v1/case/", query_string={"q": query})
    assert reply.status_code == 400, (query, reply.status_code, reply.get_json())


@pytest.mark.parametrize(
    "args",
    [
        {"page_CaseView": str(10**30)},
        {"page_CaseView": "-3"},
        {"page_CaseView": "abc"},
        {"psize_CaseView": "-1"},
        {"psize_CaseView": "abc"},
        {"_oc_CaseView": "no_such_column"},
        {"_oc_CaseView": "number", "_od_CaseView": "sideways"},
        {"_flt_0_number": "\x00"},
        {"_flt_99_number": "x"},
        {"_flt_0_received_at": "9.49e+305"},
        {"_flt_0_customer": str(10**30)},
    ],
)
def test_web_list_ignores_malformed_arguments(db, login, args):
    CaseFactory()
    reply = login("cs").get("/cases/list/", query_string=args)
    assert reply.status_code in (200, 400), (args, reply.status_code)
    if reply.status_code == 200 and "_flt_0_received_at" not in args:
        assert "测试工单" in page(reply)  # the malformed argument was ignored


def test_web_list_page_size_is_capped(app, db, login):
    from flask import request

    from app.ui.listing import clean_list_arguments

    for given, read in (("100000", "100"), ("-1", None), ("25", "25"), ("x", None)):
        with app.test_request_context(f"/cases/list/?psize_CaseView={given}"):
            clean_list_arguments()
            assert request.args.get("psize_CaseView") == read
    CaseFactory()
    reply = login("cs").get("/cases/list/?psize_CaseView=100000")
    assert reply.status_code == 200 and "测试工单" in page(reply)


# ------------------------------------------------------- masked columns
def test_masked_columns_are_no_sort_keys_for_roles_that_see_them_masked(db, login, api):
    # Default order: code descending, i.e. the newest first.
    for phone in ("13900000001", "13900000003", "13900000002"):
        CustomerFactory(phone=phone, _as="qc")  # in QC's own scope

    def positions(role: str, direction: str, shown: str) -> list[str]:
        text = page(
            login(role).get(
                "/customers/list/",
                query_string={
                    "_oc_CustomerView": "phone",
                    "_od_CustomerView": direction,
                },
            )
        )
        return [
            end for _, end in sorted((text.index(shown + end), end) for end in "132")
        ]

    # A role that may see contact data sorts by phone.
    assert positions("admin", "asc", "1390000000") == ["1", "2", "3"]
    # QC sees phones masked (139****0001): the order stays the default one.
    assert positions("qc", "asc", "139****000") == ["2", "3", "1"]
    assert positions("qc", "desc", "139****000") == ["2", "3", "1"]
    reply = api("warehouse").get(
        "/api/v1/pickup/", query_string={"q": "(order_column:contact_phone)"}
    )
    assert reply.status_code == 400
    reply = api("qc").get(
        "/api/v1/customer/", query_string={"q": "(order_column:phone)"}
    )
    assert reply.status_code == 400


# ------------------------------------------------ bodies and database refusals
def test_deeply_nested_json_and_nul_bytes_are_400(db, api, login):
    case = CaseFactory()
    client = api("cs")
    deep = "[" * 100_000 + "]" * 100_000
    reply = client.put(
        f"/api/v1/case/{case.id}", data=deep, content_type="application/json"
    )
    assert reply.status_code == 400
    nested: object = "x"
    for _ in range(50):
        nested = {"a": nested}
    reply = client.put(f"/api/v1/case/{case.id}", json={"title": "t", "x": nested})
    assert reply.status_code == 400
    reply = client.put(f"/api/v1/case/{case.id}", json={"title": "含\x00字符"})
    assert reply.status_code == 400
    reply = login("cs").post(
        f"/cases/edit/{case.id}", data={"title": "含\x00字符", "version": "1"}
    )
    assert reply.status_code == 400
    assert "NUL" in page(reply)
    db.session.expire_all()
    assert db.session.get(Case, case.id).title == case.title


def test_empty_stage_on_the_case_edit_form_is_a_field_message(db, login):
    case = CaseFactory()
    browser = login("cs")
    form = {
        "customer": str(case.customer_id),
        "kind": "complaint",
        "severity": "general",
        "category": str(case.category_id),
        "channel": str(case.channel_id),
        "stage": "",
        "title": "改过的标题",
        "description": case.description,
        "version": str(case.version),
    }
    reply = browser.post(f"/cases/edit/{case.id}", data=form)
    text = page(reply)
    assert reply.status_code == 200
    assert REQUIRED in text and "Database Error" not in text
    assert "改过的标题" in text  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(Case, case.id).title == case.title


def test_a_database_refusal_is_told_in_words(db):
    from app.models import Channel
    from app.services.core.errors import DomainError
    from app.ui.listing import ListInterface

    rows = ListInterface(Channel, db.session)
    with pytest.raises(DomainError) as refused:
        rows.add(Channel(code=None, name=None))  # NOT NULL: refused by the database
    message = str(refused.value)
    assert message.startswith("未保存") or message.startswith("Not saved")
    assert "INSERT" not in message and "NULL" not in message
    assert refused.value.status == 409
    if db.engine.dialect.name != "postgresql":
        return  # SQLite stores a code past its declared length
    with pytest.raises(DomainError) as refused:
        rows.add(Channel(code="x" * 500, name="过长"))  # DataError: value too long
    assert "INSERT" not in str(refused.value)
    assert refused.value.status in (400, 409)


def test_weight_beyond_the_column_stays_on_the_form_at_its_field(db, login):
    ticket = WeighTicketFactory(_as="warehouse")
    from app.models import Material

    paper = db.session.query(Material).filter_by(code="paper-cardboard").one()
    before = count(db, WeighLine)
    response = login("warehouse").post(
        "/weighlineview/add",
        data={
            "ticket": str(ticket.id),
            "material": str(paper.id),
            "gross_kg": "1234567890",
            "tare_kg": "12",
        },
    )
    assert response.status_code == 200  # the form again, not a redirect
    text = page(response)
    assert 'value="1234567890"' in text  # what was typed is kept
    assert "整数部分最多 9 位" in text
    assert "weigh_line" not in text and "INSERT" not in text
    assert count(db, WeighLine) == before
