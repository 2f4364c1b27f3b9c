"""Supervision channels (监督电话/监督邮箱, seed 001 §8(一)): their cases go to
Management whatever the category — on the case form, the API and the import —
and a registered case is not moved onto or off such a channel by an edit."""

from __future__ import annotations

import re

from app.models import Case, CaseCategory, Channel, Department
from app.services.imports import importer
from app.services.imports.template import template
from tests.factories import CaseFactory, CustomerFactory, by_code, user
from tests.imports.test_imports import sheet_rows


def _post(api, username: str, channel: str, title: str) -> Case:
    from app.extensions import db

    response = api(username).post(
        "/api/v1/case/",
        json={
            "customer": CustomerFactory().id,
            "kind": "complaint",
            "severity": "general",
            "category": by_code(CaseCategory, "quality").id,
            "channel": by_code(Channel, channel).id,
            "title": title,
            "description": "来电反映质检部对投诉推诿，要求监督处理。",
        },
    )
    assert response.status_code == 201, response.get_json()
    return db.session.get(Case, response.get_json()["id"])


def test_reference_data_has_the_two_supervision_channels(db):
    for code, name in (
        ("supervision_phone", "监督电话"),
        ("supervision_email", "监督邮箱"),
    ):
        channel = by_code(Channel, code)
        assert channel.name == name
        assert channel.route_department.code == "mgmt"
    assert by_code(Channel, "hotline").route_department is None


def test_api_routes_a_supervision_case_to_management(db, api):
    supervised = _post(api, "cs", "supervision_phone", "监督电话：质检推诿")
    ordinary = _post(api, "cs", "hotline", "热线：质检结果不认可")
    # The category alone would route both to QC.
    assert ordinary.department.code == "qc"
    assert supervised.department.code == "mgmt"
    # Management finds it in its list; QC, the department it is about, does not.
    listed = api("manager").get("/api/v1/case/", query_string={"q": "(page_size:100)"})
    assert supervised.id in listed.get_json()["ids"]
    assert api("manager").get(f"/api/v1/case/{supervised.id}").status_code == 200
    assert api("qc").get(f"/api/v1/case/{supervised.id}").status_code == 404
    assert api("qc").get(f"/api/v1/case/{ordinary.id}").status_code == 200


def test_a_clerk_cannot_route_it_elsewhere_through_the_api(db, api):
    cs = api("cs")
    response = cs.post(
        "/api/v1/case/",
        json={
            "customer": CustomerFactory().id,
            "kind": "complaint",
            "severity": "general",
            "category": by_code(CaseCategory, "quality").id,
            "channel": by_code(Channel, "supervision_email").id,
            "department": by_code(Department, "qc").id,
            "title": "监督邮箱来信",
            "description": "举报处理不及时",
        },
    )
    # The department is not a field a clerk writes at all.
    assert response.status_code == 422, response.get_json()
    assert db.session.query(Case).filter_by(title="监督邮箱来信").count() == 0


def test_the_channel_of_a_registered_case_does_not_move_it(db, api, login):
    supervised = _post(api, "cs", "supervision_email", "监督邮箱：处理超期")
    put = api("cs").put(
        f"/api/v1/case/{supervised.id}",
        json={"channel": by_code(Channel, "hotline").id},
    )
    assert put.status_code == 409, put.get_json()
    db.session.expire_all()
    case = db.session.get(Case, supervised.id)
    assert (case.channel.code, case.department.code) == ("supervision_email", "mgmt")

    # The other way round, through the edit form: refused at the field.
    ordinary = CaseFactory(category=by_code(CaseCategory, "quality"))
    cs = login("cs")
    form = cs.get(f"/cases/edit/{ordinary.id}").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="([^"]*)"', form)
    page = cs.post(
        f"/cases/edit/{ordinary.id}",
        follow_redirects=True,
        data={
            "version": version.group(1),
            "customer": ordinary.customer_id,
            "kind": "complaint",
            "severity": "general",
            "category": ordinary.category_id,
            "channel": by_code(Channel, "supervision_phone").id,
            "stage": ordinary.stage,
            "title": "改为监督电话的标题",
            "description": ordinary.description,
        },
    )
    text = page.get_data(as_text=True)
    assert "监督渠道" in text, text[:2000]
    assert "改为监督电话的标题" in text  # what was typed is kept
    db.session.expire_all()
    unchanged = db.session.get(Case, ordinary.id)
    assert unchanged.channel.code == "hotline"
    assert unchanged.title != "改为监督电话的标题"

    # A channel change between ordinary channels stays an ordinary edit.
    moved = api("cs").put(
        f"/api/v1/case/{ordinary.id}", json={"channel": by_code(Channel, "email").id}
    )
    assert moved.status_code == 200, moved.get_json()


def test_import_routes_a_supervision_case_to_management(db):
    customer = CustomerFactory()
    book = template()
    sheet_rows(
        book,
        "客户服务工单",
        [
            [customer.code, "投诉", "一般", "产品质量", "监督邮箱", "来信举报", "推诿"],
            [customer.code, "投诉", "一般", "产品质量", "客服热线", "热线来电", "争议"],
        ],
    )
    path = importer.folder("imports") / "supervision.xlsx"
    book.save(path)
    outcome = importer.import_workbook(path, user("admin"))
    assert not outcome.problems, outcome.problems
    routed = {
        c.title: c.department.code
        for c in db.session.query(Case).filter_by(customer_id=customer.id)
    }
    assert routed == {"来信举报": "mgmt", "热线来电": "qc"}
