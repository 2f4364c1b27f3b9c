"""Security headers on every response; Secure cookies and HSTS in production."""

from __future__ import annotations

import re
import secrets

import pytest

from config import ProductionConfig


def _script_src(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    directives = dict(
        part.strip().split(" ", 1) for part in policy.split(";") if part.strip()
    )
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    return directives["script-src"]


@pytest.mark.parametrize(
    "who, path", [(None, "/login/"), ("cs", "/cases/list/"), ("admin", "/users/list/")]
)
def test_pages_carry_the_security_headers(client, login, who, path):
    response = (login(who) if who else client).get(path)
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    script_src = _script_src(response)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    # Every script on the page carries the nonce the policy names.
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    tags = re.findall(r"<script\b[^>]*>", response.get_data(as_text=True))
    assert tags and all(f'nonce="{nonce}"' in tag for tag in tags), tags
    # Plain HTTP in development and tests: no HSTS, cookies not Secure.
    assert "Strict-Transport-Security" not in response.headers


def test_api_answers_carry_the_headers_too(api):
    response = api("cs").get("/api/v1/case/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response.headers


def test_only_the_job_monitor_allows_eval(login):
    admin = login("admin")
    assert "'unsafe-eval'" in _script_src(admin.get("/admin/rq/"))
    assert "'unsafe-eval'" not in _script_src(admin.get("/"))


def test_cookies_are_not_secure_over_plain_http(client):
    response = client.get("/login/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


@pytest.fixture
def production_client(database, db):
    from app import create_app

    config = ProductionConfig()
    config.SECRET_KEY = secrets.token_hex(32)
    config.SQLALCHEMY_DATABASE_URI = (
        str(database.url)
        if not hasattr(database.url, "render_as_string")
        else database.url.render_as_string(hide_password=False)
    )
    config.REDIS_URL = ""
    config.SERVER_NAME = "localhost"
    return create_app(config).test_client()


def test_production_cookies_are_secure_and_https_is_strict(production_client):
    secure = production_client.get("/login/", base_url="https://localhost")
    assert secure.status_code == 200
    cookie = secure.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # Behind the TLS-ending proxy, which says so in X-Forwarded-Proto.
    proxied = production_client.get("/login/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in proxied.headers
    assert proxied.headers["X-Frame-Options"] == "DENY"
    assert production_client.application.config["REMEMBER_COOKIE_SECURE"] is True


@pytest.mark.browser
def test_swagger_and_printing_work_under_the_policy(demo_db, person):
    """Swagger UI and the print button run under the CSP: no console error (a
    refused script is one), which the `person` fixture checks at the end."""
    from app.models import WeighTicket

    admin = person("admin")
    admin.open("/swagger/v1")
    admin.page.get_by_text("/api/v1/case/{pk}", exact=True).first.wait_for()

    ticket = demo_db.session.query(WeighTicket).order_by(WeighTicket.id).first()
    ops = person("ops")
    ops.open(f"/weighticketview/print/{ticket.id}")
    # The browser's print dialog is replaced by a mark the test can read: the
    # button's handler (a nonce'd script, no inline onclick) must call it.
    ops.page.evaluate("window.print = () => { document.title = 'printed'; }")
    ops.click_button("打印")
    assert ops.page.title() == "printed"
