"""One password policy on every path that sets a password.

At least `PASSWORD_MIN_LENGTH` characters, not the username (nor containing
it), not a common or easily guessed password (zxcvbn's frequency list of
leaked passwords and its guessability score). Paths: the admin's new-user
form, the admin's password reset, a user's own reset, and the security
manager's add_user/reset_password that seeds and commands use.
"""

from __future__ import annotations

import pytest
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import select

from app.models import AppUser

GOOD = "Huishou-Mima-2027"


@pytest.mark.parametrize(
    ("password", "username", "reason"),
    [
        ("1", "cs", "length"),
        ("a", "cs", "length"),
        ("warehouse", "warehouse", "username"),
        ("Warehouse2026", "warehouse", "username"),
        ("password1", "cs", "common"),
        ("qwerty123", "cs", "common"),
        ("admin123456", "cs", "common"),
    ],
)
def test_weak_passwords_are_named_and_refused(app, password, username, reason):
    from app.security.passwords import password_problem

    with app.app_context():
        problem = password_problem(password, username)
    assert problem is not None
    assert {"length": "位", "username": "用户名", "common": "常见"}[reason] in problem


def test_a_good_password_passes(app):
    from app.security.passwords import password_problem

    with app.app_context():
        assert password_problem(GOOD, "cs") is None


def _hash(db, username: str) -> str:
    db.session.expire_all()
    return db.session.scalar(
        select(AppUser.password).where(AppUser.username == username)
    )


def test_admin_new_user_form_refuses_a_weak_password(db, login):
    admin = login("admin")
    role = db.session.scalar(select(Role.id).where(Role.name == "Sales"))
    response = admin.post(
        "/users/add",
        data={
            "first_name": "小明",
            "last_name": "王",
            "username": "wangxm",
            "active": "y",
            "email": "wangxm@example.com",
            "roles": str(role),
            "password": "wangxm2026",
            "conf_password": "wangxm2026",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "用户名" in page
    assert 'value="wangxm"' in page  # what was typed is kept
    assert (
        db.session.scalar(select(AppUser).where(AppUser.username == "wangxm")) is None
    )


def test_admin_password_reset_refuses_a_common_password(db, login, users):
    admin = login("admin")
    before = _hash(db, "cs")
    url = f"/resetpassword/form?pk={users['cs'].id}"
    refused = admin.post(
        url, data={"password": "password1", "conf_password": "password1"}
    )
    assert refused.status_code == 200 and "常见" in refused.get_data(as_text=True)
    assert _hash(db, "cs") == before
    accepted = admin.post(url, data={"password": GOOD, "conf_password": GOOD})
    assert accepted.status_code == 302
    assert _hash(db, "cs") != before


def test_own_password_reset_refuses_a_short_password(db, login):
    cs = login("cs")
    before = _hash(db, "cs")
    refused = cs.post(
        "/resetmypassword/form", data={"password": "a1", "conf_password": "a1"}
    )
    assert refused.status_code == 200 and "位" in refused.get_data(as_text=True)
    assert _hash(db, "cs") == before


def test_security_manager_paths_refuse_weak_passwords(app, db, users):
    from app.security.passwords import PasswordPolicyError

    sm = app.appbuilder.sm
    before = _hash(db, "cs")
    with pytest.raises(PasswordPolicyError):
        sm.reset_password(users["cs"].id, "cs")
    assert _hash(db, "cs") == before
    with pytest.raises(PasswordPolicyError):
        sm.add_user(
            username="lisi",
            first_name="四",
            last_name="李",
            email="lisi@example.com",
            role=sm.find_role("Sales"),
            password="1",
        )
    assert db.session.scalar(select(AppUser).where(AppUser.username == "lisi")) is None
