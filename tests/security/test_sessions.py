"""Signing out, deactivation and a password change end sessions and API tokens.

A copied session cookie, an access token and a refresh token issued before
any of these events are refused afterwards (issue: logout left a copied cookie
working for 31 days; tokens could not be revoked).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import PASSWORD

NEW_PASSWORD = "Huishou-Mima-2027"


def _copy_of(app, browser) -> FlaskClient:
    """A second client holding the same session cookie (a stolen copy)."""
    copy = app.test_client()
    name = app.config.get("SESSION_COOKIE_NAME", "session")
    cookie = browser.client.get_cookie(name)
    assert cookie is not None
    copy.set_cookie(name, cookie.value)
    return copy


def _signed_in(client: FlaskClient) -> bool:
    response = client.get("/")
    return response.status_code == 200


def _tokens(app, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = app.test_client().post(
        "/api/v1/security/login",
        json={
            "username": username,
            "password": password,
            "provider": "db",
            "refresh": True,
        },
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _accepted(app, tokens: dict[str, str]) -> dict[str, bool]:
    client = app.test_client()
    access = client.get(
        "/api/v1/case/",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    refresh = client.post(
        "/api/v1/security/refresh",
        headers={"Authorization": f"Bearer {tokens['refresh_token']}"},
    )
    return {"access": access.status_code == 200, "refresh": refresh.status_code == 200}


def test_logout_ends_a_copied_session_and_the_users_tokens(app, login):
    cs = login("cs")
    copy = _copy_of(app, cs)
    tokens = _tokens(app, "cs")
    assert _signed_in(copy) and _accepted(app, tokens) == {
        "access": True,
        "refresh": True,
    }
    response = cs.post("/logout/")
    assert response.status_code == 302
    assert not _signed_in(cs.client)
    assert not _signed_in(copy)
    assert _accepted(app, tokens) == {"access": False, "refresh": False}
    assert _signed_in(login("cs").client)  # signing in again works


def test_logout_by_get_or_without_the_form_token_is_refused(app, login):
    cs = login("cs")
    assert cs.get("/logout/").status_code == 405
    assert cs.client.post("/logout/").status_code == 400  # no CSRF token
    assert _signed_in(cs.client)


def test_api_logout_revokes_the_access_and_refresh_token(app, login):
    tokens = _tokens(app, "cs")
    web = login("cs")
    client = app.test_client()
    response = client.post(
        "/api/v1/security/logout",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert response.status_code == 200, response.get_json()
    assert _accepted(app, tokens) == {"access": False, "refresh": False}
    assert not _signed_in(web.client)


def _deactivate_and_reactivate(app, db, users: dict[str, Any]) -> None:
    user = users["cs"]
    user.active = False
    db.session.commit()
    user.active = True
    db.session.commit()


def _change_password(app, db, users: dict[str, Any]) -> None:
    app.appbuilder.sm.reset_password(users["cs"].id, NEW_PASSWORD)


@pytest.mark.parametrize(
    "event", [_deactivate_and_reactivate, _change_password], ids=lambda f: f.__name__
)
def test_sessions_and_tokens_issued_before_the_event_are_refused(
    app, db, login, users, event
):
    cs = login("cs")
    tokens = _tokens(app, "cs")
    other = login("sales")
    event(app, db, users)
    assert not _signed_in(cs.client)
    assert _accepted(app, tokens) == {"access": False, "refresh": False}
    assert _signed_in(other.client)  # another user's session is untouched
