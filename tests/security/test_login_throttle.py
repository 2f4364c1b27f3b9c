"""Guessing passwords: throttled per account and per address (429), then locked.

Failed sign-ins are counted in the shared store (Redis when configured) on the
screen and the API alike; after `LOGIN_LOCKOUT_FAILURES` failures in a row the
account is locked until an admin unlocks it, each leaving an audit row.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from app.models import AppUser, AuditLog
from tests.conftest import CSRF, PASSWORD
from tests.jobqueue import REAL_REDIS


@pytest.fixture
def throttled(app, db, monkeypatch) -> Any:
    """Throttling on (the suite runs with it off), with a fresh counter store."""
    from app.security import login_guard

    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_ENABLED", True)
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", "5 per minute")
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "20 per minute")
    login_guard.reset(app)
    yield app
    login_guard.reset(app)


def _api_login(app, username: str, password: str, address: str = "10.0.0.1") -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client.post(
        "/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db"},
    )


def _web_login(app, username: str, password: str, address: str = "10.0.0.1") -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    token = CSRF.search(client.get("/login/").get_data(as_text=True)).group(1)
    return client.post(
        "/login/",
        data={"username": username, "password": password, "csrf_token": token},
    )


def test_api_guessing_one_account_is_answered_429(throttled):
    answers = [
        _api_login(throttled, "cs", f"wrong-{n}", f"10.0.1.{n}").status_code
        for n in range(8)
    ]
    assert answers[:5] == [401] * 5
    assert answers[5:] == [429] * 3
    # Even the right password waits: the guesser must not learn it.
    assert _api_login(throttled, "cs", PASSWORD).status_code == 429
    assert _api_login(throttled, "sales", PASSWORD).status_code == 200


def test_web_guessing_one_account_is_answered_429(throttled):
    answers = [
        _web_login(throttled, "cs", f"wrong-{n}", f"10.0.2.{n}").status_code
        for n in range(6)
    ]
    assert answers[:5] == [302] * 5
    assert answers[5] == 429
    page = _web_login(throttled, "cs", "wrong")
    assert page.status_code == 429
    assert "尝试次数过多" in page.get_data(as_text=True)


def test_one_address_guessing_many_accounts_is_answered_429(throttled):
    answers = [
        _api_login(throttled, f"nobody{n}", "guess", "10.0.3.9").status_code
        for n in range(22)
    ]
    assert answers[:20] == [401] * 20
    assert answers[20:] == [429, 429]
    assert _web_login(throttled, "cs", PASSWORD, "10.0.3.9").status_code == 429
    assert _api_login(throttled, "cs", PASSWORD, "10.0.3.10").status_code == 200


def _audit(db, user_id: int) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(AuditLog)
        .where(AuditLog.table_name == "ab_user", AuditLog.row_id == user_id)
        .order_by(AuditLog.id)
    )
    return [json.loads(row.changes) | {"by": row.user_id} for row in rows]


def test_lockout_after_failures_and_admin_unlock(throttled, db, login, monkeypatch):
    monkeypatch.setitem(
        throttled.config, "LOGIN_FAILURES_PER_ACCOUNT", "100 per minute"
    )
    monkeypatch.setitem(throttled.config, "LOGIN_LOCKOUT_FAILURES", 4)
    cs = db.session.scalars(select(AppUser).where(AppUser.username == "cs")).one()
    for n in range(4):
        assert _api_login(throttled, "cs", f"wrong-{n}").status_code == 401
    locked = _api_login(throttled, "cs", PASSWORD)
    assert locked.status_code == 403
    page = _web_login(throttled, "cs", PASSWORD)
    assert "已锁定" in page.get_data(as_text=True)
    db.session.expire_all()
    assert cs.locked_at is not None
    lock_rows = [r for r in _audit(db, cs.id) if "locked_at" in r]
    assert len(lock_rows) == 1 and lock_rows[0]["locked_at"][0] is None

    admin = login("admin")
    listing = admin.get(f"/users/show/{cs.id}").get_data(as_text=True)
    assert re.search(r"解锁", listing)
    admin.post(f"/users/action/unlock/{cs.id}")
    db.session.expire_all()
    assert cs.locked_at is None and cs.fail_login_count == 0
    unlock = [r for r in _audit(db, cs.id) if "locked_at" in r][-1]
    assert unlock["locked_at"][1] is None
    assert unlock["by"] == db.session.scalar(
        select(AppUser.id).where(AppUser.username == "admin")
    )
    assert _api_login(throttled, "cs", PASSWORD).status_code == 200


def test_a_clerk_cannot_unlock(throttled, db, login):
    cs = db.session.scalars(select(AppUser).where(AppUser.username == "cs")).one()
    assert login("sales").post(f"/users/action/unlock/{cs.id}").status_code in (
        302,
        403,
        404,
    )
    db.session.expire_all()
    assert not [r for r in _audit(db, cs.id) if "locked_at" in r]


@pytest.mark.skipif(
    not REAL_REDIS,
    reason="counting across processes needs a real Redis: set TEST_REDIS_URL",
)
def test_failures_are_counted_in_redis_for_every_worker(throttled, monkeypatch):
    """Two stores opened on the same Redis (two web workers) share the count."""
    from app.security import login_guard

    url = REAL_REDIS
    first = login_guard.LoginGuard(url, throttled.config)
    second = login_guard.LoginGuard(url, throttled.config)
    first.clear()
    for _ in range(5):
        first.failed("cs", "10.0.9.1")
    assert second.refused("cs", "10.0.9.2")
    assert not second.refused("sales", "10.0.9.2")
    first.clear()
