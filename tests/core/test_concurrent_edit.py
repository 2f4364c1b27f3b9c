"""Nothing is silently overwritten: an edit made on an outdated copy is refused."""

from __future__ import annotations

import re
import threading

from app.models import Case, Customer
from app.security.access import acting_as
from app.services.cases.case_steps import CASE_FLOW
from tests.factories import CaseFactory, CustomerFactory, user

VERSION = re.compile(r'id="version" name="version" type="hidden" value="(\d+)"')


def _shown_version(browser, url: str) -> str:
    page = browser.get(url).get_data(as_text=True)
    found = VERSION.search(page)
    assert found, "the edit form carries no version"
    return found.group(1)


def test_edit_after_someone_else_saved_is_refused(db, login):
    customer = CustomerFactory(_as="sales", notes="原始备注")
    first, second = login("sales"), login("cs")
    version = _shown_version(first, f"/customers/edit/{customer.id}")
    form = {
        "name": customer.name,
        "customer_type": str(customer.customer_type_id),
        "status": "active",
        "version": version,
    }
    # The second clerk saves first.
    saved = second.post(
        f"/customers/edit/{customer.id}", data={**form, "notes": "第二位客服的修改"}
    )
    assert saved.status_code == 302
    # The first clerk's save, made on the page they opened before, is refused.
    late = first.post(
        f"/customers/edit/{customer.id}",
        data={**form, "notes": "第一位客服的修改"},
        follow_redirects=True,
    )
    assert "alert-danger" in late.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).notes == "第二位客服的修改"


def test_edit_after_a_workflow_step_is_refused(db, login):
    case = CaseFactory()
    browser = login("cs")
    version = _shown_version(browser, f"/cases/edit/{case.id}")
    cs = user("cs")
    with acting_as(cs):
        CASE_FLOW.run(case, "acknowledge", {"content": "已回复"}, cs)
    posted = browser.post(
        f"/cases/edit/{case.id}",
        data={
            "customer": str(case.customer_id),
            "kind": "complaint",
            "severity": "major",
            "category": str(case.category_id),
            "channel": str(case.channel_id),
            "stage": case.stage,
            "title": case.title,
            "description": case.description,
            "version": version,
        },
        follow_redirects=True,
    )
    assert "alert-danger" in posted.get_data(as_text=True)
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    assert fresh.severity == "general"
    assert fresh.status == "acknowledged"


def test_edit_with_the_current_version_saves(db, login):
    customer = CustomerFactory(_as="sales")
    browser = login("sales")
    version = _shown_version(browser, f"/customers/edit/{customer.id}")
    saved = browser.post(
        f"/customers/edit/{customer.id}",
        data={
            "name": customer.name,
            "customer_type": str(customer.customer_type_id),
            "status": "active",
            "notes": "已核实地址",
            "version": version,
        },
    )
    assert saved.status_code == 302
    db.session.expire_all()
    fresh = db.session.get(Customer, customer.id)
    assert fresh.notes == "已核实地址"
    assert fresh.version == int(version) + 1


# ------------------------------------------------------------------ the API
def test_api_shows_the_version_and_refuses_a_stale_put_by_body(db, api):
    customer = CustomerFactory(_as="sales", notes="原始备注")
    first, second = api("sales"), api("cs")
    shown = first.get(f"/api/v1/customer/{customer.id}").get_json()["result"]
    version = shown["version"]
    saved = second.put(
        f"/api/v1/customer/{customer.id}",
        json={"notes": "第二位客服的修改", "version": version},
    )
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["version"] == version + 1
    late = first.put(
        f"/api/v1/customer/{customer.id}",
        json={"notes": "第一位客服的修改", "version": version},
    )
    assert late.status_code == 409
    assert "重新" in late.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).notes == "第二位客服的修改"


def test_api_refuses_a_stale_put_by_if_match(db, api):
    case = CaseFactory()
    client = api("cs")
    version = client.get(f"/api/v1/case/{case.id}").get_json()["result"]["version"]
    cs = user("cs")
    with acting_as(cs):
        CASE_FLOW.run(case, "acknowledge", {"content": "已回复"}, cs)
    late = client.put(
        f"/api/v1/case/{case.id}",
        json={"title": "过时页面上的修改"},
        headers={"If-Match": f'"{version}"'},
    )
    assert late.status_code == 409
    fresh = client.get(f"/api/v1/case/{case.id}").get_json()["result"]
    ok = client.put(
        f"/api/v1/case/{case.id}",
        json={"title": "当前版本上的修改"},
        headers={"If-Match": f'"{fresh["version"]}"'},
    )
    assert ok.status_code == 200, ok.get_json()
    db.session.expire_all()
    assert db.session.get(Case, case.id).title == "当前版本上的修改"


def test_api_bad_version_is_400(db, api):
    customer = CustomerFactory(_as="sales")
    client = api("sales")
    for body, headers in (
        ({"notes": "x", "version": "abc"}, {}),
        ({"notes": "x"}, {"If-Match": "yesterday"}),
    ):
        answer = client.put(
            f"/api/v1/customer/{customer.id}", json=body, headers=headers
        )
        assert answer.status_code == 400, answer.get_json()


def test_the_same_step_sent_at_once_is_taken_once_and_refused_in_words(app, db, api):
    """Six clerks press 提交 on one case at the same instant: one is taken,
    the others are told (409 or 400), none meets a server error. SQLite
    serialises the writers ("database is locked"), PostgreSQL row-locks them."""
    case = CaseFactory()
    cs = user("cs")
    with acting_as(cs):
        for step, data in (
            ("acknowledge", {"content": "已联系客户"}),
            ("assign", {"department": str(case.department_id), "owner": str(cs.id)}),
            ("start", {}),
        ):
            CASE_FLOW.run(case, step, data, cs)
        case.solution = "补发货物并致歉"
        case.findings, case.root_cause = "核对发货记录", "漏发一件"
        case.responsibility = "company"
        db.session.commit()
    case_id = case.id
    clients = [api("cs") for _ in range(6)]
    barrier = threading.Barrier(len(clients), timeout=30)
    answers: list[tuple[int, object]] = []

    def press(client) -> None:
        barrier.wait()
        answer = client.post(
            f"/api/v1/case/{case_id}/step/submit", json={"result": "已补发"}
        )
        answers.append((answer.status_code, answer.get_json(silent=True)))

    threads = [threading.Thread(target=press, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    codes = sorted(code for code, _ in answers)
    assert len(codes) == len(clients)
    assert codes.count(200) == 1, answers
    assert set(codes) <= {200, 400, 409}, answers
    for code, body in answers:
        if code != 200:
            message = str((body or {}).get("message", ""))
            assert message and "sqlite" not in message.lower(), body
            assert "select" not in message.lower(), body
    db.session.expire_all()
    assert db.session.get(Case, case_id).status != "in_progress"
