"""Idempotent set-up after migrations: roles, permissions and the system user."""

from __future__ import annotations

import logging
import re
import secrets

from flask import current_app

from app.extensions import db
from app.models import AppUser
from app.security.access import SYSTEM_USERNAME
from app.security.roles import ROLE_PERMISSIONS

logger = logging.getLogger(__name__)


def sync_roles() -> dict[str, int]:
    """Write every permission to the DB and mirror the role table onto role rows.

    Checks use the role table in code (FAB built-in roles); the rows let admins
    see each role's permissions and build extra roles in the role screen.
    Returns the number of permissions of each role.
    """
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    appbuilder.add_permissions(update_perms=True)
    for grants in ROLE_PERMISSIONS.values():
        for resource, actions in grants.items():
            for action in actions:
                sm.add_permission_view_menu(f"can_{action}", resource)
    all_pvms = db.session.query(sm.permissionview_model).all()
    counts = {}
    for role_name, pairs in sm.builtin_roles.items():
        compiled = [(re.compile(view), re.compile(perm)) for view, perm in pairs]
        matched = [
            pvm
            for pvm in all_pvms
            if any(
                view.match(pvm.view_menu.name) and perm.match(pvm.permission.name)
                for view, perm in compiled
            )
        ]
        role = sm.add_role(role_name)
        role.permissions = matched
        counts[role_name] = len(matched)
    sm.add_role(sm.auth_role_public)
    ensure_system_user()
    db.session.commit()
    return counts


def ensure_system_user() -> AppUser:
    """The inactive, password-less actor of jobs and commands."""
    user = db.session.query(AppUser).filter_by(username=SYSTEM_USERNAME).one_or_none()
    if user is None:
        sm = current_app.appbuilder.sm
        user = sm.add_user(
            username=SYSTEM_USERNAME,
            first_name="系统",
            last_name="",
            email="system@localhost",
            role=[],
            password=secrets.token_urlsafe(32),
        )
        user = db.session.query(AppUser).filter_by(username=SYSTEM_USERNAME).one()
        user.active = False
        db.session.commit()
    return user
