"""REST API essentials: JWT login, OpenAPI document, paging, resource names."""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.factories import CaseFactory


def test_jwt_login(client):
    ok = client.post(
        "/api/v1/security/login",
        json={"username": "cs", "password": PASSWORD, "provider": "db"},
    )
    assert ok.status_code == 200
    assert ok.get_json()["access_token"]
    bad = client.post(
        "/api/v1/security/login",
        json={"username": "cs", "password": "wrong", "provider": "db"},
    )
    assert bad.status_code == 401


def test_api_needs_a_token(client):
    assert client.get("/api/v1/case/").status_code == 401


def test_openapi_lists_every_resource(api):
    spec = api("admin").get("/api/v1/_openapi").get_json()
    paths = spec["paths"]
    for name in ("customer", "case", "pickup", "inspection", "settlement", "followup"):
        assert f"/api/v1/{name}/" in paths
        assert f"/api/v1/{name}/{{pk}}" in paths
    assert "/api/v1/case/{pk}/step/{name}" in paths


def test_paging_and_order(db, api):
    for _ in range(3):
        CaseFactory()
    client = api("cs")
    page = client.get("/api/v1/case/?q=(page:0,page_size:2)").get_json()
    assert page["count"] == 3
    assert len(page["result"]) == 2
    ids = [row["id"] for row in page["result"]]
    assert ids == sorted(ids, reverse=True)  # newest first


def test_swagger_ui_for_admins_only(login, api):
    assert "swagger-ui" in login("admin").get("/swagger/v1").get_data(as_text=True)
    for username in ("cs", "manager", "finance"):
        page = login(username).get("/swagger/v1")
        assert page.status_code in (302, 403, 404), username
        assert "swagger-ui" not in page.get_data(as_text=True)
    # The API itself (and its document) stays usable by every role.
    clerk = api("cs")
    assert clerk.get("/api/v1/case/").status_code == 200
    assert "/api/v1/case/" in clerk.get("/api/v1/_openapi").get_json()["paths"]


def test_an_id_beyond_any_record_is_not_found(api):
    """An id past the database's integer range names no record: a step or an
    edit on it answers 404, never a server error (the query would overflow)."""
    cs = api("cs")
    for path in ("/api/v1/case/", "/api/v1/complaint_report/"):
        response = cs.post(f"{path}{2**31}/step/send", json={})
        assert response.status_code == 404, (path, response.get_json())
        response = cs.post(f"{path}{10**38}/step/send", json={})
        assert response.status_code == 404, (path, response.get_json())
    admin = api("admin")
    for pk in (-(10**25), 10**25, 2**31):
        response = admin.put(f"/api/v1/sitepatrol/{pk}", json={"score": 12})
        assert response.status_code == 404, (pk, response.get_json())
