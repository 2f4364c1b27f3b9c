"""Every demo user can sign in and open every screen their menu offers."""

from __future__ import annotations

import re

import pytest

from tests.factories import CaseFactory, CustomerFactory, PickupFactory

USERS = ["admin", "cs", "sales", "ops", "warehouse", "qc", "finance", "manager"]
MENU_LINK = re.compile(r'<a tabindex="-1" href="(/[^"#]*)"')
SKIP = ("/logout", "/lang/", "/admin/rq")  # leave, switch language, RQ's own UI


def test_login_page_renders(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert "csrf_token" in response.get_data(as_text=True)


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def _menu_links(page: str) -> list[str]:
    links = set(MENU_LINK.findall(page))
    return sorted(h for h in links if not h.startswith(SKIP) and h != "/")


@pytest.mark.parametrize("username", USERS)
def test_every_menu_screen_opens(db, login, username):
    customer = CustomerFactory(_as="sales")
    CaseFactory(customer=customer)
    PickupFactory(customer=customer, _as="ops")
    browser = login(username)
    home = browser.get("/")
    assert home.status_code == 200
    links = _menu_links(home.get_data(as_text=True))
    assert len(links) >= (20 if username == "admin" else 8), links
    for href in links:
        response = browser.get(href, follow_redirects=True)
        assert response.status_code == 200, (username, href, response.status_code)
        assert "Traceback" not in response.get_data(as_text=True)
