"""Every menu screen opens for a signed-in user who may read it."""

from __future__ import annotations

import pytest

from tests.factories import CaseFactory


def test_login_page_renders(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert "csrf_token" in response.get_data(as_text=True)


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["admin", "cs", "ops", "qc", "manager"])
def test_every_list_screen_opens(login, username, app):
    browser = login(username)
    CaseFactory()
    assert browser.get("/").status_code == 200
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith(".list") and not rule.arguments:
            response = browser.get(rule.rule)
            assert response.status_code in (200, 302, 403), (
                rule.rule,
                response.status_code,
            )
