"""No key written in the repository signs a session or a token that is honoured.

`make run` makes its own random key under instance/; every other start
(wsgi/gunicorn, `flask`, a worker) refuses the repository's sample keys and an
empty key, naming the variable to set.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import jwt
import pytest
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from app.models import AppUser

ROOT = Path(__file__).resolve().parents[2]
# Every key that was ever written in config.py as a default.
REPOSITORY_KEYS = [
    "dev-only-secret-key-change-me",
    "test-secret-key-for-the-test-suite-only",
]


def _admin(db) -> AppUser:
    return db.session.scalars(select(AppUser).where(AppUser.username == "admin")).one()


def _forged_cookie(app, key: str, user: AppUser) -> str:
    class Forger(SecureCookieSessionInterface):
        pass

    forger = Forger()
    stand_in = type("K", (), {"secret_key": key, "config": app.config})
    serializer = forger.get_signing_serializer(stand_in)
    return serializer.dumps(
        {
            "_user_id": str(user.id),
            "_fresh": True,
            "_id": "x" * 128,
            "sv": user.session_version,
        }
    )


@pytest.mark.parametrize("key", REPOSITORY_KEYS)
def test_session_cookie_signed_with_a_repository_key_is_refused(app, db, key):
    client = app.test_client()
    client.set_cookie(
        app.config.get("SESSION_COOKIE_NAME", "session"),
        _forged_cookie(app, key, _admin(db)),
    )
    response = client.get("/users/list/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_same_forgery_with_the_running_key_would_pass(app, db):
    """Control: the forged cookie is well-formed; only the key makes it fail."""
    client = app.test_client()
    client.set_cookie(
        app.config.get("SESSION_COOKIE_NAME", "session"),
        _forged_cookie(app, app.secret_key, _admin(db)),
    )
    assert client.get("/users/list/").status_code == 200


@pytest.mark.parametrize("key", REPOSITORY_KEYS)
def test_jwt_signed_with_a_repository_key_is_refused(app, db, key):
    now = dt.datetime.now(dt.UTC)
    token = jwt.encode(
        {
            "sub": str(_admin(db).id),
            "type": "access",
            "fresh": True,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "nbf": now,
            "exp": now + dt.timedelta(hours=1),
            "sv": _admin(db).session_version,
        },
        key,
        algorithm="HS256",
    )
    client = app.test_client()
    response = client.get(
        "/api/v1/settlement/", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code in (401, 422)


@pytest.mark.parametrize("key", ["", *REPOSITORY_KEYS])
@pytest.mark.parametrize("app_env", ["development", "production"])
def test_the_app_refuses_to_start_with_an_empty_or_repository_key(
    app, monkeypatch, key, app_env
):
    from app import create_app
    from config import get_config

    monkeypatch.setenv("APP_ENV", app_env)
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    with pytest.raises(RuntimeError, match="SECRET_KEY") as refused:
        create_app(get_config())
    assert "make run" in str(refused.value)


def test_wsgi_start_without_a_key_says_what_to_set(app):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "APP_ENV", "FLASK_APP"}
    }
    env["DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr
    assert "export SECRET_KEY=" in done.stderr


def test_make_run_keeps_one_random_key_under_instance(tmp_path):
    from app.devserver import instance_secret_key

    first = instance_secret_key(tmp_path)
    again = instance_secret_key(tmp_path)
    assert first == again and len(first) >= 64
    assert first not in REPOSITORY_KEYS
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert instance_secret_key(tmp_path / "other") != first
